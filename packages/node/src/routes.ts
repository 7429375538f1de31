/**
 * The node's HTTP API, as Fetch handlers (`Request` → `Response`):
 * - `GET|HEAD /ipfs/{cid}`: the IPFS Trustless Gateway, raw blocks and CARs (`gateway.ts`, `gateway-car.ts`);
 * - `/pins`, `/pins/{requestid}`: the IPFS Pinning Service API v1.0.0
 *   (https://ipfs.github.io/pinning-services-api-spec/), `Authorization: Bearer <pinning access token>`;
 * - `POST /blobs` (authorised upload, `uploads.ts`), `GET|HEAD /blobs/{cid}` (`handleBlobRequest`);
 * - `GET /meridian/v1/node`: `{ peerId, multiaddrs, url, version: 1 }`.
 * Errors are JSON `{ "error": { "reason", "details" } }` (the `/blobs` routes keep the web app's
 * blob contract, `{ error, code, hint? }`).
 *
 * @module
 */

import { handleBlobRequest } from "@meridian/sdk/storage";
import { Refusal } from "./auth.ts";
import type { RouteContext } from "./context.ts";
import { serveBlock } from "./gateway.ts";
import { errorResponse, json } from "./http.ts";
import { filterPins, parsePin, parsePinQuery, toPinStatus } from "./pin-records.ts";
import { QuotaExceededError } from "./quota.ts";
import { handleUpload } from "./uploads.ts";

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.length > 256 * 1024) throw new Refusal(400, "BAD_REQUEST", "The request body is over 256 KiB.");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Refusal(400, "BAD_REQUEST", "The request body is not JSON.");
  }
}

/** `/pins` and `/pins/{requestid}`. */
async function pinRoutes(context: RouteContext, request: Request, requestid: string | undefined): Promise<Response> {
  const account = await context.access.pinningAccount(request);
  const { pins } = context;
  switch (`${request.method} ${requestid === undefined ? "list" : "one"}`) {
    case "GET list": {
      const query = parsePinQuery(new URL(request.url).searchParams);
      const mine = pins.records.all().filter((r) => r.account === account.toLowerCase());
      const { count, results } = filterPins(mine, query);
      return json(200, { count, results: results.map(toPinStatus) });
    }
    case "POST list":
      return json(202, toPinStatus(await pins.add(account, parsePin(await readJson(request)))));
    case "GET one":
      return json(200, toPinStatus(pins.own(account, requestid!)));
    case "POST one": {
      const old = pins.own(account, requestid!);
      const pin = parsePin(await readJson(request));
      const replaced = await pins.add(account, pin);
      if (replaced.requestid !== old.requestid) await pins.remove(account, old.requestid);
      return json(202, toPinStatus(replaced));
    }
    case "DELETE one":
      await pins.remove(account, requestid!);
      return new Response(null, { status: 202 });
    default:
      return errorResponse(405, "METHOD_NOT_ALLOWED", `${request.method} is not supported on this path.`);
  }
}

/**
 * Answers one request (see the module's comment). Never throws: every failure is a JSON error
 * (an unexpected one a 500 whose details name no secret; the node's log gets the message).
 */
export async function route(context: RouteContext, request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  const parts = pathname.split("/").filter(Boolean);
  try {
    if (parts[0] === "ipfs") return await serveBlock(context.ipfs, request, parts.slice(1));
    if (parts[0] === "pins" && parts.length <= 2) return await pinRoutes(context, request, parts[1]);
    if (parts[0] === "blobs" && parts.length === 1 && request.method === "POST")
      return await handleUpload(context, request);
    if (parts[0] === "blobs" && parts.length === 2)
      return await handleBlobRequest({ store: context.store, request, cid: parts[1] });
    if (pathname === "/meridian/v1/node" && (request.method === "GET" || request.method === "HEAD")) {
      return json(200, {
        peerId: context.ipfs.peerId,
        multiaddrs: context.ipfs.multiaddrs(),
        url: context.url(),
        version: 1,
      });
    }
    return errorResponse(404, "NOT_FOUND", `No route ${request.method} ${pathname.slice(0, 200)} on a Meridian node.`);
  } catch (error) {
    if (error instanceof Refusal) return errorResponse(error.status, error.reason, error.details);
    if (error instanceof QuotaExceededError) return errorResponse(429, "INSUFFICIENT_FUNDS", error.message);
    context.log(
      `${request.method} ${pathname.slice(0, 200)} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return errorResponse(500, "INTERNAL_SERVER_ERROR", "The node failed to answer; its log has the cause.");
  }
}
