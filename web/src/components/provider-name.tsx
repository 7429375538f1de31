"use client";

import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import type { MeridianClient } from "@meridian/sdk";
import { providerQueryOptions } from "@/lib/queries.ts";

/** A provider's registry name (and department), else its address. */
export function ProviderName({
  client,
  address,
  department = false,
}: {
  client: MeridianClient;
  address: Address;
  department?: boolean;
}) {
  const provider = useQuery({ ...providerQueryOptions(client.ctx, { provider: address }), staleTime: 60_000 });
  if (!provider.data?.name)
    return (
      <span className="mono" title={address}>
        {address}
      </span>
    );
  return (
    <span title={address}>
      {provider.data.name}
      {department && provider.data.department ? ` (${provider.data.department})` : ""}
    </span>
  );
}
