// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRecordAnchors} from "./IRecordAnchors.sol";

/**
 * @title IRecordGrants
 * @notice Grants and key epochs: part of {IRecordRegistry}.
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
 */
interface IRecordGrants is IRecordAnchors {
    /// @notice What a grant or an access request covers.
    /// `Record`: target is a record id. `Category`: target is `bytes32(uint256(category))`.
    /// `All`: target is zero.
    enum Scope {
        None,
        Record,
        Category,
        All
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

    /**
     * @notice Emitted when `patient` issues (or re-issues) a grant to `grantee`. `wrappedKey` is the
     * scope's key (DEK or KEK of `keyEpoch`) sealed to the grantee's public key with HPKE.
     */
    event GrantIssued(
        address indexed patient,
        address indexed grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        uint32 keyEpoch,
        bytes wrappedKey,
        uint64 previousEventBlock
    );
    /// @notice Emitted when a grant is revoked; `keyEpoch` is the patient's key epoch afterwards.
    event GrantRevoked(
        address indexed patient,
        address indexed grantee,
        bytes32 indexed grantId,
        uint32 keyEpoch,
        uint64 previousEventBlock
    );
    /**
     * @notice Emitted when {openKeyEpoch} advances `patient`'s key epoch to `keyEpoch`; `by` is the
     * patient or the SHARE AND VIEW guardian that called it. Records written from then on use keys
     * that no earlier keyholder holds (docs/keys.md, "Revocation and expiry").
     */
    event KeyEpochAdvanced(address indexed patient, address indexed by, uint32 keyEpoch, uint64 previousEventBlock);

    /// @notice The provider is not active (never admitted, suspended or removed).
    /// @custom:hint Ask the regulator about the provider's status.
    /// @dev `provider` is not an active provider (never admitted, suspended or removed).
    error RecordRegistryProviderNotActive(address provider);
    /// @notice The scope is not valid (or write consent was asked for a single record).
    /// @custom:hint Use a record id, a category or all; write consent only for a category or all.
    /// @dev `scope` and `target` do not form a valid scope (or write consent was asked on a record scope).
    error RecordRegistryInvalidScope(Scope scope, bytes32 target);
    /// @notice The expiry is not in the future.
    /// @custom:hint Give an expiry later than now, or none.
    /// @dev `expiresAt` is not in the future (`now` is the block time).
    error RecordRegistryInvalidExpiry(uint40 expiresAt, uint40 now);
    /// @notice The wrapped key is empty or longer than 640 bytes.
    /// @custom:hint This is a client bug; report it.
    /// @dev The wrapped key is empty or longer than 640 bytes.
    error RecordRegistryInvalidWrappedKey(uint256 length);
    /// @notice There is no active grant for this provider and scope (never issued, revoked or expired).
    /// @custom:hint See the grants issued and revoked in the patient's audit trail (`meridian audit <patient>`); check
    /// the provider, the scope (--record, --category or --all) and the expiry.
    /// @dev Grant `grantId` is not active (never issued, revoked or expired); from {revoke}: never issued or already
    /// revoked.
    error RecordRegistryGrantNotActive(bytes32 grantId);

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
     * SHARE AND VIEW guardian of `patient` (else {IGuardians-RecordRegistryNotGuardian}). At the
     * largest epoch, 2^30 - 1, the epoch stays (as for {revoke}) and the event repeats it.
     * Emits {KeyEpochAdvanced}.
     */
    function openKeyEpoch(address patient) external;

    /// @notice Whether the grant of `patient` to `grantee` over (`scope`, `target`) is active now.
    function isGrantActive(address patient, address grantee, Scope scope, bytes32 target) external view returns (bool);

    /// @notice The grant of `patient` to `grantee` over (`scope`, `target`) (all zero when never issued).
    function getGrant(
        address patient,
        address grantee,
        Scope scope,
        bytes32 target
    ) external view returns (Grant memory);
}
