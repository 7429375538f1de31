/**
 * Errors raised by Meridian's IPFS blob stores.
 *
 * @module
 */

import { MeridianError } from "../errors.ts";
import type { MeridianErrorParameters } from "../errors.ts";

/** A string that is not a CID Meridian stores (CIDv1, raw or dag-pb, SHA-256). */
export class InvalidCidError extends MeridianError {
  override name = "InvalidCidError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Pass the CID exactly as the store or the chain returned it (a CIDv1 string such as bafy... or bafk...).",
      ...parameters,
    });
  }
}

/** The blob (or one of its blocks) is not in the store. */
export class BlockNotFoundError extends MeridianError {
  override name = "BlockNotFoundError" as const;
  /** The CID of the blob (or block) that is missing. */
  readonly cid: string;
  constructor(cid: string, parameters: MeridianErrorParameters = {}) {
    super(`The blob ${cid} is not in this store.`, {
      hint: "Check that the record was uploaded to this IPFS store (or pinned where you read from); copy the blob over if it lives elsewhere.",
      ...parameters,
    });
    this.cid = cid;
  }
}

/** The bytes read back do not hash to the requested CID: the store returned altered data. */
export class CidMismatchError extends MeridianError {
  override name = "CidMismatchError" as const;
  constructor(cid: string, parameters: MeridianErrorParameters = {}) {
    super(`The bytes read for ${cid} do not match that CID.`, {
      hint: "The stored copy is corrupt or was altered: delete it and fetch the blob again from another node or a backup.",
      ...parameters,
    });
  }
}

/** The storage backend cannot be reached or failed (Kubo endpoint down, store closed, disk error). */
export class StorageUnavailableError extends MeridianError {
  override name = "StorageUnavailableError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Check that the IPFS node is running and reachable at the configured address, then retry.",
      ...parameters,
    });
  }
}

/**
 * The blob endpoint refused an upload (HTTP 401, 403, 413, 415, 422 or 429): not authorised, not
 * an account that may upload, too large, not a well-formed envelope, or over the account's quota.
 * `shortMessage` and `hint` are the server's words.
 */
export class UploadRefusedError extends MeridianError {
  override name = "UploadRefusedError" as const;
  /** The HTTP status. */
  readonly status: number;
  /** The server's error code (e.g. `unauthorized`, `not-registered`, `quota-exceeded`), or `unknown`. */
  readonly code: string;
  constructor(status: number, code: string, shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, parameters);
    this.status = status;
    this.code = code;
  }
}
