/**
 * Pin requests as the node keeps them: one JSON record per request in Helia's datastore
 * (`/meridian/pin-requests/<requestid>`, datastore-fs writes a temporary file and renames it), so
 * requests and their status survive restarts; and the Pinning Service API v1.0.0's validation of
 * a `Pin` body and filtering of `GET /pins` (https://ipfs.github.io/pinning-services-api-spec/).
 *
 * @module
 */

import { Key } from "interface-datastore";
import type { Datastore } from "interface-datastore";
import { isMultiaddr, multiaddr } from "@multiformats/multiaddr";
import { parseBlobCid, type Pin, type PinStatus, type PinStatusValue } from "@meridian/sdk/storage";
import { Refusal } from "./auth.ts";

/** A pin request and whose it is (lower-case address). */
export interface PinRecord extends PinStatus {
  account: string;
}

const PREFIX = "/meridian/pin-requests";
const STATUSES: readonly PinStatusValue[] = ["queued", "pinning", "pinned", "failed"];

/** The request's status as the API shows it (without the account). */
export function toPinStatus(record: PinRecord): PinStatus {
  const { account: _account, ...status } = record;
  return status;
}

/** The records of every pin request, in memory and in the datastore. */
export class PinRecords {
  readonly #records = new Map<string, PinRecord>();
  readonly datastore: Datastore;
  constructor(datastore: Datastore) {
    this.datastore = datastore;
  }

