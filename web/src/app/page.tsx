"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { ProviderStatus } from "@meridian/sdk/chain";
import { useMeridian } from "@/lib/meridian.tsx";
import { providerStatusLabel } from "@/lib/labels.ts";
import { rolesQueryOptions } from "@/lib/queries.ts";

export default function Home() {
  const { address, readContext, config } = useMeridian();
  const roles = useQuery(rolesQueryOptions(readContext, { account: address }));
  return (
    <>
      <h1>Your medical records, your keys</h1>
      <p>
        Meridian keeps FHIR R4 records encrypted on IPFS. Only you hold the keys; you share them with hospitals and
        doctors from your own wallet, and every access is written to {config.chainName} for you to audit.
      </p>
      {address && roles.data ? (
        <section className="card" aria-labelledby="you-title">
          <h2 id="you-title">This account</h2>
          <ul>
            <li>
              Patient:{" "}
              {roles.data.patient ? (
                <Link href="/patient">registered, open your records</Link>
              ) : (
                <Link href="/patient">not registered yet, start here</Link>
              )}
            </li>
            <li>
              Provider:{" "}
              {roles.data.provider === ProviderStatus.None ? (
                "not admitted"
              ) : (
                <Link href="/provider">{providerStatusLabel(roles.data.provider)}</Link>
              )}
            </li>
            {roles.data.regulator ? (
              <li>
                <Link href="/regulator">Regulator</Link>
              </li>
            ) : null}
          </ul>
        </section>
      ) : (
        <p className="notice">
          Connect your wallet to start. Patients register with one signature (asked twice the first time) and one
          transaction.
        </p>
      )}
      <section className="card">
        <h2>How it works</h2>
        <ol>
          <li>Your browser encrypts each record with a fresh key (AES-256-GCM) before anything leaves it.</li>
          <li>The ciphertext goes to IPFS; its address (CID) and hash are anchored on chain in your record chain.</li>
          <li>
            To share, your wallet seals the key to the provider's public key (HPKE, RFC 9180) and records a grant on
            chain; you can revoke it at any time.
          </li>
        </ol>
      </section>
    </>
  );
}
