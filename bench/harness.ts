/**
 * The bench's gas harness, shared by `bench/gas.ts` and `bench/gas-workflows.ts`: a sender of
 * fixed-gas transactions on the test kit's embedded chain that returns the gas each one used,
 * the per-operation samples, and the random calldata values the runs anchor and grant.
 */
import { bytesToHex, toHex, type Account, type Hex } from "viem";
import type { TestChain } from "@meridian/sdk/testing";

/** Writes one progress line to stderr (stdout carries only the final report). */
export const log = (s: string) => process.stderr.write(s + "\n");

/** Gas used per operation: operation label → gas units of each of its transactions, in the order sent. */
export type GasSamples = Record<string, number[]>;

/** The chain a gas run writes to, and what it has measured so far. */
export interface GasBench {
  /** The test kit's embedded EDR chain with Meridian deployed (account 0 admin, 1 regulator). */
  edr: TestChain;
  /** Every gas sample recorded with {@link GasBench.add}. */
  gas: GasSamples;
  /**
   * Sends a contract call from `a` with a fixed gas limit of 500,000 (no estimation), waits for
   * its receipt and returns the gas it used, in gas units. Throws if it reverted.
   */
  send: (
    a: Account,
    address: Hex,
    abi: readonly unknown[],
    functionName: string,
    args: readonly unknown[],
  ) => Promise<number>;
  /** Records `g` gas units as one sample of operation `op`. */
  add: (op: string, g: number) => void;
}

/** A {@link GasBench} on `edr`, with no samples yet. */
export function createGasBench(edr: TestChain): GasBench {
  const { publicClient, wallet } = edr;
  const gas: GasSamples = {};
  return {
    edr,
    gas,
    send: async (a, address, abi, functionName, args) => {
      const hash = await wallet(a).writeContract({ address, abi: abi as never, functionName, args, gas: 500_000n });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
      return Number(receipt.gasUsed);
    },
    add: (op, g) => {
      (gas[op] ??= []).push(g);
    },
  };
}

/** 32 random bytes as a 0x-prefixed hex string (a ciphertext hash, a key, a nonce). */
export const rand32 = (): Hex => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));

/** A random CIDv1 (raw codec, SHA2-256 multihash) as 0x-prefixed hex: 36 bytes. */
export const cid = (): Hex =>
  bytesToHex(new Uint8Array([0x01, 0x55, 0x12, 0x20, ...crypto.getRandomValues(new Uint8Array(32))]));

/** A grant target for record category `c`: the category number as a 32-byte word (0 for all records). */
export const catTarget = (c: number): Hex => toHex(c, { size: 32 });
