// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IProviderRegistry} from "./IProviderRegistry.sol";

/**
 * @title IRecordRegistry
 * @notice Patients, their encrypted medical records and who may read them.
 *
 * A patient registers an X25519 encryption public key. A record is the CID of an encrypted
 * HL7 FHIR R4 payload on IPFS, anchored with a hash of its ciphertext, its author, a
 * category, a timestamp and a link to the patient's previous record: each patient's records
 * form a hash chain whose head is kept here, so anyone can verify that nothing was inserted,
 * removed or reordered. Nothing readable is stored or logged: only addresses, hashes, CIDs,
 * timestamps and keys wrapped with HPKE (RFC 9180) to a grantee's public key.
 *
 * A grant lets an admitted provider read one record, one category or all of a patient's
 * records, optionally with consent to write records into that scope, until an optional
 * expiry. Every grant costs the same gas whatever it covers, present and future: the wrapped
 * key is a data key (DEK, one record) or a key-encryption key (KEK, a category or all
 * categories), never one key per record. Revoking a category or all-records grant advances
 * the patient's key epoch, so what is written afterwards uses keys the revoked provider never
 * had. What was already read cannot be un-read.
 *
 * Every change emits an event; together they are the patient's audit trail.
 * No function loops over patients, records or grants.
 * @dev The design documents call this contract "Main".
 */
interface IRecordRegistry {
    /// @notice Record categories; a category is what a category grant covers. `None` is never valid.
    enum Category {
        None,
        General,
        Lab,
        VitalSigns,
        Cardiac,
        Imaging,
        Document,
        Medication,
        Immunization,
        Procedure
    }

    /// @notice What a grant or an access request covers.
    /// `Record`: target is a record id. `Category`: target is `bytes32(uint256(category))`.
    /// `All`: target is zero.
    enum Scope {
        None,
        Record,
        Category,
        All
    }

    /// @notice State of an access request. A decided request's slot is cleared (back to `None`,
    /// which refunds its storage); its outcome stays in {AccessRequestApproved} or {AccessRequestDenied}.
    enum RequestStatus {
        None,
        Pending
    }

    /// @notice A patient's entry, as returned by {getPatient}.
    struct Patient {
        /// @dev Raw X25519 public key (32 bytes).
        bytes32 encryptionKey;
        /// @dev First 28 bytes of the id of the patient's latest record (or of the genesis value);
        /// zero means "not registered".
        bytes28 chainHead;
        /// @dev Key epoch that new records must be written under; advances on revocation.
        uint32 keyEpoch;
    }

    /// @notice A record's anchor, as returned by {getRecord}. The CID and ciphertext hash are in
    /// the {RecordAnchored} event and are bound to the record id (see {computeRecordId}).
    struct Record {
        address patient;
        Category category;
        uint32 keyEpoch;
        /// @dev Unix time (seconds) of anchoring.
        uint40 anchoredAt;
    }

    /// @notice A grant, as returned by {getGrant}. Active when issued, not revoked, not expired.
    struct Grant {
        /// @dev Unix time (seconds) of the latest issue; zero when never issued.
        uint40 issuedAt;
        /// @dev Unix time (seconds) after which the grant no longer works; zero means no expiry.
        uint40 expiresAt;
        /// @dev Unix time (seconds) of revocation; zero while not revoked.
        uint40 revokedAt;
        /// @dev Key epoch of the key wrapped in the latest issue.
        uint32 keyEpoch;
        /// @dev Whether the grantee may also anchor records in this scope.
        bool write;
    }

    /// @notice An access request, as returned by {getRequest}.
    struct AccessRequest {
        RequestStatus status;
        bool write;
        /// @dev Unix time (seconds) of the request.
        uint40 requestedAt;
        /// @dev Requested duration of access in seconds; zero means "no end asked".
        uint40 duration;
    }

    /// @notice Emitted when `patient` registers with an X25519 public key; `chainHead` is the genesis head.
    event PatientRegistered(address indexed patient, bytes32 encryptionKey, bytes28 chainHead);
    /// @notice Emitted when `patient` rotates its X25519 public key.
    event PatientEncryptionKeyRotated(address indexed patient, bytes32 encryptionKey);
    /**
     * @notice Emitted when a record is anchored. `previousHead` links it to the patient's previous
     * record; `cid` is the IPFS CID (binary form) of the encrypted payload and `ciphertextHash` the
     * SHA-256 hash list over those bytes' 1 MiB pieces (docs/keys.md).
     */
    event RecordAnchored(
        address indexed patient,
        bytes32 indexed recordId,
        address indexed author,
        bytes28 previousHead,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes cid
    );
    /**
     * @notice Emitted when `patient` issues (or re-issues) a grant to `grantee`. `wrappedKey` is the
     * scope's key (DEK or KEK of `keyEpoch`) sealed to the grantee's public key with HPKE.
     */
    event GrantIssued(
        address indexed patient,
        address indexed grantee,
        bytes32 indexed grantId,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        uint32 keyEpoch,
        bytes wrappedKey
    );
    /// @notice Emitted when a grant is revoked; `keyEpoch` is the patient's key epoch afterwards.
    event GrantRevoked(address indexed patient, address indexed grantee, bytes32 indexed grantId, uint32 keyEpoch);
    /// @notice Emitted when `requester` asks `patient` for access; `purpose` is a purpose-of-use code
    /// (e.g. the HL7 v3 ActReason "TREAT"), never free text about the patient.
    event AccessRequested(
        address indexed patient,
        address indexed requester,
        bytes32 indexed requestId,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 duration,
        bytes32 purpose
    );
    /// @notice Emitted when `patient` approves a request; the grant is issued in the same transaction
    /// ({GrantIssued}, whose id is {grantIdOf} the same patient, requester and scope).
    event AccessRequestApproved(address indexed patient, address indexed requester, bytes32 indexed requestId);
    /// @notice Emitted when `patient` denies a request.
    event AccessRequestDenied(address indexed patient, address indexed requester, bytes32 indexed requestId);

