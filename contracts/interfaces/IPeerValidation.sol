// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IProviderRegistry} from "./IProviderRegistry.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";

/**
 * @title IPeerValidation
 * @notice Peer validation of diagnosis records. The provider that anchored a record submits it,
 * with its patient's EIP-712 consent, for validation; `VALIDATORS` (k = 3f + 1 = 4) validators are
 * then drawn at random from a pool of hospitals, never from the author's own institution, and
 * each gets the record's data key (wrapped with HPKE to its published X25519 key, in an event) so
 * that it can read the record. Each validator votes approve or reject with the hash of a comment
 * kept off chain. The record is `Validated` at `APPROVALS` (2f + 1 = 3) approvals and `Rejected`
 * once `REJECTIONS` (f + 1 = 2) rejections make those approvals impossible; with at most f faulty
 * (or silent) validators the outcome is therefore the honest majority's.
 *
 * Equal stake: a hospital joins the pool with one account per institution (its registered
 * provider name), so every hospital has the same chance of being drawn whatever the number of
 * accounts or departments it runs.
 *
 * Randomness: {submit} fixes a future block (the next one); {draw}, sent in any later block
 * within 256 blocks, mixes that block's hash with the record id. Whoever submits cannot know that
 * hash. Whoever builds that block can: it can try many block contents and publish the hash it
 * prefers, or withhold the block; an author who controls or pays that one block's builder can
 * choose the draw. A draw more than 256 blocks late renews the seed, a re-roll if nobody else
 * draws in time. A local development chain has no randomness at all. See docs/peer-validation.md.
 *
 * The pool a case draws from is the pool as {submit} left it: {submit} records the pool's version
 * and size, and every {draw} of the case (the first and those after a {replace}) samples the
 * members of that version in their positions then. Joining, leaving or rejoining after submission,
 * when the seed block's hash may be known, changes neither who can be drawn nor in which order.
 * Only an account's provider status is read at draw time (the regulator's act, not the member's).
 *
 * No record content is stored or logged: addresses, record ids, hashes, HPKE-wrapped keys. That
 * metadata is public: which hospitals reviewed which record, their votes and the outcome.
 * Loops are bounded by `VALIDATORS`, `MAX_DRAW_SAMPLES` and a binary search over one pool
 * position's holders (at most 49 steps); none runs over providers or records.
 */
interface IPeerValidation {
    /// @notice State of a record's validation case.
    /// `None`: never submitted. `Submitted`: consent given, waiting for {draw}. `Pending`: validators
    /// drawn and voting (a replaced validator's seat waits for the next {draw}). `Validated` and
    /// `Rejected` are final.
    enum ValidationStatus {
        None,
        Submitted,
        Pending,
        Validated,
        Rejected
    }

    /// @notice A validator's vote. `None` until it votes.
    enum Vote {
        None,
        Approve,
        Reject
    }

    /// @notice A record's validation case, as returned by {getCase}.
    struct ValidationCase {
        ValidationStatus status;
        /// @dev The provider that anchored the record and submitted it.
        address author;
        /// @dev The record's patient (who signed the consent).
        address patient;
        /// @dev keccak256 of the author's registered provider name at submission.
        bytes32 authorInstitution;
        /// @dev Unix time (seconds) of submission.
        uint40 submittedAt;
        /// @dev Unix time (seconds) of the decision; zero while undecided.
        uint40 decidedAt;
        /// @dev Block whose hash seeds the next {draw}; meaningful while `vacancies` is not zero.
        uint40 seedBlock;
        uint8 approvals;
        uint8 rejections;
        /// @dev Seats waiting for a validator (all of them before the first draw, one per replacement).
        uint8 vacancies;
        /// @dev Pool members at submission: every draw of the case samples positions 0 .. poolSize - 1.
        uint48 poolSize;
        /// @dev The pool's version at submission (joins and leaves so far, see {poolVersion}): every
        /// draw of the case reads each position's member at this version ({casePoolMemberAt}).
        uint48 poolVersion;
    }

    /// @notice One of a case's `VALIDATORS` seats, as returned by {getSeats}.
    struct Seat {
        /// @dev The seat's validator; zero while vacant.
        address validator;
        /// @dev Unix time (seconds) until which (inclusive) the validator may vote.
        uint40 deadline;
        Vote vote;
    }

