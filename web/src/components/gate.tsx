"use client";

import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useMeridian } from "@/lib/meridian.tsx";
import { useAction } from "@/lib/use-action.ts";
import { patientQueryOptions } from "@/lib/queries.ts";
import { ErrorText } from "./error-text.tsx";

/**
 * Onboarding gate: connected → right network → encryption key derived (one signature) →
 * (patients) registered (one transaction). Renders `children` once all hold.
 */
export function Gate({ audience, children }: { audience: "patient" | "provider"; children: ReactNode }) {
  const { address, onRightChain, client, keysReady, unlockKeys, readContext, config } = useMeridian();
  const patient = useQuery({
    ...patientQueryOptions(readContext, { patient: address }),
    enabled: audience === "patient",
  });
  const unlock = useAction(unlockKeys);
  const register = useAction(async () => {
    await client!.registerAsPatient();
    await patient.refetch();
  });

  if (!address) return <p className="notice">Connect your wallet (top right) to continue.</p>;
  if (!onRightChain)
    return (
      <p className="notice">Your wallet is on another network. Use the switch button to move to {config.chainName}.</p>
    );
  if (!client) return <p className="notice">Waiting for your wallet…</p>;
  if (!keysReady) {
    return (
      <section className="card" aria-labelledby="unlock-title">
        <h2 id="unlock-title">Create your encryption key</h2>
        <p>
          Your wallet will ask you to sign a message titled <strong>Meridian key derivation</strong>. Signing costs
          nothing and sends no transaction. Meridian turns the signature into your personal encryption key, here in this
          page only: the key is never sent anywhere and is forgotten when you close the tab. The same account always
          gets the same key, so you can come back from any device. The first time, your wallet asks twice, to check that
          it always gives the same signature; a wallet that does not (some MPC and hardware wallets, smart accounts)
          cannot be used.
        </p>
        <button type="button" onClick={() => void unlock.start()} disabled={unlock.pending}>
          {unlock.pending ? "Waiting for your signature…" : "Sign to create my key"}
        </button>
        <ErrorText error={unlock.error} />
      </section>
    );
  }
  if (audience === "patient") {
    if (patient.isPending) return <p>Checking your registration…</p>;
    if (patient.data && !patient.data.registered) {
      return (
        <section className="card" aria-labelledby="register-title">
          <h2 id="register-title">Register as a patient</h2>
          <p>
            One transaction publishes your public encryption key, so providers can share keys with you. Nothing about
            your health goes on chain.
          </p>
          <button type="button" onClick={() => void register.start()} disabled={register.pending}>
            {register.pending ? "Registering…" : "Register"}
          </button>
          <ErrorText error={register.error} />
        </section>
      );
    }
  }
  return <>{children}</>;
}
