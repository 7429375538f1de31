import { handleBlobRequest } from "@meridian/sdk/storage";
import { serverBlobStore } from "@/lib/blob-store.ts";

export const runtime = "nodejs";

type Context = { params: Promise<{ cid: string }> };

/** Returns the envelope stored under the CID (the browser verifies it). */
export async function GET(request: Request, context: Context): Promise<Response> {
  return handleBlobRequest({ store: await serverBlobStore(), request, cid: (await context.params).cid });
}

/** 200 when the envelope is held, 404 otherwise. */
export async function HEAD(request: Request, context: Context): Promise<Response> {
  return handleBlobRequest({ store: await serverBlobStore(), request, cid: (await context.params).cid });
}
