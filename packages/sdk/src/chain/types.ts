/**
 * Shapes shared by the chain actions. Numeric codes mirror the Solidity enums of
 * `IRecordRegistry.sol` and `IProviderRegistry.sol`.
 *
 * @module
 */
import type { Address, Chain, Hex, PublicClient, Transport, WalletClient, Account } from "viem";
import type { RecordCategory } from "../categories.ts";

/** Where a Meridian network's contracts live. Written by deployment as JSON. */
export interface MeridianDeployment {
  /** EIP-155 chain id. */
  chainId: number;
  /** `ProviderRegistry` address. */
  providerRegistry: Address;
  /** `RecordRegistry` address. */
  recordRegistry: Address;
  /**
   * `MonitoringRegistry` address; the zero address for a deployment made before it existed
   * (the monitoring actions then refuse with a plain-words error).
   */
  monitoringRegistry: Address;
  /**
   * `PeerValidation` address (deployed by `RecordRegistry`'s constructor, read from
   * `RecordRegistry.peerValidation()`); the zero address for a deployment made before it existed.
   */
  peerValidation: Address;
  /** Block of the deployment; event queries start here. */
  deployedAtBlock: bigint;
}

/**
 * Grant and request scope codes (`IRecordRegistry.Scope`): one record (target: the record id), one
 * category (target: the category code, left-padded to 32 bytes) or all records (target: zero).
 * `Scope.None` (0) is never stored; the contract refuses it.
 */
export const Scope = { Record: 1, Category: 2, All: 3 } as const;
/** A scope code. */
export type ScopeCode = (typeof Scope)[keyof typeof Scope];

/**
 * Access request status codes (`IRecordRegistry.RequestStatus`, as `getRequest` returns it):
 * `None` for no request (never made, or approved or denied since), `Pending` while it waits for
 * the patient.
 */
export const RequestStatus = { None: 0, Pending: 1 } as const;
/** An access request status code. */
export type RequestStatusCode = (typeof RequestStatus)[keyof typeof RequestStatus];

/** What a grant or request covers, in SDK form. */
export type GrantScope =
  { kind: "record"; recordId: Hex } | { kind: "category"; category: RecordCategory } | { kind: "all" };

/**
 * Provider kinds a regulator admits (`IProviderRegistry.ProviderKind`). The registry reads kind 0
 * (`ProviderKind.None` in Solidity) for an address never admitted, which no code here names: check
 * the status (`ProviderStatus.None`) instead.
 */
export const ProviderKind = { Hospital: 1, Clinic: 2, Lab: 3, Practitioner: 4 } as const;
/** A provider kind code a provider can be admitted with. */
export type ProviderKindCode = (typeof ProviderKind)[keyof typeof ProviderKind];

/**
 * Provider statuses (`IProviderRegistry.ProviderStatus`): `None` (never admitted), `Active` (may
 * receive grants and read), `Suspended` (grants stop working until reinstated), `Removed` (final).
 */
export const ProviderStatus = { None: 0, Active: 1, Suspended: 2, Removed: 3 } as const;
/** A provider status code. */
export type ProviderStatusCode = (typeof ProviderStatus)[keyof typeof ProviderStatus];

/** Whether `code` (as read from the registry) is a {@link ProviderKindCode}; false for 0 (never admitted). */
export function isProviderKindCode(code: number): code is ProviderKindCode {
  return (Object.values(ProviderKind) as number[]).includes(code);
}

/** Whether `code` (as read from the registry) is a {@link ProviderStatusCode}. */
export function isProviderStatusCode(code: number): code is ProviderStatusCode {
  return (Object.values(ProviderStatus) as number[]).includes(code);
}

/**
 * The clients an action needs: a public client for reads and receipts, and (for writes) a
 * wallet client with an account. Both must be on `deployment.chainId`.
 */
export interface MeridianContext {
  publicClient: PublicClient<Transport, Chain | undefined>;
  walletClient?: WalletClient<Transport, Chain | undefined, Account> | undefined;
  deployment: MeridianDeployment;
  /** Observer of every contract write's life cycle (for progress displays and metrics). Must not throw. */
  onTransaction?: ((event: TransactionEvent) => void) | undefined;
}

/** One step in the life of a contract write, reported to {@link MeridianContext.onTransaction}. */
export interface TransactionEvent {
  /** Correlates the steps of one write (unique per call within the page/process). */
  id: number;
  /** What the write does, in words (e.g. "issue a grant"). */
  action: string;
  /** `simulating` → `signing` (waiting for the wallet) → `pending` (sent) → `confirmed` or `failed`. */
  status: "simulating" | "signing" | "pending" | "confirmed" | "failed";
  /** Wall-clock time of this step (milliseconds since the Unix epoch). */
  at: number;
  /** Transaction hash, from `pending` on. */
  hash?: Hex;
  /** Gas used (gas units), when `confirmed`. */
  gasUsed?: bigint;
  /** Block number, when `confirmed`. */
  blockNumber?: bigint;
  /** The error in plain words, when `failed`. */
  error?: string;
}

/** The outcome of a confirmed transaction. */
export interface TransactionResult {
  /** Transaction hash. */
  hash: Hex;
  /** Gas used by the transaction (gas units). */
  gasUsed: bigint;
  /** Block number that included it. */
  blockNumber: bigint;
}