    /// @notice The fields of a record's {IRecordAnchors-RecordAnchored} event that prove who anchored it
    /// (the registry's record id binds them, with the author; see {IRecordAnchors-computeRecordId}).
    struct RecordProof {
        /// @dev The record's `previousHead` (bytes24).
        bytes24 previousHead;
        /// @dev The record's `ciphertextHash`.
        bytes32 ciphertextHash;
        /// @dev The record's binary CID.
        bytes cid;
    }

    /// @notice Emitted when `provider` joins the validator pool for `institution` (keccak256 of its name).
    event PoolJoined(address indexed provider, bytes32 indexed institution);
    /// @notice Emitted when `provider` leaves the pool: by itself, or pruned by `by` because it is no
    /// longer an active provider.
    event PoolLeft(address indexed provider, bytes32 indexed institution, address indexed by);
    /// @notice Emitted when `author` submits record `recordId` of `patient`; `seedBlock` seeds the draw.
    event ValidationSubmitted(
        bytes32 indexed recordId,
        address indexed patient,
        address indexed author,
        uint40 seedBlock
    );
    /// @notice Emitted when a draw finds `seedBlock`'s hash gone (more than 256 blocks old) and fixes a new one.
    event ValidationSeedRenewed(bytes32 indexed recordId, uint40 seedBlock);
    /// @notice Emitted when `validator` is drawn into `seat` of record `recordId`'s case; it may vote
    /// until `deadline` (Unix seconds).
    event ValidatorChosen(bytes32 indexed recordId, address indexed validator, uint8 seat, uint40 deadline);
    /// @notice Emitted when the author shares the record's data key with `validator`: `wrappedKey` is
    /// the key sealed with HPKE to the validator's X25519 key current at this block.
    event ValidationKeyShared(bytes32 indexed recordId, address indexed validator, bytes wrappedKey);
    /// @notice Emitted when `validator` votes on record `recordId`; `commentHash` is the hash of a
    /// comment kept off chain (zero for none).
    event ValidationVoteCast(bytes32 indexed recordId, address indexed validator, Vote vote, bytes32 commentHash);
    /// @notice Emitted when `validator`, silent past its deadline or no longer active, is removed from
    /// its seat by `by`; `seedBlock` seeds the draw of its successor.
    event ValidatorReplaced(bytes32 indexed recordId, address indexed validator, address indexed by, uint40 seedBlock);
    /// @notice Emitted when record `recordId`'s case reaches `status` (`Validated` or `Rejected`).
    event ValidationDecided(bytes32 indexed recordId, ValidationStatus status, uint8 approvals, uint8 rejections);

