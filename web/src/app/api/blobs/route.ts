import { DEFAULT_MAX_BLOB_BYTES } from "@meridian/sdk/storage";
import { serverBlobStore, serverUploadFailures, serverUploadQuota, serverUploadStore } from "@/lib/blob-store.ts";
import { handleBlobUpload } from "@/lib/blob-upload.ts";
import { positiveIntegerFromEnv } from "@/lib/rate-limit.ts";
import { noDeployment, serverChain } from "@/lib/server-chain.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * Stores one record envelope (ciphertext only) that a registered patient or active provider
 * authorised (see src/lib/blob-upload.ts); answers `{ cid, ciphertextHash, size }`. The size
 * limit is `MERIDIAN_UPLOAD_MAX_BYTES` (default: the envelope of the largest record the app makes).
 * With `MERIDIAN_NODES` it answers only once `MERIDIAN_REPLICAS` of those nodes confirmed the
 * pin (`serverUploadStore`), so the browser never anchors a record that is not replicated.
 */
export async function POST(request: Request): Promise<Response> {
  const chain = await serverChain();
  if (!chain) return noDeployment();
  return handleBlobUpload(
    {
      store: await serverBlobStore(),
      uploadStore: serverUploadStore,
      chain,
      quota: serverUploadQuota(),
      failures: serverUploadFailures(),
      maxBytes: positiveIntegerFromEnv("MERIDIAN_UPLOAD_MAX_BYTES", DEFAULT_MAX_BLOB_BYTES),
    },
    request,
  );
}
