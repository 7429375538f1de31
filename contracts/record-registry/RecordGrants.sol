// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {RecordRegistryBase} from "./RecordRegistryBase.sol";

/**
 * @title RecordGrants
 * @notice Implements {IRecordGrants}: grants issued and revoked by the patient, and key epochs.
 * Part of {RecordRegistry}.
 */
abstract contract RecordGrants is RecordRegistryBase {
    /// @inheritdoc IRecordGrants
    function grant(
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        return _grant(msg.sender, grantee, scope, target, write, expiresAt, wrappedKey);
    }

    /// @inheritdoc IRecordGrants
    function revoke(address grantee, Scope scope, bytes32 target) external {
        _revoke(msg.sender, grantee, scope, target);
    }

    /// @inheritdoc IRecordGrants
    /// @dev Named so that its selector (0xfff0e24b) sorts above every other: with viaIR the
    /// dispatcher compares selectors in ascending order, and a name below `anchorRecord` or `grant`
    /// would cost each of their calls 22 gas.
    function openKeyEpoch(address patient) external {
        if (msg.sender == patient) _requirePatient(patient);
        else _requireGuardian(patient, GuardianLevel.ShareAndView);
        uint32 epoch = _advanceKeyEpoch(patient);
        emit KeyEpochAdvanced(patient, msg.sender, epoch, _linkEvent(_patients[patient]));
    }

    /// @inheritdoc IRecordGrants
    function isGrantActive(address patient, address grantee, Scope scope, bytes32 target) external view returns (bool) {
        return _isActive(_grants[_grantId(patient, grantee, scope, target)]) && _providers.isActive(grantee);
    }

    /// @inheritdoc IRecordGrants
    function getGrant(
        address patient,
        address grantee,
        Scope scope,
        bytes32 target
    ) external view returns (Grant memory) {
        return _grants[_grantId(patient, grantee, scope, target)];
    }
}
