// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IProviderRegistry} from "./IProviderRegistry.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";
import {IRecordAnchors} from "./IRecordAnchors.sol";

/**
 * @title IMonitoringRegistry
 * @notice Remote ECG monitoring on top of {IRecordRegistry}: the devices a patient streams from,
 * the provider that monitors the patient, and monitoring sessions that link the provider's
 * anchored records and a final diagnosis record.
 *
 * ECG flows from a sensor device through an edge device and a fog relay to the provider's
 * medical server; every hop signs its data off chain. The patient registers each device's
 * address here, and the device proves it holds the key with an EIP-712 signature
 * ({DeviceBinding}), so the medical server can check every signer against devices the patient
 * registered. The patient names one monitoring provider, which must be an active provider with
 * the patient's write consent for {IRecordAnchors.Category.Cardiac}. That provider opens
 * sessions, anchors FHIR records with {IRecordAnchors-anchorRecord} and links them to a session,
 * and finally links a signed diagnosis record, which closes the session.
 *
 * No record content is stored or logged: only addresses, record ids, flags and timestamps. That
 * metadata is public: that a patient is monitored, by whom, and when a record was flagged.
 * Every change emits an event. No function loops over patients, devices, sessions or records.
 */
interface IMonitoringRegistry {
    /// @notice What a device does in the ECG path. `None` is never valid.
    enum DeviceRole {
        None,
        Sensor,
        Edge,
        Fog
    }

    /// @notice A device's status for one patient. `None` means "never registered"; `Revoked` is
    /// final for that (patient, device) pair: a new key is a new device.
    enum DeviceStatus {
        None,
        Active,
        Revoked
    }

    /// @notice A device of a patient, as returned by {getDevice}.
    struct Device {
        DeviceRole role;
        DeviceStatus status;
        /// @dev Unix time (seconds) of registration; zero when never registered.
        uint40 registeredAt;
        /// @dev Unix time (seconds) of revocation; zero while not revoked.
        uint40 revokedAt;
    }

    /// @notice A monitoring session, as returned by {getSession}.
    struct Session {
        address patient;
        /// @dev The monitoring provider that opened the session.
        address provider;
        /// @dev Unix time (seconds) of opening; zero when the session does not exist.
        uint40 openedAt;
        /// @dev Unix time (seconds) of closing; zero while open.
        uint40 closedAt;
        /// @dev Records linked with {addSessionRecord} (the diagnosis record is not counted).
        uint32 recordCount;
        /// @dev The diagnosis record linked with {signDiagnosis}; zero until then.
        bytes32 diagnosisRecordId;
    }

    /**
     * @notice The fields of a record's {IRecordAnchors-RecordAnchored} event that
     * {IRecordRegistry} does not keep in storage. With the stored ones ({IRecordAnchors-getRecord})
     * and the caller as author they must recompute the record id
     * ({IRecordAnchors-computeRecordId}): that is how this contract checks who wrote a record.
     */
    struct RecordProof {
        /// @dev The record's `previousHead` (bytes24).
        bytes24 previousHead;
        /// @dev The record's `ciphertextHash`.
        bytes32 ciphertextHash;
        /// @dev The record's binary CID (1..128 bytes).
        bytes cid;
    }

