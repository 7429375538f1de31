/**
 * The typed `read()` against a real embedded chain: outputs decoded and typed by the generated
 * ABIs, a custom-error revert turned into the same `ContractRevertedError` that `write()` gives,
 * and an unreachable node into a `ChainRequestError`.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, http, zeroHash, type Address } from "viem";
import { startTestChain, testAccount, testChainDefinition, type TestChain } from "../testing/chain.ts";
import { peerValidationAbi, providerRegistryAbi, recordRegistryAbi } from "../generated/contracts.ts";
import { read, write } from "./contract.ts";
import { ChainRequestError, ContractRevertedError } from "./errors.ts";
import { ProviderStatus } from "./types.ts";

let kit: TestChain;

before(async () => {
  kit = await startTestChain();
});

after(async () => {
  await kit.close();
});

test("read decodes a struct typed by the generated ABI", async () => {
  const patient: Address = testAccount(7).address;
  const before = await read(kit.chain, {
    address: kit.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "getPatient",
    args: [patient],
  });
  // typed outputs: keyEpoch is a number (uint32), chainHead a bytes24 hex
  const epoch: number = before.keyEpoch;
  assert.equal(epoch, 0);
  assert.equal(BigInt(before.chainHead), 0n);
  await write(kit.as(testAccount(7)), "register", {
    address: kit.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "register",
    args: [`0x${"11".repeat(32)}`],
  });
  const after = await read(kit.chain, {
    address: kit.deployment.recordRegistry,
    abi: recordRegistryAbi,
    functionName: "getPatient",
    args: [patient],
  });
  assert.notEqual(BigInt(after.chainHead), 0n);
  assert.equal(after.encryptionKey, `0x${"11".repeat(32)}`);
  const status = await read(kit.chain, {
    address: kit.deployment.providerRegistry,
    abi: providerRegistryAbi,
    functionName: "statusOf",
    args: [patient],
  });
  assert.equal(status, ProviderStatus.None);
});

test("read turns a custom-error revert into ContractRevertedError, as write does", async () => {
  const rejected = read(kit.chain, {
    address: kit.deployment.peerValidation,
    abi: peerValidationAbi,
    functionName: "casePoolMemberAt",
    args: [zeroHash, 0n],
  });
  await assert.rejects(rejected, (e: unknown) => {
    assert.ok(e instanceof ContractRevertedError, `got ${String(e)}`);
    assert.equal(e.errorName, "PeerValidationUnknownCase");
    assert.match(e.shortMessage, /never submitted for validation/);
    return true;
  });
});

test("read reports an unreachable node as ChainRequestError, not a raw viem error", async () => {
  const publicClient = createPublicClient({
    chain: testChainDefinition,
    transport: http("http://127.0.0.1:9", { retryCount: 0, timeout: 2_000 }),
  });
  await assert.rejects(
    read(
      { publicClient },
      {
        address: kit.deployment.recordRegistry,
        abi: recordRegistryAbi,
        functionName: "getPatient",
        args: [testAccount(7).address],
      },
    ),
    ChainRequestError,
  );
});

test("read refuses, at compile time, a function the ABI does not have or wrong arguments", () => {
  const typeOnly = (): void => {
    void read(kit.chain, {
      address: kit.deployment.recordRegistry,
      abi: recordRegistryAbi,
      // @ts-expect-error: RecordRegistry has no view function of this name
      functionName: "getNothing",
    });
    void read(kit.chain, {
      address: kit.deployment.recordRegistry,
      abi: recordRegistryAbi,
      functionName: "getPatient",
      // @ts-expect-error: getPatient takes an address
      args: [42n],
    });
  };
  assert.equal(typeof typeOnly, "function"); // never called: `npm run typecheck` checks the two errors above
});
