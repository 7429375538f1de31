// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";

/**
 * @title RecordRegistryBase
 * @notice The storage and the internal functions that {RecordRegistry}'s concerns share: each
 * concern ({RecordAnchors}, {RecordGrants}, {AccessRequests}, {ConsentCodes}, {Guardians},
 * {BreakGlass}) is an abstract contract over this one, and {RecordRegistry} inherits them all, so
 * dispatch and storage stay one deployed contract.
 * @dev Storage is laid out for constant gas per operation: a patient is two slots (key; chain
 * head + latest event block + key epoch), a record one slot, a grant one slot, a request one slot. The CID, the
 * ciphertext hash and wrapped keys live in event data and are bound to storage through the
 * record id and grant id. No function iterates over storage. All state is declared here, after
 * {EIP712}'s two slots, so the layout is the one the single-file contract had (`_patients` at
 * slot 2, which the Solidity tests rely on).
 */
abstract contract RecordRegistryBase is IRecordRegistry, EIP712 {
    /// @dev The largest key epoch, 2^30 - 1: 2^16 key generations of 2^14 epochs each, each a key
    /// regression chain, linked by a second one-way chain (docs/keys.md; SDK `MAX_KEY_EPOCH`). At this
    /// epoch {_advanceKeyEpoch} stops advancing but never reverts, so revocation always works.
    uint32 internal constant MAX_KEY_EPOCH = 1_073_741_823;
    /// @dev Room for the largest wrapped key the SDK makes: a KEK bundle of generation > 0 (nine KEKs
    /// and nine generation links, 576 bytes) sealed with HPKE (+48 bytes) is 624 bytes.
    uint256 internal constant MAX_WRAPPED_KEY_BYTES = 640;
    /// @dev The bits of a patient's second slot that hold {Patient-chainHead} (0-191).
    uint256 internal constant HEAD_BITS = type(uint192).max;
    /// @dev The bits of a patient's second slot that hold {Patient-latestEventBlock} (192-223).
    uint256 internal constant BLOCK_MASK = uint256(type(uint32).max) << 192;
    /// @dev The bits of a patient's second slot that hold {Patient-keyEpoch} (224-255).
    uint256 internal constant EPOCH_MASK = uint256(type(uint32).max) << 224;

    IProviderRegistry internal immutable _providers;

    mapping(address patient => Patient) internal _patients;
    mapping(bytes32 recordId => Record) internal _records;
    mapping(bytes32 grantId => Grant) internal _grants;
    mapping(bytes32 requestId => AccessRequest) internal _requests;
    mapping(address patient => mapping(uint256 nonce => bool)) internal _consentNonces;
    mapping(address patient => mapping(address guardian => GuardianLevel)) internal _guardians;
    mapping(address patient => bytes32 recordId) internal _emergencySummaries;
    mapping(bytes32 accessId => EmergencyAccess) internal _emergencyAccess;

    /// @notice Sets the EIP-712 domain ("Meridian RecordRegistry", version "1") and the provider registry.
    /// @param providers_ The provider registry consulted for provider status.
    constructor(IProviderRegistry providers_) EIP712("Meridian RecordRegistry", "1") {
        _providers = providers_;
    }

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
    ) internal returns (bytes32 grantId) {
        // The patient's head, latest event block and epoch share a slot: read it once, as a word, for
        // the check ({_requirePatient}), the epoch and the link ({_linkEvent}).
        Patient storage p = _patients[patient];
        uint256 word = _headWord(p);
        uint32 epoch = uint32(word >> 224);
        if (uint192(word) == 0) revert RecordRegistryUnknownPatient(patient);
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
        emit GrantIssued(patient, grantee, scope, target, write, expiresAt, epoch, wrappedKey, _linkEvent(p, word));
    }

    /// @dev Stores `Grant(issuedAt, expiresAt, 0, keyEpoch, write)` in `g` with one SSTORE. The
    /// struct assignment `g = Grant(...)` writes member by member (a read and a write of the slot
    /// each): about 900 gas more on every grant with viaIR. The packing follows {Grant}'s member
    /// order (issuedAt bits 0-39, expiresAt 40-79, revokedAt 80-119, keyEpoch 120-151, write 152);
    /// testFuzz_Grant_ReissueOverwritesEveryField reads every member back through {getGrant}.
    function _storeGrant(Grant storage g, uint40 issuedAt, uint40 expiresAt, uint32 keyEpoch, bool write) private {
        uint256 packed =
            uint256(issuedAt) |
                (uint256(expiresAt) << 40) |
                (uint256(keyEpoch) << 120) |
                (write ? uint256(1) << 152 : 0);
        // One SSTORE for the whole grant (see above).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(g.slot, packed)
        }
    }

    function _revoke(address patient, address grantee, Scope scope, bytes32 target) internal returns (bytes32 grantId) {
        grantId = _grantId(patient, grantee, scope, target);
        Grant storage g = _grants[grantId];
        // An expired grant can still be revoked: that is how a patient rotates keys away from it.
        if (g.issuedAt == 0 || g.revokedAt != 0) revert RecordRegistryGrantNotActive(grantId);
        g.revokedAt = _time();
        uint32 epoch = scope == Scope.Record ? _patients[patient].keyEpoch : _advanceKeyEpoch(patient);
        emit GrantRevoked(patient, grantee, grantId, epoch, _linkEvent(_patients[patient]));
    }

    /// @dev Closes `requester`'s pending request to `patient` over (`scope`, `target`), as approving
    /// and denying both do: checks it is pending (and, when `write` is to be granted, that write was
    /// asked) and clears its slot. The approve paths then issue the grant and emit themselves (one
    /// helper returning both the grant and the request id cost each approval ~40 gas).
    function _closeRequest(
        address patient,
        address requester,
        Scope scope,
        bytes32 target,
        bool write
    ) internal returns (bytes32 requestId) {
        requestId = _requestId(patient, requester, scope, target);
        AccessRequest storage r = _requests[requestId];
        if (r.status != RequestStatus.Pending) revert RecordRegistryRequestNotPending(requestId, r.status);
        if (write && !r.write) revert RecordRegistryWriteNotRequested(requestId);
        // `delete _requests[requestId]`, without hashing the mapping key again (~60 gas): the whole
        // request is one slot ({AccessRequest}), so clearing the slot clears every member.
        // Clears the slot without rehashing the key.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(r.slot, 0)
        }
    }

    function _deny(
        address patient,
        address requester,
        Scope scope,
        bytes32 target
    ) internal returns (bytes32 requestId) {
        requestId = _closeRequest(patient, requester, scope, target, false);
        emit AccessRequestDenied(patient, requester, requestId, _linkEvent(_patients[patient]));
    }

    /// @dev Advances `patient`'s key epoch (after a grantee or guardian that held KEKs leaves) and
    /// returns the new one. Never reverts, so revoking and removing always work: at {MAX_KEY_EPOCH}
    /// (reached only after 2^30 - 1 advances: about 3.8 * 10^13 gas of revocations at ~35k each) it leaves the
    /// epoch as it is; the revoked party still loses the read check at once, only later records
    /// stay under keys it may hold (docs/keys.md).
    function _advanceKeyEpoch(address patient) internal returns (uint32 epoch) {
        Patient storage p = _patients[patient];
        epoch = p.keyEpoch;
        if (epoch < MAX_KEY_EPOCH) {
            unchecked {
                ++epoch;
            }
            p.keyEpoch = epoch;
        }
    }

    /// @dev Links an event about the account of `p` into its event chain: moves the block of its
    /// latest event to this one and returns the previous one (zero when none), which the event
    /// carries as `previousEventBlock` (docs/event-reads.md). The block is stored modulo 2^32 in the
    /// slot of the chain head and key epoch, which most callers have read (and anchoring writes)
    /// anyway, so this costs one warm SSTORE (~2,900 gas), or nothing more when the slot is written.
    function _linkEvent(Patient storage p) internal returns (uint64 previous) {
        return _linkEvent(p, _headWord(p));
    }

    /// @dev {_linkEvent} with the head slot's current value `word` already read (saves a warm SLOAD).
    function _linkEvent(Patient storage p, uint256 word) internal returns (uint64 previous) {
        return _storeLinked(p, word, word & ~BLOCK_MASK);
    }

    /// @dev Writes `kept` (the head slot without its block bits) with the current block into the head
    /// slot of `p`, and returns the block that `word` (the slot before) held, resolved.
    function _storeLinked(Patient storage p, uint256 word, uint256 kept) internal returns (uint64 previous) {
        // One SSTORE of the whole word: member access (`p.latestEventBlock = ...`) masks and reads
        // the slot again. {Patient}'s members: head bits 0-191, block 192-223, epoch 224-255.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let stored := and(shr(192, word), 0xffffffff)
            let current := and(number(), 0xffffffff)
            // Modulo 2^32: exact while the previous event is less than 2^32 blocks old. Zero means
            // "none" only before registration (a registered patient has had an event: at a block
            // that is a multiple of 2^32 when zero is stored).
            if or(stored, and(word, 0xffffffffffffffffffffffffffffffffffffffffffffffff)) {
                previous := sub(number(), and(sub(current, stored), 0xffffffff))
            }
            sstore(add(p.slot, 1), or(kept, shl(192, current)))
        }
    }

    /// @dev The slot of `p` that holds its chain head, latest event block and key epoch, as one word.
    function _headWord(Patient storage p) internal view returns (uint256 word) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            word := sload(add(p.slot, 1))
        }
    }

    /// @dev The block of the latest event of the account of `p`, resolved from its 32 stored bits
    /// (zero: none; see {_storeLinked}).
    function _latestBlock(Patient storage p) internal view returns (uint256) {
        uint256 word = _headWord(p);
        uint32 stored = uint32(word >> 192);
        if (stored == 0 && word & HEAD_BITS == 0) return 0;
        unchecked {
            return block.number - uint32(uint32(block.number) - stored);
        }
    }

    function _requireGuardian(address patient, GuardianLevel required) internal view {
        GuardianLevel level = _guardians[patient][msg.sender];
        if (level < required) revert RecordRegistryNotGuardian(patient, msg.sender, level, required);
    }

    function _requireWrappedKey(bytes calldata wrappedKey) internal pure {
        if (wrappedKey.length == 0 || wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
            revert RecordRegistryInvalidWrappedKey(wrappedKey.length);
        }
    }

    /// @dev A registered patient's chain head is never zero (genesis is a keccak digest), so the
    /// head slot, which anchoring and granting read anyway, doubles as the registration marker.
    function _requirePatient(address patient) internal view returns (Patient storage p) {
        p = _patients[patient];
        if (p.chainHead == bytes24(0)) revert RecordRegistryUnknownPatient(patient);
    }

    function _requireScope(address patient, Scope scope, bytes32 target, bool write) internal view {
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
    function _canWrite(
        address author,
        address patient,
        Category category,
        uint32 currentEpoch
    ) internal view returns (bool) {
        if (!_providers.isActive(author)) return false;
        Grant memory g = _grants[_grantId(patient, author, Scope.Category, bytes32(uint256(category)))];
        if (g.write && g.keyEpoch == currentEpoch && _isActive(g)) return true;
        g = _grants[_grantId(patient, author, Scope.All, bytes32(0))];
        return g.write && g.keyEpoch == currentEpoch && _isActive(g);
    }

    function _isActive(Grant memory g) internal view returns (bool) {
        return g.issuedAt != 0 && g.revokedAt == 0 && (g.expiresAt == 0 || g.expiresAt > _time());
    }

    /// @dev The id of a grant; see {IRecordGrants-Grant}.
    function _grantId(address patient, address grantee, Scope scope, bytes32 target) internal pure returns (bytes32) {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    /// @dev The id of an access request; see {IAccessRequests-AccessRequest}.
    function _requestId(
        address patient,
        address requester,
        Scope scope,
        bytes32 target
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(patient, requester, scope, target, "request"));
    }

    function _emergencyAccessId(address patient, address provider) internal pure returns (bytes32) {
        return keccak256(abi.encode(patient, provider, "emergency"));
    }
}
