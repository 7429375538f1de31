// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title IProviderRegistry
 * @notice The registry of healthcare providers (hospitals, clinics, labs, practitioners) of a
 * Meridian network. A regulator (in production a timelock driven by a multisig; the
 * "government node" of a national network) admits, suspends, reinstates and removes providers;
 * a suspender (the multisig itself) may suspend at once, without the timelock's delay. Neither
 * holds keys or can read a record: the registry only says who is a provider and whether they
 * are active. Each provider publishes its own X25519 encryption public key (HPKE,
 * RFC 9180), to which patients wrap the keys they share, and may publish the base URLs of its
 * Meridian node (IPFS Trustless Gateway and Pinning Service API), where clients pin and fetch
 * record envelopes. Providers are enumerable without event logs ({providerCount}, {providerAt}).
 * @dev The design documents call this contract "Provider".
 */
interface IProviderRegistry {
    /// @notice What kind of organisation or person a provider is. `None` is never stored.
    enum ProviderKind {
        None,
        Hospital,
        Clinic,
        Lab,
        Practitioner
    }

    /// @notice A provider's membership status. `None` means "never admitted".
    enum ProviderStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @notice A provider's registry entry, as returned by {getProvider}.
    struct Provider {
        ProviderKind kind;
        ProviderStatus status;
        /// @dev Unix time (seconds) of admission.
        uint40 admittedAt;
        /// @dev Unix time (seconds) of the last status change.
        uint40 statusChangedAt;
        /// @dev Raw X25519 public key (32 bytes); zero until the provider sets it.
        bytes32 encryptionKey;
        /// @dev How many times the key was set: 0 before the first key, 1 for the first, +1 per
        /// rotation. Clients derive key number `keyVersion` from the provider's wallet (the
        /// `version` of the EIP-712 key-derivation message), so old keys stay derivable.
        uint32 keyVersion;
        /// @dev Public name of the organisation or practitioner (not patient data).
        string name;
        /// @dev Department or specialty, e.g. "Cardiology".
        string department;
    }

    /// @notice Emitted when `provider` is admitted by `regulator`.
    event ProviderAdmitted(
        address indexed provider,
        address indexed regulator,
        ProviderKind kind,
        string name,
        string department
    );
    /// @notice Emitted when `provider` is suspended: every read check and write refuses it from now
    /// on (key material it already received stays in its hands; clients move each patient to a new
    /// key epoch before their next write). `suspendedBy` is the caller, a regulator or a suspender.
    event ProviderSuspended(address indexed provider, address indexed suspendedBy);
    /// @notice Emitted when a suspended `provider` is reinstated.
    event ProviderReinstated(address indexed provider, address indexed regulator);
    /// @notice Emitted when `provider` is removed for good.
    event ProviderRemoved(address indexed provider, address indexed regulator);
    /// @notice Emitted when `provider` sets or rotates its X25519 encryption public key;
    /// `keyVersion` is the key's number (1 for the first key, +1 per rotation).
    event ProviderEncryptionKeySet(address indexed provider, bytes32 encryptionKey, uint32 keyVersion);
    /// @notice Emitted when `provider` publishes (or, with an empty list, clears) the base URLs of its Meridian node.
    event ProviderNodeEndpointsSet(address indexed provider, string[] endpoints);

    /// @notice The regulator can never be a provider (and a provider can never become the regulator).
    /// @custom:hint Use a separate account for the regulator; its powers stop at membership.
    /// @dev `account` holds (or would hold) the regulator's role and be a provider at once: the regulator can never be
    /// admitted, and an account ever admitted can never become regulator.
    error ProviderRegistryRegulatorCannotBeProvider(address account);
    /// @notice The provider address is zero.
    /// @custom:hint Pass the provider's account address.
    /// @dev `provider` is the zero address.
    error ProviderRegistryZeroAddress();
    /// @notice This provider was already admitted.
    /// @custom:hint Use suspend, reinstate or remove instead.
    /// @dev `provider` was already admitted (it may be suspended or removed).
    error ProviderRegistryAlreadyAdmitted(address provider, ProviderStatus status);
    /// @notice This account was never admitted as a provider.
    /// @custom:hint Ask the regulator to admit it first.
    /// @dev `provider` was never admitted.
    error ProviderRegistryUnknownProvider(address provider);
    /// @notice The provider's status does not allow this.
    /// @custom:hint Check the provider's status with `meridian provider show`.
    /// @dev The operation needs `provider` to be in `expected` status, but it is in `actual`.
    error ProviderRegistryInvalidStatus(address provider, ProviderStatus actual, ProviderStatus expected);
    /// @notice The provider kind is missing.
    /// @custom:hint Use hospital, clinic, lab or practitioner.
    /// @dev `kind` is not a valid provider kind (`None`).
    error ProviderRegistryInvalidKind();
    /// @notice The provider name must be 1-128 bytes and the department at most 128 bytes.
    /// @custom:hint Shorten or fill in the name.
    /// @dev The name is empty or longer than 128 bytes, or the department longer than 128 bytes.
    error ProviderRegistryInvalidName();
    /// @notice The encryption public key is empty.
    /// @custom:hint Derive the key from the wallet again.
    /// @dev The encryption key is zero.
    error ProviderRegistryInvalidEncryptionKey();
    /// @notice This encryption key is already your current key.
    /// @custom:hint To replace it, rotate it (`meridian provider rotate-key`, or Rotate key in the app): that publishes
    /// the next key version.
    /// @dev The encryption key is already `provider`'s current key; a rotation needs a new one.
    error ProviderRegistryEncryptionKeyUnchanged(address provider);
    /// @notice A provider may publish at most 4 node endpoints.
    /// @custom:hint Publish the node's main URL and at most 3 alternatives (`meridian provider set-node URL...`).
    /// @dev `count` endpoints were given; at most `max` are allowed.
    error ProviderRegistryTooManyNodeEndpoints(uint256 count, uint256 max);
    /// @notice A node endpoint must be an http:// or https:// base URL of at most 256 bytes.
    /// @custom:hint Pass the node's URL as its clients reach it, e.g. https://node.hospital.example.
    /// @dev Endpoint number `index` (from 0) does not start with `http://` or `https://`, or is over 256 bytes.
    error ProviderRegistryInvalidNodeEndpoint(uint256 index);
    /// @notice There is no provider at this position of the registry.
    /// @custom:hint Read providerCount() first; positions run from 0 to providerCount() - 1.
    /// @dev `index` is not below the number of providers ever admitted, `count`.
    error ProviderRegistryIndexOutOfBounds(uint256 index, uint256 count);