    /// @notice Emitted when `patient` registers `device` in `role`.
    event DeviceRegistered(address indexed patient, address indexed device, DeviceRole role);
    /// @notice Emitted when `patient` revokes `device` (for good).
    event DeviceRevoked(address indexed patient, address indexed device);
    /// @notice Emitted when `patient` names (or re-names) `provider` as its monitoring provider.
    event MonitoringProviderSet(address indexed patient, address indexed provider);
    /// @notice Emitted when `patient` clears its monitoring provider, which was `provider`.
    event MonitoringProviderCleared(address indexed patient, address indexed provider);
    /// @notice Emitted when `provider` opens session `sessionId` for `patient`.
    event MonitoringSessionOpened(bytes32 indexed sessionId, address indexed patient, address indexed provider);
    /// @notice Emitted when the session's provider links record `recordId` to session `sessionId`;
    /// `flaggedForReview` asks a clinician to look at it (e.g. an arrhythmia was detected).
    event SessionRecordAdded(
        bytes32 indexed sessionId,
        address indexed patient,
        bytes32 indexed recordId,
        bool flaggedForReview
    );
    /// @notice Emitted when `provider` links the diagnosis record `diagnosisRecordId` to session
    /// `sessionId`; {MonitoringSessionClosed} follows in the same transaction.
    event DiagnosisSigned(
        bytes32 indexed sessionId,
        address indexed patient,
        address indexed provider,
        bytes32 diagnosisRecordId
    );
    /// @notice Emitted when session `sessionId` of `patient` closes (by its provider, its patient,
    /// or {signDiagnosis}).
    event MonitoringSessionClosed(bytes32 indexed sessionId, address indexed patient);

    /// @notice This account is not registered as a patient.
    /// @custom:hint Register as a patient first (`meridian register`), then add devices or a monitoring provider.
    /// @dev `patient` is not registered in the record registry.
    error MonitoringRegistryUnknownPatient(address patient);
    /// @notice The device address is zero.
    /// @custom:hint Pass the address of the device's signing key.
    /// @dev The device address is zero.
    error MonitoringRegistryInvalidDevice(address device);
    /// @notice The device role is missing.
    /// @custom:hint Use sensor, edge or fog.
    /// @dev `role` is not a valid device role (`None`).
    error MonitoringRegistryInvalidDeviceRole(DeviceRole role);
    /// @notice The device's binding signature has expired.
    /// @custom:hint Have the device sign the binding again with a later deadline.
    /// @dev The device binding signature expired: `deadline` is before `now` (Unix seconds).
    error MonitoringRegistrySignatureExpired(uint40 deadline, uint40 now);
    /// @notice The signature is not the device's signature of this binding (wrong key, patient, role, deadline or
    /// network).
    /// @custom:hint Have the device itself sign the binding for this patient, role and deadline
    /// (deviceBindingTypedData).
    /// @dev The signature is not `device`'s signature of the {DeviceBinding} of `patient`, `device`, the role and the
    /// deadline given.
    error MonitoringRegistryInvalidDeviceSignature(address patient, address device);
    /// @notice This device is already registered for this patient, or was revoked (revocation is final).
    /// @custom:hint A revoked device needs a new key: register it as a new device.
    /// @dev `device` was already registered by `patient` and is `status` (`Active`, or `Revoked` for good).
    error MonitoringRegistryDeviceAlreadyRegistered(address patient, address device, DeviceStatus status);
    /// @notice This device is not an active device of this patient (never registered or already revoked).
    /// @custom:hint Check the device address; list the patient's devices.
    /// @dev `device` is not an active device of `patient` (its status is `status`).
    error MonitoringRegistryDeviceNotActive(address patient, address device, DeviceStatus status);
    /// @notice The provider is not active (never admitted, suspended or removed).
    /// @custom:hint Ask the regulator about the provider's status.
    /// @dev `provider` is not an active provider (never admitted, suspended or removed).
    error MonitoringRegistryProviderNotActive(address provider);
    /// @notice The provider has no current write consent from the patient for Cardiac records.
    /// @custom:hint Grant the provider write access to the Cardiac category (re-issue it after any revocation), then
    /// name it again.
    /// @dev `provider` has no active write consent from `patient` for `category` (Cardiac).
    error MonitoringRegistryWriteNotPermitted(address provider, address patient, IRecordAnchors.Category category);
    /// @notice This patient has no monitoring provider.
    /// @custom:hint Name one with setMonitoringProvider first.
    /// @dev `patient` has no monitoring provider.
    error MonitoringRegistryNoMonitoringProvider(address patient);
    /// @notice This account is not the patient's current monitoring provider.
    /// @custom:hint Ask the patient to name this provider as monitoring provider.
    /// @dev `account` is not the current monitoring provider of `patient`.
    error MonitoringRegistryNotMonitoringProvider(address account, address patient);
    /// @notice No monitoring session has this id.
    /// @custom:hint Check the session id (listSessions).
    /// @dev No session has id `sessionId`.
    error MonitoringRegistryUnknownSession(bytes32 sessionId);
    /// @notice This monitoring session is closed.
    /// @custom:hint Open a new session.
    /// @dev Session `sessionId` was closed at `closedAt` (Unix seconds).
    error MonitoringRegistrySessionClosed(bytes32 sessionId, uint40 closedAt);
    /// @notice Only the session's provider (or, to close it, its patient) can do this.
    /// @custom:hint Send the transaction from the session's provider account.
    /// @dev `account` is not the provider of session `sessionId` (nor, for {closeSession}, its patient).
    error MonitoringRegistryNotSessionParty(bytes32 sessionId, address account);
    /// @notice No record has this id.
    /// @custom:hint Anchor the record first, then link it to the session.
    /// @dev No record has id `recordId` in the record registry.
    error MonitoringRegistryUnknownRecord(bytes32 recordId);
    /// @notice That record belongs to another patient than the session's.
    /// @custom:hint Link only records of the session's patient.
    /// @dev Record `recordId` belongs to another patient than `patient`.
    error MonitoringRegistryRecordOfAnotherPatient(bytes32 recordId, address patient);
    /// @notice This account did not anchor that record (or its anchor data does not match).
    /// @custom:hint A provider links only records it anchored itself.
    /// @dev Record `recordId` was not anchored by `author` (or the {RecordProof} is not its own).
    error MonitoringRegistryNotRecordAuthor(bytes32 recordId, address author);
    /// @notice That record is already linked to a monitoring session.
    /// @custom:hint Each record is linked once; anchor a new record.
    /// @dev Record `recordId` is already linked to session `sessionId` (as a session record or a diagnosis); a record
    /// is linked at most once.
    error MonitoringRegistryRecordAlreadyLinked(bytes32 recordId, bytes32 sessionId);

