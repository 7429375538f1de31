"use client";

import { useQuery } from "@tanstack/react-query";
import { ProviderStatus } from "@meridian/sdk/chain";
import type { MeridianClient } from "@meridian/sdk";
import { Gate } from "@/components/gate.tsx";
import { AuthorCases } from "@/components/validation/author-cases.tsx";
import { ValidatorPool } from "@/components/validation/pool.tsx";
import { ValidatorCases } from "@/components/validation/validator-cases.tsx";
import { useMeridian } from "@/lib/meridian.tsx";
import { providerStatusLabel } from "@/lib/labels.ts";
import { providerQueryOptions } from "@/lib/queries.ts";

export default function ValidationPage() {
  const { client } = useMeridian();
  return (
    <>
      <h1>Peer validation</h1>
      <Gate audience="provider">{client ? <Validation client={client} /> : null}</Gate>
    </>
  );
}

/**
 * A provider's peer validation: pool membership, its own diagnoses under validation (submit with
 * the patient's consent, draw, share the key), and the diagnoses it was drawn to check.
 */
function Validation({ client }: { client: MeridianClient }) {
  const me = useQuery(providerQueryOptions(client.ctx, { provider: client.address }));
  if (!me.data) return <p>Loading your registry entry…</p>;
  if (me.data.status !== ProviderStatus.Active) {
    return (
      <p className="alert" role="alert" data-testid="provider-refused">
        {me.data.status === ProviderStatus.None
          ? "This account is not an admitted provider."
          : `Your access is ${providerStatusLabel(me.data.status).toLowerCase()}.`}{" "}
        Only active providers take part in peer validation.
      </p>
    );
  }
  return (
    <>
      <p className="muted">
        A diagnosis is checked by 4 hospitals drawn at random from the pool as it stood when the diagnosis was submitted
        (never the author&apos;s own), from the hash of a block that did not exist then. 3 approvals validate it; 2
        rejections reject it. A validator silent for 3 days can be replaced.
      </p>
      <ValidatorPool client={client} me={me.data} />
      <AuthorCases client={client} />
      <ValidatorCases client={client} />
    </>
  );
}
