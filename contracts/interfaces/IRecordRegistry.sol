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
 * removed or reordered. No record content and no key in the clear is stored or logged: only
 * addresses, hashes, CIDs, timestamps, codes and keys wrapped with HPKE (RFC 9180) to a grantee's
 * public key. That metadata is public: who is a patient, which provider wrote a record of which
 * category and when, who holds which grant until when, purpose and emergency reason codes and
 * guardians (docs/keys.md section 5 lists all of it).
 *
 * A grant lets an admitted provider read one record, one category or all of a patient's
 * records, optionally with consent to write records into that scope, until an optional
 * expiry. Every grant costs the same gas whatever it covers, present and future: the wrapped
 * key is a data key (DEK, one record) or a key-encryption key (KEK, a category or all
 * categories), never one key per record. Revoking a category or all-records grant advances
 * the patient's key epoch, so what is written afterwards uses keys the revoked provider never
 * had. Expiry and a provider's suspension or removal change no key here; the writer's client
 * advances the epoch ({openKeyEpoch}) before it seals a record under keys such a grantee holds
 * (docs/keys.md, section 4). What was already read cannot be un-read.
 *
 * Every change emits an event; together they are the patient's audit trail.
 * No function loops over patients, records or grants.
 *
 * Grant and request ids, the genesis head and the consent codes' EIP-712 digest are documented
 * formulas ({Grant}, {AccessRequest}, {Patient}, {ConsentCode}) that clients compute themselves
 * (the SDK does); only {computeRecordId}, which other contracts call, is a function.
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

    /// @notice What a guardian may do for a patient. `None` means "not a guardian".
    /// `View`: reads what the patient can read. `ShareAndView`: also grants, revokes, approves and
    /// denies requests, and releases the emergency summary's key, on the patient's behalf.
    enum GuardianLevel {
        None,
        View,
        ShareAndView
    }

    /// @notice A one-time consent code: a grant the patient signed (EIP-712 typed data
    /// `ConsentCode`, domain "Meridian RecordRegistry" version "1") for the grantee to submit, so the
    /// patient pays no gas and never uses a screen the provider controls. `chainId` and `registry`
    /// repeat the EIP-712 domain so a code for another chain or contract is refused by name.
    struct ConsentCode {
        /// @dev EIP-155 chain id the code is for.
        uint256 chainId;
        /// @dev The RecordRegistry the code is for.
        address registry;
        address patient;
        address grantee;
        Scope scope;
        bytes32 target;
        bool write;
        /// @dev Unix time (seconds) after which the grant stops working; zero for none.
        uint40 expiresAt;
        /// @dev Unix time (seconds) after which the code can no longer be submitted.
        uint40 deadline;
        /// @dev Key epoch of the wrapped key; must be the patient's current epoch when submitted.
        uint32 keyEpoch;
        /// @dev Random 256-bit number: a code works once ({consentNonceUsed}).
        uint256 nonce;
        /// @dev keccak256 of the wrapped key that travels with the code.
        bytes32 wrappedKeyHash;
    }

    /// @notice A provider's emergency ("break-glass") access to a patient's emergency summary, as
    /// returned by {getEmergencyAccess}.
    struct EmergencyAccess {
        /// @dev Unix time (seconds) the access was opened; zero when never opened.
        uint40 openedAt;
        /// @dev Unix time (seconds) the access ends (or ended, when closed early). The reason code
        /// is in {EmergencyAccessOpened}.
        uint40 expiresAt;
    }

    /// @notice A patient's entry, as returned by {getPatient}.
    struct Patient {
        /// @dev Raw X25519 public key (32 bytes).
        bytes32 encryptionKey;
        /// @dev First 28 bytes of the id of the patient's latest record, or the genesis head
        /// `bytes28(keccak256(abi.encode(block.chainid, registry, patient)))` before the first
        /// record (SDK `genesisHead`); zero means "not registered".
        bytes28 chainHead;
        /// @dev Key epoch that new records must be written under; advances on revocation, a
        /// guardian's removal and {openKeyEpoch}.
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
    /// Its id is `keccak256(abi.encode(patient, grantee, scope, target))` (SDK `grantIdOf`).
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

    /// @notice An access request, as returned by {getRequest}. Its id is
    /// `keccak256(abi.encode(patient, requester, scope, target, "request"))`.
    struct AccessRequest {
        RequestStatus status;
        bool write;
        /// @dev Unix time (seconds) of the request.
        uint40 requestedAt;
        /// @dev Requested duration of access in seconds; zero means "no end asked".
        uint40 duration;
    }

    /// @notice Emitted when `patient` registers with an X25519 public key; `chainHead` is the genesis
    /// head (see {Patient}).
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
    /**
     * @notice Emitted when {openKeyEpoch} advances `patient`'s key epoch to `keyEpoch`; `by` is the
     * patient or the SHARE AND VIEW guardian that called it. Records written from then on use keys
     * that no earlier keyholder holds (docs/keys.md, "Revocation and expiry").
     */
    event KeyEpochAdvanced(address indexed patient, address indexed by, uint32 keyEpoch);
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
    /// ({GrantIssued}, for the same patient, requester and scope; ids at {Grant} and {AccessRequest}).
    event AccessRequestApproved(address indexed patient, address indexed requester, bytes32 indexed requestId);
    /// @notice Emitted when `patient` denies a request.
    event AccessRequestDenied(address indexed patient, address indexed requester, bytes32 indexed requestId);

    /**
     * @notice Emitted when a consent code is redeemed: `consentHash` is the EIP-712 digest the
     * patient signed, `nonce` its one-time nonce. The grant itself is in the {GrantIssued} of the
     * same transaction.
     */
    event ConsentCodeRedeemed(
        address indexed patient, address indexed grantee, bytes32 indexed grantId, bytes32 consentHash, uint256 nonce
    );
    /// @notice Emitted when `patient` cancels the unused consent code with nonce `nonce`.
    event ConsentCodeCancelled(address indexed patient, uint256 nonce);
    /**
     * @notice Emitted when `patient` appoints (or re-keys) `guardian` at `level`. `wrappedKey` is the
     * bundle of the patient's category KEKs at `keyEpoch`, sealed to the guardian's key with HPKE.
     */
    event GuardianAppointed(
        address indexed patient, address indexed guardian, GuardianLevel level, uint32 keyEpoch, bytes wrappedKey
    );
    /// @notice Emitted when `guardian` stops being a guardian of `patient` (`byGuardian`: it stepped
    /// down; otherwise the patient removed it). `keyEpoch` is the patient's key epoch afterwards.
    event GuardianRemoved(address indexed patient, address indexed guardian, bool byGuardian, uint32 keyEpoch);
    /**
     * @notice Emitted when `guardian` acts for `patient`: `action` is the selector of the function
     * called ({grantAsGuardian}, {revokeAsGuardian}, {approveRequestAsGuardian},
     * {denyRequestAsGuardian}, {releaseEmergencyKey}) and `subject` the grant, request or
     * emergency-access id it acted on.
     */
    event GuardianActed(address indexed patient, address indexed guardian, bytes4 action, bytes32 indexed subject);
    /// @notice Emitted when `patient` names record `recordId` its emergency summary (an HL7 FHIR
    /// International Patient Summary); zero clears it.
    event EmergencySummarySet(address indexed patient, bytes32 recordId);
    /**
     * @notice Emitted when `provider` opens emergency access to `patient`'s emergency summary,
     * before any key is released: the first entry of the patient's and guardians' audit logs.
     */
    event EmergencyAccessOpened(
        address indexed patient, address indexed provider, bytes32 indexed reason, bytes32 recordId, uint40 expiresAt
    );
    /// @notice Emitted when the emergency summary's data key is released to `provider`, sealed to its
    /// key with HPKE, by `releasedBy` (the patient or a SHARE AND VIEW guardian).
    event EmergencyKeyReleased(
        address indexed patient, address indexed provider, address indexed releasedBy, bytes32 recordId, bytes wrappedKey
    );
    /// @notice Emitted when an emergency access is closed before its time box ends, by `closedBy`.
    event EmergencyAccessClosed(address indexed patient, address indexed provider, address indexed closedBy);

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
    /// @notice The wrapped key is empty or longer than 640 bytes.
    error RecordRegistryInvalidWrappedKey(uint256 length);
    /// @notice Grant `grantId` is not active (never issued, revoked or expired); from {revoke}: never
    /// issued or already revoked.
    error RecordRegistryGrantNotActive(bytes32 grantId);
    /// @notice Request `requestId` is not pending (its status is `status`).
    error RecordRegistryRequestNotPending(bytes32 requestId, RequestStatus status);
    /// @notice The patient tried to grant write consent on request `requestId`, which asked for read only.
    error RecordRegistryWriteNotRequested(bytes32 requestId);

    /// @notice The consent code is for chain `given`, this is chain `expected`.
    error RecordRegistryConsentWrongChain(uint256 expected, uint256 given);
    /// @notice The consent code is for registry `given`, this is `expected`.
    error RecordRegistryConsentWrongContract(address expected, address given);
    /// @notice The consent code's deadline `deadline` has passed (`now` is the block time).
    error RecordRegistryConsentExpired(uint40 deadline, uint40 now);
    /// @notice The consent code with `nonce` was already used or cancelled by `patient`.
    error RecordRegistryConsentAlreadyUsed(address patient, uint256 nonce);
    /// @notice The signature is not `patient`'s over this code and wrapped key (tampered, or signed
    /// by someone else).
    error RecordRegistryInvalidConsentSignature(address patient);
    /// @notice The consent code names `grantee`; only that account may submit it.
    error RecordRegistryConsentNotForCaller(address grantee, address caller);
    /// @notice `account` is not a guardian of `patient` at `required` level or above (it is at `level`).
    error RecordRegistryNotGuardian(address patient, address account, GuardianLevel level, GuardianLevel required);
    /// @notice The guardian level is `None`, or the patient named itself.
    error RecordRegistryInvalidGuardian(address guardian, GuardianLevel level);
    /// @notice No reason code was given for emergency access.
    error RecordRegistryEmergencyReasonRequired();
    /// @notice The duration (seconds) is zero or above 24 hours (86,400).
    error RecordRegistryInvalidEmergencyDuration(uint40 duration);
    /// @notice `patient` has named no emergency summary.
    error RecordRegistryNoEmergencySummary(address patient);
    /// @notice The regulator (`account`) may never use emergency access.
    error RecordRegistryRegulatorNotAllowed(address account);
    /// @notice `provider` already has emergency access to `patient` until `expiresAt`.
    error RecordRegistryEmergencyAccessActive(address patient, address provider, uint40 expiresAt);
    /// @notice `provider` has no open emergency access to `patient` (never opened, closed or past its time box).
    error RecordRegistryEmergencyAccessNotActive(address patient, address provider);
    /// @notice Only `patient`, its guardians or the provider itself may close this emergency access.
    error RecordRegistryEmergencyCloseNotPermitted(address patient, address provider, address caller);

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
     * @param wrappedKey The scope's key sealed to the grantee with HPKE (1..640 bytes).
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
     * Revocation never fails for lack of key epochs: at the largest epoch, 2^30 - 1 (reached only
     * after that many advances), the grant still ends at once and the epoch stays where it is.
     * @dev Requirements: the grant was issued and not revoked since (it may have expired).
     * Emits {GrantRevoked}.
     */
    function revoke(address grantee, Scope scope, bytes32 target) external;

    /**
     * @notice Advances `patient`'s key epoch without revoking anything, so that records written
     * from then on use keys that no current keyholder holds. Clients call it before writing when a
     * grantee holding the current epoch's keys can no longer read (its grant expired, or its
     * provider was suspended or removed): expiry, suspension and removal change no key on their
     * own, and enforcing them here would cost a loop over every patient who granted to a
     * suspended provider, or a third storage slot per patient read by every anchor (docs/keys.md).
     * Live category and all-records grantees and guardians then need their grants re-issued at
     * the new epoch, as after {revoke}. A SHARE AND VIEW guardian may call it for the patient; its
     * own KEK bundle stays at the old epoch (key regression runs only backwards) until the patient
     * re-keys it.
     * @dev Requirements: caller `patient` (registered; else {RecordRegistryUnknownPatient}) or a
     * SHARE AND VIEW guardian of `patient` (else {RecordRegistryNotGuardian}). At the largest epoch,
     * 2^30 - 1, the epoch stays (as for {revoke}) and the event repeats it. Emits {KeyEpochAdvanced}.
     */
    function openKeyEpoch(address patient) external;

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

    /**
     * @notice Issues the grant a patient signed as a one-time consent code (see {ConsentCode}); the
     * caller, the code's grantee, pays the gas. Records the consent with its EIP-712 digest.
     * @param code The signed fields; `wrappedKey` must hash to `code.wrappedKeyHash`.
     * @param wrappedKey The scope's key sealed to the grantee with HPKE (as for {grant}).
     * @param signature The patient's signature: 65-byte ECDSA for an EOA, or whatever the patient's
     * ERC-1271 smart account accepts.
     * @dev Checks in this order, each with its own error: chain, registry, caller is the grantee,
     * deadline, nonce unused, signature (EOA or ERC-1271); then those of {grant} and the key epoch.
     * Emits {GrantIssued} and {ConsentCodeRedeemed}.
     */
    function redeemConsentCode(ConsentCode calldata code, bytes calldata wrappedKey, bytes calldata signature)
        external
        returns (bytes32 grantId);

    /// @notice Cancels the caller's unused consent code with `nonce`, so it can never be redeemed.
    /// @dev Reverts {RecordRegistryConsentAlreadyUsed} if used or cancelled. Emits {ConsentCodeCancelled}.
    function cancelConsentCode(uint256 nonce) external;

    /**
     * @notice Appoints `guardian` at `level`, or changes its level, or re-keys it (e.g. after a key
     * epoch change). `wrappedKey` is the patient's bundle of category KEKs at the current epoch
     * sealed with HPKE to the guardian's registered key, so a guardian reads what the patient reads.
     * @dev Requirements: caller and `guardian` registered; `guardian` not the caller; `level` not
     * `None`; wrapped key 1..640 bytes. Emits {GuardianAppointed}.
     */
    function appointGuardian(address guardian, GuardianLevel level, bytes calldata wrappedKey) external;

    /// @notice Removes the caller's guardian `guardian`. Like revoking an all-records grant, it
    /// advances the caller's key epoch (unless it is already the largest, 2^30 - 1: removal still
    /// works, and later records stay under that epoch's keys). Emits {GuardianRemoved}.
    function removeGuardian(address guardian) external;

    /// @notice The caller steps down as guardian of `patient`; advances the patient's key epoch
    /// (as {removeGuardian}). Emits {GuardianRemoved}.
    function stepDownAsGuardian(address patient) external;

    /// @notice {grant}, by a SHARE AND VIEW guardian for `patient`. Emits {GrantIssued} and {GuardianActed}.
    function grantAsGuardian(
        address patient,
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId);

    /// @notice {revoke}, by a SHARE AND VIEW guardian for `patient`. Emits {GrantRevoked} and {GuardianActed}.
    function revokeAsGuardian(address patient, address grantee, Scope scope, bytes32 target) external;

    /// @notice {approveRequest}, by a SHARE AND VIEW guardian for `patient`. Emits
    /// {AccessRequestApproved}, {GrantIssued} and {GuardianActed}.
    function approveRequestAsGuardian(
        address patient,
        address requester,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId);

    /// @notice {denyRequest}, by a SHARE AND VIEW guardian for `patient`. Emits
    /// {AccessRequestDenied} and {GuardianActed}.
    function denyRequestAsGuardian(address patient, address requester, Scope scope, bytes32 target) external;

    /**
     * @notice Names the caller's record `recordId` (an HL7 FHIR International Patient Summary) as
     * the emergency summary that emergency access opens; zero clears it.
     * @dev Requirements: caller registered; a non-zero id is a record of the caller. Emits {EmergencySummarySet}.
     */
    function setEmergencySummary(bytes32 recordId) external;

    /**
     * @notice Opens time-boxed emergency ("break-glass") access to `patient`'s emergency summary,
     * when the patient cannot consent. It is on chain before any key is released: the key comes
     * afterwards from the patient or a SHARE AND VIEW guardian ({releaseEmergencyKey}).
     * @param reason A reason code (e.g. HL7 v3 ActReason "ETREAT"), never free text.
     * @param duration Seconds, 1..86,400 (24 hours; SDK `MAX_EMERGENCY_ACCESS_SECONDS`).
     * @dev Requirements: caller an active provider and not the regulator; `patient` registered with
     * an emergency summary; no open emergency access for the same pair. Emits {EmergencyAccessOpened}.
     */
    function openEmergencyAccess(address patient, bytes32 reason, uint40 duration) external;

    /**
     * @notice Releases the emergency summary's data key to `provider`, sealed to its key with HPKE,
     * while its emergency access is open.
     * Emergency access opens whatever record the patient names as summary now (see
     * {setEmergencySummary}); the key released is that record's.
     * @dev Requirements: caller `patient` or its SHARE AND VIEW guardian; access open; wrapped key
     * 1..640 bytes; a summary named (else {RecordRegistryNoEmergencySummary}). Emits
     * {EmergencyKeyReleased} (and {GuardianActed} for a guardian).
     */
    function releaseEmergencyKey(address patient, address provider, bytes calldata wrappedKey) external;

    /// @notice Ends `provider`'s emergency access to `patient` early; by the patient, a guardian or the
    /// provider. Emits {EmergencyAccessClosed}.
    function closeEmergencyAccess(address patient, address provider) external;

    /// @notice Whether `patient`'s consent code with `nonce` was redeemed or cancelled.
    function consentNonceUsed(address patient, uint256 nonce) external view returns (bool);

    /// @notice The level at which `guardian` acts for `patient` (`None` when not a guardian).
    function guardianLevel(address patient, address guardian) external view returns (GuardianLevel);

    /// @notice The record id of `patient`'s emergency summary (zero when none).
    function emergencySummaryOf(address patient) external view returns (bytes32);

    /// @notice `provider`'s latest emergency access to `patient` (all zero when never opened).
    function getEmergencyAccess(address patient, address provider) external view returns (EmergencyAccess memory);

    /// @notice The peer-validation contract this registry deployed in its constructor; its chosen
    /// validators pass {canRead} for the record they validate.
    function peerValidation() external view returns (address);

    /// @notice The provider registry this contract consults for provider status.
    function providerRegistry() external view returns (IProviderRegistry);

    /**
     * @notice Whether `reader` may read record `recordId` now, and why it may: the patient always;
     * a guardian of the patient (either level); an active provider with an active grant over the
     * record, its category or all records; an active provider with open emergency access, for the
     * patient's emergency summary only; a chosen validator of the record ({peerValidation}).
     * Nobody else, and never the regulator as such.
     */
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
}
