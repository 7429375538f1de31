// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";
import {IPeerValidation} from "./interfaces/IPeerValidation.sol";
import {PeerValidation} from "./PeerValidation.sol";

/**
 * @title RecordRegistry
 * @notice Reference implementation of {IRecordRegistry}.
 * @dev Storage is laid out for constant gas per operation: a patient is two slots (key; chain
 * head + key epoch), a record one slot, a grant one slot, a request one slot. The CID, the
 * ciphertext hash and wrapped keys live in event data and are bound to storage through the
 * record id and grant id. No function iterates over storage.
 *
 * Consent codes are EIP-712 typed data (OpenZeppelin {EIP712}, domain "Meridian RecordRegistry",
 * version "1"), checked with {SignatureChecker} (ECDSA for EOAs, ERC-1271 for smart accounts).
 * The constructor deploys the {PeerValidation} contract whose chosen validators pass {canRead}.
 *
 * Gas: with viaIR, solc dispatches a call by comparing its selector with each external function's
 * in ascending selector order (22 gas per comparison), so every getter whose selector sorts below
 * a hot function's costs each call of it 22 gas. Constants and pure id helpers are therefore not
 * getters here: {IRecordRegistry} documents their formulas and the SDK computes them.
 */
contract RecordRegistry is IRecordRegistry, EIP712 {
    /// @dev The largest key epoch, 2^30 - 1: 2^16 key generations of 2^14 epochs each, each a key
    /// regression chain, linked by a second one-way chain (docs/keys.md; SDK `MAX_KEY_EPOCH`). At this
    /// epoch {_advanceKeyEpoch} stops advancing but never reverts, so revocation always works.
    uint32 private constant MAX_KEY_EPOCH = 1_073_741_823;
    /// @dev The longest emergency access, in seconds (SDK `MAX_EMERGENCY_ACCESS_SECONDS`).
    uint40 private constant MAX_EMERGENCY_ACCESS = 24 hours;

    /// @dev EIP-712 type of {ConsentCode}; chain id and registry are the domain's.
    bytes32 private constant CONSENT_CODE_TYPEHASH = keccak256(
        "ConsentCode(address patient,address grantee,uint8 scope,bytes32 target,bool write,uint40 expiresAt,uint40 deadline,uint32 keyEpoch,uint256 nonce,bytes32 wrappedKeyHash)"
    );
    /// @dev ProviderRegistry's regulator role (OpenZeppelin AccessControl), refused emergency access.
    bytes32 private constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    uint256 private constant MAX_CID_BYTES = 128;
    /// @dev Room for the largest wrapped key the SDK makes: a KEK bundle of generation > 0 (nine KEKs
    /// and nine generation links, 576 bytes) sealed with HPKE (+48 bytes) is 624 bytes.
    uint256 private constant MAX_WRAPPED_KEY_BYTES = 640;

    IProviderRegistry private immutable _providers;

    mapping(address patient => Patient) private _patients;
    mapping(bytes32 recordId => Record) private _records;
    mapping(bytes32 grantId => Grant) private _grants;
    mapping(bytes32 requestId => AccessRequest) private _requests;
    mapping(address patient => mapping(uint256 nonce => bool)) private _consentNonces;
    mapping(address patient => mapping(address guardian => GuardianLevel)) private _guardians;
    mapping(address patient => bytes32 recordId) private _emergencySummaries;
    mapping(bytes32 accessId => EmergencyAccess) private _emergencyAccess;

    IPeerValidation private immutable _peerValidation;

    /// @param providers_ The provider registry consulted for provider status.
    constructor(IProviderRegistry providers_) EIP712("Meridian RecordRegistry", "1") {
        _providers = providers_;
        _peerValidation = new PeerValidation(providers_, this);
    }

    // ---------------------------------------------------------------- patients

    /// @inheritdoc IRecordRegistry
    function register(bytes32 encryptionKey) external {
        Patient storage p = _patients[msg.sender];
        if (p.chainHead != bytes28(0)) revert RecordRegistryAlreadyRegistered(msg.sender);
        if (encryptionKey == bytes32(0)) revert RecordRegistryInvalidEncryptionKey();
        bytes28 head = _genesisHead(msg.sender);
        p.encryptionKey = encryptionKey;
        p.chainHead = head;
        emit PatientRegistered(msg.sender, encryptionKey, head);
    }

    /// @inheritdoc IRecordRegistry
    function rotateEncryptionKey(bytes32 encryptionKey) external {
        Patient storage p = _requirePatient(msg.sender);
        if (encryptionKey == bytes32(0)) revert RecordRegistryInvalidEncryptionKey();
        p.encryptionKey = encryptionKey;
        emit PatientEncryptionKeyRotated(msg.sender, encryptionKey);
    }

    // ----------------------------------------------------------------- records

    /// @inheritdoc IRecordRegistry
    function anchorRecord(
        address patient,
        bytes calldata cid,
        bytes32 ciphertextHash,
        Category category,
        uint32 keyEpoch
    ) external returns (bytes32 recordId) {
        // The patient's head and epoch share a slot: read both at once (as {_requirePatient} checks).
        Patient storage p = _patients[patient];
        bytes28 previousHead = p.chainHead;
        uint32 currentEpoch = p.keyEpoch;
        if (previousHead == bytes28(0)) revert RecordRegistryUnknownPatient(patient);
        if (category == Category.None) revert RecordRegistryInvalidCategory();
        if (cid.length == 0 || cid.length > MAX_CID_BYTES) revert RecordRegistryInvalidCid(cid.length);
        if (ciphertextHash == bytes32(0)) revert RecordRegistryInvalidCiphertextHash();
        if (msg.sender != patient && !_canWrite(msg.sender, patient, category, currentEpoch)) {
            revert RecordRegistryWriteNotPermitted(msg.sender, patient, category);
        }
        if (keyEpoch != currentEpoch) revert RecordRegistryStaleKeyEpoch(patient, keyEpoch, currentEpoch);

        uint40 now_ = _time();
        recordId = _recordId(patient, previousHead, msg.sender, category, keyEpoch, now_, ciphertextHash, cid);
        _records[recordId] = Record(patient, category, keyEpoch, now_);
        p.chainHead = bytes28(recordId);
        emit RecordAnchored(patient, recordId, msg.sender, previousHead, category, keyEpoch, now_, ciphertextHash, cid);
    }

    // ------------------------------------------------------------------ grants

    /// @inheritdoc IRecordRegistry
    function grant(
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        return _grant(msg.sender, grantee, scope, target, write, expiresAt, wrappedKey);
    }

    /// @inheritdoc IRecordRegistry
    function revoke(address grantee, Scope scope, bytes32 target) external {
        _revoke(msg.sender, grantee, scope, target);
    }

    /// @inheritdoc IRecordRegistry
    /// @dev Named so that its selector (0xfff0e24b) sorts above every other: with viaIR the
    /// dispatcher compares selectors in ascending order, and a name below `anchorRecord` or `grant`
    /// would cost each of their calls 22 gas.
    function openKeyEpoch(address patient) external {
        if (msg.sender == patient) _requirePatient(patient);
        else _requireGuardian(patient, GuardianLevel.ShareAndView);
        emit KeyEpochAdvanced(patient, msg.sender, _advanceKeyEpoch(patient));
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IRecordRegistry
    function requestAccess(
        address patient,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 duration,
        bytes32 purpose
    ) external returns (bytes32 requestId) {
        if (!_providers.isActive(msg.sender)) revert RecordRegistryProviderNotActive(msg.sender);
        _requirePatient(patient);
        _requireScope(patient, scope, target, write);
        requestId = _requestId(patient, msg.sender, scope, target);
        AccessRequest storage r = _requests[requestId];
        if (r.status == RequestStatus.Pending) revert RecordRegistryRequestNotPending(requestId, r.status);
        _requests[requestId] = AccessRequest(RequestStatus.Pending, write, _time(), duration);
        emit AccessRequested(patient, msg.sender, requestId, scope, target, write, duration, purpose);
    }

    /// @inheritdoc IRecordRegistry
    function approveRequest(
        address requester,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        bytes32 requestId = _closeRequest(msg.sender, requester, scope, target, write);
        grantId = _grant(msg.sender, requester, scope, target, write, expiresAt, wrappedKey);
        emit AccessRequestApproved(msg.sender, requester, requestId);
    }

    /// @inheritdoc IRecordRegistry
    function denyRequest(address requester, Scope scope, bytes32 target) external {
        _deny(msg.sender, requester, scope, target);
    }

    // ----------------------------------------------------------- consent codes

    /// @inheritdoc IRecordRegistry
    function redeemConsentCode(ConsentCode calldata code, bytes calldata wrappedKey, bytes calldata signature)
        external
        returns (bytes32 grantId)
    {
        if (code.chainId != block.chainid) revert RecordRegistryConsentWrongChain(block.chainid, code.chainId);
        if (code.registry != address(this)) revert RecordRegistryConsentWrongContract(address(this), code.registry);
        if (msg.sender != code.grantee) revert RecordRegistryConsentNotForCaller(code.grantee, msg.sender);
        uint40 now_ = _time();
        if (now_ > code.deadline) revert RecordRegistryConsentExpired(code.deadline, now_);
        address patient = code.patient;
        mapping(uint256 => bool) storage used = _consentNonces[patient];
        if (used[code.nonce]) revert RecordRegistryConsentAlreadyUsed(patient, code.nonce);
        bytes32 digest = _consentDigest(code);
        if (
            keccak256(wrappedKey) != code.wrappedKeyHash
                || !SignatureChecker.isValidSignatureNowCalldata(patient, digest, signature)
        ) revert RecordRegistryInvalidConsentSignature(patient);
        used[code.nonce] = true;
        uint32 current = _patients[patient].keyEpoch;
        if (code.keyEpoch != current) revert RecordRegistryStaleKeyEpoch(patient, code.keyEpoch, current);
        grantId = _grant(patient, code.grantee, code.scope, code.target, code.write, code.expiresAt, wrappedKey);
        emit ConsentCodeRedeemed(patient, code.grantee, grantId, digest, code.nonce);
    }

    /// @inheritdoc IRecordRegistry
    function cancelConsentCode(uint256 nonce) external {
        mapping(uint256 => bool) storage used = _consentNonces[msg.sender];
        if (used[nonce]) revert RecordRegistryConsentAlreadyUsed(msg.sender, nonce);
        used[nonce] = true;
        emit ConsentCodeCancelled(msg.sender, nonce);
    }

    // --------------------------------------------------------------- guardians

    /// @inheritdoc IRecordRegistry
    function appointGuardian(address guardian, GuardianLevel level, bytes calldata wrappedKey) external {
        Patient storage p = _requirePatient(msg.sender);
        _requirePatient(guardian);
        if (level == GuardianLevel.None || guardian == msg.sender) revert RecordRegistryInvalidGuardian(guardian, level);
        _requireWrappedKey(wrappedKey);
        _guardians[msg.sender][guardian] = level;
        emit GuardianAppointed(msg.sender, guardian, level, p.keyEpoch, wrappedKey);
    }

    /// @inheritdoc IRecordRegistry
    function removeGuardian(address guardian) external {
        _removeGuardian(msg.sender, guardian, false);
    }

    /// @inheritdoc IRecordRegistry
    function stepDownAsGuardian(address patient) external {
        _removeGuardian(patient, msg.sender, true);
    }

    /// @inheritdoc IRecordRegistry
    function grantAsGuardian(
        address patient,
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        grantId = _grant(patient, grantee, scope, target, write, expiresAt, wrappedKey);
        emit GuardianActed(patient, msg.sender, this.grantAsGuardian.selector, grantId);
    }

    /// @inheritdoc IRecordRegistry
    function revokeAsGuardian(address patient, address grantee, Scope scope, bytes32 target) external {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 grantId = _revoke(patient, grantee, scope, target);
        emit GuardianActed(patient, msg.sender, this.revokeAsGuardian.selector, grantId);
    }

    /// @inheritdoc IRecordRegistry
    function approveRequestAsGuardian(
        address patient,
        address requester,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 requestId = _closeRequest(patient, requester, scope, target, write);
        grantId = _grant(patient, requester, scope, target, write, expiresAt, wrappedKey);
        emit AccessRequestApproved(patient, requester, requestId);
        emit GuardianActed(patient, msg.sender, this.approveRequestAsGuardian.selector, requestId);
    }

    /// @inheritdoc IRecordRegistry
    function denyRequestAsGuardian(address patient, address requester, Scope scope, bytes32 target) external {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 requestId = _deny(patient, requester, scope, target);
        emit GuardianActed(patient, msg.sender, this.denyRequestAsGuardian.selector, requestId);
    }

    // -------------------------------------------------------- emergency access

    /// @inheritdoc IRecordRegistry
    function setEmergencySummary(bytes32 recordId) external {
        _requirePatient(msg.sender);
        if (recordId != bytes32(0)) {
            address owner = _records[recordId].patient;
            if (owner == address(0)) revert RecordRegistryUnknownRecord(recordId);
            if (owner != msg.sender) revert RecordRegistryRecordOfAnotherPatient(recordId, msg.sender);
        }
        _emergencySummaries[msg.sender] = recordId;
        emit EmergencySummarySet(msg.sender, recordId);
    }

    /// @inheritdoc IRecordRegistry
    function openEmergencyAccess(address patient, bytes32 reason, uint40 duration) external {
        if (IAccessControl(address(_providers)).hasRole(REGULATOR_ROLE, msg.sender)) {
            revert RecordRegistryRegulatorNotAllowed(msg.sender);
        }
        if (!_providers.isActive(msg.sender)) revert RecordRegistryProviderNotActive(msg.sender);
        if (reason == bytes32(0)) revert RecordRegistryEmergencyReasonRequired();
        if (duration == 0 || duration > MAX_EMERGENCY_ACCESS) revert RecordRegistryInvalidEmergencyDuration(duration);
        _requirePatient(patient);
        bytes32 summary = _emergencySummaries[patient];
        if (summary == bytes32(0)) revert RecordRegistryNoEmergencySummary(patient);
        EmergencyAccess storage e = _emergencyAccess[_emergencyAccessId(patient, msg.sender)];
        uint40 now_ = _time();
        if (e.expiresAt > now_) revert RecordRegistryEmergencyAccessActive(patient, msg.sender, e.expiresAt);
        uint40 expiresAt = now_ + duration;
        e.openedAt = now_;
        e.expiresAt = expiresAt;
        emit EmergencyAccessOpened(patient, msg.sender, reason, summary, expiresAt);
    }

    /// @inheritdoc IRecordRegistry
    function releaseEmergencyKey(address patient, address provider, bytes calldata wrappedKey) external {
        bool byGuardian = msg.sender != patient;
        if (byGuardian) _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 accessId = _emergencyAccessId(patient, provider);
        if (_emergencyAccess[accessId].expiresAt <= _time() || !_providers.isActive(provider)) {
            revert RecordRegistryEmergencyAccessNotActive(patient, provider);
        }
        _requireWrappedKey(wrappedKey);
        bytes32 summary = _emergencySummaries[patient];
        if (summary == bytes32(0)) revert RecordRegistryNoEmergencySummary(patient);
        emit EmergencyKeyReleased(patient, provider, msg.sender, summary, wrappedKey);
        if (byGuardian) emit GuardianActed(patient, msg.sender, this.releaseEmergencyKey.selector, accessId);
    }

    /// @inheritdoc IRecordRegistry
    function closeEmergencyAccess(address patient, address provider) external {
        if (msg.sender != patient && msg.sender != provider && _guardians[patient][msg.sender] == GuardianLevel.None) {
            revert RecordRegistryEmergencyCloseNotPermitted(patient, provider, msg.sender);
        }
        EmergencyAccess storage e = _emergencyAccess[_emergencyAccessId(patient, provider)];
        uint40 now_ = _time();
        if (e.expiresAt <= now_) revert RecordRegistryEmergencyAccessNotActive(patient, provider);
        e.expiresAt = now_;
        emit EmergencyAccessClosed(patient, provider, msg.sender);
    }

    // ------------------------------------------------------------------- views

    /// @inheritdoc IRecordRegistry
    function providerRegistry() external view returns (IProviderRegistry) {
        return _providers;
    }

    /// @inheritdoc IRecordRegistry
    function canRead(address reader, bytes32 recordId) external view returns (bool) {
        Record memory r = _records[recordId];
        if (r.patient == address(0)) return false;
        if (reader == r.patient || _guardians[r.patient][reader] != GuardianLevel.None) return true;
        if (!_providers.isActive(reader)) return false;
        return _isActive(_grants[_grantId(r.patient, reader, Scope.Record, recordId)])
            || _isActive(_grants[_grantId(r.patient, reader, Scope.Category, bytes32(uint256(r.category)))])
            || _isActive(_grants[_grantId(r.patient, reader, Scope.All, bytes32(0))])
            || (
                recordId == _emergencySummaries[r.patient]
                    && _emergencyAccess[_emergencyAccessId(r.patient, reader)].expiresAt > _time()
            ) || _peerValidation.isValidator(recordId, reader);
    }

    /// @inheritdoc IRecordRegistry
    function consentNonceUsed(address patient, uint256 nonce) external view returns (bool) {
        return _consentNonces[patient][nonce];
    }

    /// @inheritdoc IRecordRegistry
    function guardianLevel(address patient, address guardian) external view returns (GuardianLevel) {
        return _guardians[patient][guardian];
    }

    /// @inheritdoc IRecordRegistry
    function emergencySummaryOf(address patient) external view returns (bytes32) {
        return _emergencySummaries[patient];
    }

    /// @inheritdoc IRecordRegistry
    function getEmergencyAccess(address patient, address provider) external view returns (EmergencyAccess memory) {
        return _emergencyAccess[_emergencyAccessId(patient, provider)];
    }

    /// @inheritdoc IRecordRegistry
    function peerValidation() external view returns (address) {
        return address(_peerValidation);
    }

    /// @inheritdoc IRecordRegistry
    function canWrite(address author, address patient, Category category) external view returns (bool) {
        Patient storage p = _patients[patient];
        if (p.chainHead == bytes28(0) || category == Category.None) return false;
        return author == patient || _canWrite(author, patient, category, p.keyEpoch);
    }

    /// @inheritdoc IRecordRegistry
    function isGrantActive(address patient, address grantee, Scope scope, bytes32 target)
        external
        view
        returns (bool)
    {
        return _isActive(_grants[_grantId(patient, grantee, scope, target)]) && _providers.isActive(grantee);
    }

    /// @inheritdoc IRecordRegistry
    function getPatient(address patient) external view returns (Patient memory) {
        return _patients[patient];
    }

    /// @inheritdoc IRecordRegistry
    function getRecord(bytes32 recordId) external view returns (Record memory) {
        return _records[recordId];
    }

    /// @inheritdoc IRecordRegistry
    function getGrant(address patient, address grantee, Scope scope, bytes32 target)
        external
        view
        returns (Grant memory)
    {
        return _grants[_grantId(patient, grantee, scope, target)];
    }

    /// @inheritdoc IRecordRegistry
    function getRequest(address patient, address requester, Scope scope, bytes32 target)
        external
        view
        returns (AccessRequest memory)
    {
        return _requests[_requestId(patient, requester, scope, target)];
    }

    /// @inheritdoc IRecordRegistry
    function computeRecordId(
        address patient,
        bytes28 previousHead,
        address author,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes calldata cid
    ) external view returns (bytes32) {
        return _recordId(patient, previousHead, author, category, keyEpoch, anchoredAt, ciphertextHash, cid);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The block time in seconds; virtual so tests can move it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    function _revoke(address patient, address grantee, Scope scope, bytes32 target) private returns (bytes32 grantId) {
        grantId = _grantId(patient, grantee, scope, target);
        Grant storage g = _grants[grantId];
        // An expired grant can still be revoked: that is how a patient rotates keys away from it.
        if (g.issuedAt == 0 || g.revokedAt != 0) revert RecordRegistryGrantNotActive(grantId);
        g.revokedAt = _time();
        uint32 epoch = scope == Scope.Record ? _patients[patient].keyEpoch : _advanceKeyEpoch(patient);
        emit GrantRevoked(patient, grantee, grantId, epoch);
    }

    /// @dev Closes `requester`'s pending request to `patient` over (`scope`, `target`), as approving
    /// and denying both do: checks it is pending (and, when `write` is to be granted, that write was
    /// asked) and clears its slot. The approve paths then issue the grant and emit themselves (one
    /// helper returning both the grant and the request id cost each approval ~40 gas).
    function _closeRequest(address patient, address requester, Scope scope, bytes32 target, bool write)
        private
        returns (bytes32 requestId)
    {
        requestId = _requestId(patient, requester, scope, target);
        AccessRequest storage r = _requests[requestId];
        if (r.status != RequestStatus.Pending) revert RecordRegistryRequestNotPending(requestId, r.status);
        if (write && !r.write) revert RecordRegistryWriteNotRequested(requestId);
        // `delete _requests[requestId]`, without hashing the mapping key again (~60 gas): the whole
        // request is one slot ({AccessRequest}), so clearing the slot clears every member.
        assembly ("memory-safe") {
            sstore(r.slot, 0)
        }
    }

    function _deny(address patient, address requester, Scope scope, bytes32 target) private returns (bytes32 requestId) {
        requestId = _closeRequest(patient, requester, scope, target, false);
        emit AccessRequestDenied(patient, requester, requestId);
    }

    function _removeGuardian(address patient, address guardian, bool byGuardian) private {
        GuardianLevel level = _guardians[patient][guardian];
        if (level == GuardianLevel.None) {
            revert RecordRegistryNotGuardian(patient, guardian, level, GuardianLevel.View);
        }
        delete _guardians[patient][guardian];
        emit GuardianRemoved(patient, guardian, byGuardian, _advanceKeyEpoch(patient));
    }

    /// @dev Advances `patient`'s key epoch (after a grantee or guardian that held KEKs leaves) and
    /// returns the new one. Never reverts, so revoking and removing always work: at {MAX_KEY_EPOCH}
    /// (reached only after 2^30 - 1 advances: about 3.8 * 10^13 gas of revocations at ~35k each) it leaves the
    /// epoch as it is; the revoked party still loses the read check at once, only later records
    /// stay under keys it may hold (docs/keys.md).
    function _advanceKeyEpoch(address patient) private returns (uint32 epoch) {
        Patient storage p = _patients[patient];
        epoch = p.keyEpoch;
        if (epoch < MAX_KEY_EPOCH) {
            unchecked {
                epoch += 1;
            }
            p.keyEpoch = epoch;
        }
    }

    function _requireGuardian(address patient, GuardianLevel required) private view {
        GuardianLevel level = _guardians[patient][msg.sender];
        if (level < required) revert RecordRegistryNotGuardian(patient, msg.sender, level, required);
    }

    function _requireWrappedKey(bytes calldata wrappedKey) private pure {
        if (wrappedKey.length == 0 || wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
            revert RecordRegistryInvalidWrappedKey(wrappedKey.length);
        }
    }

    function _consentDigest(ConsentCode calldata code) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CONSENT_CODE_TYPEHASH,
                    code.patient,
                    code.grantee,
                    code.scope,
                    code.target,
                    code.write,
                    code.expiresAt,
                    code.deadline,
                    code.keyEpoch,
                    code.nonce,
                    code.wrappedKeyHash
                )
            )
        );
    }

    /// @dev The id of a grant; see {IRecordRegistry-Grant}.
    function _grantId(address patient, address grantee, Scope scope, bytes32 target) private pure returns (bytes32) {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    /// @dev The id of an access request; see {IRecordRegistry-AccessRequest}.
    function _requestId(address patient, address requester, Scope scope, bytes32 target)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(patient, requester, scope, target, "request"));
    }

    /// @dev The chain head of `patient` before its first record; see {IRecordRegistry-Patient}.
    function _genesisHead(address patient) private view returns (bytes28) {
        return bytes28(keccak256(abi.encode(block.chainid, address(this), patient)));
    }

    function _emergencyAccessId(address patient, address provider) private pure returns (bytes32) {
        return keccak256(abi.encode(patient, provider, "emergency"));
    }

    function _grant(
        address patient,
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) private returns (bytes32 grantId) {
        // The patient's head and epoch share a slot: read both at once (as {_requirePatient} checks).
        Patient storage p = _patients[patient];
        uint32 epoch = p.keyEpoch;
        if (p.chainHead == bytes28(0)) revert RecordRegistryUnknownPatient(patient);
        if (!_providers.isActive(grantee)) revert RecordRegistryProviderNotActive(grantee);
        _requireScope(patient, scope, target, write);
        uint40 now_ = _time();
        if (expiresAt != 0 && expiresAt <= now_) revert RecordRegistryInvalidExpiry(expiresAt, now_);
        // {_requireWrappedKey}, written out: the call cost every grant ~34 gas.
        if (wrappedKey.length == 0 || wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
            revert RecordRegistryInvalidWrappedKey(wrappedKey.length);
        }
        grantId = _grantId(patient, grantee, scope, target);
        _storeGrant(_grants[grantId], now_, expiresAt, epoch, write);
        emit GrantIssued(patient, grantee, grantId, scope, target, write, expiresAt, epoch, wrappedKey);
    }

    /// @dev Stores `Grant(issuedAt, expiresAt, 0, keyEpoch, write)` in `g` with one SSTORE. The
    /// struct assignment `g = Grant(...)` writes member by member (a read and a write of the slot
    /// each): about 900 gas more on every grant with viaIR. The packing follows {Grant}'s member
    /// order (issuedAt bits 0-39, expiresAt 40-79, revokedAt 80-119, keyEpoch 120-151, write 152);
    /// testFuzz_Grant_ReissueOverwritesEveryField reads every member back through {getGrant}.
    function _storeGrant(Grant storage g, uint40 issuedAt, uint40 expiresAt, uint32 keyEpoch, bool write) private {
        uint256 packed = uint256(issuedAt) | (uint256(expiresAt) << 40) | (uint256(keyEpoch) << 120)
            | (write ? uint256(1) << 152 : 0);
        assembly ("memory-safe") {
            sstore(g.slot, packed)
        }
    }

    /// @dev A registered patient's chain head is never zero (genesis is a keccak digest), so the
    /// head slot, which anchoring and granting read anyway, doubles as the registration marker.
    function _requirePatient(address patient) private view returns (Patient storage p) {
        p = _patients[patient];
        if (p.chainHead == bytes28(0)) revert RecordRegistryUnknownPatient(patient);
    }

    function _requireScope(address patient, Scope scope, bytes32 target, bool write) private view {
        // Compared as a number: viaIR range-checks an enum again at each comparison (~28 gas each).
        uint8 s = uint8(scope);
        if (s == uint8(Scope.Record)) {
            if (write) revert RecordRegistryInvalidScope(scope, target);
            address owner = _records[target].patient;
            if (owner == address(0)) revert RecordRegistryUnknownRecord(target);
            if (owner != patient) revert RecordRegistryRecordOfAnotherPatient(target, patient);
        } else if (s == uint8(Scope.Category)) {
            uint256 c = uint256(target);
            if (c == 0 || c > uint256(type(Category).max)) revert RecordRegistryInvalidScope(scope, target);
        } else if (s != uint8(Scope.All) || target != bytes32(0)) {
            revert RecordRegistryInvalidScope(scope, target);
        }
    }

    /// @dev Write consent must be active and carry the patient's current key epoch: after a
    /// revocation, a writer holds only older KEKs (which the revoked grantee may also hold) until
    /// the patient re-issues its grant, so it may not write until then.
    function _canWrite(address author, address patient, Category category, uint32 currentEpoch)
        private
        view
        returns (bool)
    {
        if (!_providers.isActive(author)) return false;
        Grant memory g = _grants[_grantId(patient, author, Scope.Category, bytes32(uint256(category)))];
        if (g.write && g.keyEpoch == currentEpoch && _isActive(g)) return true;
        g = _grants[_grantId(patient, author, Scope.All, bytes32(0))];
        return g.write && g.keyEpoch == currentEpoch && _isActive(g);
    }

    function _isActive(Grant memory g) private view returns (bool) {
        return g.issuedAt != 0 && g.revokedAt == 0 && (g.expiresAt == 0 || g.expiresAt > _time());
    }

    function _recordId(
        address patient,
        bytes28 previousHead,
        address author,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes calldata cid
    ) private view returns (bytes32) {
        return keccak256(
            abi.encode(
                block.chainid,
                address(this),
                patient,
                previousHead,
                author,
                category,
                keyEpoch,
                anchoredAt,
                ciphertextHash,
                keccak256(cid)
            )
        );
    }
}
