"use client";

import { useQuery } from "@tanstack/react-query";
import { isAddressEqual } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { joinValidatorPool, leaveValidatorPool, ProviderKind } from "@meridian/sdk/chain";
import type { ProviderInfo } from "@meridian/sdk/chain";
import { ErrorText } from "@/components/error-text.tsx";
import { useAction } from "@/lib/use-action.ts";
import { queryKeys, useInvalidate } from "@/lib/queries.ts";
import { validatorPoolQueryOptions } from "@/lib/queries-care.ts";

/** Hospital: membership of the validator pool (one account per institution, equal chance each). */
export function ValidatorPool({ client, me }: { client: MeridianClient; me: ProviderInfo }) {
  const invalidate = useInvalidate();
  const pool = useQuery(validatorPoolQueryOptions(client.ctx));
  const member = (pool.data ?? []).some((a) => isAddressEqual(a, client.address));
  const toggle = useAction(async () => {
    await (member ? leaveValidatorPool(client.ctx) : joinValidatorPool(client.ctx));
    await invalidate([queryKeys.validatorPool()]);
  });
  return (
    <section className="card" aria-labelledby="pool-title">
      <h2 id="pool-title">Validator pool</h2>
      <p className="muted">
        Hospitals in the pool are drawn at random to check other hospitals&apos; diagnoses, each with the same chance:
        one account per hospital, whatever its number of departments. You are never drawn for your own hospital&apos;s
        records. Leaving applies to diagnoses submitted afterwards: one submitted while you were in the pool may still
        draw you.
      </p>
      <p data-testid="pool-status">
        {pool.data ? `${pool.data.length} hospital${pool.data.length === 1 ? "" : "s"} in the pool. ` : "Loading… "}
        {member ? <span className="ok">You are in the pool.</span> : <span>You are not in the pool.</span>}
      </p>
      {me.kind === ProviderKind.Hospital ? (
        <button
          type="button"
          className={member ? "secondary" : undefined}
          onClick={() => void toggle.start()}
          disabled={toggle.pending || !pool.data}
        >
          {toggle.pending ? "Sending…" : member ? "Leave the pool" : "Join the pool"}
        </button>
      ) : (
        <p className="muted">Only hospitals join the pool.</p>
      )}
      <ErrorText error={toggle.error} />
    </section>
  );
}
