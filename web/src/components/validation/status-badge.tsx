"use client";

import { useQuery } from "@tanstack/react-query";
import type { Hex } from "viem";
import { ValidationStatus, type ValidationStatusCode } from "@meridian/sdk/chain";
import type { MeridianContext } from "@meridian/sdk/chain";
import { validationStatusesQueryOptions } from "@/lib/queries-care.ts";
import styles from "./validation.module.css";

/** Words and style of each validation status; `None` shows nothing. */
const LABELS: Record<ValidationStatusCode, { text: string; className: string } | undefined> = {
  [ValidationStatus.None]: undefined,
  [ValidationStatus.Submitted]: { text: "Pending: awaiting draw", className: styles.pending! },
  [ValidationStatus.Pending]: { text: "Pending validation", className: styles.pending! },
  [ValidationStatus.Validated]: { text: "Validated", className: styles.validated! },
  [ValidationStatus.Rejected]: { text: "Rejected", className: styles.rejected! },
};

/**
 * The peer-validation status of each record id (one `statusOf` read each, refreshed every 15 s);
 * empty when the deployment has no PeerValidation contract.
 */
export function useValidationStatuses(
  ctx: MeridianContext | undefined,
  recordIds: readonly Hex[],
): Map<string, ValidationStatusCode> {
  const query = useQuery(validationStatusesQueryOptions(ctx, { recordIds }));
  return query.data ?? new Map<string, ValidationStatusCode>();
}

/** A record's peer-validation status as a badge (nothing when never submitted). */
export function ValidationBadge({ status }: { status: ValidationStatusCode | undefined }) {
  const label = status === undefined ? undefined : LABELS[status];
  if (!label) return null;
  return (
    <span
      className={`${styles.badge} ${label.className}`}
      data-testid="validation-status"
      title="Peer validation by 4 hospitals drawn at random (3 approvals validate, 2 rejections reject)"
    >
      {label.text}
    </span>
  );
}