    /// @notice `patient` is already registered.
    error RecordRegistryAlreadyRegistered(address patient);
    /// @notice `patient` is not registered.
    error RecordRegistryUnknownPatient(address patient);
    /// @notice The encryption public key is zero.
    error RecordRegistryInvalidEncryptionKey();
    /// @notice No record has id `recordId`.
    error RecordRegistryUnknownRecord(bytes32 recordId);
    /// @notice Record `recordId` belongs to another patient than `patient`.
    error RecordRegistryRecordOfAnotherPatient(bytes32 recordId, address patient);
    /// @notice The category is `None`.
    error RecordRegistryInvalidCategory();
    /// @notice The CID is empty or longer than 128 bytes.
    error RecordRegistryInvalidCid(uint256 length);
    /// @notice The ciphertext hash is zero.
    error RecordRegistryInvalidCiphertextHash();
    /// @notice A record for `patient` was encrypted under `given` key epoch, but the current one is `current`.
    error RecordRegistryStaleKeyEpoch(address patient, uint32 given, uint32 current);
    /// @notice `author` has no active write consent from `patient` for `category`.
    error RecordRegistryWriteNotPermitted(address author, address patient, Category category);
    /// @notice `provider` is not an active provider (never admitted, suspended or removed).
    error RecordRegistryProviderNotActive(address provider);
    /// @notice `scope` and `target` do not form a valid scope (or write consent was asked on a record scope).
    error RecordRegistryInvalidScope(Scope scope, bytes32 target);
    /// @notice `expiresAt` is not in the future (`now` is the block time).
    error RecordRegistryInvalidExpiry(uint40 expiresAt, uint40 now);
    /// @notice The wrapped key is empty or longer than 512 bytes.
    error RecordRegistryInvalidWrappedKey(uint256 length);
    /// @notice Grant `grantId` is not active (never issued, revoked or expired); from {revoke}: never
    /// issued or already revoked.
    error RecordRegistryGrantNotActive(bytes32 grantId);
    /// @notice Request `requestId` is not pending (its status is `status`).
    error RecordRegistryRequestNotPending(bytes32 requestId, RequestStatus status);
    /// @notice The patient tried to grant write consent on request `requestId`, which asked for read only.
    error RecordRegistryWriteNotRequested(bytes32 requestId);
    /// @notice The patient's key epoch reached its maximum; see {MAX_KEY_EPOCH}.
    error RecordRegistryKeyEpochExhausted(address patient);

    /**
     * @notice Registers the caller as a patient with an X25519 public key (raw 32 bytes), derived
     * in the patient's wallet (see docs/keys.md).
     * @dev Requirements: caller not registered; key non-zero. Emits {PatientRegistered}.
     */
    function register(bytes32 encryptionKey) external;

    /**
     * @notice Rotates the caller's X25519 public key. Keys already wrapped to the old key stay
     * readable only with the old private key.
     * @dev Requirements: caller registered; key non-zero. Emits {PatientEncryptionKeyRotated}.
     */
    function rotateEncryptionKey(bytes32 encryptionKey) external;

    /**
     * @notice Anchors an encrypted record of `patient`: `cid` (binary CID, 1..128 bytes) names the
     * ciphertext on IPFS and `ciphertextHash` its SHA-256 hash list (docs/keys.md). The record joins the patient's hash
     * chain. Gas does not depend on how many records exist.
     * @dev Requirements: `patient` registered; caller is `patient`, or an active provider with an
     * active write grant covering `category` (category or all scope) issued at the patient's
     * current key epoch (re-issued after any revocation); `category` not `None`;
     * `keyEpoch` equals the patient's current key epoch; CID and hash valid.
     * Emits {RecordAnchored}.
     * @return recordId See {computeRecordId}.
     */
    function anchorRecord(
        address patient,
        bytes calldata cid,
        bytes32 ciphertextHash,
        Category category,
        uint32 keyEpoch
    ) external returns (bytes32 recordId);

