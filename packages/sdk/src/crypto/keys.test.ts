import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hashTypedData, hexToBytes, verifyTypedData } from "viem";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, sign } from "viem/accounts";
import {
  deriveUserKeys,
  KEY_DERIVATION_PURPOSE,
  keyDerivationTypedData,
  parsePublicKey,
  publicKeyFromUserKeys,
  publicKeyToBytes32,
} from "./keys.ts";
import { InvalidContextError, InvalidPublicKeyError, InvalidSignatureError } from "./errors.ts";
import { PatientKeyring } from "../keyring.ts";
import { RecordCategory } from "../categories.ts";

// Hardhat / Anvil account #0 (mnemonic "test test ... junk", m/44'/60'/0'/0/0): a public
// test key. Never use it on a real network.
const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
const account = privateKeyToAccount(HARDHAT_KEY_0);
const verifyingContract = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;

describe("keyDerivationTypedData", () => {
  it("builds the EIP-712 request the spec fixes", () => {
    const typedData = keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address });
    assert.deepEqual(typedData.domain, { name: "Meridian", version: "1", chainId: 31337, verifyingContract });
    assert.equal(typedData.primaryType, "EncryptionKeyDerivation");
    assert.deepEqual(typedData.message, { account: account.address, purpose: KEY_DERIVATION_PURPOSE, version: 1n });
    assert.match(KEY_DERIVATION_PURPOSE, /Meridian encryption key/);
    assert.match(KEY_DERIVATION_PURPOSE, /costs nothing/);
    assert.match(KEY_DERIVATION_PURPOSE, /no transaction/);
  });

  it("carries the key version (a provider's rotations); 1 by default", () => {
    assert.equal(
      keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address, version: 3 }).message
        .version,
      3n,
    );
    for (const version of [0, -1, 1.5]) {
      assert.throws(
        () => keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address, version }),
        InvalidContextError,
        String(version),
      );
    }
  });

  it("rejects a bad chain id or address", () => {
    assert.throws(
      () => keyDerivationTypedData({ chainId: 0, verifyingContract, account: account.address }),
      InvalidContextError,
    );
    assert.throws(
      () => keyDerivationTypedData({ chainId: 1, verifyingContract: "0x1234", account: account.address }),
      InvalidContextError,
    );
  });
});

