"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddress, isAddressEqual, type Address } from "viem";
import { GuardianLevel, type GuardianLevelCode } from "@meridian/sdk/chain";
import { describeKeyHolderEnd } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { useAction } from "@/lib/use-action.ts";
import {
  guardiansQueryOptions,
  retiredKeyHoldersQueryOptions,
  staleAfter,
  staleKeyHoldersQueryOptions,
  useInvalidate,
} from "@/lib/queries.ts";
import { ErrorText } from "../error-text.tsx";

/** A guardian level in words. */
export const LEVEL_NAMES: Record<number, string> = {
  [GuardianLevel.View]: "View",
  [GuardianLevel.ShareAndView]: "Share and view",
};

/** Patient: "Guardians". Appoint by address at View or Share and view, list, remove. */
export function Guardians({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const patient = client.address;
  const [guardian, setGuardian] = useState("");
  const [level, setLevel] = useState<GuardianLevelCode>(GuardianLevel.View);
  const guardians = useQuery(guardiansQueryOptions(client));
  const refresh = () => invalidate(staleAfter.keys(patient));
  const appoint = useAction(async () => {
    if (!isAddress(guardian)) throw new Error("The guardian address is not a valid 0x address.");
    if (isAddressEqual(guardian, patient)) throw new Error("You cannot be your own guardian.");
    await client.appointGuardian({ guardian, level });
    setGuardian("");
    await refresh();
  });
  const remove = useAction(async (g: Address) => {
    const { reissued } = await client.removeGuardian(g);
    await refresh();
    return reissued.length;
  });
  return (
    <section className="card" aria-labelledby="guardians-title">
      <h2 id="guardians-title">Guardians</h2>
      <p className="muted">
        A guardian (a relative, a carer) acts for you with their own Meridian account; everything they do is in your
        audit log under their name.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void appoint.start();
        }}
      >
        <label htmlFor="guardian-address">Guardian address</label>
        <input
          id="guardian-address"
          value={guardian}
          onChange={(e) => setGuardian(e.target.value.trim())}
          placeholder="0x…"
          size={44}
          required
        />
        <fieldset>
          <legend>Level</legend>
          <label>
            <input
              type="radio"
              name="guardian-level"
              checked={level === GuardianLevel.View}
              onChange={() => setLevel(GuardianLevel.View)}
            />{" "}
            View: reads your records and audit log, but cannot share them or decide requests.
          </label>
          <label>
            <input
              type="radio"
              name="guardian-level"
              checked={level === GuardianLevel.ShareAndView}
              onChange={() => setLevel(GuardianLevel.ShareAndView)}
            />{" "}
            Share and view: also grants and revokes access, approves or denies requests, and releases your emergency
            summary&apos;s key.
          </label>
        </fieldset>
        <p>
          <button type="submit" disabled={appoint.pending}>
            {appoint.pending ? "Appointing…" : "Appoint guardian"}
          </button>
        </p>
      </form>
      <ErrorText error={appoint.error} />
      {guardians.data?.length === 0 ? <p className="muted">You have no guardians.</p> : null}
      {guardians.data?.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Guardian</th>
                <th scope="col">Level</th>
                <th scope="col">Key epoch</th>
                <th scope="col">
                  <span className="muted">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {guardians.data.map((g) => (
                <tr key={g.guardian} data-testid="guardian-row">
                  <td className="mono">{g.guardian}</td>
                  <td>{LEVEL_NAMES[g.level]}</td>
                  <td>{g.keyEpoch}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      disabled={remove.pending}
                      onClick={() => void remove.start(g.guardian)}
                    >
                      {remove.pending ? "Removing…" : "Remove"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p className="muted">
        Removing a guardian moves your records to a new key epoch: the guardian keeps nothing new, and your app
        re-issues every other live grant and re-keys your other guardians at the new epoch (one transaction each).
      </p>
      {remove.result !== undefined ? (
        <p className="ok" role="status">
          Guardian removed; {remove.result} grant(s) and guardian(s) re-keyed.
        </p>
      ) : null}
      <ErrorText error={remove.error} />
    </section>
  );
}

/**
 * Patient: shown when live grants or guardians hold keys of an older key epoch (after a guardian
 * revoked a grant or stepped down: those providers cannot add records until the patient's wallet
 * re-keys them, {@link MeridianClient.reissueAfterEpochChange}), or when a grantee whose access
 * ended (grant expired, provider suspended or removed), or a consent code made in this browser that
 * was never redeemed (or was cancelled), still holds the current epoch's keys: the
 * button then moves the records to new keys first ({@link MeridianClient.rotateKeyEpoch}), as the
 * next upload would.
 */
export function StaleKeysNotice({ client }: { client: MeridianClient }) {
  const invalidate = useInvalidate();
  const patient = client.address;
  const stale = useQuery(staleKeyHoldersQueryOptions(client));
  const ended = useQuery(retiredKeyHoldersQueryOptions(client));
  const retired = ended.data?.retired.length ?? 0;
  const codes = ended.data?.retired.filter((r) => r.kind === "consent-code") ?? [];
  const update = useAction(async () => {
    const sent =
      retired > 0
        ? await client.rotateKeyEpoch().then((r) => [r.advance, ...r.reissued])
        : await client.reissueAfterEpochChange();
    await invalidate(staleAfter.keys(patient));
    return sent.length;
  });
  const grants = stale.data?.grants.length ?? 0,
    guardians = stale.data?.guardians.length ?? 0;
  if (grants + guardians + retired === 0) {
    if (update.result === undefined) return null;
    return (
      <p className="ok" role="status">
        Keys updated ({update.result} transaction(s)).
      </p>
    );
  }
  return (
    <section className="card alert" aria-labelledby="stale-keys-title" data-testid="stale-keys">
      <h2 id="stale-keys-title">Keys to update</h2>
      {codes.length > 0 ? (
        <div data-testid="unredeemed-codes">
          <p>
            Consent codes made in this browser carried the keys of your current key epoch, but no grant came of them:
          </p>
          <ul>
            {codes.map((c) => (
              <li key={c.kind === "consent-code" ? c.nonce.toString() : ""}>{describeKeyHolderEnd(c)}.</li>
            ))}
          </ul>
          <p>
            Those providers hold those keys without any access: your next record will be written under new keys they
            never had.
          </p>
        </div>
      ) : null}
      {retired > codes.length ? (
        <p data-testid="retired-keys">
          {retired - codes.length} provider(s) or guardian(s) whose access ended (a grant expired, or the regulator
          suspended or removed the provider) still hold the keys of your current key epoch {ended.data?.keyEpoch}. Your
          next record will be written under new keys they never had; updating now moves you to them and re-issues your
          live grants.
        </p>
      ) : null}
      {grants + guardians > 0 ? (
        <p>
          Your records moved to key epoch {stale.data?.keyEpoch} (a guardian revoked access, or one stepped down).{" "}
          {grants} grant(s) and {guardians} guardian(s) still hold keys of an older epoch: they read what was written
          before, but providers with write consent cannot add records until you update them.
        </p>
      ) : null}
      <p>
        <button type="button" disabled={update.pending} onClick={() => void update.start()}>
          {update.pending ? "Updating…" : "Update keys"}
        </button>{" "}
        <span className="muted">
          One transaction per grant or guardian{retired > 0 ? ", and one for the new key epoch" : ""}.
        </span>
      </p>
      <ErrorText error={update.error} />
    </section>
  );
}