    /// @notice The provider is not active (never admitted, suspended or removed).
    /// @custom:hint Ask the regulator about the provider's status.
    /// @dev `provider` is not an active provider.
    error PeerValidationProviderNotActive(address provider);
    /// @notice Only hospitals join the validator pool.
    /// @custom:hint Join from a hospital account.
    /// @dev Only hospitals join the pool; `provider` is of `kind`.
    error PeerValidationNotHospital(address provider, IProviderRegistry.ProviderKind kind);
    /// @notice Your institution is already in the validator pool through another account (one account per hospital).
    /// @custom:hint Use that account, or prune it if it is no longer active (`meridian validation prune`).
    /// @dev `institution` is already in the pool through `member` (one account per institution).
    error PeerValidationInstitutionInPool(bytes32 institution, address member);
    /// @notice This account is not in the validator pool.
    /// @custom:hint Check the address; join with `meridian validation join-pool`.
    /// @dev `account` is not in the pool.
    error PeerValidationNotInPool(address account);
    /// @notice This pool member is still an active provider; only inactive members can be pruned.
    /// @custom:hint An active hospital leaves the pool itself.
    /// @dev `member` is still an active provider: only inactive members can be pruned.
    error PeerValidationMemberActive(address member);
    /// @notice No record has this id.
    /// @custom:hint Check the record id with `meridian list`.
    /// @dev Record `recordId` is not anchored in the record registry.
    error PeerValidationUnknownRecord(bytes32 recordId);
    /// @notice This account did not anchor that record (or its anchor data does not match).
    /// @custom:hint Only the provider that wrote a diagnosis submits it for validation.
    /// @dev Record `recordId` was not anchored by `account` (or the {RecordProof} is not its own).
    error PeerValidationNotAuthor(bytes32 recordId, address account);
    /// @notice This record was already submitted for validation (a record is validated once).
    /// @custom:hint See its status with `meridian validation status`.
    /// @dev Record `recordId` was already submitted; its case is in `status`. A record is validated once.
    error PeerValidationAlreadySubmitted(bytes32 recordId, ValidationStatus status);
    /// @notice The patient's consent to validation has expired.
    /// @custom:hint Ask the patient to sign the consent again (`meridian validation consent`).
    /// @dev The patient's consent expired at `deadline` (Unix seconds); the block time is `now`.
    error PeerValidationConsentExpired(uint40 deadline, uint40 now);
    /// @notice The consent is not the patient's signature for this record and author.
    /// @custom:hint Ask the record's patient to sign the consent for you (`meridian validation consent <recordId>
    /// --author <you>`).
    /// @dev The consent signature is not `patient`'s over {ValidationConsent} for record `recordId`.
    error PeerValidationInvalidConsent(bytes32 recordId, address patient);
    /// @notice The validator pool has fewer than 4 hospitals outside your institution.
    /// @custom:hint Wait until more hospitals join the pool.
    /// @dev The pool holds `available` members outside the author's institution; a case needs `needed`.
    error PeerValidationPoolTooSmall(uint256 available, uint256 needed);
    /// @notice This record was never submitted for validation.
    /// @custom:hint The author submits it first (`meridian validation submit`).
    /// @dev No validation case exists for record `recordId`.
    error PeerValidationUnknownCase(bytes32 recordId);
    /// @notice The validation case is not in a state that allows this (not drawn yet, or already decided).
    /// @custom:hint See its status with `meridian validation status`.
    /// @dev Record `recordId`'s case is in `status`, not one this operation accepts.
    error PeerValidationCaseNotOpen(bytes32 recordId, ValidationStatus status);
    /// @notice Every validator seat of this case is filled.
    /// @custom:hint Nothing to draw; a seat frees up only when a silent validator is replaced.
    /// @dev Record `recordId`'s case has no vacant seat to draw.
    error PeerValidationNothingToDraw(bytes32 recordId);
    /// @notice The validators are drawn from a block the chain has not passed yet.
    /// @custom:hint Draw again after the next block.
    /// @dev The draw needs block `seedBlock`'s hash, which exists once the chain is past it; it is at `blockNumber`.
    error PeerValidationSeedNotReady(bytes32 recordId, uint256 seedBlock, uint256 blockNumber);
    /// @notice Too few eligible hospitals (active, outside the author's institution, not already chosen) were found in
    /// the pool.
    /// @custom:hint Wait until more hospitals join, or prune inactive members, then draw again.
    /// @dev `MAX_DRAW_SAMPLES` pool entries were sampled and only `drawn` of the `needed` validators were eligible (the
    /// others are the author's institution, inactive or already chosen).
    error PeerValidationDrawFailed(bytes32 recordId, uint256 drawn, uint256 needed);
    /// @notice Only the record's author can share its key with the validators.
    /// @custom:hint Share from the author's account.
    /// @dev `account` is not the author of record `recordId`'s case.
    error PeerValidationNotCaseAuthor(bytes32 recordId, address account);
    /// @notice The validator and key lists do not match.
    /// @custom:hint This is a client bug; report it.
    /// @dev `validators` and `wrappedKeys` have different lengths (`validators`, `wrappedKeys`), or more validators
    /// than seats were given (`validators`, `VALIDATORS`).
    error PeerValidationLengthMismatch(uint256 validators, uint256 wrappedKeys);
    /// @notice A wrapped key is empty or longer than 512 bytes.
    /// @custom:hint This is a client bug; report it.
    /// @dev A wrapped key must be 1..512 bytes; it is `length`.
    error PeerValidationInvalidWrappedKey(uint256 length);
    /// @notice This account is not a chosen validator of this record (never drawn, or replaced).
    /// @custom:hint Only the hospitals drawn for the case vote on it.
    /// @dev `account` holds no seat in record `recordId`'s case (never chosen, or replaced).
    error PeerValidationNotValidator(bytes32 recordId, address account);
    /// @notice The author of a record cannot validate it.
    /// @custom:hint The drawn hospitals vote; the author waits for their decision.
    /// @dev `author` anchored record `recordId`: an author never validates its own record.
    error PeerValidationAuthorCannotVote(bytes32 recordId, address author);
    /// @notice This validator has already voted on this record; a vote is final.
    /// @custom:hint See the case with `meridian validation status`.
    /// @dev `validator` already voted `vote` on record `recordId`.
    error PeerValidationAlreadyVoted(bytes32 recordId, address validator, Vote vote);
    /// @notice The deadline to vote on this record has passed.
    /// @custom:hint Your seat can now be given to another hospital (`meridian validation replace`).
    /// @dev `validator`'s deadline to vote on record `recordId` was `deadline`; the block time is `now`.
    error PeerValidationDeadlinePassed(bytes32 recordId, address validator, uint40 deadline, uint40 now);
    /// @notice A vote must approve or reject.
    /// @custom:hint Pass --approve or --reject.
    /// @dev A vote must be `Approve` or `Reject`.
    error PeerValidationInvalidVote();
    /// @notice There is no pool member at that position.
    /// @custom:hint Read poolSize first; positions run from 0 to poolSize - 1 and change when members leave.
    /// @dev `index` is not below the pool's size `size` (now, or at a case's submission).
    error PeerValidationPoolIndexOutOfRange(uint256 index, uint256 size);
    /// @notice This validator may still vote: its deadline has not passed and it is active.
    /// @custom:hint Replace it only after its deadline.
    /// @dev `validator` of record `recordId` is active and may still vote until `deadline`; the block time is `now`.
    error PeerValidationDeadlineNotPassed(bytes32 recordId, address validator, uint40 deadline, uint40 now);

