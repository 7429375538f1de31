/**
 * HTTP plumbing of the node: JSON error bodies in the IPFS Pinning Service API's shape
 * (`{ "error": { "reason": "UPPER_SNAKE", "details": "…" } }`), and the bridge between Node's
 * `http` server and Fetch-API handlers (`Request` → `Response`).
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/** A JSON error response in the Pinning Service API's shape; `extra` headers are added (e.g. `retry-after`). */
export function errorResponse(
  status: number,
  reason: string,
  details: string,
  extra: Record<string, string> = {},
): Response {
  return Response.json({ error: { reason, details } }, { status, headers: { "cache-control": "no-store", ...extra } });
}

/** A JSON response, never cached. */
export function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

/** The Fetch `Request` for an incoming Node request (`base` gives scheme and host); aborted when the client leaves. */
export function toRequest(incoming: IncomingMessage, response: ServerResponse, base: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const controller = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  const method = incoming.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(new URL(incoming.url ?? "/", base), {
    method,
    headers,
    signal: controller.signal,
    ...(hasBody ? { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  });
}

/** Writes a Fetch `Response` to a Node response (streaming its body; none for `HEAD`). */
export async function sendResponse(
  answer: Response,
  incoming: IncomingMessage,
  response: ServerResponse,
  method: string,
): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // A refusal sent before the request's body was read: close the connection rather than leave
  // the unread body in front of the client's next request on it.
  if (!incoming.complete) headers.connection = "close";
  response.writeHead(answer.status, headers);
  if (method === "HEAD" || answer.body === null) {
    await answer.body?.cancel();
    response.end();
    return;
  }
  const length = Number(answer.headers.get("content-length") ?? "NaN");
  if (length <= 4 * 1024 * 1024) {
    response.end(new Uint8Array(await answer.arrayBuffer())); // a block: one write
    return;
  }
  // A streamed body (a CAR, a large blob): wait for the socket to drain, and stop (cancelling the
  // body, which stops its producer) once the client has gone, whose socket would never drain.
  const writable = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        response.off("drain", done);
        response.off("close", done);
        resolve();
      };
      response.on("drain", done);
      response.on("close", done);
    });
  // A small piece (a CAR section's header) is held and sent with the next one in one writev, so
  // the client does not wake up for a few bytes.
  let held: Uint8Array | undefined;
  for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
    if (held === undefined && chunk.length < 16 * 1024) {
      held = chunk;
      continue;
    }
    // Cork the socket, not the response: a corked response buffers chunks itself and, when the
    // socket then takes them at once, never emits the 'drain' that a false write() promised.
    const socket = response.socket;
    socket?.cork();
    if (held !== undefined) response.write(held);
    const flowing = response.write(chunk);
    socket?.uncork();
    held = undefined;
    if (!flowing) await writable();
    if (response.destroyed) return; // leaving the loop cancels the body
  }
  response.end(held);
}
