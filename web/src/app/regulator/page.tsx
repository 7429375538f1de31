"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddress } from "viem";
import { admitProvider, setProviderStatus, type ProviderInfo } from "@meridian/sdk/chain";
import { isProviderKindCode, ProviderKind, ProviderStatus, type ProviderKindCode } from "@meridian/sdk/chain";
import { ErrorText } from "@/components/error-text.tsx";
import { useMeridian } from "@/lib/meridian.tsx";
import { useAction } from "@/lib/use-action.ts";
import { formatTime } from "@/lib/format.ts";
import { KIND_NAMES, providerKindLabel, providerStatusLabel } from "@/lib/labels.ts";
import { isRegulatorQueryOptions, providersQueryOptions, queryKeys, useInvalidate } from "@/lib/queries.ts";

/** The regulator's page: membership only. Nothing here reads or shows medical content. */
export default function RegulatorPage() {
  const { client, readContext, address } = useMeridian();
  const invalidate = useInvalidate();
  const providers = useQuery(providersQueryOptions(readContext));
  const regulator = useQuery(isRegulatorQueryOptions(readContext, { account: address }));
  const act = useAction(async (provider: ProviderInfo, action: "suspend" | "reinstate" | "remove") => {
    await setProviderStatus(client!.ctx, { provider: provider.address, action });
    await invalidate([queryKeys.providers()]);
  });
  const canAct = !!client && regulator.data === true;
  return (
    <>
      <h1>Regulator</h1>
      <p className="muted">The regulator admits and suspends providers. It holds no keys and can read no records.</p>
      {address && regulator.data === false ? (
        <p className="notice" role="status">
          This account does not hold the regulator role: the list is read-only.
        </p>
      ) : null}
      {canAct ? <AdmitForm onDone={() => invalidate([queryKeys.providers()])} /> : null}
      <section className="card" aria-labelledby="providers-title">
        <h2 id="providers-title">Providers</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Department</th>
                <th scope="col">Address</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(providers.data ?? []).map((p) => (
                <tr key={p.address} data-testid="provider-row">
                  <td>{p.name}</td>
                  <td>{providerKindLabel(p.kind)}</td>
                  <td>{p.department}</td>
                  <td className="mono">{p.address}</td>
                  <td data-testid="provider-row-status">
                    {providerStatusLabel(p.status)}
                    <div className="muted">since {formatTime(p.statusChangedAt)}</div>
                  </td>
                  <td className="row">
                    {canAct && p.status === ProviderStatus.Active ? (
                      <button
                        type="button"
                        className="danger"
                        disabled={act.pending}
                        onClick={() => void act.start(p, "suspend")}
                      >
                        Suspend
                      </button>
                    ) : null}
                    {canAct && p.status === ProviderStatus.Suspended ? (
                      <button type="button" disabled={act.pending} onClick={() => void act.start(p, "reinstate")}>
                        Reinstate
                      </button>
                    ) : null}
                    {canAct && (p.status === ProviderStatus.Active || p.status === ProviderStatus.Suspended) ? (
                      <button
                        type="button"
                        className="secondary"
                        disabled={act.pending}
                        onClick={() => void act.start(p, "remove")}
                      >
                        Remove
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <ErrorText error={act.error} />
      </section>
    </>
  );
}

function AdmitForm({ onDone }: { onDone: () => Promise<void> }) {
  const { client } = useMeridian();
  const [address, setAddress] = useState("");
  const [name, setName] = useState("");
  const [department, setDepartment] = useState("");
  const [kind, setKind] = useState<ProviderKindCode>(ProviderKind.Hospital);
  const admit = useAction(async () => {
    if (!isAddress(address)) throw new Error("The provider address is not a valid 0x address.");
    await admitProvider(client!.ctx, { provider: address, kind, name, department });
    await onDone();
  });
  return (
    <section className="card" aria-labelledby="admit-title">
      <h2 id="admit-title">Admit a provider</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void admit.start();
        }}
      >
        <label htmlFor="admit-address">Provider account</label>
        <input
          id="admit-address"
          value={address}
          onChange={(e) => setAddress(e.target.value.trim())}
          placeholder="0x…"
          size={44}
          required
        />
        <label htmlFor="admit-name">Name</label>
        <input id="admit-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        <label htmlFor="admit-kind">Kind</label>
        <select
          id="admit-kind"
          value={kind}
          onChange={(e) => {
            const code = Number(e.target.value);
            if (isProviderKindCode(code)) setKind(code);
          }}
        >
          {Object.values(ProviderKind).map((code) => (
            <option key={code} value={code}>
              {KIND_NAMES[code]}
            </option>
          ))}
        </select>
        <label htmlFor="admit-department">Department or specialty</label>
        <input
          id="admit-department"
          value={department}
          onChange={(e) => setDepartment(e.target.value)}
          maxLength={100}
        />
        <p>
          <button type="submit" disabled={admit.pending}>
            {admit.pending ? "Admitting…" : "Admit"}
          </button>
        </p>
      </form>
      <ErrorText error={admit.error} />
    </section>
  );
}