    /**
     * @notice Registers `device` as the caller's device in `role`. The device proves it holds its
     * key by signing the EIP-712 message {DeviceBinding}`(patient = caller, device, role, deadline)`
     * in this contract's domain ("Meridian MonitoringRegistry", version "1"); an ERC-1271 contract
     * device signs through `isValidSignature`.
     * @param deadline Unix time (seconds) until which (inclusive) the signature is accepted.
     * @param signature The device's signature (65-byte ECDSA, or what its ERC-1271 check accepts).
     * @dev Requirements: caller a registered patient; `device` non-zero; `role` not `None`;
     * `deadline` not before the block time; the signature valid; `device` never registered by the
     * caller (an active device cannot be registered twice, a revoked one never again).
     * Emits {DeviceRegistered}.
     */
    function registerDevice(address device, DeviceRole role, uint40 deadline, bytes calldata signature) external;

    /**
     * @notice Revokes the caller's `device` for good: the medical server must refuse its
     * signatures from now on. Registering it again is refused; a new key is a new device.
     * @dev Requirements: `device` an active device of the caller. Emits {DeviceRevoked}.
     */
    function revokeDevice(address device) external;

    /**
     * @notice Names `provider` as the caller's monitoring provider, replacing any previous one
     * (whose open sessions it can then no longer add to or sign).
     * @dev Requirements: caller a registered patient; `provider` an active provider; `provider`
     * may write `Cardiac` records of the caller now ({IRecordAnchors-canWrite}).
     * Emits {MonitoringProviderSet}.
     */
    function setMonitoringProvider(address provider) external;

    /**
     * @notice Clears the caller's monitoring provider: it can open no session and add to or sign
     * none of its open sessions until named again.
     * @dev Requirements: the caller has a monitoring provider. Emits {MonitoringProviderCleared}.
     */
    function clearMonitoringProvider() external;

