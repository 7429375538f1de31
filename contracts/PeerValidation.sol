// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IPeerValidation} from "./interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";
import {IRecordAnchors} from "./interfaces/IRecordAnchors.sol";
import {ValidatorPool} from "./peer-validation/ValidatorPool.sol";

/**
 * @title PeerValidation
 * @notice Reference implementation of {IPeerValidation}, with OpenZeppelin {EIP712} (domain
 * "Meridian PeerValidation", version "1") and {SignatureChecker} for the patient's consent.
 * @dev The record registry deploys this contract from its own constructor, so the constructor
 * only stores the two registries and never calls them.
 *
 * Storage, for constant gas per operation: a case is three slots (author and counters; patient
 * and block numbers; the pool's version and size at submission) and `VALIDATORS` seats of one slot
 * each (found by a loop over the seats rather than an index per account, which would cost a slot
 * per validator); a replaced validator one more slot. The pool and its versions are
 * {ValidatorPool}'s, inherited, so dispatch and storage stay one deployed contract.
 *
 * Loops run over a case's seats (`VALIDATORS`), over the pool positions sampled by one draw (at
 * most `MAX_DRAW_SAMPLES`) and over the binary search of one position's tenures, never over
 * providers, records or the whole pool.
 */
contract PeerValidation is IPeerValidation, EIP712, ValidatorPool {
    /// @inheritdoc IPeerValidation
    uint8 public constant VALIDATORS = 4;
    /// @notice f, the faulty validators a case tolerates (VALIDATORS = 3f + 1).
    uint8 public constant FAULTS = 1;
    /// @inheritdoc IPeerValidation
    uint8 public constant APPROVALS = 2 * FAULTS + 1;
    /// @inheritdoc IPeerValidation
    uint8 public constant REJECTIONS = VALIDATORS - APPROVALS + 1;
    /// @inheritdoc IPeerValidation
    uint40 public constant VOTE_PERIOD = 3 days;
    /// @inheritdoc IPeerValidation
    uint256 public constant MAX_DRAW_SAMPLES = 32;
    /// @notice EIP-712 type hash of `ValidationConsent(bytes32 recordId,address author,uint8 validators,uint40 deadline)`.
    bytes32 public constant VALIDATION_CONSENT_TYPEHASH = keccak256(
        "ValidationConsent(bytes32 recordId,address author,uint8 validators,uint40 deadline)"
    );

    /// @dev Largest wrapped key {shareKeys} accepts, in bytes (an HPKE-wrapped DEK is 80).
    uint256 private constant MAX_WRAPPED_KEY_BYTES = 512;

    /// @dev Slot 1 of a case: what {vote} reads and writes.
    struct CaseHead {
        address author;
        uint40 submittedAt;
        ValidationStatus status;
        uint8 approvals;
        uint8 rejections;
        uint8 vacancies;
    }

    /// @dev Slot 2 of a case.
    struct CaseTail {
        address patient;
        uint40 seedBlock;
        uint40 decidedAt;
    }

    IRecordRegistry private immutable _records;

    mapping(bytes32 recordId => CaseHead) private _heads;
    mapping(bytes32 recordId => CaseTail) private _tails;
    mapping(bytes32 recordId => PoolState) private _poolAtSubmission;
    mapping(bytes32 recordId => Seat[VALIDATORS]) private _seats;
    /// @dev Validators replaced in a case: never drawn for it again.
    mapping(bytes32 recordId => mapping(address account => bool)) private _replaced;

    /// @notice Deploys the peer-validation contract (EIP-712 domain "Meridian PeerValidation", version "1").
    /// @param providers_ The provider registry consulted for status, kind and name.
    /// @param records_ The record registry whose records are validated (not called here: it may be
    /// the registry being constructed).
    constructor(
        IProviderRegistry providers_,
        IRecordRegistry records_
    ) EIP712("Meridian PeerValidation", "1") ValidatorPool(providers_) {
        _records = records_;
    }

    // ------------------------------------------------------------------- cases

    /// @inheritdoc IPeerValidation
    function submit(
        bytes32 recordId,
        RecordProof calldata proof,
        uint40 consentDeadline,
        bytes calldata consentSignature
    ) external {
        IProviderRegistry.Provider memory author = _providers.getProvider(msg.sender);
        if (author.status != IProviderRegistry.ProviderStatus.Active)
            revert PeerValidationProviderNotActive(msg.sender);
        IRecordAnchors.Record memory r = _records.getRecord(recordId);
        address patient = r.patient;
        if (patient == address(0)) revert PeerValidationUnknownRecord(recordId);
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
        if (computed != recordId) revert PeerValidationNotAuthor(recordId, msg.sender);
        ValidationStatus status = _heads[recordId].status;
        if (status != ValidationStatus.None) revert PeerValidationAlreadySubmitted(recordId, status);
        uint40 now_ = _time();
        if (consentDeadline < now_) revert PeerValidationConsentExpired(consentDeadline, now_);
        bytes32 digest = _consentDigest(recordId, msg.sender, VALIDATORS, consentDeadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(patient, digest, consentSignature)) {
            revert PeerValidationInvalidConsent(recordId, patient);
        }
        bytes32 institution = keccak256(bytes(author.name));
        PoolState memory pool = _poolState;
        uint256 available = pool.size;
        if (_memberOf[institution] != address(0)) --available;
        if (available < VALIDATORS) revert PeerValidationPoolTooSmall(available, VALIDATORS);

        uint40 seedBlock = uint40(_blockNumber() + 1);
        _heads[recordId] = CaseHead(msg.sender, now_, ValidationStatus.Submitted, 0, 0, VALIDATORS);
        _tails[recordId] = CaseTail(patient, seedBlock, 0);
        _poolAtSubmission[recordId] = pool;
        _institutionOf[msg.sender] = institution;
        emit ValidationSubmitted(recordId, patient, msg.sender, seedBlock);
    }

    /// @inheritdoc IPeerValidation
    function draw(bytes32 recordId) external {
        CaseHead storage head = _heads[recordId];
        ValidationStatus status = head.status;
        if (status == ValidationStatus.None) revert PeerValidationUnknownCase(recordId);
        if (status != ValidationStatus.Submitted && status != ValidationStatus.Pending) {
            revert PeerValidationCaseNotOpen(recordId, status);
        }
        uint8 vacancies = head.vacancies;
        if (vacancies == 0) revert PeerValidationNothingToDraw(recordId);
        CaseTail storage tail = _tails[recordId];
        uint256 seedBlock = tail.seedBlock;
        uint256 blockNumber = _blockNumber();
        if (blockNumber <= seedBlock) revert PeerValidationSeedNotReady(recordId, seedBlock, blockNumber);
        bytes32 seed = _blockHash(seedBlock);
        if (seed == bytes32(0)) {
            // more than 256 blocks old: its hash is gone, and a hash known by now must not be used
            uint40 renewed = uint40(blockNumber + 1);
            tail.seedBlock = renewed;
            emit ValidationSeedRenewed(recordId, renewed);
            return;
        }
        _fillSeats(recordId, head.author, seed, vacancies);
        head.vacancies = 0;
        head.status = ValidationStatus.Pending;
    }

    /// @inheritdoc IPeerValidation
    function shareKeys(bytes32 recordId, address[] calldata validators, bytes[] calldata wrappedKeys) external {
        CaseHead storage head = _heads[recordId];
        ValidationStatus status = head.status;
        if (status == ValidationStatus.None) revert PeerValidationUnknownCase(recordId);
        if (head.author != msg.sender) revert PeerValidationNotCaseAuthor(recordId, msg.sender);
        if (status != ValidationStatus.Pending) revert PeerValidationCaseNotOpen(recordId, status);
        uint256 count = validators.length;
        if (wrappedKeys.length != count) revert PeerValidationLengthMismatch(count, wrappedKeys.length);
        if (count > VALIDATORS) revert PeerValidationLengthMismatch(count, VALIDATORS);
        for (uint256 i; i < count; ++i) {
            address validator = validators[i];
            (, bool seated) = _seatIndex(recordId, validator);
            if (!seated) revert PeerValidationNotValidator(recordId, validator);
            uint256 length = wrappedKeys[i].length;
            if (length == 0 || length > MAX_WRAPPED_KEY_BYTES) revert PeerValidationInvalidWrappedKey(length);
            emit ValidationKeyShared(recordId, validator, wrappedKeys[i]);
        }
    }

    /// @inheritdoc IPeerValidation
    function vote(bytes32 recordId, Vote choice, bytes32 commentHash) external {
        CaseHead storage head = _heads[recordId];
        CaseHead memory h = head;
        if (h.status == ValidationStatus.None) revert PeerValidationUnknownCase(recordId);
        if (msg.sender == h.author) revert PeerValidationAuthorCannotVote(recordId, msg.sender);
        if (h.status != ValidationStatus.Pending) revert PeerValidationCaseNotOpen(recordId, h.status);
        (uint256 index, bool seated) = _seatIndex(recordId, msg.sender);
        if (!seated) revert PeerValidationNotValidator(recordId, msg.sender);
        Seat storage seat = _seats[recordId][index];
        Vote previous = seat.vote;
        if (previous != Vote.None) revert PeerValidationAlreadyVoted(recordId, msg.sender, previous);
        uint40 now_ = _time();
        uint40 deadline = seat.deadline;
        if (now_ > deadline) revert PeerValidationDeadlinePassed(recordId, msg.sender, deadline, now_);
        if (choice == Vote.None) revert PeerValidationInvalidVote();
        if (!_providers.isActive(msg.sender)) revert PeerValidationProviderNotActive(msg.sender);

        seat.vote = choice;
        emit ValidationVoteCast(recordId, msg.sender, choice, commentHash);
        uint8 approvals = h.approvals;
        uint8 rejections = h.rejections;
        if (choice == Vote.Approve) ++approvals;
        else ++rejections;
        head.approvals = approvals;
        head.rejections = rejections;
        ValidationStatus decided =
            approvals >= APPROVALS
                ? ValidationStatus.Validated
                : rejections >= REJECTIONS
                    ? ValidationStatus.Rejected
                    : ValidationStatus.None;
        if (decided != ValidationStatus.None) {
            head.status = decided;
            _tails[recordId].decidedAt = now_;
            emit ValidationDecided(recordId, decided, approvals, rejections);
        }
    }

    /// @inheritdoc IPeerValidation
    function replace(bytes32 recordId, address validator) external {
        CaseHead storage head = _heads[recordId];
        ValidationStatus status = head.status;
        if (status == ValidationStatus.None) revert PeerValidationUnknownCase(recordId);
        if (status != ValidationStatus.Pending) revert PeerValidationCaseNotOpen(recordId, status);
        (uint256 index, bool seated) = _seatIndex(recordId, validator);
        if (!seated) revert PeerValidationNotValidator(recordId, validator);
        Seat storage seat = _seats[recordId][index];
        Vote previous = seat.vote;
        if (previous != Vote.None) revert PeerValidationAlreadyVoted(recordId, validator, previous);
        uint40 now_ = _time();
        uint40 deadline = seat.deadline;
        if (now_ <= deadline && _providers.isActive(validator)) {
            revert PeerValidationDeadlineNotPassed(recordId, validator, deadline, now_);
        }
        seat.validator = address(0);
        seat.deadline = 0;
        _replaced[recordId][validator] = true;
        ++head.vacancies;
        uint40 seedBlock = uint40(_blockNumber() + 1);
        _tails[recordId].seedBlock = seedBlock;
        emit ValidatorReplaced(recordId, validator, msg.sender, seedBlock);
    }

    // ------------------------------------------------------------------- views

    /// @inheritdoc IPeerValidation
    function providerRegistry() external view returns (IProviderRegistry) {
        return _providers;
    }

    /// @inheritdoc IPeerValidation
    function recordRegistry() external view returns (IRecordRegistry) {
        return _records;
    }

    /// @inheritdoc IPeerValidation
    function isValidator(bytes32 recordId, address account) external view returns (bool) {
        (, bool seated) = _seatIndex(recordId, account);
        return seated && _providers.isActive(account);
    }

    /// @inheritdoc IPeerValidation
    function statusOf(bytes32 recordId) external view returns (ValidationStatus) {
        return _heads[recordId].status;
    }

    /// @inheritdoc IPeerValidation
    function getCase(bytes32 recordId) external view returns (ValidationCase memory) {
        CaseHead memory h = _heads[recordId];
        CaseTail memory t = _tails[recordId];
        PoolState memory pool = _poolAtSubmission[recordId];
        return
            ValidationCase(
                h.status,
                h.author,
                t.patient,
                _institutionOf[h.author],
                h.submittedAt,
                t.decidedAt,
                t.seedBlock,
                h.approvals,
                h.rejections,
                h.vacancies,
                pool.size,
                pool.version
            );
    }

    /// @inheritdoc IPeerValidation
    function getSeats(bytes32 recordId) external view returns (Seat[] memory seats) {
        seats = new Seat[](VALIDATORS);
        Seat[VALIDATORS] storage stored = _seats[recordId];
        for (uint256 i; i < VALIDATORS; ++i) {
            seats[i] = stored[i];
        }
    }

    /// @inheritdoc IPeerValidation
    function casePoolMemberAt(bytes32 recordId, uint256 index) external view returns (address) {
        if (_heads[recordId].status == ValidationStatus.None) revert PeerValidationUnknownCase(recordId);
        PoolState memory pool = _poolAtSubmission[recordId];
        if (index >= pool.size) revert PeerValidationPoolIndexOutOfRange(index, pool.size);
        return _holderAt(index, pool.version);
    }

    /// @inheritdoc IPeerValidation
    function consentDigest(
        bytes32 recordId,
        address author,
        uint8 validators,
        uint40 deadline
    ) external view returns (bytes32) {
        return _consentDigest(recordId, author, validators, deadline);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The block time in seconds; virtual so tests can move it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    /// @dev The current block number; virtual so Solidity tests can move it.
    function _blockNumber() internal view virtual returns (uint256) {
        return block.number;
    }

    /// @dev The hash of block `number` (zero for the current block, future blocks and blocks more than
    /// 256 blocks old); virtual so Solidity tests can choose it.
    function _blockHash(uint256 number) internal view virtual returns (bytes32) {
        return blockhash(number);
    }

    function _consentDigest(
        bytes32 recordId,
        address author,
        uint8 validators,
        uint40 deadline
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(VALIDATION_CONSENT_TYPEHASH, recordId, author, validators, deadline))
            );
    }

    /// @dev The seat `account` holds in record `recordId`'s case, if any (a loop over `VALIDATORS` seats).
    /// A vacant seat (validator `address(0)`) is nobody's: otherwise `replace(recordId, address(0))`
    /// would count a vacancy no seat can take, and every later `draw` of the case would revert.
    function _seatIndex(bytes32 recordId, address account) private view returns (uint256 index, bool seated) {
        if (account == address(0)) return (0, false);
        Seat[VALIDATORS] storage seats = _seats[recordId];
        for (uint256 i; i < VALIDATORS; ++i) {
            if (seats[i].validator == account) return (i, true);
        }
    }

    /**
     * @dev Fills the `vacancies` empty seats of `recordId` with members of the pool as the case's
     * submission left it, sampled without replacement (a Fisher-Yates shuffle of the positions
     * 0 .. size at submission - 1, kept sparse in memory: only the positions it swapped) from
     * `keccak256(seed, recordId, t)` for sample t = 0, 1, ... Each sample is uniform over the
     * positions not sampled yet, so the first eligible ones are a uniform choice among the eligible
     * members. A sample is skipped when its member is of `author`'s institution or of an
     * institution seated in the case, was replaced in the case, or is not an active provider now.
     * Whether the member has left the pool since does not matter. At most `MAX_DRAW_SAMPLES`
     * samples; reverts when they do not fill every vacancy.
     */
    // One sampling loop whose shuffle state stays on the stack. Its `x[n++] = v` stores measure
    // 165 gas cheaper per draw than `x[n] = v; ++n;`, which gas-increment-by-one would have.
    // solhint-disable gas-increment-by-one
    // solhint-disable-next-line function-max-lines
    function _fillSeats(bytes32 recordId, address author, bytes32 seed, uint8 vacancies) private {
        Seat[VALIDATORS] storage seats = _seats[recordId];
        mapping(address => bool) storage replaced = _replaced[recordId];
        bytes32[] memory taken = new bytes32[](VALIDATORS + 1);
        uint8[] memory vacant = new uint8[](VALIDATORS);
        taken[0] = _institutionOf[author];
        uint256 takenCount = 1;
        uint256 vacantCount;
        for (uint256 i; i < VALIDATORS; ++i) {
            address seated = seats[i].validator;
            if (seated == address(0)) vacant[vacantCount++] = uint8(i);
            else taken[takenCount++] = _institutionOf[seated];
        }

        PoolState memory pool = _poolAtSubmission[recordId];
        uint256 n = pool.size;
        uint256 limit = n < MAX_DRAW_SAMPLES ? n : MAX_DRAW_SAMPLES;
        uint256[] memory swappedAt = new uint256[](limit);
        uint256[] memory swappedValue = new uint256[](limit);
        uint256 swaps;
        uint256 filled;
        uint40 deadline = _time() + VOTE_PERIOD;
        for (uint256 t; t < limit && filled < vacancies; ++t) {
            uint256 r = t + (uint256(keccak256(abi.encode(seed, recordId, t))) % (n - t));
            // virtual array a[i] = i except where swapped: pick a[r], then a[r] = a[t]
            uint256 picked = r;
            uint256 atT = t;
            uint256 rEntry = type(uint256).max;
            for (uint256 j; j < swaps; ++j) {
                uint256 at = swappedAt[j];
                if (at == r) (picked, rEntry) = (swappedValue[j], j);
                else if (at == t) atT = swappedValue[j];
            }
            if (r != t) {
                if (rEntry == type(uint256).max) {
                    swappedAt[swaps] = r;
                    swappedValue[swaps] = atT;
                    ++swaps;
                } else {
                    swappedValue[rEntry] = atT;
                }
            }

            // a seated member's institution is in `taken`
            address candidate = _holderAt(picked, pool.version);
            bytes32 institution = _institutionOf[candidate];
            bool clash;
            for (uint256 j; j < takenCount; ++j) {
                if (taken[j] == institution) {
                    clash = true;
                    break;
                }
            }
            if (clash || replaced[candidate] || !_providers.isActive(candidate)) continue;

            uint8 seat = vacant[filled++];
            seats[seat] = Seat(candidate, deadline, Vote.None);
            taken[takenCount++] = institution;
            emit ValidatorChosen(recordId, candidate, seat, deadline);
        }
        if (filled < vacancies) revert PeerValidationDrawFailed(recordId, filled, vacancies);
    }
    // solhint-enable gas-increment-by-one
}
