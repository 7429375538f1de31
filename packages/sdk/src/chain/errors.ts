/**
 * Turns contract reverts into {@link ContractRevertedError}s that name the custom error, its
 * arguments and what to do, instead of "execution reverted".
 *
 * @module
 */
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, UserRejectedRequestError, type Abi, type Hex } from "viem";
import { MeridianError } from "../errors.ts";
import { meridianTimelockAbi, monitoringRegistryAbi, peerValidationAbi, providerRegistryAbi, recordRegistryAbi } from "../generated/contracts.ts";

/** Plain-language explanations of the contracts' custom errors, with what to do. */
const EXPLANATIONS: Record<string, { message: string; hint: string }> = {
  RecordRegistryAlreadyRegistered: { message: "This account is already registered as a patient.", hint: "Nothing to do: your registration stands, and your key is derived from your wallet again each time." },
  RecordRegistryUnknownPatient: { message: "This patient is not registered.", hint: "The patient must run `meridian register` first; check the address." },
  RecordRegistryInvalidEncryptionKey: { message: "The encryption public key is empty.", hint: "Derive the key from the wallet again." },
  RecordRegistryUnknownRecord: { message: "No record has this id.", hint: "Check the record id with `meridian list`." },
  RecordRegistryRecordOfAnotherPatient: { message: "That record belongs to another patient.", hint: "Only the record's own patient can share it." },
  RecordRegistryInvalidCategory: { message: "The record category is missing.", hint: "Pick a category such as lab or general." },
  RecordRegistryInvalidCid: { message: "The CID is empty or longer than 128 bytes.", hint: "Store the payload on IPFS first and pass its CID." },
  RecordRegistryInvalidCiphertextHash: { message: "The ciphertext hash is zero.", hint: "Pass the ciphertext hash the store returned (`BlobStore.put`; SHA-256 hash list, docs/keys.md)." },
  RecordRegistryStaleKeyEpoch: { message: "The record was encrypted under an old key epoch (the patient revoked a grant since).", hint: "Ask the patient to re-issue your grant, then encrypt again under the current epoch." },
  RecordRegistryWriteNotPermitted: { message: "This account has no active write consent from the patient for this category.", hint: "Request access with write consent and wait for the patient to approve." },
  RecordRegistryProviderNotActive: { message: "The provider is not active (never admitted, suspended or removed).", hint: "Ask the regulator about the provider's status." },
  RecordRegistryInvalidScope: { message: "The scope is not valid (or write consent was asked for a single record).", hint: "Use a record id, a category or all; write consent only for a category or all." },
  RecordRegistryInvalidExpiry: { message: "The expiry is not in the future.", hint: "Give an expiry later than now, or none." },
  RecordRegistryInvalidWrappedKey: { message: "The wrapped key is empty or longer than 640 bytes.", hint: "This is a client bug; report it." },
  RecordRegistryGrantNotActive: { message: "There is no active grant for this provider and scope (never issued, revoked or expired).", hint: "See the grants issued and revoked in the patient's audit trail (`meridian audit <patient>`); check the provider, the scope (--record, --category or --all) and the expiry." },
  RecordRegistryRequestNotPending: { message: "There is no pending request for this provider and scope.", hint: "List requests with `meridian requests`." },
  RecordRegistryWriteNotRequested: { message: "The provider asked for read access only; write consent cannot be added on approval.", hint: "Approve read-only, or ask the provider to request write access." },
  MonitoringRegistryUnknownPatient: { message: "This account is not registered as a patient.", hint: "Register as a patient first (`meridian register`), then add devices or a monitoring provider." },
  MonitoringRegistryInvalidDevice: { message: "The device address is zero.", hint: "Pass the address of the device's signing key." },
  MonitoringRegistryInvalidDeviceRole: { message: "The device role is missing.", hint: "Use sensor, edge or fog." },
  MonitoringRegistrySignatureExpired: { message: "The device's binding signature has expired.", hint: "Have the device sign the binding again with a later deadline." },
  MonitoringRegistryInvalidDeviceSignature: { message: "The signature is not the device's signature of this binding (wrong key, patient, role, deadline or network).", hint: "Have the device itself sign the binding for this patient, role and deadline (deviceBindingTypedData)." },
  MonitoringRegistryDeviceAlreadyRegistered: { message: "This device is already registered for this patient, or was revoked (revocation is final).", hint: "A revoked device needs a new key: register it as a new device." },
  MonitoringRegistryDeviceNotActive: { message: "This device is not an active device of this patient (never registered or already revoked).", hint: "Check the device address; list the patient's devices." },
  MonitoringRegistryProviderNotActive: { message: "The provider is not active (never admitted, suspended or removed).", hint: "Ask the regulator about the provider's status." },
  MonitoringRegistryWriteNotPermitted: { message: "The provider has no current write consent from the patient for Cardiac records.", hint: "Grant the provider write access to the Cardiac category (re-issue it after any revocation), then name it again." },
  MonitoringRegistryNoMonitoringProvider: { message: "This patient has no monitoring provider.", hint: "Name one with setMonitoringProvider first." },
  MonitoringRegistryNotMonitoringProvider: { message: "This account is not the patient's current monitoring provider.", hint: "Ask the patient to name this provider as monitoring provider." },
  MonitoringRegistryUnknownSession: { message: "No monitoring session has this id.", hint: "Check the session id (listSessions)." },
  MonitoringRegistrySessionClosed: { message: "This monitoring session is closed.", hint: "Open a new session." },
  MonitoringRegistryNotSessionParty: { message: "Only the session's provider (or, to close it, its patient) can do this.", hint: "Send the transaction from the session's provider account." },
  MonitoringRegistryUnknownRecord: { message: "No record has this id.", hint: "Anchor the record first, then link it to the session." },
  MonitoringRegistryRecordOfAnotherPatient: { message: "That record belongs to another patient than the session's.", hint: "Link only records of the session's patient." },
  MonitoringRegistryNotRecordAuthor: { message: "This account did not anchor that record (or its anchor data does not match).", hint: "A provider links only records it anchored itself." },
  MonitoringRegistryRecordAlreadyLinked: { message: "That record is already linked to a monitoring session.", hint: "Each record is linked once; anchor a new record." },
  PeerValidationProviderNotActive: { message: "The provider is not active (never admitted, suspended or removed).", hint: "Ask the regulator about the provider's status." },
  PeerValidationNotHospital: { message: "Only hospitals join the validator pool.", hint: "Join from a hospital account." },
  PeerValidationInstitutionInPool: { message: "Your institution is already in the validator pool through another account (one account per hospital).", hint: "Use that account, or prune it if it is no longer active (`meridian validation prune`)." },
  PeerValidationNotInPool: { message: "This account is not in the validator pool.", hint: "Check the address; join with `meridian validation join-pool`." },
  PeerValidationMemberActive: { message: "This pool member is still an active provider; only inactive members can be pruned.", hint: "An active hospital leaves the pool itself." },
  PeerValidationUnknownRecord: { message: "No record has this id.", hint: "Check the record id with `meridian list`." },
  PeerValidationNotAuthor: { message: "This account did not anchor that record (or its anchor data does not match).", hint: "Only the provider that wrote a diagnosis submits it for validation." },
  PeerValidationAlreadySubmitted: { message: "This record was already submitted for validation (a record is validated once).", hint: "See its status with `meridian validation status`." },
  PeerValidationConsentExpired: { message: "The patient's consent to validation has expired.", hint: "Ask the patient to sign the consent again (`meridian validation consent`)." },
  PeerValidationInvalidConsent: { message: "The consent is not the patient's signature for this record and author.", hint: "Ask the record's patient to sign the consent for you (`meridian validation consent <recordId> --author <you>`)." },
  PeerValidationPoolTooSmall: { message: "The validator pool has fewer than 4 hospitals outside your institution.", hint: "Wait until more hospitals join the pool." },
  PeerValidationUnknownCase: { message: "This record was never submitted for validation.", hint: "The author submits it first (`meridian validation submit`)." },
  PeerValidationCaseNotOpen: { message: "The validation case is not in a state that allows this (not drawn yet, or already decided).", hint: "See its status with `meridian validation status`." },
  PeerValidationNothingToDraw: { message: "Every validator seat of this case is filled.", hint: "Nothing to draw; a seat frees up only when a silent validator is replaced." },
  PeerValidationSeedNotReady: { message: "The validators are drawn from a block the chain has not passed yet.", hint: "Draw again after the next block." },
  PeerValidationDrawFailed: { message: "Too few eligible hospitals (active, outside the author's institution, not already chosen) were found in the pool.", hint: "Wait until more hospitals join, or prune inactive members, then draw again." },
  PeerValidationNotCaseAuthor: { message: "Only the record's author can share its key with the validators.", hint: "Share from the author's account." },
  PeerValidationLengthMismatch: { message: "The validator and key lists do not match.", hint: "This is a client bug; report it." },
  PeerValidationInvalidWrappedKey: { message: "A wrapped key is empty or longer than 512 bytes.", hint: "This is a client bug; report it." },
  PeerValidationNotValidator: { message: "This account is not a chosen validator of this record (never drawn, or replaced).", hint: "Only the hospitals drawn for the case vote on it." },
  PeerValidationAuthorCannotVote: { message: "The author of a record cannot validate it.", hint: "The drawn hospitals vote; the author waits for their decision." },
  PeerValidationAlreadyVoted: { message: "This validator has already voted on this record; a vote is final.", hint: "See the case with `meridian validation status`." },
  PeerValidationDeadlinePassed: { message: "The deadline to vote on this record has passed.", hint: "Your seat can now be given to another hospital (`meridian validation replace`)." },
  PeerValidationInvalidVote: { message: "A vote must approve or reject.", hint: "Pass --approve or --reject." },
  PeerValidationPoolIndexOutOfRange: { message: "There is no pool member at that position.", hint: "Read poolSize first; positions run from 0 to poolSize - 1 and change when members leave." },
  PeerValidationDeadlineNotPassed: { message: "This validator may still vote: its deadline has not passed and it is active.", hint: "Replace it only after its deadline." },
  ProviderRegistryRegulatorCannotBeProvider: { message: "The regulator can never be a provider (and a provider can never become the regulator).", hint: "Use a separate account for the regulator; its powers stop at membership." },
  ProviderRegistryZeroAddress: { message: "The provider address is zero.", hint: "Pass the provider's account address." },
  ProviderRegistryAlreadyAdmitted: { message: "This provider was already admitted.", hint: "Use suspend, reinstate or remove instead." },
  ProviderRegistryUnknownProvider: { message: "This account was never admitted as a provider.", hint: "Ask the regulator to admit it first." },
  ProviderRegistryInvalidStatus: { message: "The provider's status does not allow this.", hint: "Check the provider's status with `meridian provider show`." },
  ProviderRegistryInvalidKind: { message: "The provider kind is missing.", hint: "Use hospital, clinic, lab or practitioner." },
  ProviderRegistryInvalidName: { message: "The provider name must be 1-128 bytes and the department at most 128 bytes.", hint: "Shorten or fill in the name." },
  ProviderRegistryInvalidEncryptionKey: { message: "The encryption public key is empty.", hint: "Derive the key from the wallet again." },
  ProviderRegistryEncryptionKeyUnchanged: { message: "This encryption key is already your current key.", hint: "To replace it, rotate it (`meridian provider rotate-key`, or Rotate key in the app): that publishes the next key version." },
  AccessControlUnauthorizedAccount: { message: "This account does not hold the role needed (only the regulator can do this).", hint: "Send the transaction from the regulator's account; on a governed network, schedule it through the timelock (`--timelock`)." },
  TimelockInsufficientDelay: { message: "The delay asked is shorter than the timelock's minimum delay.", hint: "Schedule with at least the timelock's minimum delay (the default)." },
  TimelockUnexpectedOperationState: { message: "The timelock operation is not in the state this needs (already scheduled, not ready yet, or already executed).", hint: "Check the operation's state; execute only after its delay." },
};

