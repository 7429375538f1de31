/**
 * Shared set-up of the `POST /api/blobs` tests (`blob-upload.test.ts`, `blob-upload-limits.test.ts`):
 * the test kit's network (an embedded Hardhat/EDR chain with the contracts deployed and a real
 * Helia node on disk) with a hospital admitted and a patient registered, and helpers that send raw
 * HTTP requests with what a client (or an attacker) holds. Test code only.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { after, before } from "node:test";
import type { Account, Address } from "viem";
import { ProviderKind, type MeridianContext, type MeridianDeployment } from "@meridian/sdk/chain";
import { ciphertextHash, sealRecord } from "@meridian/sdk/crypto";
import { createUploadAuthorizer, type BlobStore } from "@meridian/sdk/storage";
import { startTestNetwork, testAccount, type TestNetwork } from "@meridian/sdk/testing";
import { handleBlobUpload, type BlobUploadServer } from "./blob-upload.ts";
import { FailureLimiter } from "./rate-limit.ts";
import { UploadQuota, type UploadQuotaLimits } from "./upload-quota.ts";

export const account = testAccount;
export const [hospital, patient, stranger] = [account(2), account(5), account(6)];

export let net: TestNetwork;
export let chain: MeridianContext;
export let deployment: MeridianDeployment;
export let wallet: TestNetwork["wallet"];
export let store: BlobStore;
let dir: string;

/**
 * Registers the file's `before` and `after` hooks: starts the test network (hospital #2 admitted,
 * patient #5 registered) and closes it afterwards. `more` runs at the end of the same `before`
 * (a file's own root-level `before` hooks would run at the same time as this one, not after it).
 */
export function setUpBlobUploadFixture(more?: () => Promise<void>): void {
  before(async () => {
    net = await startTestNetwork({ label: "blob-upload" });
    ({ chain, deployment, wallet, store, dir } = net);
    await net.admitProvider(hospital, {
      kind: ProviderKind.Hospital,
      name: "St Mary's",
      department: "Cardiology",
      publishKey: false,
    });
    await net.registerPatient(patient);
    await more?.();
  });

  after(async () => {
    await net.close();
  });
}

let serial = 0;
/** A number no earlier call returned (servers' quota files and upload nonces stay unique). */
export const nextSerial = (): number => serial++;
/** A fresh server over the shared chain and store, with its own quota file and failure counter. */
export function server(
  p: { limits?: UploadQuotaLimits; maxBytes?: number; maxFailures?: number; now?: () => number } = {},
): BlobUploadServer {
  const n = nextSerial();
  return {
    store,
    chain,
    quota: new UploadQuota({ file: path.join(dir, `quota-${n}.json`), ...(p.limits ? { limits: p.limits } : {}) }),
    failures: new FailureLimiter({ maxFailures: p.maxFailures ?? 1000 }),
    maxBytes: p.maxBytes ?? 16 * 1024 * 1024,
    ...(p.now ? { now: p.now } : {}),
  };
}

export const context = (who: Address) =>
  ({
    chainId: 31337,
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    patient: who,
    category: 2,
    keyEpoch: 0,
  }) as const;
export const envelopeOf = async (size: number) =>
  (
    await sealRecord({
      plaintext: new Uint8Array(randomBytes(size)),
      kek: new Uint8Array(32).fill(7),
      context: context(patient.address),
    })
  ).envelope;
export const domain = () => ({ chainId: deployment.chainId, recordRegistry: deployment.recordRegistry });

/** The `Authorization` header `who`'s wallet and a fresh session key give these bytes. */
export async function authorizationFor(who: Account, bytes: Uint8Array): Promise<string> {
  return createUploadAuthorizer({ walletClient: wallet(who), domain: domain() }).authorize({
    ciphertextHash: await ciphertextHash(bytes),
    size: bytes.length,
  });
}

/** A raw POST to the upload handler, as any HTTP client can send it. */
export function post(s: BlobUploadServer, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return handleBlobUpload(
    s,
    new Request("http://meridian.test/api/blobs", {
      method: "POST",
      body: bytes as Uint8Array<ArrayBuffer>,
      headers: { "content-type": "application/octet-stream", "x-forwarded-for": "203.0.113.7", ...headers },
    }),
  );
}

export async function refused(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.code, code, JSON.stringify(body));
  assert.equal(typeof body.error, "string");
  return body;
}

export const held = async (bytes: Uint8Array) => {
  const { computeBlobIdentity } = await import("@meridian/sdk/storage");
  return store.has((await computeBlobIdentity(bytes)).cid.toString());
};
