/**
 * `GET|HEAD /ipfs/{cid}`: the IPFS Trustless Gateway
 * (https://specs.ipfs.tech/http-gateways/trustless-gateway/), raw blocks and CAR streams. Data is
 * served only when this node holds it on disk: a gateway request never goes to the network.
 *
 * - Raw block: `?format=raw`, or `Accept: application/vnd.ipld.raw` → 200 with the block,
 *   `Content-Type: application/vnd.ipld.raw`, `Cache-Control: public, max-age=29030400, immutable`,
 *   `X-Content-Type-Options: nosniff`, `Etag: "<cid>.raw"`, `Vary: Accept`; 304 for a matching `If-None-Match`.
 * - CAR: `?format=car`, or `Accept: application/vnd.ipld.car[; version=1][; order=dfs|unk][; dups=y|n]`
 *   (`car-version`, `car-order`, `car-dups` query parameters win over the `Accept` ones) → 200 with a
 *   CARv1 stream of the blob's DAG (`gateway-car.ts`), `Content-Type: application/vnd.ipld.car;
 *   version=1; order=dfs; dups=n|y` (`dups=n` unless `y` was asked), `Etag: W/"<cid>.car.<scope>.dfs.<dups>"`.
 *   `dag-scope=all` (default) and `entity` send every block of the blob, `block` the root block only.
 *   `entity-bytes` is refused with 400. A block missing under a held root ends the stream abnormally.
 * - `format` wins over `Accept`; without `format`, the first acceptable type of the highest `q` in
 *   `Accept` is served, and `Content-Location` names the URL with the `format` it chose.
 * - 404 `NOT_FOUND` when the node does not hold the (root) block; 400 `BAD_REQUEST` for a bad CID,
 *   a path after it or a bad `dag-scope`; 406 `NOT_ACCEPTABLE` for any other format or CAR variant
 *   (CAR version 2, another order or dups value, deserialized responses); 405 for other methods.
 *
 * @module
 */

import type { CID } from "multiformats/cid";
import { CAR_MEDIA_TYPE, parseBlobCid, RAW_BLOCK_MEDIA_TYPE } from "@meridian/sdk/storage";
import { carStream, type CarRequest } from "./gateway-car.ts";
import { errorResponse } from "./http.ts";
import type { IpfsNode } from "./ipfs.ts";

const IMMUTABLE = "public, max-age=29030400, immutable";

/** What a request asks for: a raw block, a CAR, or something this gateway does not serve (`refusal`). */
type Wanted =
  | { format: "raw"; fromAccept: boolean }
  | ({ format: "car"; fromAccept: boolean } & CarRequest)
  | { format: "none"; status: 400 | 406; reason: string; details: string };

const notAcceptable = (details: string): Wanted => ({ format: "none", status: 406, reason: "NOT_ACCEPTABLE", details });
const badRequest = (details: string): Wanted => ({ format: "none", status: 400, reason: "BAD_REQUEST", details });

/** One media range of an `Accept` header: its type, parameters (lower-case names) and `q`. */
interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

/** Parses an `Accept` header (RFC 9110 §12.5.1) into media ranges, highest `q` first (stable). */
function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const item of header.split(",")) {
    const [type, ...rest] = item.split(";").map((part) => part.trim());
    if (!type) continue;
    const params = new Map<string, string>();
    for (const param of rest) {
      const equals = param.indexOf("=");
      if (equals > 0)
        params.set(
          param.slice(0, equals).trim().toLowerCase(),
          param
            .slice(equals + 1)
            .trim()
            .replace(/^"|"$/g, ""),
        );
    }
    const q = Number(params.get("q") ?? "1");
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges.filter((range) => range.q > 0).sort((a, b) => b.q - a.q);
}

/** The CAR variant asked for by `version`, `order` and `dups` (query parameters over `Accept` ones), or why not. */
function carVariant(query: URLSearchParams, accept: Map<string, string>, fromAccept: boolean): Wanted {
  const version = query.get("car-version") ?? accept.get("version") ?? "1";
  const order = query.get("car-order") ?? accept.get("order") ?? "unk";
  const dups = query.get("car-dups") ?? accept.get("dups") ?? "n";
  if (version !== "1") return notAcceptable(`This gateway sends CAR version 1 only, not version ${version}.`);
  if (order !== "dfs" && order !== "unk")
    return notAcceptable(`This gateway sends CARs in order "dfs" only, not "${order.slice(0, 20)}".`);
  if (dups !== "y" && dups !== "n") return notAcceptable(`dups must be "y" or "n", not "${dups.slice(0, 20)}".`);
  const scope = query.get("dag-scope") ?? "all";
  if (scope !== "block" && scope !== "entity" && scope !== "all")
    return badRequest(`dag-scope must be block, entity or all, not "${scope.slice(0, 20)}".`);
  if (query.has("entity-bytes"))
    return badRequest("This gateway does not serve entity-bytes ranges: ask for the whole blob (dag-scope=all).");
  return { format: "car", fromAccept, scope, dups };
}