/** A transaction or call was reverted by a Meridian contract with a custom error. */
export class ContractRevertedError extends MeridianError {
  override name = "ContractRevertedError" as const;
  /** The Solidity custom error's name, e.g. `"RecordRegistryGrantNotActive"`. */
  readonly errorName: string;
  /** The custom error's decoded arguments. */
  readonly args: readonly unknown[];

  constructor(errorName: string, args: readonly unknown[], cause?: unknown) {
    const known = EXPLANATIONS[errorName];
    const argText = args.map((a) => (typeof a === "bigint" ? a.toString() : String(a))).join(", ");
    super(known ? `${known.message} (${errorName})` : `The contract reverted with ${errorName}.`, {
      details: `${errorName}(${argText})`,
      hint: known?.hint,
      cause,
    });
    this.errorName = errorName;
    this.args = args;
  }
}

/** The chain could not be reached or refused the transaction for a reason other than a revert. */
export class ChainRequestError extends MeridianError {
  override name = "ChainRequestError" as const;
}

/** The user declined the request in their wallet (EIP-1193 error 4001). Nothing was sent. */
export class UserRejectedError extends MeridianError {
  override name = "UserRejectedError" as const;
  constructor(options: { cause?: unknown } = {}) {
    super("You declined the request in your wallet; nothing was sent.", { hint: "Start the action again when you are ready.", ...options });
  }
}

