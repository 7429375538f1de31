// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title IRecordAnchors
 * @notice Patients and the anchors of their encrypted records: part of {IRecordRegistry}.
 *
 * A patient registers an X25519 encryption public key. A record is the CID of an encrypted
 * HL7 FHIR R4 payload on IPFS, anchored with a hash of its ciphertext, its author, a
 * category, a timestamp and a link to the patient's previous record: each patient's records
 * form a hash chain whose head is kept here, so anyone can verify that nothing was inserted,
 * removed or reordered. Gas does not depend on how many patients or records exist.
 */
interface IRecordAnchors {
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

    /// @notice A patient's entry, as returned by {getPatient}.
    struct Patient {
        /// @dev Raw X25519 public key (32 bytes).
        bytes32 encryptionKey;
        /// @dev First 24 bytes of the id of the patient's latest record, or the genesis head
        /// `bytes24(keccak256(abi.encode(block.chainid, registry, patient)))` before the first
        /// record (SDK `genesisHead`); zero means "not registered".
        bytes24 chainHead;
        /// @dev The block number of the patient's latest event, modulo 2^32 (zero: none yet); see
        /// {patientLatestBlock}. Shares the head's slot, which anchoring writes anyway (docs/event-reads.md).
        uint32 latestEventBlock;
        /// @dev Key epoch that new records must be written under; advances on revocation, a
        /// guardian's removal and {IRecordGrants-openKeyEpoch}.
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

    /// @notice Emitted when `patient` registers with an X25519 public key; `chainHead` is the genesis
    /// head (see {Patient}). `previousEventBlock`, here and in every event about a patient, is the
    /// block of the patient's event before this one (zero for none): see {patientLatestBlock}.
    event PatientRegistered(
        address indexed patient,
        bytes32 encryptionKey,
        bytes24 chainHead,
        uint64 previousEventBlock
    );
    /// @notice Emitted when `patient` rotates its X25519 public key.
    event PatientEncryptionKeyRotated(address indexed patient, bytes32 encryptionKey, uint64 previousEventBlock);
    /**
     * @notice Emitted when a record is anchored. `previousHead` links it to the patient's previous
     * record; `cid` is the IPFS CID (binary form) of the encrypted payload and `ciphertextHash` the
     * SHA-256 hash list over those bytes' 1 MiB pieces (docs/keys.md).
     */
    event RecordAnchored(
        address indexed patient,
        bytes32 indexed recordId,
        address indexed author,
        bytes24 previousHead,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes cid,
        uint64 previousEventBlock
    );

    /// @notice This account is already registered as a patient.
    /// @custom:hint Nothing to do: your registration stands, and your key is derived from your wallet again each time.
    /// @dev `patient` is already registered.
    error RecordRegistryAlreadyRegistered(address patient);
    /// @notice This patient is not registered.
    /// @custom:hint The patient must run `meridian register` first; check the address.
    /// @dev `patient` is not registered.
    error RecordRegistryUnknownPatient(address patient);
    /// @notice The encryption public key is empty.
    /// @custom:hint Derive the key from the wallet again.
    /// @dev The encryption public key is zero.
    error RecordRegistryInvalidEncryptionKey();
    /// @notice No record has this id.
    /// @custom:hint Check the record id with `meridian list`.
    /// @dev No record has id `recordId`.
    error RecordRegistryUnknownRecord(bytes32 recordId);
    /// @notice That record belongs to another patient.
    /// @custom:hint Only the record's own patient can share it.
    /// @dev Record `recordId` belongs to another patient than `patient`.
    error RecordRegistryRecordOfAnotherPatient(bytes32 recordId, address patient);
    /// @notice The record category is missing.
    /// @custom:hint Pick a category such as lab or general.
    /// @dev The category is `None`.
    error RecordRegistryInvalidCategory();
    /// @notice The CID is empty or longer than 128 bytes.
    /// @custom:hint Store the payload on IPFS first and pass its CID.
    /// @dev The CID is empty or longer than 128 bytes.
    error RecordRegistryInvalidCid(uint256 length);
    /// @notice The ciphertext hash is zero.
    /// @custom:hint Pass the ciphertext hash the store returned (`BlobStore.put`; SHA-256 hash list, docs/keys.md).
    /// @dev The ciphertext hash is zero.
    error RecordRegistryInvalidCiphertextHash();
    /// @notice The record was encrypted under an old key epoch (the patient revoked a grant since).
    /// @custom:hint Ask the patient to re-issue your grant, then encrypt again under the current epoch.
    /// @dev A record for `patient` was encrypted under `given` key epoch, but the current one is `current`.
    error RecordRegistryStaleKeyEpoch(address patient, uint32 given, uint32 current);
    /// @notice This account has no active write consent from the patient for this category.
    /// @custom:hint Request access with write consent and wait for the patient to approve.
    /// @dev `author` has no active write consent from `patient` for `category`.
    error RecordRegistryWriteNotPermitted(address author, address patient, Category category);

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

    /// @notice Whether `author` may anchor a record of `patient` in `category` now (a provider's
    /// write grant must carry the current key epoch).
    function canWrite(address author, address patient, Category category) external view returns (bool);

    /// @notice The entry of `patient` (all zero when not registered).
    function getPatient(address patient) external view returns (Patient memory);

    /// @notice The anchor of record `recordId` (all zero when unknown).
    function getRecord(bytes32 recordId) external view returns (Record memory);

    /**
     * @notice The block number of `patient`'s latest event in this registry (zero when none): the
     * start of the walk that reads a patient's events with one exact-block `eth_getLogs` per block
     * (docs/event-reads.md). Every event whose first indexed field is the patient carries the
     * block of the patient's event before it (`previousEventBlock`), so the walk goes back block by
     * block. Stored modulo 2^32 and resolved against the current block, so it is exact for events
     * less than 2^32 blocks old.
     */
    function patientLatestBlock(address patient) external view returns (uint256);

    /**
     * @notice The id a record gets: `keccak256(abi.encode(block.chainid, address(this), patient,
     * previousHead, author, category, keyEpoch, anchoredAt, ciphertextHash, keccak256(cid)))`.
     * Recomputing it from a {RecordAnchored} event and finding it with {getRecord} proves the
     * event's CID and hash are the anchored ones; `bytes24(recordId)` is the next record's
     * `previousHead`.
     */
    function computeRecordId(
        address patient,
        bytes24 previousHead,
        address author,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes calldata cid
    ) external view returns (bytes32);
}