/** What `request` asks for (see the module's comment). */
function negotiate(request: Request): Wanted {
  const query = new URL(request.url).searchParams;
  const format = query.get("format");
  const ranges = parseAccept(request.headers.get("accept") ?? "");
  const carParams = ranges.find((range) => range.type === CAR_MEDIA_TYPE)?.params ?? new Map<string, string>();
  if (format === "raw") return { format: "raw", fromAccept: false };
  if (format === "car") return carVariant(query, carParams, false);
  const advice = "add ?format=raw (a block) or ?format=car (the blob's DAG), or the matching Accept header";
  if (format !== null) return notAcceptable(`This trustless gateway serves raw blocks and CARs only: ${advice}.`);
  let refused: Wanted | undefined;
  for (const range of ranges) {
    if (range.type === RAW_BLOCK_MEDIA_TYPE) return { format: "raw", fromAccept: true };
    if (range.type !== CAR_MEDIA_TYPE) continue;
    const variant = carVariant(query, range.params, true);
    if (variant.format === "car" || (variant.format === "none" && variant.status === 400)) return variant;
    refused ??= variant;
  }
  return refused ?? notAcceptable(`This trustless gateway serves raw blocks and CARs only: ${advice}.`);
}

/** Whether `If-None-Match` names `etag` (weak or strong). */
function matches(request: Request, etag: string): boolean {
  const bare = etag.replace(/^W\//, "");
  const header = request.headers.get("if-none-match");
  return header !== null && header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === bare);
}

/** Answers `GET|HEAD /ipfs/{path…}` (see the module's comment); `path` is what follows `/ipfs/`. */
export async function serveBlock(ipfs: IpfsNode, request: Request, path: string[]): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD")
    return errorResponse(405, "METHOD_NOT_ALLOWED", "The gateway answers GET and HEAD only.", { allow: "GET, HEAD" });
  if (path.length !== 1)
    return errorResponse(
      400,
      "BAD_REQUEST",
      "Ask for a blob by its CID alone: /ipfs/{cid}?format=raw or ?format=car (paths inside a DAG are not served).",
    );
  let cid: CID;
  try {
    cid = parseBlobCid(decodeURIComponent(path[0]!));
  } catch {
    return errorResponse(400, "BAD_REQUEST", `"${path[0]!.slice(0, 100)}" is not a CIDv1 (raw or dag-pb, sha2-256).`);
  }
  const wanted = negotiate(request);
  if (wanted.format === "none") return errorResponse(wanted.status, wanted.reason, wanted.details);
  const block = await ipfs.readLocalBlock(cid);
  if (!block) return errorResponse(404, "NOT_FOUND", `This node does not hold block ${cid.toString()}.`);
  const common: Record<string, string> = {
    "cache-control": IMMUTABLE,
    "x-content-type-options": "nosniff",
    "x-ipfs-path": `/ipfs/${cid.toString()}`,
    "x-ipfs-roots": cid.toString(),
    vary: "Accept",
  };
  if (wanted.format === "raw") {
    const etag = `"${cid.toString()}.raw"`;
    if (matches(request, etag))
      return new Response(null, { status: 304, headers: { etag, "cache-control": IMMUTABLE } });
    return new Response(request.method === "HEAD" ? null : (block as Uint8Array<ArrayBuffer>), {
      status: 200,
      headers: {
        ...common,
        "content-type": RAW_BLOCK_MEDIA_TYPE,
        "content-length": String(block.length),
        "content-disposition": `attachment; filename="${cid.toString()}.bin"`,
        etag,
        ...(wanted.fromAccept ? { "content-location": `/ipfs/${cid.toString()}?format=raw` } : {}),
      },
    });
  }
  const etag = `W/"${cid.toString()}.car.${wanted.scope}.dfs.${wanted.dups}"`;
  if (matches(request, etag)) return new Response(null, { status: 304, headers: { etag, "cache-control": IMMUTABLE } });
  const location = `/ipfs/${cid.toString()}?format=car&dag-scope=${wanted.scope}&car-order=dfs&car-dups=${wanted.dups}`;
  return new Response(request.method === "HEAD" ? null : carStream(ipfs, cid, block, wanted, request.signal), {
    status: 200,
    headers: {
      ...common,
      "content-type": `${CAR_MEDIA_TYPE}; version=1; order=dfs; dups=${wanted.dups}`,
      "content-disposition": `attachment; filename="${cid.toString()}.car"`,
      etag,
      ...(wanted.fromAccept ? { "content-location": location } : {}),
    },
  });
}
