// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";

/**
 * @title RecordRegistry
 * @notice Reference implementation of {IRecordRegistry}.
 * @dev Storage is laid out for constant gas per operation: a patient is two slots (key; chain
 * head + key epoch), a record one slot, a grant one slot, a request one slot. The CID, the
 * ciphertext hash and wrapped keys live in event data and are bound to storage through the
 * record id and grant id. No function iterates over storage.
 */
contract RecordRegistry is IRecordRegistry {
    /// @inheritdoc IRecordRegistry
    uint32 public constant MAX_KEY_EPOCH = 16_383;

    uint256 private constant MAX_CID_BYTES = 128;
    uint256 private constant MAX_WRAPPED_KEY_BYTES = 512;

    IProviderRegistry private immutable _providers;

    mapping(address patient => Patient) private _patients;
    mapping(bytes32 recordId => Record) private _records;
    mapping(bytes32 grantId => Grant) private _grants;
    mapping(bytes32 requestId => AccessRequest) private _requests;

    /// @param providers_ The provider registry consulted for provider status.
    constructor(IProviderRegistry providers_) {
        _providers = providers_;
    }

    // ---------------------------------------------------------------- patients

    /// @inheritdoc IRecordRegistry
    function register(bytes32 encryptionKey) external {
        Patient storage p = _patients[msg.sender];
        if (p.chainHead != bytes28(0)) revert RecordRegistryAlreadyRegistered(msg.sender);
        if (encryptionKey == bytes32(0)) revert RecordRegistryInvalidEncryptionKey();
        bytes28 head = genesisHead(msg.sender);
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
        Patient storage p = _requirePatient(patient);
        if (category == Category.None) revert RecordRegistryInvalidCategory();
        if (cid.length == 0 || cid.length > MAX_CID_BYTES) revert RecordRegistryInvalidCid(cid.length);
        if (ciphertextHash == bytes32(0)) revert RecordRegistryInvalidCiphertextHash();
        bytes28 previousHead = p.chainHead;
        uint32 currentEpoch = p.keyEpoch;
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
        bytes32 grantId = grantIdOf(msg.sender, grantee, scope, target);
        Grant storage g = _grants[grantId];
        // An expired grant can still be revoked: that is how a patient rotates keys away from it.
        if (g.issuedAt == 0 || g.revokedAt != 0) revert RecordRegistryGrantNotActive(grantId);
        g.revokedAt = _time();
        Patient storage p = _patients[msg.sender];
        uint32 epoch = p.keyEpoch;
        if (scope != Scope.Record) {
            if (epoch == MAX_KEY_EPOCH) revert RecordRegistryKeyEpochExhausted(msg.sender);
            unchecked {
                epoch += 1;
            }
            p.keyEpoch = epoch;
        }
        emit GrantRevoked(msg.sender, grantee, grantId, epoch);
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
        requestId = requestIdOf(patient, msg.sender, scope, target);
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
        bytes32 requestId = requestIdOf(msg.sender, requester, scope, target);
        AccessRequest storage r = _requests[requestId];
        if (r.status != RequestStatus.Pending) revert RecordRegistryRequestNotPending(requestId, r.status);
        if (write && !r.write) revert RecordRegistryWriteNotRequested(requestId);
        delete _requests[requestId];
        grantId = _grant(msg.sender, requester, scope, target, write, expiresAt, wrappedKey);
        emit AccessRequestApproved(msg.sender, requester, requestId);
    }

    /// @inheritdoc IRecordRegistry
    function denyRequest(address requester, Scope scope, bytes32 target) external {
        bytes32 requestId = requestIdOf(msg.sender, requester, scope, target);
        AccessRequest storage r = _requests[requestId];
        if (r.status != RequestStatus.Pending) revert RecordRegistryRequestNotPending(requestId, r.status);
        delete _requests[requestId];
        emit AccessRequestDenied(msg.sender, requester, requestId);
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
        if (reader == r.patient) return true;
        if (!_providers.isActive(reader)) return false;
        return _isActive(_grants[grantIdOf(r.patient, reader, Scope.Record, recordId)])
            || _isActive(_grants[grantIdOf(r.patient, reader, Scope.Category, bytes32(uint256(r.category)))])
            || _isActive(_grants[grantIdOf(r.patient, reader, Scope.All, bytes32(0))]);
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
        return _isActive(_grants[grantIdOf(patient, grantee, scope, target)]) && _providers.isActive(grantee);
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
        return _grants[grantIdOf(patient, grantee, scope, target)];
    }

    /// @inheritdoc IRecordRegistry
    function getRequest(address patient, address requester, Scope scope, bytes32 target)
        external
        view
        returns (AccessRequest memory)
    {
        return _requests[requestIdOf(patient, requester, scope, target)];
    }

    /// @inheritdoc IRecordRegistry
    function grantIdOf(address patient, address grantee, Scope scope, bytes32 target) public pure returns (bytes32) {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    /// @inheritdoc IRecordRegistry
    function requestIdOf(address patient, address requester, Scope scope, bytes32 target)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(patient, requester, scope, target, "request"));
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

    /// @inheritdoc IRecordRegistry
    function genesisHead(address patient) public view returns (bytes28) {
        return bytes28(keccak256(abi.encode(block.chainid, address(this), patient)));
    }

    // ---------------------------------------------------------------- internal

    /// @dev The block time in seconds; virtual so tests can move it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
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
        Patient storage p = _requirePatient(patient);
        if (!_providers.isActive(grantee)) revert RecordRegistryProviderNotActive(grantee);
        _requireScope(patient, scope, target, write);
        uint40 now_ = _time();
        if (expiresAt != 0 && expiresAt <= now_) revert RecordRegistryInvalidExpiry(expiresAt, now_);
        if (wrappedKey.length == 0 || wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
            revert RecordRegistryInvalidWrappedKey(wrappedKey.length);
        }
        uint32 epoch = p.keyEpoch;
        grantId = grantIdOf(patient, grantee, scope, target);
        _grants[grantId] = Grant(now_, expiresAt, 0, epoch, write);
        emit GrantIssued(patient, grantee, grantId, scope, target, write, expiresAt, epoch, wrappedKey);
    }

    /// @dev A registered patient's chain head is never zero (genesis is a keccak digest), so the
    /// head slot, which anchoring and granting read anyway, doubles as the registration marker.
    function _requirePatient(address patient) private view returns (Patient storage p) {
        p = _patients[patient];
        if (p.chainHead == bytes28(0)) revert RecordRegistryUnknownPatient(patient);
    }

    function _requireScope(address patient, Scope scope, bytes32 target, bool write) private view {
        if (scope == Scope.Record) {
            if (write) revert RecordRegistryInvalidScope(scope, target);
            address owner = _records[target].patient;
            if (owner == address(0)) revert RecordRegistryUnknownRecord(target);
            if (owner != patient) revert RecordRegistryRecordOfAnotherPatient(target, patient);
        } else if (scope == Scope.Category) {
            uint256 c = uint256(target);
            if (c == 0 || c > uint256(type(Category).max)) revert RecordRegistryInvalidScope(scope, target);
        } else if (scope != Scope.All || target != bytes32(0)) {
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
        Grant memory g = _grants[grantIdOf(patient, author, Scope.Category, bytes32(uint256(category)))];
        if (g.write && g.keyEpoch == currentEpoch && _isActive(g)) return true;
        g = _grants[grantIdOf(patient, author, Scope.All, bytes32(0))];
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
