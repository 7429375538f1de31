import { handleBlobRequest, jsonResponse, type BlobStore } from "@meridian/sdk/storage";
import { BlobStoreConfigError } from "@/lib/blob-store-config.ts";
import { serverReadStore } from "@/lib/blob-store.ts";
import { serverChain } from "@/lib/server-chain.ts";

export const runtime = "nodejs";

type Context = { params: Promise<{ cid: string }> };

/**
 * Answers `GET`/`HEAD` for one envelope, from this server's own store or, when it does not hold
 * it, from the Meridian nodes it names (`MERIDIAN_NODES`) and those admitted providers publish
 * (`serverReadStore`). Every block is verified against the CID here, and the browser verifies
 * the bytes again against the CID and the anchored hash.
 */
async function answer(request: Request, context: Context): Promise<Response> {
  const cid = (await context.params).cid;
  let store: BlobStore;
  try {
    store = await serverReadStore(await serverChain());
  } catch (error) {
    if (error instanceof BlobStoreConfigError) {
      console.error("[api/blobs] storage settings:", error.message);
      return jsonResponse(503, {
        error: "This app's storage settings are wrong, so it cannot read records.",
        code: "storage-misconfigured",
        hint: "Ask the app's operator to fix MERIDIAN_NODES / MERIDIAN_REPLICAS (the server's log says how).",
      });
    }
    throw error;
  }
  return handleBlobRequest({ store, request, cid });
}

/** Returns the envelope stored under the CID (the browser verifies it). */
export const GET = answer;

/** 200 when the envelope is held (here or on a node), 404 otherwise. */
export const HEAD = answer;
