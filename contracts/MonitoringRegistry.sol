// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IMonitoringRegistry} from "./interfaces/IMonitoringRegistry.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";
import {IRecordAnchors} from "./interfaces/IRecordAnchors.sol";

/**
 * @title MonitoringRegistry
 * @notice Reference implementation of {IMonitoringRegistry}, with OpenZeppelin {EIP712} (domain
 * "Meridian MonitoringRegistry", version "1") and {SignatureChecker} for device bindings.
 * @dev Storage is laid out for constant gas per operation: a device is one slot; a patient's
 * monitoring provider and session nonce one slot; a session two slots (patient + times;
 * provider + record count), its diagnosis one more; each linked record one slot (its session).
 * No function iterates over storage.
 */
contract MonitoringRegistry is IMonitoringRegistry, EIP712 {
    /// @notice EIP-712 type hash of `DeviceBinding(address patient,address device,uint8 role,uint40 deadline)`.
    bytes32 public constant DEVICE_BINDING_TYPEHASH = keccak256(
        "DeviceBinding(address patient,address device,uint8 role,uint40 deadline)"
    );

    /// @dev One slot: who monitors the patient, and how many sessions were opened for it.
    struct PatientMonitoring {
        address provider;
        uint64 sessionNonce;
    }

    /// @dev Two slots: what {addSessionRecord} reads, without the diagnosis.
    struct SessionState {
        address patient;
        uint40 openedAt;
        uint40 closedAt;
        address provider;
        uint32 recordCount;
    }

    IRecordRegistry private immutable _records;
    IProviderRegistry private immutable _providers;

    mapping(address patient => mapping(address device => Device)) private _devices;
    mapping(address patient => PatientMonitoring) private _monitoring;
    mapping(bytes32 sessionId => SessionState) private _sessions;
    mapping(bytes32 sessionId => bytes32 recordId) private _diagnoses;
    mapping(bytes32 recordId => bytes32 sessionId) private _sessionOfRecord;

    /// @notice Deploys the monitoring registry over `records_` and its provider registry.
    /// @param records_ The record registry consulted for patients and records; its provider
    /// registry is read here once and consulted for provider status.
    constructor(IRecordRegistry records_) EIP712("Meridian MonitoringRegistry", "1") {
        _records = records_;
        _providers = records_.providerRegistry();
    }

    // ----------------------------------------------------------------- devices

    /// @inheritdoc IMonitoringRegistry
    function registerDevice(address device, DeviceRole role, uint40 deadline, bytes calldata signature) external {
        _requirePatient(msg.sender);
        if (device == address(0)) revert MonitoringRegistryInvalidDevice(device);
        if (role == DeviceRole.None) revert MonitoringRegistryInvalidDeviceRole(role);
        uint40 now_ = _time();
        if (deadline < now_) revert MonitoringRegistrySignatureExpired(deadline, now_);
        Device storage d = _devices[msg.sender][device];
        DeviceStatus status = d.status;
        if (status != DeviceStatus.None) revert MonitoringRegistryDeviceAlreadyRegistered(msg.sender, device, status);
        bytes32 digest = _deviceBindingDigest(msg.sender, device, role, deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(device, digest, signature)) {
            revert MonitoringRegistryInvalidDeviceSignature(msg.sender, device);
        }
        _devices[msg.sender][device] = Device(role, DeviceStatus.Active, now_, 0);
        emit DeviceRegistered(msg.sender, device, role);
    }

    /// @inheritdoc IMonitoringRegistry
    function revokeDevice(address device) external {
        Device storage d = _devices[msg.sender][device];
        DeviceStatus status = d.status;
        if (status != DeviceStatus.Active) revert MonitoringRegistryDeviceNotActive(msg.sender, device, status);
        d.status = DeviceStatus.Revoked;
        d.revokedAt = _time();
        emit DeviceRevoked(msg.sender, device);
    }

    // --------------------------------------------------------------- providers

    /// @inheritdoc IMonitoringRegistry
    function setMonitoringProvider(address provider) external {
        _requirePatient(msg.sender);
        if (!_providers.isActive(provider)) revert MonitoringRegistryProviderNotActive(provider);
        if (!_records.canWrite(provider, msg.sender, IRecordAnchors.Category.Cardiac)) {
            revert MonitoringRegistryWriteNotPermitted(provider, msg.sender, IRecordAnchors.Category.Cardiac);
        }
        _monitoring[msg.sender].provider = provider;
        emit MonitoringProviderSet(msg.sender, provider);
    }

    /// @inheritdoc IMonitoringRegistry
    function clearMonitoringProvider() external {
        PatientMonitoring storage m = _monitoring[msg.sender];
        address provider = m.provider;
        if (provider == address(0)) revert MonitoringRegistryNoMonitoringProvider(msg.sender);
        m.provider = address(0);
        emit MonitoringProviderCleared(msg.sender, provider);
    }

    // ---------------------------------------------------------------- sessions

    /// @inheritdoc IMonitoringRegistry
    function openSession(address patient) external returns (bytes32 sessionId) {
        PatientMonitoring storage m = _monitoring[patient];
        if (m.provider != msg.sender) revert MonitoringRegistryNotMonitoringProvider(msg.sender, patient);
        if (!_providers.isActive(msg.sender)) revert MonitoringRegistryProviderNotActive(msg.sender);
        uint64 nonce = m.sessionNonce;
        m.sessionNonce = nonce + 1;
        sessionId = computeSessionId(patient, msg.sender, nonce);
        _sessions[sessionId] = SessionState(patient, _time(), 0, msg.sender, 0);
        emit MonitoringSessionOpened(sessionId, patient, msg.sender);
    }

    /// @inheritdoc IMonitoringRegistry
    function addSessionRecord(
        bytes32 sessionId,
        bytes32 recordId,
        bool flaggedForReview,
        RecordProof calldata proof
    ) external {
        SessionState storage s = _requireWritableSession(sessionId);
        address patient = s.patient;
        _link(sessionId, patient, recordId, proof);
        unchecked {
            // A uint32 count cannot be reached: every increment costs a transaction.
            ++s.recordCount;
        }
        emit SessionRecordAdded(sessionId, patient, recordId, flaggedForReview);
    }

    /// @inheritdoc IMonitoringRegistry
    function signDiagnosis(bytes32 sessionId, bytes32 diagnosisRecordId, RecordProof calldata proof) external {
        SessionState storage s = _requireWritableSession(sessionId);
        address patient = s.patient;
        _link(sessionId, patient, diagnosisRecordId, proof);
        _diagnoses[sessionId] = diagnosisRecordId;
        s.closedAt = _time();
        emit DiagnosisSigned(sessionId, patient, msg.sender, diagnosisRecordId);
        emit MonitoringSessionClosed(sessionId, patient);
    }

    /// @inheritdoc IMonitoringRegistry
    function closeSession(bytes32 sessionId) external {
        SessionState storage s = _requireOpenSession(sessionId);
        address patient = s.patient;
        if (msg.sender != patient && msg.sender != s.provider) {
            revert MonitoringRegistryNotSessionParty(sessionId, msg.sender);
        }
        s.closedAt = _time();
        emit MonitoringSessionClosed(sessionId, patient);
    }

    // ------------------------------------------------------------------- views

    /// @inheritdoc IMonitoringRegistry
    function recordRegistry() external view returns (IRecordRegistry) {
        return _records;
    }

    /// @inheritdoc IMonitoringRegistry
    function providerRegistry() external view returns (IProviderRegistry) {
        return _providers;
    }

    /// @inheritdoc IMonitoringRegistry
    function getDevice(address patient, address device) external view returns (Device memory) {
        return _devices[patient][device];
    }

    /// @inheritdoc IMonitoringRegistry
    function isActiveDevice(address patient, address device, DeviceRole role) external view returns (bool) {
        Device memory d = _devices[patient][device];
        return d.status == DeviceStatus.Active && d.role == role;
    }

    /// @inheritdoc IMonitoringRegistry
    function monitoringProviderOf(address patient) external view returns (address) {
        return _monitoring[patient].provider;
    }

    /// @inheritdoc IMonitoringRegistry
    function getSession(bytes32 sessionId) external view returns (Session memory) {
        SessionState memory s = _sessions[sessionId];
        return Session(s.patient, s.provider, s.openedAt, s.closedAt, s.recordCount, _diagnoses[sessionId]);
    }

    /// @inheritdoc IMonitoringRegistry
    function sessionOfRecord(bytes32 recordId) external view returns (bytes32) {
        return _sessionOfRecord[recordId];
    }

    /// @inheritdoc IMonitoringRegistry
    function sessionNonceOf(address patient) external view returns (uint64) {
        return _monitoring[patient].sessionNonce;
    }

    /// @inheritdoc IMonitoringRegistry
    function computeSessionId(address patient, address provider, uint64 nonce) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), patient, provider, nonce));
    }

    /// @inheritdoc IMonitoringRegistry
    function deviceBindingDigest(
        address patient,
        address device,
        DeviceRole role,
        uint40 deadline
    ) external view returns (bytes32) {
        return _deviceBindingDigest(patient, device, role, deadline);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The block time in seconds; virtual so tests can move it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    function _deviceBindingDigest(
        address patient,
        address device,
        DeviceRole role,
        uint40 deadline
    ) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(DEVICE_BINDING_TYPEHASH, patient, device, uint8(role), deadline)));
    }

    /// @dev A registered patient's chain head is never zero (see {RecordRegistry}).
    function _requirePatient(address patient) private view {
        if (_records.getPatient(patient).chainHead == bytes24(0)) revert MonitoringRegistryUnknownPatient(patient);
    }

    function _requireOpenSession(bytes32 sessionId) private view returns (SessionState storage s) {
        s = _sessions[sessionId];
        if (s.openedAt == 0) revert MonitoringRegistryUnknownSession(sessionId);
        uint40 closedAt = s.closedAt;
        if (closedAt != 0) revert MonitoringRegistrySessionClosed(sessionId, closedAt);
    }

    /// @dev An open session whose provider is the caller, still active and still the patient's
    /// monitoring provider.
    function _requireWritableSession(bytes32 sessionId) private view returns (SessionState storage s) {
        s = _requireOpenSession(sessionId);
        if (msg.sender != s.provider) revert MonitoringRegistryNotSessionParty(sessionId, msg.sender);
        if (!_providers.isActive(msg.sender)) revert MonitoringRegistryProviderNotActive(msg.sender);
        address patient = s.patient;
        if (_monitoring[patient].provider != msg.sender) {
            revert MonitoringRegistryNotMonitoringProvider(msg.sender, patient);
        }
    }

    /// @dev Checks that record `recordId` of `patient` was anchored by the caller (by recomputing its
    /// id with the caller as author) and is linked to no session, then links it to `sessionId`.
    function _link(bytes32 sessionId, address patient, bytes32 recordId, RecordProof calldata proof) private {
        IRecordAnchors.Record memory r = _records.getRecord(recordId);
        if (r.patient == address(0)) revert MonitoringRegistryUnknownRecord(recordId);
        if (r.patient != patient) revert MonitoringRegistryRecordOfAnotherPatient(recordId, patient);
        bytes32 computed = _records.computeRecordId(
            patient,
            proof.previousHead,
            msg.sender,
            r.category,
            r.keyEpoch,
            r.anchoredAt,
            proof.ciphertextHash,
            proof.cid
        );
        if (computed != recordId) revert MonitoringRegistryNotRecordAuthor(recordId, msg.sender);
        bytes32 linked = _sessionOfRecord[recordId];
        if (linked != bytes32(0)) revert MonitoringRegistryRecordAlreadyLinked(recordId, linked);
        _sessionOfRecord[recordId] = sessionId;
    }
}
