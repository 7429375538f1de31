import { handleBlobRequest } from "@meridian/sdk/storage/http-server.ts";
import { serverBlobStore } from "@/lib/blob-store.ts";

export const runtime = "nodejs";

/** Stores one record envelope (ciphertext only); answers `{ cid, ciphertextHash, size }`. */
export async function POST(request: Request): Promise<Response> {
  return handleBlobRequest({ store: await serverBlobStore(), request });
}