/** Every custom error of every Meridian contract (and the OpenZeppelin ones they inherit), from the generated ABIs. */
const ALL_ERRORS: Abi = [recordRegistryAbi, providerRegistryAbi, peerValidationAbi, monitoringRegistryAbi, meridianTimelockAbi]
  .flatMap((abi) => (abi as Abi).filter((item) => item.type === "error"));

/** The revert data (selector and arguments) an error carries anywhere in its cause chain, if any. */
function revertData(error: BaseError): Hex | undefined {
  let found: Hex | undefined;
  error.walk((e) => {
    const candidates = [(e as { raw?: unknown }).raw, (e as { data?: unknown }).data];
    for (const data of candidates) {
      if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) {
        found = data as Hex;
        return true;
      }
    }
    return false;
  });
  return found;
}

/**
 * Decodes revert data with every Meridian contract's custom errors.
 *
 * @returns The error's name and arguments, or `undefined` when no generated ABI has its selector.
 */
export function decodeRevert(data: Hex): { errorName: string; args: readonly unknown[] } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: ALL_ERRORS, data });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

/**
 * Converts anything viem throws into a {@link MeridianError}: a custom error becomes a
 * {@link ContractRevertedError} (decoded by viem, or else from its revert data with every
 * generated ABI, so no revert reaches the user as a bare selector); a request declined in the
 * wallet a {@link UserRejectedError}; other failures a {@link ChainRequestError} with viem's
 * short message.
 */
export function toMeridianError(error: unknown): MeridianError {
  if (error instanceof MeridianError) return error;
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError) instanceof UserRejectedRequestError) return new UserRejectedError({ cause: error });
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
      return new ContractRevertedError(revert.data.errorName, revert.data.args ?? [], error);
    }
    const data = revertData(error);
    const decoded = data === undefined ? undefined : decodeRevert(data);
    if (decoded) return new ContractRevertedError(decoded.errorName, decoded.args, error);
    return new ChainRequestError(error.shortMessage, { details: error.details, cause: error, hint: "Check the RPC endpoint and the account's balance." });
  }
  return new ChainRequestError(error instanceof Error ? error.message : String(error), { cause: error });
}