    // ------------------------------------------------------------------ pool

    /**
     * @notice Puts the caller in the validator pool for its institution (keccak256 of its registered
     * provider name; departments of one hospital share it).
     * @dev Requirements: caller an active provider of kind `Hospital`; its institution not in the pool
     * (through the caller or another account; prune an inactive one first). Emits {PoolJoined}.
     */
    function joinPool() external;

    /**
     * @notice Takes the caller out of the pool for cases submitted from now on. Seats it already holds
     * are kept, and cases submitted while it was in the pool may still draw it (they draw from the
     * pool as it stood at their submission); it may vote there, or be replaced after its deadline.
     * @dev Requirements: caller in the pool. Emits {PoolLeft} (`by` = caller).
     */
    function leavePool() external;

    /**
     * @notice Takes `member`, no longer an active provider, out of the pool (for cases submitted from
     * now on; a draw skips it anyway while it is inactive). Anyone may call.
     * @dev Requirements: `member` in the pool and not active. Emits {PoolLeft} (`by` = caller).
     */
    function prune(address member) external;

    // ----------------------------------------------------------------- cases

    /**
     * @notice Submits record `recordId`, anchored by the caller, for peer validation, with its patient's
     * consent to share the record's key with `VALIDATORS` drawn validators. Fixes the seed block (the
     * next block) of the first {draw}.
     * @param proof The record's event fields that prove the caller anchored it; see {RecordProof}.
     * @param consentDeadline Unix time (seconds) until which (inclusive) the consent is accepted.
     * @param consentSignature The patient's signature over {ValidationConsent}`(recordId, author = caller,
     * validators = VALIDATORS, deadline = consentDeadline)` in this contract's EIP-712 domain ("Meridian
     * PeerValidation", version "1"): 65-byte ECDSA, or what its ERC-1271 check accepts.
     * @dev Requirements: caller an active provider that anchored the record; record never submitted;
     * consent not expired and valid; at least `VALIDATORS` pool members outside the caller's
     * institution. Records the pool's version and size: the case's draws sample that pool.
     * Emits {ValidationSubmitted}.
     */
    function submit(
        bytes32 recordId,
        RecordProof calldata proof,
        uint40 consentDeadline,
        bytes calldata consentSignature
    ) external;

    /**
     * @notice Fills the vacant seats of record `recordId`'s case with validators drawn at random from the
     * pool as it stood when the case was submitted (uniformly over its members, skipping the author's
     * institution, institutions already chosen for the case, validators replaced in it and accounts
     * that are not active providers now; a member that left the pool since is not skipped), from the
     * hash of the case's seed block. When that hash is gone (the seed block is more than 256 blocks
     * old), fixes a new seed block instead and returns. Anyone may call.
     * @dev Requirements: case `Submitted` or `Pending` with a vacant seat; the chain past the seed
     * block; at most `MAX_DRAW_SAMPLES` pool positions sampled to fill every seat. Each chosen validator's
     * deadline is the block time + `VOTE_PERIOD`. Emits {ValidatorChosen} per seat, or
     * {ValidationSeedRenewed}.
     */
    function draw(bytes32 recordId) external;

    /**
     * @notice Shares record `recordId`'s data key with validators of its case: `wrappedKeys[i]` is the
     * key sealed with HPKE to `validators[i]`'s current X25519 key. Nothing is stored.
     * @dev Requirements: caller the case's author; case `Pending`; as many keys as validators, at most
     * `VALIDATORS`; each `validators[i]` holds a seat; each wrapped key 1..512 bytes. Emits
     * {ValidationKeyShared} per validator.
     */
    function shareKeys(bytes32 recordId, address[] calldata validators, bytes[] calldata wrappedKeys) external;

