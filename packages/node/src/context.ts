/**
 * What the node's HTTP handlers (`routes.ts`, `uploads.ts`) work with.
 *
 * @module
 */

import type { BlobStore } from "@meridian/sdk/storage";
import type { AccessControl } from "./auth.ts";
import type { IpfsNode } from "./ipfs.ts";
import type { PinService } from "./pins.ts";

/** Upload limits. */
export interface UploadLimits {
  /** Largest envelope accepted, in bytes. */
  maxBlobBytes: number;
}

/** What the routes work with. */
export interface RouteContext {
  ipfs: IpfsNode;
  store: BlobStore;
  pins: PinService;
  access: AccessControl;
  uploads: UploadLimits;
  /** The node's URL as it announces it. */
  url: () => string;
  log: (line: string) => void;
}