  /** Reads every record from the datastore (at start). */
  async load(): Promise<PinRecord[]> {
    for await (const { value } of this.datastore.query({ prefix: PREFIX })) {
      const record = JSON.parse(new TextDecoder().decode(value)) as PinRecord;
      this.#records.set(record.requestid, record);
    }
    return [...this.#records.values()];
  }

  get(requestid: string): PinRecord | undefined {
    return this.#records.get(requestid);
  }

  all(): PinRecord[] {
    return [...this.#records.values()];
  }

  /** Writes `record` (atomically). */
  async save(record: PinRecord): Promise<void> {
    this.#records.set(record.requestid, record);
    await this.datastore.put(
      new Key(`${PREFIX}/${record.requestid}`),
      new TextEncoder().encode(JSON.stringify(record)),
    );
  }

  async delete(requestid: string): Promise<void> {
    this.#records.delete(requestid);
    await this.datastore.delete(new Key(`${PREFIX}/${requestid}`));
  }
}

const bad = (details: string): Refusal => new Refusal(400, "BAD_REQUEST", details);

/**
 * Checks a `Pin` request body: `cid` a Meridian blob CID, `name` at most 255 characters,
 * `origins` at most 20 multiaddrs each ending in `/p2p/<peer id>`, `meta` at most 1,000 string
 * entries.
 * @throws {Refusal} 400 `BAD_REQUEST` naming the field.
 */
export function parsePin(body: unknown): Pin {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw bad("The body must be a JSON Pin object.");
  const { cid, name, origins, meta } = body as Record<string, unknown>;
  if (typeof cid !== "string") throw bad("pin.cid is required (a CID string).");
  let parsed: string;
  try {
    parsed = parseBlobCid(cid).toString();
  } catch {
    throw bad(`pin.cid "${cid.slice(0, 80)}" is not a Meridian blob CID (CIDv1, raw or dag-pb, sha2-256).`);
  }
  const pin: Pin = { cid: parsed };
  if (name !== undefined) {
    if (typeof name !== "string" || name.length > 255)
      throw bad("pin.name must be a string of at most 255 characters.");
    pin.name = name;
  }
  if (origins !== undefined) {
    if (!Array.isArray(origins) || origins.length > 20)
      throw bad("pin.origins must be an array of at most 20 multiaddrs.");
    pin.origins = origins.map((origin) => {
      let address;
      try {
        address = typeof origin === "string" ? multiaddr(origin) : undefined;
      } catch {
        address = undefined;
      }
      if (!isMultiaddr(address) || !address.toString().includes("/p2p/"))
        throw bad(`pin.origins: "${String(origin).slice(0, 120)}" is not a multiaddr ending in /p2p/<peer id>.`);
      return address.toString();
    });
  }
  if (meta !== undefined) {
    const entries =
      typeof meta === "object" && meta !== null && !Array.isArray(meta) ? Object.entries(meta) : undefined;
    if (!entries || entries.length > 1000 || entries.some(([, v]) => typeof v !== "string"))
      throw bad("pin.meta must be an object of at most 1000 string values.");
    pin.meta = Object.fromEntries(entries);
  }
  return pin;
}

/** Filters of `GET /pins` (spec query parameters). */
export interface PinQuery {
  cid?: string[];
  name?: string;
  match: "exact" | "iexact" | "partial" | "ipartial";
  status: PinStatusValue[];
  before?: number;
  after?: number;
  limit: number;
  meta?: Record<string, string>;
}

/**
 * Reads `GET /pins`'s query (`status` defaults to `pinned`, `limit` to 10, at most 1,000).
 * @throws {Refusal} 400 `BAD_REQUEST` naming the parameter.
 */
export function parsePinQuery(params: URLSearchParams): PinQuery {
  const list = (name: string) => params.get(name)?.split(",").filter(Boolean);
  const time = (name: string) => {
    const text = params.get(name);
    if (text === null) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw bad(`${name} must be an ISO 8601 timestamp.`);
    return at;
  };
  const status = (list("status") ?? ["pinned"]) as PinStatusValue[];
  if (!status.every((s) => STATUSES.includes(s))) throw bad(`status must be among ${STATUSES.join(", ")}.`);
  const match = params.get("match") ?? "exact";
  if (!["exact", "iexact", "partial", "ipartial"].includes(match))
    throw bad("match must be exact, iexact, partial or ipartial.");
  const limit = Number(params.get("limit") ?? "10");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw bad("limit must be a whole number from 1 to 1000.");
  let meta: Record<string, string> | undefined;
  const metaText = params.get("meta");
  if (metaText !== null) {
    try {
      meta = JSON.parse(metaText) as Record<string, string>;
      if (typeof meta !== "object" || meta === null) throw new Error("not an object");
    } catch {
      throw bad("meta must be a JSON object of strings.");
    }
  }
  const cid = list("cid");
  if (cid && cid.length > 10) throw bad("cid lists at most 10 CIDs.");
  const name = params.get("name");
  const before = time("before");
  const after = time("after");
  return {
    match: match as PinQuery["match"],
    status,
    limit,
    ...(cid ? { cid } : {}),
    ...(name !== null ? { name } : {}),
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(meta ? { meta } : {}),
  };
}

/** The records matching `query`, newest first: the total count and the first `limit`. */
export function filterPins(records: PinRecord[], query: PinQuery): { count: number; results: PinRecord[] } {
  const nameMatches = (name: string | undefined): boolean => {
    if (query.name === undefined) return true;
    if (name === undefined) return false;
    switch (query.match) {
      case "exact":
        return name === query.name;
      case "iexact":
        return name.toLowerCase() === query.name.toLowerCase();
      case "partial":
        return name.includes(query.name);
      case "ipartial":
        return name.toLowerCase().includes(query.name.toLowerCase());
    }
  };
  const matching = records
    .filter(
      (r) =>
        query.status.includes(r.status) &&
        (query.cid === undefined || query.cid.includes(r.pin.cid)) &&
        nameMatches(r.pin.name) &&
        (query.before === undefined || Date.parse(r.created) < query.before) &&
        (query.after === undefined || Date.parse(r.created) > query.after) &&
        Object.entries(query.meta ?? {}).every(([k, v]) => r.pin.meta?.[k] === v),
    )
    .sort((a, b) => b.created.localeCompare(a.created));
  return { count: matching.length, results: matching.slice(0, query.limit) };
}