    /**
     * @notice Issues (or re-issues, e.g. with a new epoch's key or expiry) a grant from the caller
     * to `grantee`. Gas is the same whatever the scope covers.
     * @param scope `Record`, `Category` or `All`; `target` as described at {Scope}.
     * @param write Consent to anchor records in this scope (not allowed for `Record`).
     * @param expiresAt Unix time (seconds) after which the grant stops working; zero for none.
     * @param wrappedKey The scope's key sealed to the grantee with HPKE (1..512 bytes).
     * @dev Requirements: caller registered; `grantee` an active provider; a `Record` target is a
     * record of the caller; `expiresAt` zero or in the future. Emits {GrantIssued}.
     */
    function grant(
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId);

    /**
     * @notice Revokes the caller's grant to `grantee` over (`scope`, `target`). Revoking a
     * `Category` or `All` grant advances the caller's key epoch: later records use new keys. An
     * expired grant can be revoked too, to rotate keys away from its grantee (expiry alone does not).
     * @dev Requirements: the grant was issued and not revoked since (it may have expired).
     * Emits {GrantRevoked}.
     */
    function revoke(address grantee, Scope scope, bytes32 target) external;

    /**
     * @notice Asks `patient` for access to (`scope`, `target`), optionally with write consent, for
     * `duration` seconds (zero: no end asked), for purpose-of-use code `purpose`. A new request
     * replaces a closed one for the same scope.
     * @dev Requirements: caller an active provider; `patient` registered; valid scope; no pending
     * request for the same scope. Emits {AccessRequested}.
     */
    function requestAccess(
        address patient,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 duration,
        bytes32 purpose
    ) external returns (bytes32 requestId);

    /**
     * @notice Approves the pending request of `requester` for (`scope`, `target`) and issues the
     * grant, with the expiry and write consent the patient chooses (write only if it was asked).
     * @dev Requirements: request pending; those of {grant}. Emits {AccessRequestApproved} and {GrantIssued}.
     */
    function approveRequest(
        address requester,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId);

    /**
     * @notice Denies the pending request of `requester` for (`scope`, `target`).
     * @dev Requirements: request pending. Emits {AccessRequestDenied}.
     */
    function denyRequest(address requester, Scope scope, bytes32 target) external;

    /// @notice The largest key epoch (16383): keys are derived by key regression over at most this
    /// many epochs (see docs/keys.md), so a patient can revoke category or all-records grants
    /// this many times.
    function MAX_KEY_EPOCH() external view returns (uint32);

    /// @notice The provider registry this contract consults for provider status.
    function providerRegistry() external view returns (IProviderRegistry);

    /// @notice Whether `reader` may read record `recordId` now: the patient always; an active
    /// provider with an active grant over the record, its category or all records.
    function canRead(address reader, bytes32 recordId) external view returns (bool);

    /// @notice Whether `author` may anchor a record of `patient` in `category` now (a provider's
    /// write grant must carry the current key epoch).
    function canWrite(address author, address patient, Category category) external view returns (bool);

    /// @notice Whether the grant of `patient` to `grantee` over (`scope`, `target`) is active now.
    function isGrantActive(address patient, address grantee, Scope scope, bytes32 target)
        external
        view
        returns (bool);

    /// @notice The entry of `patient` (all zero when not registered).
    function getPatient(address patient) external view returns (Patient memory);

    /// @notice The anchor of record `recordId` (all zero when unknown).
    function getRecord(bytes32 recordId) external view returns (Record memory);

    /// @notice The grant of `patient` to `grantee` over (`scope`, `target`) (all zero when never issued).
    function getGrant(address patient, address grantee, Scope scope, bytes32 target)
        external
        view
        returns (Grant memory);

    /// @notice The request of `requester` to `patient` over (`scope`, `target`).
    function getRequest(address patient, address requester, Scope scope, bytes32 target)
        external
        view
        returns (AccessRequest memory);

    /// @notice The id of the grant of `patient` to `grantee` over (`scope`, `target`):
    /// `keccak256(abi.encode(patient, grantee, scope, target))`.
    function grantIdOf(address patient, address grantee, Scope scope, bytes32 target)
        external
        pure
        returns (bytes32);

    /// @notice The id of the request of `requester` to `patient` over (`scope`, `target`):
    /// `keccak256(abi.encode(patient, requester, scope, target, "request"))`.
    function requestIdOf(address patient, address requester, Scope scope, bytes32 target)
        external
        pure
        returns (bytes32);

    /**
     * @notice The id a record gets: `keccak256(abi.encode(block.chainid, address(this), patient,
     * previousHead, author, category, keyEpoch, anchoredAt, ciphertextHash, keccak256(cid)))`.
     * Recomputing it from a {RecordAnchored} event and finding it with {getRecord} proves the
     * event's CID and hash are the anchored ones; `bytes28(recordId)` is the next record's
     * `previousHead`.
     */
    function computeRecordId(
        address patient,
        bytes28 previousHead,
        address author,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes calldata cid
    ) external view returns (bytes32);

    /// @notice The genesis chain head of `patient`: `bytes28(keccak256(abi.encode(block.chainid, address(this), patient)))`.
    function genesisHead(address patient) external view returns (bytes28);
}
