"use client";

import { useQuery } from "@tanstack/react-query";
import type { Hex } from "viem";
import { categoryLabel } from "@/lib/format.ts";
import type { MeridianClient } from "@meridian/sdk";
import { describeError } from "@/lib/meridian.tsx";
import { recordQueryOptions } from "@/lib/queries.ts";
import { formatTime } from "@/lib/format.ts";
import { formatByteSize } from "@meridian/sdk/fhir/browser";
import { FhirRecord } from "./fhir-record.tsx";
import { ErrorText } from "./error-text.tsx";
import { useValidationStatuses, ValidationBadge } from "./validation/status-badge.tsx";

const VIA: Record<string, string> = {
  patient: "your own key",
  "record-grant": "a grant for this record",
  "category-grant": "a category grant",
  "all-grant": "an all-records grant",
  guardian: "your guardian key",
  emergency: "an emergency key released to you",
};

/** Fetches, verifies and decrypts one record in this page, then renders it for a person. */
export function OpenedRecord({
  client,
  recordId,
  onClose,
}: {
  client: MeridianClient;
  recordId: Hex;
  onClose: () => void;
}) {
  const record = useQuery(recordQueryOptions(client, { recordId }));
  const validation = useValidationStatuses(client.ctx, [recordId]);
  return (
    <section className="card" aria-labelledby="opened-title" data-testid="opened-record">
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h2 id="opened-title">
          Record {recordId.slice(0, 10)}… <ValidationBadge status={validation.get(recordId.toLowerCase())} />
        </h2>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      {record.isPending ? <p role="status">Fetching, verifying and decrypting…</p> : null}
      {record.error ? <ErrorText error={describeError(record.error)} /> : null}
      {record.data ? (
        <>
          <p className="muted" data-testid="verified">
            Verified against its CID and the hash anchored on chain; opened with {VIA[record.data.via]}.{" "}
            {categoryLabel(record.data.anchor.category)}, {formatTime(record.data.anchor.anchoredAt)},{" "}
            {formatByteSize(record.data.plaintext.length)}.
          </p>
          <FhirRecord plaintext={record.data.plaintext} />
        </>
      ) : null}
    </section>
  );
}
