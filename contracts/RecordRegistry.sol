// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";
import {IPeerValidation} from "./interfaces/IPeerValidation.sol";
import {PeerValidation} from "./PeerValidation.sol";
import {RecordRegistryBase} from "./record-registry/RecordRegistryBase.sol";
import {RecordAnchors} from "./record-registry/RecordAnchors.sol";
import {RecordGrants} from "./record-registry/RecordGrants.sol";
import {AccessRequests} from "./record-registry/AccessRequests.sol";
import {ConsentCodes} from "./record-registry/ConsentCodes.sol";
import {Guardians} from "./record-registry/Guardians.sol";
import {BreakGlass} from "./record-registry/BreakGlass.sol";

/**
 * @title RecordRegistry
 * @notice Reference implementation of {IRecordRegistry}: one deployed contract that inherits one
 * abstract contract per concern ({RecordAnchors}, {RecordGrants}, {AccessRequests},
 * {ConsentCodes}, {Guardians}, {BreakGlass}), all over {RecordRegistryBase}, which holds the
 * storage and the internal functions they share. This contract adds the read check, which spans
 * every concern, and the link to the peer-validation contract.
 * @dev The constructor deploys the {PeerValidation} contract whose chosen validators pass {canRead}.
 *
 * Gas: with viaIR, solc dispatches a call by comparing its selector with each external function's
 * in ascending selector order (22 gas per comparison), so every getter whose selector sorts below
 * a hot function's costs each call of it 22 gas. Constants and pure id helpers are therefore not
 * getters here: {IRecordRegistry} documents their formulas and the SDK computes them. Splitting the
 * implementation into inherited contracts changes no selector, so the dispatcher is the same.
 */
contract RecordRegistry is RecordAnchors, RecordGrants, AccessRequests, ConsentCodes, Guardians, BreakGlass {
    IPeerValidation private immutable _peerValidation;

    /// @notice Deploys the registry and, from here, its {PeerValidation} contract.
    /// @param providers_ The provider registry consulted for provider status.
    constructor(IProviderRegistry providers_) RecordRegistryBase(providers_) {
        _peerValidation = new PeerValidation(providers_, this);
    }

    /// @inheritdoc IRecordRegistry
    function canRead(address reader, bytes32 recordId) external view returns (bool) {
        Record memory r = _records[recordId];
        if (r.patient == address(0)) return false;
        if (reader == r.patient || _guardians[r.patient][reader] != GuardianLevel.None) return true;
        if (!_providers.isActive(reader)) return false;
        return
            _isActive(_grants[_grantId(r.patient, reader, Scope.Record, recordId)]) ||
            _isActive(_grants[_grantId(r.patient, reader, Scope.Category, bytes32(uint256(r.category)))]) ||
            _isActive(_grants[_grantId(r.patient, reader, Scope.All, bytes32(0))]) ||
            (recordId == _emergencySummaries[r.patient] &&
                _emergencyAccess[_emergencyAccessId(r.patient, reader)].expiresAt > _time()) ||
            _peerValidation.isValidator(recordId, reader);
    }

    /// @inheritdoc IRecordRegistry
    function peerValidation() external view returns (address) {
        return address(_peerValidation);
    }

    /// @inheritdoc IRecordRegistry
    function providerRegistry() external view returns (IProviderRegistry) {
        return _providers;
    }
}
