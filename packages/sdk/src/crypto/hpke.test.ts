import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pad, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deriveUserKeys, keyDerivationTypedData } from "./keys.ts";
import type { UserKeys } from "./keys.ts";
import { unwrapKey, wrapInfo, wrapKey, WRAPPED_KEY_BYTES } from "./hpke.ts";
import type { WrapContext } from "./hpke.ts";
import {
  InvalidContextError,
  InvalidKeyLengthError,
  InvalidPublicKeyError,
  KeyUnwrapError,
  WrappedKeyFormatError,
} from "./errors.ts";

const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;

async function newUser(): Promise<{ address: `0x${string}`; keys: UserKeys }> {
  const account = privateKeyToAccount(generatePrivateKey());
  const signature = await account.signTypedData(
    keyDerivationTypedData({ chainId: 31337, verifyingContract: contract, account: account.address }),
  );
  return { address: account.address, keys: await deriveUserKeys(signature) };
}

const [patient, doctor, stranger] = await Promise.all([newUser(), newUser(), newUser()]);
const context: WrapContext = {
  chainId: 31337,
  contract,
  patient: patient.address,
  grantee: doctor.address,
  scope: "category",
  target: pad(toHex(2)),
  keyEpoch: 0,
};

describe("wrapKey / unwrapKey (HPKE, RFC 9180)", () => {
  it("round-trips a 32-byte key to the grantee in 80 bytes", async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const info = wrapInfo(context);
    const wrapped = await wrapKey({ recipientPublicKey: doctor.keys.publicKey, key, info });
    assert.equal(wrapped.length, WRAPPED_KEY_BYTES);
    assert.deepEqual(await unwrapKey({ recipient: doctor.keys, wrapped, info }), key);
    // Fresh ephemeral key each time.
    const again = await wrapKey({ recipientPublicKey: doctor.keys.publicKey, key, info });
    assert.notDeepEqual(again, wrapped);
    assert.deepEqual(await unwrapKey({ recipient: doctor.keys, wrapped: again, info }), key);
  });

  it("refuses the wrong recipient", async () => {
    const info = wrapInfo(context);
    const wrapped = await wrapKey({ recipientPublicKey: doctor.keys.publicKey, key: new Uint8Array(32).fill(9), info });
    await assert.rejects(unwrapKey({ recipient: stranger.keys, wrapped, info }), (e: unknown) => {
      assert.ok(e instanceof KeyUnwrapError);
      assert.equal(e.name, "KeyUnwrapError");
      assert.match(e.hint ?? "", /ask the patient to grant access again/);
      return true;
    });
  });

  it("refuses the wrong info (other record, scope, epoch, grantee)", async () => {
    const info = wrapInfo(context);
    const wrapped = await wrapKey({ recipientPublicKey: doctor.keys.publicKey, key: new Uint8Array(32).fill(9), info });
    const variants: WrapContext[] = [
      { ...context, keyEpoch: 1 },
      { ...context, scope: "all" },
      { ...context, target: pad(toHex(3)) },
      { ...context, grantee: stranger.address },
      { ...context, patient: stranger.address },
      { ...context, chainId: 1 },
    ];
    for (const variant of variants) {
      await assert.rejects(unwrapKey({ recipient: doctor.keys, wrapped, info: wrapInfo(variant) }), KeyUnwrapError);
    }
  });

  it("refuses tampered bytes and wrong lengths", async () => {
    const info = wrapInfo(context);
    const wrapped = await wrapKey({ recipientPublicKey: doctor.keys.publicKey, key: new Uint8Array(32).fill(9), info });
    for (const index of [0, 31, 32, 63, 79]) {
      const tampered = new Uint8Array(wrapped);
      tampered[index]! ^= 0x01;
      await assert.rejects(unwrapKey({ recipient: doctor.keys, wrapped: tampered, info }), KeyUnwrapError);
    }
    await assert.rejects(
      unwrapKey({ recipient: doctor.keys, wrapped: wrapped.subarray(0, 79), info }),
      (e: unknown) => {
        assert.ok(e instanceof WrappedKeyFormatError && e instanceof KeyUnwrapError);
        assert.equal(
          e.shortMessage,
          "Wrapped key is 79 bytes; expected one of 80, 112, 336, 624 bytes (32-byte HPKE enc + sealed key + 16-byte tag).",
        );
        return true;
      },
    );
  });

  it("validates inputs", async () => {
    const info = wrapInfo(context);
    await assert.rejects(
      wrapKey({ recipientPublicKey: doctor.keys.publicKey, key: new Uint8Array(16), info }),
      InvalidKeyLengthError,
    );
    await assert.rejects(
      wrapKey({ recipientPublicKey: `0x${"00".repeat(32)}`, key: new Uint8Array(32), info }),
      InvalidPublicKeyError,
    );
    // A low-order X25519 point (u = 1) gives an all-zero shared secret (RFC 9180 §7.1.4).
    await assert.rejects(
      wrapKey({ recipientPublicKey: `0x01${"00".repeat(31)}`, key: new Uint8Array(32), info }),
      InvalidPublicKeyError,
    );
  });
});

describe("wrapInfo", () => {
  it("is deterministic, case-insensitive for addresses and 240 bytes long", () => {
    const info = wrapInfo(context);
    assert.equal(info.length, 240);
    assert.equal(new TextDecoder().decode(info.subarray(0, 16)), "meridian/v1/wrap");
    assert.deepEqual(wrapInfo({ ...context, patient: context.patient.toLowerCase() as `0x${string}` }), info);
  });

  it("rejects malformed fields", () => {
    assert.throws(() => wrapInfo({ ...context, target: "0x02" }), InvalidContextError);
    assert.throws(() => wrapInfo({ ...context, scope: "everything" as never }), InvalidContextError);
    assert.throws(() => wrapInfo({ ...context, keyEpoch: -1 }), InvalidContextError);
    assert.throws(() => wrapInfo({ ...context, grantee: "0xnope" }), InvalidContextError);
  });
});