    /**
     * @notice Admits `provider` as an active provider.
     * @dev Requirements: caller has `REGULATOR_ROLE`; `provider` non-zero and never admitted;
     * `kind` not `None`; `name` 1..128 bytes; `department` at most 128 bytes.
     * Emits {ProviderAdmitted}.
     */
    function admit(address provider, ProviderKind kind, string calldata name, string calldata department) external;

    /**
     * @notice Suspends an active provider; every grant to it stops passing the read check at once.
     * Keys already wrapped to it stay openable with its private key: suspension protects records
     * written afterwards (the SDK rotates a patient's key epoch first), not what was shared.
     * @dev Requirements: caller has `SUSPENDER_ROLE` or `REGULATOR_ROLE`; `provider` is `Active`.
     * Emits {ProviderSuspended}.
     */
    function suspend(address provider) external;

    /**
     * @notice Reinstates a suspended provider; its unexpired, unrevoked grants work again.
     * @dev Requirements: caller has `REGULATOR_ROLE`; `provider` is `Suspended`. Emits {ProviderReinstated}.
     */
    function reinstate(address provider) external;

    /**
     * @notice Removes a provider for good (from `Active` or `Suspended`); it can never be re-admitted
     * under the same address.
     * @dev Requirements: caller has `REGULATOR_ROLE`; `provider` is `Active` or `Suspended`.
     * Emits {ProviderRemoved}.
     */
    function remove(address provider) external;

    /**
     * @notice Sets or rotates the caller's X25519 encryption public key (raw 32 bytes).
     * @dev Requirements: caller is an admitted provider that is not `Removed`; key non-zero and
     * different from the current key. Increments `keyVersion`. Emits {ProviderEncryptionKeySet}.
     * Keys already wrapped to the old key stay readable only with the old private key (the SDK
     * derives it again from the wallet); patients wrap new grants to the new key.
     */
    function setEncryptionKey(bytes32 encryptionKey) external;

    /**
     * @notice Publishes the base URLs of the caller's Meridian node (each `http://…` or `https://…`,
     * e.g. `https://ipfs.st-mary.example`), replacing the previous list; an empty list clears it.
     * Clients pin record envelopes there (IPFS Pinning Service API) and fetch blocks from it
     * (IPFS Trustless Gateway); they verify every block, so an endpoint is a hint, never trusted.
     * @dev Requirements: caller is an `Active` provider; at most 4 endpoints; each starts with
     * `http://` or `https://` and is at most 256 bytes. Emits {ProviderNodeEndpointsSet}.
     * Reverts {ProviderRegistryUnknownProvider}, {ProviderRegistryInvalidStatus},
     * {ProviderRegistryTooManyNodeEndpoints} or {ProviderRegistryInvalidNodeEndpoint}.
     */
    function setNodeEndpoints(string[] calldata endpoints) external;

    /// @notice Whether `provider` is admitted and currently `Active`.
    function isActive(address provider) external view returns (bool);

    /// @notice The registry entry of `provider` (all zero when never admitted).
    function getProvider(address provider) external view returns (Provider memory);

    /// @notice The status of `provider`.
    function statusOf(address provider) external view returns (ProviderStatus);

    /// @notice The X25519 encryption public key of `provider` (zero when unset).
    function encryptionKeyOf(address provider) external view returns (bytes32);

    /// @notice The node base URLs `provider` published with {setNodeEndpoints} (empty when none).
    function getNodeEndpoints(address provider) external view returns (string[] memory);

    /// @notice How many providers were ever admitted (each counted once, whatever its status now).
    function providerCount() external view returns (uint256);

    /**
     * @notice The provider admitted `index`-th (from 0), in order of admission; read with
     * {providerCount} to list every provider without event logs.
     * @dev Reverts {ProviderRegistryIndexOutOfBounds} when `index >= providerCount()`.
     */
    function providerAt(uint256 index) external view returns (address);
}
