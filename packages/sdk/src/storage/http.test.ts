import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHeliaStore } from "./helia.ts";
import { createHttpStore } from "./http.ts";
import {
  checkEnvelopeBytes,
  DEFAULT_MAX_BLOB_BYTES,
  handleBlobRequest,
  jsonResponse,
  readBlobBody,
} from "./http-server.ts";
import { BlockNotFoundError, CidMismatchError, InvalidCidError, StorageUnavailableError } from "./errors.ts";
import { UploadRefusedError } from "./errors.ts";
import type { BlobStore } from "./types.ts";
import { sealRecord } from "../crypto/envelope.ts";
import { ciphertextHash } from "../crypto/ciphertext-hash.ts";

const context = {
  chainId: 31337,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  patient: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  category: 2,
  keyEpoch: 0,
} as const;
const kek = new Uint8Array(32).fill(9);
const envelopeOf = async (size: number) =>
  (await sealRecord({ plaintext: new Uint8Array(randomBytes(size)), kek, context })).envelope;

/**
 * Routes `fetch` calls for /api/blobs[/cid] over a real Helia store: GET/HEAD to the real
 * handler, POST to the size and envelope checks the web app's upload handler runs (its
 * authorisation and quotas are tested in web/src/lib/blob-upload.test.ts against a chain).
 */
function endpoint(
  store: BlobStore,
  options: { maxBytes?: number; tamper?: (response: Response) => Promise<Response> } = {},
): typeof fetch {
  return async (input, init) => {
    const request = new Request(new URL(input instanceof Request ? input.url : input, "http://meridian.test"), init);
    const cid = new URL(request.url).pathname.split("/")[3];
    let response: Response;
    if (request.method === "POST") {
      const limit = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
      const bytes = await readBlobBody(request, limit);
      const refusal = bytes === null ? undefined : checkEnvelopeBytes(bytes);
      const tooLarge = { error: `The envelope is larger than ${limit} bytes.`, code: "too-large" };
      if (bytes === null) response = jsonResponse(413, tooLarge);
      else if (refusal) response = jsonResponse(refusal.status, refusal);
      else response = jsonResponse(201, await store.put(bytes));
    } else {
      response = await handleBlobRequest({ store, request, cid });
    }
    return options.tamper ? options.tamper(response) : response;
  };
}

describe("HTTP blob store and its server handler (real Helia on disk)", () => {
  let directory: string;
  let backend: BlobStore;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), "meridian-http-"));
    backend = await createHeliaStore({ directory });
  });
  after(async () => {
    await backend.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("stores envelopes and reads them back verified, small and multi-chunk", async () => {
    const store = createHttpStore({ baseUrl: "/api/blobs", fetch: endpoint(backend) });
    assert.equal(store.kind, "http");
    for (const size of [10, 3 * 1024 * 1024]) {
      const envelope = await envelopeOf(size);
      const stored = await store.put(envelope);
      assert.equal(stored.ciphertextHash, await ciphertextHash(envelope));
      assert.equal(stored.size, envelope.length);
      assert.equal(await store.has(stored.cid), true);
      assert.deepEqual(await store.get(stored.cid), envelope);
      assert.deepEqual(await backend.get(stored.cid), envelope);
    }
  });

  it("refuses plaintext (415) and oversized bodies (413) and stores nothing", async () => {
    const store = createHttpStore({ baseUrl: "/api/blobs", fetch: endpoint(backend, { maxBytes: 1024 }) });
    const refused = (status: number, text: RegExp) => (e: unknown) =>
      e instanceof UploadRefusedError && e.status === status && text.test(e.shortMessage);
    await assert.rejects(
      store.put(new TextEncoder().encode('{"resourceType":"Patient"}')),
      refused(415, /Only Meridian record envelopes/),
    );
    await assert.rejects(store.put(await envelopeOf(4096)), refused(413, /larger than 1024 bytes/));
    const body = (await envelopeOf(10)) as Uint8Array<ArrayBuffer>;
    const post = await handleBlobRequest({
      store: backend,
      request: new Request("http://meridian.test/api/blobs", { method: "POST", body }),
    });
    assert.equal(post.status, 405, "the GET/HEAD handler never stores: uploads need an authorising handler");
  });

  it("does not trust the server: a wrong CID in the answer or altered bytes are refused", async () => {
    const envelope = await envelopeOf(100);
    const lying = createHttpStore({
      baseUrl: "/api/blobs",
      fetch: endpoint(backend, {
        tamper: async (r) =>
          r.status === 201
            ? Response.json(
                { ...(await r.json()), cid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku" },
                { status: 201 },
              )
            : r,
      }),
    });
    await assert.rejects(lying.put(envelope), CidMismatchError);
    const { cid } = await backend.put(envelope);
    const flipping = createHttpStore({
      baseUrl: "/api/blobs",
      fetch: endpoint(backend, {
        tamper: async (r) => {
          const b = new Uint8Array(await r.arrayBuffer());
          b[b.length - 1]! ^= 1;
          return new Response(b, { status: r.status });
        },
      }),
    });
    await assert.rejects(flipping.get(cid), CidMismatchError);
  });

  it("maps unknown CIDs to BlockNotFoundError, bad CIDs to InvalidCidError, and a dead server to StorageUnavailableError", async () => {
    const store = createHttpStore({ baseUrl: "/api/blobs", fetch: endpoint(backend) });
    const missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    await assert.rejects(store.get(missing), BlockNotFoundError);
    assert.equal(await store.has(missing), false);
    await assert.rejects(store.get("not-a-cid"), InvalidCidError);
    const response = await handleBlobRequest({
      store: backend,
      request: new Request("http://meridian.test/api/blobs/x"),
      cid: "x",
    });
    assert.equal(response.status, 400);
    const dead = createHttpStore({ baseUrl: "http://127.0.0.1:9/api/blobs" });
    await assert.rejects(dead.put(await envelopeOf(5)), StorageUnavailableError);
  });
});
