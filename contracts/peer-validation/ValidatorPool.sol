// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPeerValidation} from "../interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/**
 * @title ValidatorPool
 * @notice The validator pool of {PeerValidation}: hospitals join and leave it, one account per
 * institution, and a case reads the pool as its submission left it. Part of {PeerValidation}, so
 * dispatch and storage stay one deployed contract.
 * @dev The pool is a list of positions 0 .. size - 1 with swap-and-pop removal (join and leave are
 * O(1)), plus a position per member and a member per institution. It is also versioned, so that a
 * case draws from the pool as its submission left it (issue 14, item 3: members that left and
 * rejoined after the seed was known could reorder and resize the pool and seat colluders): every
 * join and leave increments the pool version, and a position that gets a new holder keeps its
 * earlier holders as tenures (holder, version from which it held the position). A case stores the
 * version and size at submission; its draws sample positions below that size and read each
 * position's holder at that version: the current holder when it held the position since
 * (one slot, the usual case), else a binary search over the position's earlier tenures
 * (log2 of their number reads, at most 49). Nothing done after submission changes which accounts
 * a case can draw or in which order.
 *
 * The author's institution is kept per account (`_institutionOf`, written at its first submission
 * or join), not per case. {PeerValidation} lists {EIP712} before this contract, so the storage
 * layout is the one the single-file contract had.
 */
