/**
 * `GET|HEAD /ipfs/{cid}`: the IPFS Trustless Gateway for raw blocks
 * (https://specs.ipfs.tech/http-gateways/trustless-gateway/). A block is served only when this
 * node holds it on disk: a gateway request never goes to the network.
 *
 * - `?format=raw`, or `Accept: application/vnd.ipld.raw` without a `format` → 200 with the block,
 *   `Content-Type: application/vnd.ipld.raw`, `Cache-Control: public, max-age=29030400, immutable`,
 *   `X-Content-Type-Options: nosniff`, `Etag: "<cid>.raw"`, `Vary: Accept`; 304 for a matching `If-None-Match`.
 * - 404 `NOT_FOUND` when the node does not hold the block; 400 `BAD_REQUEST` for a bad CID or a
 *   path after it; 406 `NOT_ACCEPTABLE` for any other format (CAR, deserialized responses);
 *   405 for other methods.
 *
 * @module
 */

import { parseBlobCid, RAW_BLOCK_MEDIA_TYPE } from "@meridian/sdk/storage";
import { errorResponse } from "./http.ts";
import type { IpfsNode } from "./ipfs.ts";

/** Whether the request asks for a raw block: `?format=raw` wins; else the `Accept` header names the raw type. */
function wantsRaw(request: Request): boolean {
  const format = new URL(request.url).searchParams.get("format");
  if (format !== null) return format === "raw";
  const accept = request.headers.get("accept") ?? "";
  return accept
    .split(",")
    .map((item) => item.split(";")[0]!.trim().toLowerCase())
    .includes(RAW_BLOCK_MEDIA_TYPE);
}

/** Answers `GET|HEAD /ipfs/{path…}` (see the module's comment); `path` is what follows `/ipfs/`. */
export async function serveBlock(ipfs: IpfsNode, request: Request, path: string[]): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD")
    return errorResponse(405, "METHOD_NOT_ALLOWED", "The gateway answers GET and HEAD only.", { allow: "GET, HEAD" });
  if (path.length !== 1)
    return errorResponse(
      400,
      "BAD_REQUEST",
      "Ask for one block: /ipfs/{cid}?format=raw (paths inside a DAG are not served).",
    );
  let cid;
  try {
    cid = parseBlobCid(decodeURIComponent(path[0]!));
  } catch {
    return errorResponse(400, "BAD_REQUEST", `"${path[0]!.slice(0, 100)}" is not a CIDv1 (raw or dag-pb, sha2-256).`);
  }
  if (!wantsRaw(request))
    return errorResponse(
      406,
      "NOT_ACCEPTABLE",
      "This trustless gateway serves raw blocks only: add ?format=raw or Accept: application/vnd.ipld.raw.",
    );
  const block = await ipfs.readLocalBlock(cid);
  if (!block) return errorResponse(404, "NOT_FOUND", `This node does not hold block ${cid.toString()}.`);
  const etag = `"${cid.toString()}.raw"`;
  const headers = {
    "content-type": RAW_BLOCK_MEDIA_TYPE,
    "content-length": String(block.length),
    "cache-control": "public, max-age=29030400, immutable",
    "x-content-type-options": "nosniff",
    "content-disposition": `attachment; filename="${cid.toString()}.bin"`,
    "x-ipfs-path": `/ipfs/${cid.toString()}`,
    "x-ipfs-roots": cid.toString(),
    etag,
    vary: "Accept",
  };
  const match = request.headers.get("if-none-match");
  if (match !== null && match.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag))
    return new Response(null, { status: 304, headers: { etag, "cache-control": headers["cache-control"] } });
  return new Response(request.method === "HEAD" ? null : (block as Uint8Array<ArrayBuffer>), { status: 200, headers });
}
