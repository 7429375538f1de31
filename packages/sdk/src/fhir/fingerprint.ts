/**
 * Keyed content fingerprints of records, to notice that the same content is being stored twice.
 * Envelopes are encrypted under a fresh data key each time, so two uploads of one file have
 * different ciphertext, CIDs and anchors; only the plaintext shows they are the same.
 *
 * fingerprint = HMAC-SHA256(key, canonical content) (RFC 2104), where the canonical content is
 * - for a file record (a DocumentReference whose attachment points at a Binary, as
 *   `attachmentToRecord` makes): `"meridian/v1/file\0"` + the file's bytes, so the random ids
 *   and the upload time in the wrapper do not hide a second upload of the same file;
 * - otherwise: `"meridian/v1/json\0"` + the record's JSON with object keys sorted (array order
 *   kept), so key order does not matter.
 *
 * The key comes from the writer's wallet-derived root secret (`import-check.ts`), so a
 * fingerprint is useless to anyone else: of a well-known document (a blank form, a public
 * leaflet) nobody can tell whether a patient stored it. Fingerprints are computed in the
 * client after decrypting and kept in memory only; nothing of them goes on chain or to IPFS.
 * Browser-safe.
 *
 * @module
 */

import type { Binary, Bundle, Resource } from "@medplum/fhirtypes";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { decodeBase64 } from "./base64.ts";

const encoder = new TextEncoder();

/** JSON with object keys sorted at every level (arrays keep their order). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The file bytes of a file record: its DocumentReference's attachment data or the Binary it points at. */
function fileBytes(record: Resource): Uint8Array | undefined {
  if (record.resourceType !== "Bundle") return undefined;
  const entries = record.entry ?? [];
  const resources = entries.flatMap((e) => (e.resource ? [e.resource] : []));
  const documents = resources.filter((r) => r.resourceType === "DocumentReference");
  if (
    documents.length !== 1 ||
    resources.some(
      (r) => r.resourceType !== "DocumentReference" && r.resourceType !== "Binary" && r.resourceType !== "Patient",
    )
  ) {
    return undefined;
  }
  const attachment =
    documents[0]?.resourceType === "DocumentReference" ? documents[0].content[0]?.attachment : undefined;
  if (!attachment) return undefined;
  if (attachment.data !== undefined) return decodeBase64(attachment.data);
  const binary = entries.find((e) => e.resource?.resourceType === "Binary" && e.fullUrl === attachment.url)
    ?.resource as Binary | undefined;
  return binary?.data === undefined ? undefined : decodeBase64(binary.data);
}

function concat(prefix: string, bytes: Uint8Array): Uint8Array {
  const head = encoder.encode(prefix);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

/**
 * The canonical content {@link recordFingerprint} hashes (see the module comment).
 *
 * @param record - A record (a FHIR `collection` Bundle), or any resource.
 * @returns The bytes to authenticate.
 */
export function canonicalRecordContent(record: Resource | Bundle): Uint8Array {
  const file = fileBytes(record);
  return file
    ? concat("meridian/v1/file\0", file)
    : concat("meridian/v1/json\0", encoder.encode(canonicalJson(record)));
}

/**
 * HMAC-SHA256 of a record's canonical content under `key`: equal for the same file or the same
 * FHIR content, whatever the wrapper's ids, dates or key order.
 *
 * @param key - A 32-byte secret key (see `import-check.ts` for the one the client uses).
 * @param record - The record.
 * @returns 64 lower-case hex digits.
 * @example
 * ```ts
 * recordFingerprint(key, draftA.resource) === recordFingerprint(key, draftB.resource); // same file
 * ```
 */
export function recordFingerprint(key: Uint8Array, record: Resource | Bundle): string {
  return bytesToHex(hmac(sha256, key, canonicalRecordContent(record)));
}
