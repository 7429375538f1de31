"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddress, type Address } from "viem";
import { ProviderStatus, type GrantEndReason, type GrantStatus } from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { categoryLabel } from "@/lib/format.ts";
import type { MeridianClient } from "@meridian/sdk";
import { Gate } from "@/components/gate.tsx";
import { ErrorText } from "@/components/error-text.tsx";
import { RecordTimeline } from "@/components/patient/records.tsx";
import { UploadRecords } from "@/components/patient/upload.tsx";
import { describeError, useMeridian } from "@/lib/meridian.tsx";
import { useAction } from "@/lib/use-action.ts";
import { formatScope, formatTime } from "@/lib/format.ts";
import { providerKindLabel, providerStatusLabel } from "@/lib/labels.ts";
import {
  providerKeyQueryOptions,
  providerQueryOptions,
  queryKeys,
  sharingPatientsQueryOptions,
  useInvalidate,
} from "@/lib/queries.ts";
import { RedeemConsentCode } from "@/components/consent/redeem-code.tsx";
import { EmergencyAccess } from "@/components/emergency/provider-access.tsx";

export default function ProviderPage() {
  const { client } = useMeridian();
  return (
    <>
      <h1>Provider</h1>
      <Gate audience="provider">{client ? <ProviderDashboard client={client} /> : null}</Gate>
    </>
  );
}

