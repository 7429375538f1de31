// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";

/**
 * @title ProviderRegistry
 * @notice Reference implementation of {IProviderRegistry} with OpenZeppelin AccessControl:
 * `REGULATOR_ROLE` manages membership; `SUSPENDER_ROLE` may only suspend, at once;
 * `DEFAULT_ADMIN_ROLE` manages who holds each. Outside local networks deploy with a
 * TimelockController as admin and regulator and a multisig as suspender
 * (`ignition/modules/MeridianGoverned.ts`, docs/governance.md), so admissions wait out the
 * timelock's delay while a suspension takes effect in the next block.
 */
contract ProviderRegistry is IProviderRegistry, AccessControl {
    /// @notice Role of the regulator: admits, suspends, reinstates and removes providers.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /**
     * @notice Role of the emergency suspender (the council's multisig when the regulator is a
     * timelock): may suspend an active provider at once, and do nothing else. It cannot admit,
     * reinstate or remove, and it grants no role. The regulator may suspend too. Granted and
     * revoked by `DEFAULT_ADMIN_ROLE`; the constructor grants it to no one.
     */
    bytes32 public constant SUSPENDER_ROLE = keccak256("SUSPENDER_ROLE");

    /// @dev One slot per provider for what `isActive` reads; key and strings apart.
    struct Membership {
        ProviderKind kind;
        ProviderStatus status;
        uint40 admittedAt;
        uint40 statusChangedAt;
        uint32 keyVersion;
    }

    mapping(address provider => Membership) private _memberships;
    mapping(address provider => bytes32) private _encryptionKeys;
    mapping(address provider => string) private _names;
    mapping(address provider => string) private _departments;
    mapping(address provider => string[]) private _nodeEndpoints;
    /// @dev Every provider ever admitted, in order of admission; {admit} appends each once.
    address[] private _providers;

    /// @dev Most node endpoints a provider may publish, and the most bytes of each.
    uint256 private constant MAX_NODE_ENDPOINTS = 4;
    uint256 private constant MAX_NODE_ENDPOINT_BYTES = 256;

    /// @notice Deploys the registry with its admin and first regulator (neither may be zero).
    /// @param admin Holder of `DEFAULT_ADMIN_ROLE` (grants and revokes the regulator role).
    /// @param regulator Initial holder of `REGULATOR_ROLE`.
    constructor(address admin, address regulator) {
        if (admin == address(0) || regulator == address(0)) revert ProviderRegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGULATOR_ROLE, regulator);
    }

    /// @inheritdoc IProviderRegistry
    function admit(
        address provider,
        ProviderKind kind,
        string calldata name,
        string calldata department
    ) external onlyRole(REGULATOR_ROLE) {
        if (provider == address(0)) revert ProviderRegistryZeroAddress();
        if (hasRole(REGULATOR_ROLE, provider)) revert ProviderRegistryRegulatorCannotBeProvider(provider);
        ProviderStatus status = _memberships[provider].status;
        if (status != ProviderStatus.None) revert ProviderRegistryAlreadyAdmitted(provider, status);
        if (kind == ProviderKind.None) revert ProviderRegistryInvalidKind();
        if (bytes(name).length == 0 || bytes(name).length > 128 || bytes(department).length > 128) {
            revert ProviderRegistryInvalidName();
        }
        uint40 now_ = _time();
        _memberships[provider] = Membership(kind, ProviderStatus.Active, now_, now_, 0);
        _names[provider] = name;
        _departments[provider] = department;
        _providers.push(provider); // once: an admitted address never returns to `None`
        emit ProviderAdmitted(provider, msg.sender, kind, name, department);
    }

    /// @inheritdoc IProviderRegistry
    /// @dev Reverts with `AccessControlUnauthorizedAccount(caller, SUSPENDER_ROLE)` when the caller
    /// holds neither `SUSPENDER_ROLE` nor `REGULATOR_ROLE`.
    function suspend(address provider) external {
        if (!hasRole(SUSPENDER_ROLE, msg.sender) && !hasRole(REGULATOR_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, SUSPENDER_ROLE);
        }
        _transition(provider, ProviderStatus.Active, ProviderStatus.Suspended);
        emit ProviderSuspended(provider, msg.sender);
    }

    /// @inheritdoc IProviderRegistry
    function reinstate(address provider) external onlyRole(REGULATOR_ROLE) {
        _transition(provider, ProviderStatus.Suspended, ProviderStatus.Active);
        emit ProviderReinstated(provider, msg.sender);
    }

    /// @inheritdoc IProviderRegistry
    function remove(address provider) external onlyRole(REGULATOR_ROLE) {
        ProviderStatus status = _memberships[provider].status;
        if (status == ProviderStatus.Suspended) {
            _transition(provider, ProviderStatus.Suspended, ProviderStatus.Removed);
        } else {
            _transition(provider, ProviderStatus.Active, ProviderStatus.Removed);
        }
        emit ProviderRemoved(provider, msg.sender);
    }

    /// @inheritdoc IProviderRegistry
    function setEncryptionKey(bytes32 encryptionKey) external {
        Membership storage m = _memberships[msg.sender];
        ProviderStatus status = m.status;
        if (status == ProviderStatus.None) revert ProviderRegistryUnknownProvider(msg.sender);
        if (status == ProviderStatus.Removed) {
            revert ProviderRegistryInvalidStatus(msg.sender, status, ProviderStatus.Active);
        }
        if (encryptionKey == bytes32(0)) revert ProviderRegistryInvalidEncryptionKey();
        if (encryptionKey == _encryptionKeys[msg.sender]) revert ProviderRegistryEncryptionKeyUnchanged(msg.sender);
        uint32 keyVersion = m.keyVersion + 1;
        m.keyVersion = keyVersion;
        _encryptionKeys[msg.sender] = encryptionKey;
        emit ProviderEncryptionKeySet(msg.sender, encryptionKey, keyVersion);
    }

    /// @inheritdoc IProviderRegistry
    function setNodeEndpoints(string[] calldata endpoints) external {
        ProviderStatus status = _memberships[msg.sender].status;
        if (status == ProviderStatus.None) revert ProviderRegistryUnknownProvider(msg.sender);
        if (status != ProviderStatus.Active) {
            revert ProviderRegistryInvalidStatus(msg.sender, status, ProviderStatus.Active);
        }
        uint256 count = endpoints.length;
        if (count > MAX_NODE_ENDPOINTS) revert ProviderRegistryTooManyNodeEndpoints(count, MAX_NODE_ENDPOINTS);
        string[] storage stored = _nodeEndpoints[msg.sender];
        delete _nodeEndpoints[msg.sender]; // at most 4 strings
        for (uint256 i; i < count; ++i) {
            if (!_isHttpUrl(bytes(endpoints[i]))) revert ProviderRegistryInvalidNodeEndpoint(i);
            stored.push(endpoints[i]);
        }
        emit ProviderNodeEndpointsSet(msg.sender, endpoints);
    }

    /// @inheritdoc IProviderRegistry
    function getNodeEndpoints(address provider) external view returns (string[] memory) {
        return _nodeEndpoints[provider];
    }

    /// @inheritdoc IProviderRegistry
    function providerCount() external view returns (uint256) {
        return _providers.length;
    }

    /// @inheritdoc IProviderRegistry
    function providerAt(uint256 index) external view returns (address) {
        uint256 count = _providers.length;
        if (index >= count) revert ProviderRegistryIndexOutOfBounds(index, count);
        return _providers[index];
    }

    /// @inheritdoc IProviderRegistry
    function isActive(address provider) external view returns (bool) {
        return _memberships[provider].status == ProviderStatus.Active;
    }

    /// @inheritdoc IProviderRegistry
    function getProvider(address provider) external view returns (Provider memory) {
        Membership memory m = _memberships[provider];
        return
            Provider(
                m.kind,
                m.status,
                m.admittedAt,
                m.statusChangedAt,
                _encryptionKeys[provider],
                m.keyVersion,
                _names[provider],
                _departments[provider]
            );
    }

    /// @inheritdoc IProviderRegistry
    function statusOf(address provider) external view returns (ProviderStatus) {
        return _memberships[provider].status;
    }

    /// @inheritdoc IProviderRegistry
    function encryptionKeyOf(address provider) external view returns (bytes32) {
        return _encryptionKeys[provider];
    }

    /// @dev The regulator's powers stop at membership: an account that was ever admitted as a
    /// provider can never hold `REGULATOR_ROLE` (and {admit} refuses a holder of it), so the
    /// regulator can never be a grantee, open emergency access or validate a diagnosis.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role == REGULATOR_ROLE && _memberships[account].status != ProviderStatus.None) {
            revert ProviderRegistryRegulatorCannotBeProvider(account);
        }
        return super._grantRole(role, account);
    }

    /// @dev The block time in seconds; virtual so tests can move it.
    function _time() internal view virtual returns (uint40) {
        return uint40(block.timestamp);
    }

    /// @dev Whether `url` starts with `http://` or `https://`, has something after it and is at most 256 bytes.
    function _isHttpUrl(bytes calldata url) private pure returns (bool) {
        uint256 n = url.length;
        if (n > MAX_NODE_ENDPOINT_BYTES || n < 8) return false;
        if (bytes7(url[:7]) == "http://") return true;
        return n > 8 && bytes8(url[:8]) == "https://";
    }

    /// @dev Moves `provider` from `from` to `to`, or reverts with its current status.
    function _transition(address provider, ProviderStatus from, ProviderStatus to) private {
        Membership storage m = _memberships[provider];
        if (m.status == ProviderStatus.None) revert ProviderRegistryUnknownProvider(provider);
        if (m.status != from) revert ProviderRegistryInvalidStatus(provider, m.status, from);
        m.status = to;
        m.statusChangedAt = _time();
    }
}
