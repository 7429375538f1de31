// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRecordGrants} from "./IRecordGrants.sol";

/**
 * @title IConsentCodes
 * @notice One-time consent codes: grants a patient signs off chain (EIP-712) for the grantee to
 * submit, so the patient pays no gas: part of {IRecordRegistry}.
 */
interface IConsentCodes is IRecordGrants {
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

    /**
     * @notice Emitted when a consent code is redeemed: `consentHash` is the EIP-712 digest the
     * patient signed, `nonce` its one-time nonce. The grant itself is in the {GrantIssued} of the
     * same transaction, whose `previousEventBlock` links this event too.
     */
    event ConsentCodeRedeemed(
        address indexed patient,
        address indexed grantee,
        bytes32 indexed grantId,
        bytes32 consentHash,
        uint256 nonce
    );
    /// @notice Emitted when `patient` cancels the unused consent code with nonce `nonce`.
    event ConsentCodeCancelled(address indexed patient, uint256 nonce, uint64 previousEventBlock);

    /// @notice This consent code was made for another network.
    /// @custom:hint Ask the patient for a new code made on this network (`meridian consent create <provider>`).
    /// @dev The consent code is for chain `given`, this is chain `expected`.
    error RecordRegistryConsentWrongChain(uint256 expected, uint256 given);
    /// @notice This consent code was made for another Meridian deployment (another record registry).
    /// @custom:hint Ask the patient for a new code made against this deployment (`meridian consent create <provider>`).
    /// @dev The consent code is for registry `given`, this is `expected`.
    error RecordRegistryConsentWrongContract(address expected, address given);
    /// @notice This consent code's deadline has passed; it can no longer be redeemed.
    /// @custom:hint Ask the patient for a new code (`meridian consent create <provider>`) and redeem it before its
    /// deadline.
    /// @dev The consent code's deadline `deadline` has passed (`now` is the block time).
    error RecordRegistryConsentExpired(uint40 deadline, uint40 now);
    /// @notice This consent code was already redeemed or cancelled; a code works once.
    /// @custom:hint If you redeemed it, the grant stands (see `meridian audit <patient>`); otherwise ask the patient
    /// for a new code.
    /// @dev The consent code with `nonce` was already used or cancelled by `patient`.
    error RecordRegistryConsentAlreadyUsed(address patient, uint256 nonce);
    /// @notice The consent code is not signed by the patient as it stands (it was altered, its key does not match, or
    /// someone else signed it).
    /// @custom:hint Redeem the code exactly as the patient gave it, or ask the patient for a new one.
    /// @dev The signature is not `patient`'s over this code and wrapped key (tampered, or signed by someone else).
    error RecordRegistryInvalidConsentSignature(address patient);
    /// @notice This consent code names another provider; only that provider can redeem it.
    /// @custom:hint Redeem it from the provider account the code names (`meridian consent redeem <code>`).
    /// @dev The consent code names `grantee`; only that account may submit it.
    error RecordRegistryConsentNotForCaller(address grantee, address caller);

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
    function redeemConsentCode(
        ConsentCode calldata code,
        bytes calldata wrappedKey,
        bytes calldata signature
    ) external returns (bytes32 grantId);

    /// @notice Cancels the caller's unused consent code with `nonce`, so it can never be redeemed.
    /// @dev Reverts {RecordRegistryConsentAlreadyUsed} if used or cancelled. Emits {ConsentCodeCancelled}.
    function cancelConsentCode(uint256 nonce) external;

    /// @notice Whether `patient`'s consent code with `nonce` was redeemed or cancelled.
    function consentNonceUsed(address patient, uint256 nonce) external view returns (bool);
}