function ProviderDashboard({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const me = useQuery(providerQueryOptions(client.ctx, { provider: client.address }));
  // the key this wallet derives for the registry's current key version (1 before the first key)
  const version = Math.max(1, me.data?.keyVersion ?? 1);
  const myKey = useQuery({ ...providerKeyQueryOptions(client, { version }), enabled: me.data !== undefined });
  const publish = useAction(async () => {
    await client.publishProviderKey();
    await invalidate([queryKeys.provider(client.address)]);
  });
  const rotate = useAction(async () => {
    const rotated = await client.rotateProviderKey();
    await invalidate([queryKeys.provider(client.address)]);
    return rotated;
  });
  if (!me.data) return <p>Loading your registry entry…</p>;
  const active = me.data.status === ProviderStatus.Active;
  const admitted = me.data.status !== ProviderStatus.None;
  // 32-byte keys, compared as numbers (hex case differs between the registry and the key encoder)
  const keyPublished =
    myKey.data !== undefined && me.data.keyVersion > 0 && BigInt(me.data.encryptionKey) === BigInt(myKey.data);
  return (
    <>
      <section className="card" aria-labelledby="entry-title">
        <h2 id="entry-title">Your registry entry</h2>
        {!admitted ? (
          <p className="alert" role="alert" data-testid="provider-refused">
            This account is not an admitted provider. Ask the regulator to admit it; until then you cannot request or
            read records.
          </p>
        ) : (
          <dl>
            <dt>Name</dt>
            <dd>{me.data.name}</dd>
            <dt>Kind</dt>
            <dd>
              {providerKindLabel(me.data.kind)} — {me.data.department}
            </dd>
            <dt>Status</dt>
            <dd data-testid="provider-status" className={active ? "ok" : "bad"}>
              {providerStatusLabel(me.data.status)} since {formatTime(me.data.statusChangedAt)}
            </dd>
          </dl>
        )}
        {!active && admitted ? (
          <p className="alert" role="alert" data-testid="provider-refused">
            Your access is {providerStatusLabel(me.data.status).toLowerCase()}: no record can be opened until the
            regulator reinstates you.
          </p>
        ) : null}
        {admitted ? (
          <p>
            Encryption key:{" "}
            {keyPublished ? (
              <span className="ok" data-testid="key-status">
                published, version {me.data.keyVersion}
              </span>
            ) : myKey.error ? (
              <span className="bad" data-testid="key-status">
                this wallet cannot use the key the registry holds (version {me.data.keyVersion})
              </span>
            ) : (
              <span className="warn" data-testid="key-status">
                not published (patients cannot share with you yet)
              </span>
            )}{" "}
            {me.data.keyVersion === 0 ? (
              <button
                type="button"
                onClick={() => void publish.start()}
                disabled={publish.pending || myKey.data === undefined}
              >
                Publish key
              </button>
            ) : null}
          </p>
        ) : null}
        {admitted && me.data.status !== ProviderStatus.Removed && me.data.keyVersion > 0 ? (
          <details>
            <summary>Rotate your encryption key</summary>
            <p>
              Rotating asks your wallet to sign one more free request twice (to check it signs the same way each time),
              which derives your next key (version {me.data.keyVersion + 1}), and publishes it in one transaction.
              Patients share with the new key from then on; what they shared before still opens (your wallet derives the
              older key again when needed). Rotate if this browser or a copy of your key may have been exposed: what was
              shared under the old key stays readable to whoever holds it, so ask those patients to re-share.
            </p>
            <button type="button" className="secondary" onClick={() => void rotate.start()} disabled={rotate.pending}>
              {rotate.pending ? "Rotating…" : "Rotate key"}
            </button>
            {rotate.result ? (
              <p className="ok" role="status">
                Key rotated: version {rotate.result.keyVersion} is published.
              </p>
            ) : null}
          </details>
        ) : null}
        <ErrorText error={myKey.error ? describeError(myKey.error) : undefined} />
        <ErrorText error={publish.error} />
        <ErrorText error={rotate.error} />
      </section>
      {active ? (
        <>
          <SharedWithMe client={client} />
          <RedeemConsentCode client={client} />
          <RequestAccess client={client} />
          <EmergencyAccess client={client} />
        </>
      ) : null}
    </>
  );
}

/** How a grant's end reads in the provider's list. */
const END_REASONS: Record<GrantEndReason, string> = {
  revoked: "revoked",
  expired: "expired",
  "grantee-suspended": "your access was suspended",
  "grantee-removed": "you were removed from the registry",
};

/** A live grant in the provider's list: its scope and, when it has one, its expiry. */
function describeGrant(grant: GrantStatus): string {
  return `${formatScope(grant.scope)}${grant.expiresAt ? ` until ${formatTime(grant.expiresAt)}` : ""}`;
}

/** The patients whose grants to this provider are live, and (collapsed) the grants that ended. */
function SharedWithMe({ client }: { client: MeridianClient }) {
  const shared = useQuery(sharingPatientsQueryOptions(client.ctx, { grantee: client.address }));
  const patients = shared.data?.patients ?? [];
  const ended = shared.data?.ended ?? [];
  const [chosen, setSelected] = useState<Address | undefined>(undefined);
  // a patient whose last grant ended since it was chosen is no longer shown
  const selected = patients.find((p) => p.patient === chosen);
  return (
    <section className="card" aria-labelledby="shared-title">
      <h2 id="shared-title">Patients who shared with you</h2>
      {shared.data && patients.length === 0 ? <p className="muted">No patient shares records with you now.</p> : null}
      <ul>
        {patients.map((p) => (
          <li key={p.patient} data-testid="shared-patient">
            <span className="mono">{p.patient}</span>: {p.grants.map(describeGrant).join("; ")}
            {p.write ? " (with write consent)" : ""}{" "}
            <button type="button" className="secondary" onClick={() => setSelected(p.patient)}>
              Show records
            </button>
          </li>
        ))}
      </ul>
      {ended.length > 0 ? (
        <details data-testid="ended-grants">
          <summary>Ended ({ended.length})</summary>
          <ul>
            {ended.map((g) => (
              <li key={g.grantId} data-testid="ended-grant">
                <span className="mono">{g.patient}</span>: {formatScope(g.scope)}, ended on {formatTime(g.endedAt)}:{" "}
                {END_REASONS[g.reason]}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <ErrorText error={shared.error ?? undefined} />
      {selected ? (
        <>
          <RecordTimeline client={client} patient={selected.patient} title="Shared records" />
          {selected.write ? <UploadRecords client={client} patient={selected.patient} /> : null}
        </>
      ) : null}
    </section>
  );
}

function RequestAccess({ client }: { client: MeridianClient }) {
  const [patient, setPatient] = useState("");
  const [scope, setScope] = useState("all");
  const [days, setDays] = useState(30);
  const [purpose, setPurpose] = useState("");
  const [write, setWrite] = useState(false);
  const request = useAction(async () => {
    if (!isAddress(patient)) throw new Error("The patient address is not a valid 0x address.");
    const s =
      scope === "all"
        ? { kind: "all" as const }
        : { kind: "category" as const, category: Number(scope) as RecordCategory };
    return client.requestAccess({ patient, scope: s, write, durationSeconds: days * 86_400, purpose });
  });
  return (
    <section className="card" aria-labelledby="request-title">
      <h2 id="request-title">Request access</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void request.start();
        }}
      >
        <label htmlFor="req-patient">Patient address</label>
        <input
          id="req-patient"
          value={patient}
          onChange={(e) => setPatient(e.target.value.trim())}
          placeholder="0x…"
          size={44}
          required
        />
        <label htmlFor="req-scope">Scope</label>
        <select id="req-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
          <option value="all">All records</option>
          {Object.values(RecordCategory).map((c) => (
            <option key={c} value={c}>
              {categoryLabel(c)} records
            </option>
          ))}
        </select>
        <label htmlFor="req-days">Duration (days)</label>
        <input
          id="req-days"
          type="number"
          min={1}
          max={3650}
          value={days}
          onChange={(e) => setDays(Number(e.target.value))}
        />
        <label htmlFor="req-purpose">Purpose</label>
        <input
          id="req-purpose"
          value={purpose}
          maxLength={200}
          onChange={(e) => setPurpose(e.target.value)}
          placeholder="e.g. cardiology follow-up"
          size={44}
        />
        <label>
          <input type="checkbox" checked={write} onChange={(e) => setWrite(e.target.checked)} /> Also ask to add records
          (write consent)
        </label>
        <p>
          <button type="submit" disabled={request.pending}>
            {request.pending ? "Sending…" : "Send request"}
          </button>
        </p>
      </form>
      {request.result ? (
        <p className="ok" role="status">
          Request sent; the patient will see it in their inbox.
        </p>
      ) : null}
      <ErrorText error={request.error} />
    </section>
  );
}
