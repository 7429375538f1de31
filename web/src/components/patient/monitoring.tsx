"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddress, type Address } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { canWrite } from "@meridian/sdk/chain";
import { parseDevicePairingOffer } from "@meridian/sdk/chain";
import {
  clearMonitoringProvider,
  DeviceStatus,
  registerDevice,
  revokeDevice,
  setMonitoringProvider,
} from "@meridian/sdk/chain";
import { RecordCategory } from "@meridian/sdk";
import { ErrorText } from "@/components/error-text.tsx";
import { formatTime } from "@/lib/format.ts";
import { useAction } from "@/lib/use-action.ts";
import { staleAfter, useInvalidate } from "@/lib/queries.ts";
import {
  devicesQueryOptions,
  monitoringProviderQueryOptions,
  patientSessionsQueryOptions,
} from "@/lib/queries-care.ts";

const ROLE_NAMES: Record<number, string> = { 1: "ECG sensor", 2: "Edge device", 3: "Fog relay" };

/**
 * The patient's remote monitoring: who monitors them (named under their Cardiac write consent;
 * stop at any time), their registered devices (pair a new one from its pairing offer; revoke a
 * lost or replaced one for good), and their sessions with the clinician's diagnosis.
 */
export function RemoteMonitoring({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const patient = client.address;
  const provider = useQuery(monitoringProviderQueryOptions(client.ctx, { patient }));
  const devices = useQuery(devicesQueryOptions(client.ctx, { patient }));
  const sessions = useQuery(patientSessionsQueryOptions(client.ctx, { patient }));
  const refresh = () => invalidate(staleAfter.monitoring(patient));

  const [name, setName] = useState("");
  const nameProvider = useAction(async () => {
    if (!isAddress(name)) throw new Error("The provider address is not a valid 0x address.");
    // naming needs the provider's Cardiac write consent: grant it first when missing (one more transaction)
    if (!(await canWrite(client.ctx, name, patient, RecordCategory.Cardiac)))
      await client.grant({ grantee: name, scope: { kind: "category", category: RecordCategory.Cardiac }, write: true });
    await setMonitoringProvider(client.ctx, { provider: name });
    setName("");
    await refresh();
  });
  const stop = useAction(async () => {
    await clearMonitoringProvider(client.ctx);
    await refresh();
  });
  const [offer, setOffer] = useState("");
  const pair = useAction(async () => {
    const parsed = await parseDevicePairingOffer(offer.trim(), { deployment: client.ctx.deployment, patient });
    await registerDevice(client.ctx, parsed);
    setOffer("");
    await refresh();
    return parsed;
  });
  const revoke = useAction(async (device: Address) => {
    await revokeDevice(client.ctx, { device });
    await refresh();
  });

  return (
    <section className="card" aria-labelledby="monitoring-title" data-testid="remote-monitoring">
      <h2 id="monitoring-title">Remote monitoring</h2>
      <h3>Monitoring provider</h3>
      {provider.data ? (
        <p data-testid="monitoring-provider">
          <strong>{provider.data.entry.name || provider.data.address}</strong> (
          {provider.data.entry.department || "no department"}) receives your ECG and may add Cardiac records.{" "}
          <button type="button" className="danger" disabled={stop.pending} onClick={() => void stop.start()}>
            Stop monitoring
          </button>
        </p>
      ) : provider.isPending ? (
        <p>Loading…</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void nameProvider.start();
          }}
        >
          <p className="muted">
            No one monitors you. Naming a provider lets their medical server store your ECG windows as Cardiac records
            (this grants them Cardiac read and write if they do not have it yet).
          </p>
          <label htmlFor="monitoring-provider-address">Provider address</label>
          <input
            id="monitoring-provider-address"
            value={name}
            onChange={(e) => setName(e.target.value.trim())}
            placeholder="0x…"
            size={44}
          />{" "}
          <button type="submit" disabled={nameProvider.pending}>
            {nameProvider.pending ? "Naming…" : "Name as monitoring provider"}
          </button>
        </form>
      )}
      <ErrorText error={nameProvider.error ?? stop.error} />

      <h3>Your devices</h3>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Address</th>
              <th scope="col">Registered</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="muted">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(devices.data ?? []).map((d) => (
              <tr key={d.device} data-testid="device-row">
                <td>{ROLE_NAMES[d.role] ?? "unknown"}</td>
                <td className="mono">{d.device}</td>
                <td>{formatTime(d.registeredAt)}</td>
                <td data-testid="device-status" className={d.status === DeviceStatus.Active ? "ok" : "bad"}>
                  {d.status === DeviceStatus.Active ? "Active" : `Revoked ${formatTime(d.revokedAt)}`}
                </td>
                <td>
                  {d.status === DeviceStatus.Active ? (
                    <button
                      type="button"
                      className="danger"
                      disabled={revoke.pending}
                      onClick={() => void revoke.start(d.device)}
                    >
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {devices.data?.length === 0 ? <p className="muted">No devices yet.</p> : null}
      <p className="muted">
        Revoking is final: the medical server refuses anything the device signs from then on. A replaced device pairs
        again with its new key.
      </p>
      <ErrorText error={revoke.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void pair.start();
        }}
      >
        <label htmlFor="pairing-offer">Pair a device: paste its pairing offer</label>
        <textarea
          id="pairing-offer"
          value={offer}
          onChange={(e) => setOffer(e.target.value)}
          rows={3}
          style={{ width: "100%" }}
          placeholder='{"type":"meridian-device-binding/1", …}'
        />
        <p>
          <button type="submit" disabled={pair.pending || offer.trim() === ""}>
            {pair.pending ? "Registering…" : "Register device"}
          </button>
        </p>
      </form>
      {pair.result ? (
        <p className="ok" role="status">
          {ROLE_NAMES[pair.result.role]} {pair.result.device.slice(0, 10)}… registered.
        </p>
      ) : null}
      <ErrorText error={pair.error} />

      <h3>Sessions</h3>
      {sessions.data?.length ? (
        <ul>
          {sessions.data.map((s) => (
            <li key={s.sessionId} data-testid="my-session">
              Opened {formatTime(s.openedAt)}, {s.recordCount} ECG windows:{" "}
              {s.open ? (
                "open"
              ) : s.diagnosisRecordId ? (
                <>
                  diagnosis signed (record <span className="mono">{s.diagnosisRecordId.slice(0, 10)}…</span>, in your
                  records)
                </>
              ) : (
                "closed"
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No monitoring sessions yet.</p>
      )}
    </section>
  );
}