    /**
     * @notice Opens a monitoring session of `patient`; the caller becomes its provider. A patient
     * may have several sessions open.
     * @dev Requirements: caller is `patient`'s current monitoring provider and an active provider.
     * Emits {MonitoringSessionOpened}.
     * @return sessionId See {computeSessionId}; the nonce is the number of sessions opened for
     * `patient` before.
     */
    function openSession(address patient) external returns (bytes32 sessionId);

    /**
     * @notice Links record `recordId`, anchored by the caller for the session's patient, to session
     * `sessionId` and counts it.
     * @param flaggedForReview Whether a clinician should review the record (logged only).
     * @param proof The record's event fields that prove the caller anchored it; see {RecordProof}.
     * @dev Requirements: session exists and is open; caller is its provider, an active provider and
     * still the patient's monitoring provider; the record exists, belongs to the session's patient,
     * was anchored by the caller, and is not linked to any session yet. Emits {SessionRecordAdded}.
     */
    function addSessionRecord(
        bytes32 sessionId,
        bytes32 recordId,
        bool flaggedForReview,
        RecordProof calldata proof
    ) external;

    /**
     * @notice Links the diagnosis record `diagnosisRecordId` (anchored by the caller) to session
     * `sessionId` and closes the session.
     * @param proof The record's event fields that prove the caller anchored it; see {RecordProof}.
     * @dev Requirements: as {addSessionRecord}. Emits {DiagnosisSigned} and {MonitoringSessionClosed}.
     */
    function signDiagnosis(bytes32 sessionId, bytes32 diagnosisRecordId, RecordProof calldata proof) external;

    /**
     * @notice Closes session `sessionId` without a diagnosis. Its provider may close it whatever its
     * status; its patient may close it at any time.
     * @dev Requirements: session exists and is open; caller is its provider or its patient.
     * Emits {MonitoringSessionClosed}.
     */
    function closeSession(bytes32 sessionId) external;

    /// @notice The record registry this contract consults for patients and records.
    function recordRegistry() external view returns (IRecordRegistry);

    /// @notice The provider registry this contract consults for provider status (the record
    /// registry's, read at deployment).
    function providerRegistry() external view returns (IProviderRegistry);

    /// @notice The device `device` of `patient` (all zero when never registered).
    function getDevice(address patient, address device) external view returns (Device memory);

    /// @notice Whether `device` is an active device of `patient` in `role`.
    function isActiveDevice(address patient, address device, DeviceRole role) external view returns (bool);

    /// @notice The current monitoring provider of `patient` (zero when none). The provider may
    /// since have been suspended or lost write consent; {openSession} checks the status.
    function monitoringProviderOf(address patient) external view returns (address);

    /// @notice Session `sessionId` (all zero when unknown).
    function getSession(bytes32 sessionId) external view returns (Session memory);

    /// @notice The session record `recordId` is linked to, as a session record or a diagnosis
    /// (zero when none).
    function sessionOfRecord(bytes32 recordId) external view returns (bytes32);

    /// @notice The number of sessions opened for `patient` so far: the nonce of its next session.
    function sessionNonceOf(address patient) external view returns (uint64);

    /// @notice The id of the session of `patient` opened by `provider` with `nonce`:
    /// `keccak256(abi.encode(block.chainid, address(this), patient, provider, nonce))`.
    function computeSessionId(address patient, address provider, uint64 nonce) external view returns (bytes32);

    /**
     * @notice The EIP-712 digest a device signs to be registered by `patient`: the typed-data hash
     * of `DeviceBinding(address patient,address device,uint8 role,uint40 deadline)` in this
     * contract's domain (see {eip712Domain} of ERC-5267).
     */
    function deviceBindingDigest(
        address patient,
        address device,
        DeviceRole role,
        uint40 deadline
    ) external view returns (bytes32);
}
