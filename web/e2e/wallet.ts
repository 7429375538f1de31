/**
 * A test wallet: an EIP-1193 provider injected into the page and announced with EIP-6963,
 * whose requests are answered here in Node. It signs with a viem local account (Hardhat's
 * development accounts: local chains only) and forwards reads to the local chain. Like a real
 * wallet it returns no accounts until `eth_requestAccounts`. `rejectNext()` makes the next
 * signing request fail with EIP-1193 error 4001, as when a user clicks "Reject";
 * `switchAccount()` and `switchChain()` change what the wallet reports and emit
 * `accountsChanged` / `chainChanged`, as when a user picks another account or network in it.
 */
import type { Page } from "@playwright/test";
import { createWalletClient, http, type Hex, type TypedDataDomain, type TypedDataParameter } from "viem";
import { hardhat } from "viem/chains";
import { devAccount as cliDevAccount, LOCAL_CHAIN_ID } from "../../packages/cli/src/env.ts";

export const CHAIN_PORT = Number(process.env.E2E_CHAIN_PORT ?? 8646);
export const RPC_URL = `http://127.0.0.1:${CHAIN_PORT}`;
export const devAccount = (index: number) => cliDevAccount(index, LOCAL_CHAIN_ID);

const SIGNING = new Set(["eth_sendTransaction", "eth_signTypedData_v4", "personal_sign"]);

export interface TestWallet {
  readonly address: Hex;
  rejectNext(): void;
  readonly signatures: number;
  /** Switches to dev account `index` and emits `accountsChanged`. */
  switchAccount(index: number): Promise<void>;
  /** Moves the wallet to chain `chainId` (reads keep going to the local node) and emits `chainChanged`. */
  switchChain(chainId: number): Promise<void>;
}

export async function injectWallet(page: Page, index: number): Promise<TestWallet> {
  let account = devAccount(index);
  const chain = { ...hardhat, rpcUrls: { default: { http: [RPC_URL] } } };
  const client = createWalletClient({ chain, transport: http(RPC_URL) });
  const state: { authorized: boolean; reject: boolean; signatures: number; chainId: number } = {
    authorized: false,
    reject: false,
    signatures: 0,
    chainId: chain.id,
  };
  const emit = (event: string, payload: unknown) =>
    page.evaluate(
      ([e, p]) =>
        (window as unknown as { __meridianTestWalletEmit: (e: string, p: unknown) => void }).__meridianTestWalletEmit(
          e,
          p,
        ),
      [event, payload] as const,
    );
  const wallet: TestWallet = {
    get address() {
      return account.address;
    },
    rejectNext: () => {
      state.reject = true;
    },
    get signatures() {
      return state.signatures;
    },
    async switchAccount(next: number) {
      account = devAccount(next);
      await emit("accountsChanged", [account.address]);
    },
    async switchChain(chainId: number) {
      state.chainId = chainId;
      await emit("chainChanged", `0x${chainId.toString(16)}`);
    },
  };

  await page.exposeFunction("__meridianTestWallet", async (method: string, params: unknown[]) => {
    try {
      if (SIGNING.has(method) && state.reject) {
        state.reject = false;
        return { error: { code: 4001, message: "User rejected the request." } };
      }
      switch (method) {
        case "eth_requestAccounts":
          state.authorized = true;
          return { result: [account.address] };
        case "eth_accounts":
          return { result: state.authorized ? [account.address] : [] };
        case "eth_chainId":
          return { result: `0x${state.chainId.toString(16)}` };
        case "wallet_switchEthereumChain": {
          const target = Number((params[0] as { chainId: Hex }).chainId);
          if (target !== chain.id) return { error: { code: 4902, message: `Unrecognized chain ID ${target}.` } };
          state.chainId = target;
          return { result: null };
        }
        case "wallet_addEthereumChain":
          return { result: null };
        case "wallet_requestPermissions":
          state.authorized = true;
          return { result: [{ parentCapability: "eth_accounts" }] };
        case "wallet_getPermissions":
          return { result: state.authorized ? [{ parentCapability: "eth_accounts" }] : [] };
        case "wallet_revokePermissions":
          state.authorized = false;
          return { result: null };
        case "eth_signTypedData_v4": {
          state.signatures++;
          const typed = JSON.parse(String(params[1])) as {
            domain: TypedDataDomain;
            types: Record<string, TypedDataParameter[]>;
            primaryType: string;
            message: Record<string, unknown>;
          };
          const { EIP712Domain: _domain, ...types } = typed.types;
          return {
            result: await account.signTypedData({
              domain: typed.domain,
              types,
              primaryType: typed.primaryType,
              message: typed.message,
            }),
          };
        }
        case "personal_sign":
          state.signatures++;
          return { result: await account.signMessage({ message: { raw: params[0] as Hex } }) };
        case "eth_sendTransaction": {
          state.signatures++;
          const tx = params[0] as { to?: Hex; data?: Hex; value?: Hex; gas?: Hex };
          const hash = await client.sendTransaction({
            account,
            chain,
            ...(tx.to ? { to: tx.to } : {}),
            ...(tx.data ? { data: tx.data } : {}),
            ...(tx.value ? { value: BigInt(tx.value) } : {}),
            ...(tx.gas ? { gas: BigInt(tx.gas) } : {}),
          });
          return { result: hash };
        }
        default: {
          const response = await fetch(RPC_URL, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
          });
          const body = (await response.json()) as {
            result?: unknown;
            error?: { code: number; message: string; data?: unknown };
          };
          return body.error ? { error: body.error } : { result: body.result };
        }
      }
    } catch (error) {
      return { error: { code: -32603, message: error instanceof Error ? error.message : String(error) } };
    }
  });

  await page.addInitScript(() => {
    type Answer = { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    const call = (window as unknown as { __meridianTestWallet: (m: string, p: unknown[]) => Promise<Answer> })
      .__meridianTestWallet;
    const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
    const emit = (event: string, payload: unknown) => {
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    (window as unknown as { __meridianTestWalletEmit: typeof emit }).__meridianTestWalletEmit = emit;
    const provider = {
      isMetaMask: false,
      async request({ method, params }: { method: string; params?: unknown[] }) {
        const answer = await call(method, params ?? []);
        if (answer.error) {
          const error = Object.assign(new Error(answer.error.message), {
            code: answer.error.code,
            data: answer.error.data,
          });
          throw error;
        }
        if (method === "eth_requestAccounts") emit("accountsChanged", answer.result);
        if (method === "wallet_switchEthereumChain") emit("chainChanged", (params?.[0] as { chainId: string }).chainId);
        return answer.result;
      },
      on(event: string, listener: (...a: unknown[]) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        return provider;
      },
      removeListener(event: string, listener: (...a: unknown[]) => void) {
        listeners.get(event)?.delete(listener);
        return provider;
      },
    };
    const info = {
      uuid: "9f3c2a56-7d1e-4b8a-9c0d-5e6f7a8b9c0d",
      name: "Meridian Test Wallet",
      icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
      rdns: "org.meridian.testwallet",
    };
    const announce = () =>
      window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  });
  return wallet;
}