describe("deriveUserKeys", () => {
  it("derives the same keys from the same account, chain and contract (RFC 6979)", async () => {
    assert.equal(account.address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const typedData = keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address });
    const first = await account.signTypedData(typedData);
    const second = await account.signTypedData(typedData);
    assert.equal(first, second);
    assert.ok(await verifyTypedData({ ...typedData, address: account.address, signature: first }));

    // What a wallet does for eth_signTypedData_v4: sign the EIP-712 digest. Same bytes.
    const raw = await sign({ hash: hashTypedData(typedData), privateKey: HARDHAT_KEY_0, to: "hex" });
    assert.equal(raw, first);

    const a = await deriveUserKeys(first);
    const b = await deriveUserKeys(second);
    assert.equal(a.publicKey, b.publicKey);
    const kek = async (k: typeof a) => new PatientKeyring(k.rootSecret).categoryKek(RecordCategory.Lab, 0);
    assert.deepEqual(await kek(a), await kek(b));
    assert.match(a.publicKey, /^0x[0-9a-f]{64}$/);
    assert.deepEqual(publicKeyFromUserKeys(a), hexToBytes(a.publicKey));
    assert.equal(a.keyPair.privateKey.extractable, false);
  });

  it("pins the version-1 derivation (regression vector for Hardhat account #0 on chain 31337)", async () => {
    // Computed by this implementation when the scheme was fixed. If this changes, every
    // user's keys change: that needs a new version, not an edit here.
    const signature = await account.signTypedData(
      keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address }),
    );
    assert.equal(
      signature,
      "0x5404ebf5d6789fafcf0263a6772c73ea796506008d1de7a3ca3500dbbce7438d427af4591a28771654a592cdd2959216615049948f186ddd5864ec7995a0a1c81c",
    );
    const keys = await deriveUserKeys(signature);
    assert.equal(keys.publicKey, "0xbb473efc0612c95b3990590d413f791bb3a5206ba273093a385b9a6451acbc57");
  });

  it("gives different keys on another chain, contract, account or key version", async () => {
    const base = await deriveUserKeys(
      await account.signTypedData(
        keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address }),
      ),
    );
    const otherChain = await deriveUserKeys(
      await account.signTypedData(keyDerivationTypedData({ chainId: 1, verifyingContract, account: account.address })),
    );
    const otherContract = await deriveUserKeys(
      await account.signTypedData(
        keyDerivationTypedData({
          chainId: 31337,
          verifyingContract: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
          account: account.address,
        }),
      ),
    );
    const other = privateKeyToAccount(generatePrivateKey());
    const otherAccount = await deriveUserKeys(
      await other.signTypedData(keyDerivationTypedData({ chainId: 31337, verifyingContract, account: other.address })),
    );
    const nextVersion = await deriveUserKeys(
      await account.signTypedData(
        keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address, version: 2 }),
      ),
    );
    const keys = new Set(
      [
        base.publicKey,
        otherChain.publicKey,
        otherContract.publicKey,
        otherAccount.publicKey,
        nextVersion.publicKey,
      ].map((k) => k.toString()),
    );
    assert.equal(keys.size, 5);
  });

  it("treats v = 0/1 like v = 27/28", async () => {
    const signature = await account.signTypedData(
      keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address }),
    );
    const bytes = hexToBytes(signature);
    bytes[64] = bytes[64]! - 27;
    const normalised = await deriveUserKeys(bytesToHex(bytes));
    assert.equal(normalised.publicKey, (await deriveUserKeys(signature)).publicKey);
  });

  it("rejects signatures that are not 65 bytes with a valid v", async () => {
    await assert.rejects(
      deriveUserKeys("0x1234"),
      (e: unknown) => e instanceof InvalidSignatureError && /2 bytes; expected 65/.test(e.shortMessage),
    );
    await assert.rejects(deriveUserKeys(`0x${"11".repeat(64)}`), InvalidSignatureError); // EIP-2098 compact form
    await assert.rejects(deriveUserKeys(`0x${"11".repeat(64)}05` as Hex), /recovery byte v = 5/);
    await assert.rejects(deriveUserKeys("hello" as Hex), InvalidSignatureError);
  });
});

describe("key material stays inside WebCrypto", () => {
  it("holds the root secret and the X25519 private key as non-extractable keys", async () => {
    const keys = await deriveUserKeys(
      await account.signTypedData(
        keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address }),
      ),
    );
    assert.ok(keys.rootSecret instanceof CryptoKey);
    assert.equal(keys.rootSecret.extractable, false);
    assert.equal(keys.rootSecret.algorithm.name, "HKDF");
    assert.deepEqual(keys.rootSecret.usages, ["deriveBits"]);
    await assert.rejects(crypto.subtle.exportKey("raw", keys.rootSecret));
    assert.equal(keys.keyPair.privateKey.extractable, false);
    await assert.rejects(crypto.subtle.exportKey("pkcs8", keys.keyPair.privateKey));
    assert.equal(
      Object.values(keys).some((v) => v instanceof Uint8Array),
      false,
      "no raw key bytes",
    );
  });
});

describe("public key bytes32", () => {
  it("round-trips and rejects zero or wrong length", async () => {
    const keys = await deriveUserKeys(
      await account.signTypedData(
        keyDerivationTypedData({ chainId: 31337, verifyingContract, account: account.address }),
      ),
    );
    const onChain = publicKeyToBytes32(publicKeyFromUserKeys(keys));
    assert.equal(onChain, keys.publicKey);
    assert.deepEqual(parsePublicKey(onChain), publicKeyFromUserKeys(keys));
    assert.throws(
      () => parsePublicKey(`0x${"00".repeat(32)}`),
      (e: unknown) => e instanceof InvalidPublicKeyError && /not registered/.test(e.shortMessage),
    );
    assert.throws(() => parsePublicKey(new Uint8Array(31).fill(1)), /31 bytes; expected 32/);
  });
});