    /**
     * @notice Votes `choice` on record `recordId`. Decides the case at `APPROVALS` approvals
     * (`Validated`) or `REJECTIONS` rejections (`Rejected`).
     * @param choice `Approve` or `Reject`.
     * @param commentHash Hash of the validator's comment, kept off chain (zero for none).
     * @dev Requirements: caller not the author; case `Pending`; caller holds a seat, has not voted, is an
     * active provider, and its deadline has not passed; `choice` not `None`. Emits {ValidationVoteCast},
     * and {ValidationDecided} when the vote decides.
     */
    function vote(bytes32 recordId, Vote choice, bytes32 commentHash) external;

    /**
     * @notice Frees `validator`'s seat in record `recordId`'s case, when it did not vote by its deadline
     * or is no longer an active provider, and fixes a new seed block; {draw} then fills the seat.
     * The replaced validator loses read access. Anyone may call.
     * @dev Requirements: case `Pending`; `validator` holds a seat and has not voted; its deadline passed
     * or it is not active. Emits {ValidatorReplaced}. The successor is drawn from the pool as it stood
     * at the case's submission, like the first validators.
     */
    function replace(bytes32 recordId, address validator) external;

    // ----------------------------------------------------------------- views

    /// @notice k, the number of validators per case (3f + 1).
    function VALIDATORS() external view returns (uint8);

    /// @notice Approvals that validate a record (2f + 1).
    function APPROVALS() external view returns (uint8);

    /// @notice Rejections that reject a record (f + 1: `APPROVALS` approvals are then impossible).
    function REJECTIONS() external view returns (uint8);

    /// @notice Seconds a drawn validator has to vote.
    function VOTE_PERIOD() external view returns (uint40);

    /// @notice Most pool entries one {draw} samples.
    function MAX_DRAW_SAMPLES() external view returns (uint256);

    /// @notice The provider registry consulted for status, kind and name.
    function providerRegistry() external view returns (IProviderRegistry);

    /// @notice The record registry whose records are validated.
    function recordRegistry() external view returns (IRecordRegistry);

    /**
     * @notice Whether `account` is a currently chosen, not-replaced validator of an open (or decided)
     * validation case of `recordId` and is an active provider. The record registry lets such an
     * account read the record (`canRead`).
     */
    function isValidator(bytes32 recordId, address account) external view returns (bool);

    /// @notice The validation status of record `recordId` (`None` when never submitted).
    function statusOf(bytes32 recordId) external view returns (ValidationStatus);

    /// @notice Record `recordId`'s case (all zero when never submitted).
    function getCase(bytes32 recordId) external view returns (ValidationCase memory);

    /// @notice The `VALIDATORS` seats of record `recordId`'s case, in seat order.
    function getSeats(bytes32 recordId) external view returns (Seat[] memory);

    /// @notice How many accounts are in the pool.
    function poolSize() external view returns (uint256);

    /// @notice The pool member at `index` (0 .. poolSize - 1; the order changes when members leave).
    /// @dev Reverts {PeerValidationPoolIndexOutOfRange} past the end.
    function poolMemberAt(uint256 index) external view returns (address);

    /// @notice The pool's version: how many joins and leaves (including prunes) there have been.
    function poolVersion() external view returns (uint256);

    /**
     * @notice The member at position `index` of the pool as record `recordId`'s case was submitted
     * (0 .. the case's `poolSize` - 1): the accounts its draws sample, in the order they sample them.
     * It may have left the pool since.
     * @dev Reverts {PeerValidationUnknownCase} for a record never submitted and
     * {PeerValidationPoolIndexOutOfRange} past the case's `poolSize`.
     */
    function casePoolMemberAt(bytes32 recordId, uint256 index) external view returns (address);

    /// @notice Whether `account` is in the pool.
    function isInPool(address account) external view returns (bool);

    /// @notice The pool member of `institution` (zero when none).
    function poolMemberOf(bytes32 institution) external view returns (address);

    /// @notice The institution of `provider`: keccak256 of its registered name (zero when not admitted).
    function institutionOf(address provider) external view returns (bytes32);

    /**
     * @notice The EIP-712 digest the patient signs: `ValidationConsent(bytes32 recordId,address author,
     * uint8 validators,uint40 deadline)` in this contract's domain.
     */
    function consentDigest(
        bytes32 recordId,
        address author,
        uint8 validators,
        uint40 deadline
    ) external view returns (bytes32);
}