abstract contract ValidatorPool is IPeerValidation {
    /// @dev The pool's size and version (joins and leaves so far), in one slot. A case's slot 3 is
    /// the pool's state at its submission: every draw of the case samples that pool.
    struct PoolState {
        uint48 size;
        uint48 version;
    }

    /// @dev A pool position's current holder, the pool version from which it holds it, and how many
    /// earlier tenures the position keeps. Past the pool's size the holder is stale (popped) and kept
    /// for older cases.
    struct Position {
        address member;
        uint48 since;
        uint48 tenures;
    }

    /// @dev An earlier holder of a pool position, from pool version `since` on.
    struct Tenure {
        address member;
        uint48 since;
    }

    IProviderRegistry internal immutable _providers;

    PoolState internal _poolState;
    mapping(uint256 position => Position) internal _positions;
    /// @dev Earlier holders of each position, oldest first (`since` increasing).
    mapping(uint256 position => mapping(uint256 k => Tenure)) internal _tenures;
    mapping(address account => uint256 positionPlusOne) internal _poolIndex;
    mapping(bytes32 institution => address member) internal _memberOf;
    /// @dev keccak256 of the account's registered name, written when it joins the pool or submits a
    /// case and never cleared. Provider names never change (the registry admits an account once),
    /// so this is the account's institution for good.
    mapping(address account => bytes32 institution) internal _institutionOf;

    /// @notice Sets the provider registry the pool reads status, kind and name from.
    /// @param providers_ The provider registry consulted for status, kind and name.
    constructor(IProviderRegistry providers_) {
        _providers = providers_;
    }

    // -------------------------------------------------------------------- pool

    /// @inheritdoc IPeerValidation
    function joinPool() external {
        IProviderRegistry.Provider memory p = _providers.getProvider(msg.sender);
        if (p.status != IProviderRegistry.ProviderStatus.Active) revert PeerValidationProviderNotActive(msg.sender);
        if (p.kind != IProviderRegistry.ProviderKind.Hospital) revert PeerValidationNotHospital(msg.sender, p.kind);
        bytes32 institution = keccak256(bytes(p.name));
        address member = _memberOf[institution];
        if (member != address(0)) revert PeerValidationInstitutionInPool(institution, member);
        PoolState memory pool = _poolState;
        uint48 version = pool.version + 1;
        uint256 position = pool.size;
        _hold(position, msg.sender, version);
        _poolState = PoolState(pool.size + 1, version);
        _poolIndex[msg.sender] = position + 1;
        _memberOf[institution] = msg.sender;
        _institutionOf[msg.sender] = institution;
        emit PoolJoined(msg.sender, institution);
    }

    /// @inheritdoc IPeerValidation
    function leavePool() external {
        _leave(msg.sender);
    }

    /// @inheritdoc IPeerValidation
    function prune(address member) external {
        if (_poolIndex[member] == 0) revert PeerValidationNotInPool(member);
        if (_providers.isActive(member)) revert PeerValidationMemberActive(member);
        _leave(member);
    }

    // ------------------------------------------------------------------- views

    /// @inheritdoc IPeerValidation
    function poolSize() external view returns (uint256) {
        return _poolState.size;
    }

    /// @inheritdoc IPeerValidation
    function poolVersion() external view returns (uint256) {
        return _poolState.version;
    }

    /// @inheritdoc IPeerValidation
    function poolMemberAt(uint256 index) external view returns (address) {
        uint256 size = _poolState.size;
        if (index >= size) revert PeerValidationPoolIndexOutOfRange(index, size);
        return _positions[index].member;
    }

    /// @inheritdoc IPeerValidation
    function isInPool(address account) external view returns (bool) {
        return _poolIndex[account] != 0;
    }

    /// @inheritdoc IPeerValidation
    function poolMemberOf(bytes32 institution) external view returns (address) {
        return _memberOf[institution];
    }

    /// @inheritdoc IPeerValidation
    function institutionOf(address provider) external view returns (bytes32) {
        string memory name = _providers.getProvider(provider).name;
        return bytes(name).length == 0 ? bytes32(0) : keccak256(bytes(name));
    }

    // ---------------------------------------------------------------- internal

    /// @dev Swap-and-pop removal of `member` from the pool, as a new pool version: the last
    /// position's holder moves into the leaver's position (which keeps the leaver as a tenure), and
    /// the size shrinks by one (the last position keeps its stale holder for older cases).
    function _leave(address member) private {
        uint256 positionPlusOne = _poolIndex[member];
        if (positionPlusOne == 0) revert PeerValidationNotInPool(member);
        PoolState memory pool = _poolState;
        uint48 version = pool.version + 1;
        uint48 last = pool.size - 1;
        if (positionPlusOne - 1 != last) {
            address moved = _positions[last].member;
            _hold(positionPlusOne - 1, moved, version);
            _poolIndex[moved] = positionPlusOne;
        }
        _poolState = PoolState(last, version);
        delete _poolIndex[member];
        bytes32 institution = _institutionOf[member];
        delete _memberOf[institution];
        emit PoolLeft(member, institution, msg.sender);
    }

    /// @dev `member` holds pool position `position` from pool version `version` on; the position's
    /// previous holder, if any (current or stale), becomes its latest tenure.
    function _hold(uint256 position, address member, uint48 version) private {
        Position memory previous = _positions[position];
        uint48 tenures = previous.tenures;
        if (previous.member != address(0)) {
            _tenures[position][tenures] = Tenure(previous.member, previous.since);
            ++tenures;
        }
        _positions[position] = Position(member, version, tenures);
    }

    /**
     * @dev The holder of pool position `position` at pool version `version`: the latest holder
     * (current or in a tenure) from a version not after `version`. Meaningful for a position below
     * the pool's size at that version (zero when the position had no holder yet). One slot read when
     * the current holder held it at `version`; otherwise a binary search over the position's tenures
     * (at most 49 steps: they number less than 2^48).
     */
    function _holderAt(uint256 position, uint256 version) internal view returns (address) {
        Position memory current = _positions[position];
        if (current.since <= version) return current.member;
        mapping(uint256 => Tenure) storage tenures = _tenures[position];
        uint256 low;
        uint256 high = current.tenures;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (tenures[mid].since <= version) low = mid + 1;
            else high = mid;
        }
        return low == 0 ? address(0) : tenures[low - 1].member;
    }
}
