// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IGuardians} from "../interfaces/IGuardians.sol";
import {RecordRegistryBase} from "./RecordRegistryBase.sol";

/**
 * @title Guardians
 * @notice Implements {IGuardians}: appointing and removing guardians, and a SHARE AND VIEW
 * guardian's grants, revocations and request decisions for the patient. Part of {RecordRegistry}.
 */
abstract contract Guardians is RecordRegistryBase {
    /// @inheritdoc IGuardians
    function appointGuardian(address guardian, GuardianLevel level, bytes calldata wrappedKey) external {
        Patient storage p = _requirePatient(msg.sender);
        Patient storage g = _requirePatient(guardian);
        if (level == GuardianLevel.None || guardian == msg.sender)
            revert RecordRegistryInvalidGuardian(guardian, level);
        _requireWrappedKey(wrappedKey);
        _guardians[msg.sender][guardian] = level;
        emit GuardianAppointed(msg.sender, guardian, level, p.keyEpoch, wrappedKey, _linkEvent(p), _linkEvent(g));
    }

    /// @inheritdoc IGuardians
    function removeGuardian(address guardian) external {
        _removeGuardian(msg.sender, guardian, false);
    }

    /// @inheritdoc IGuardians
    function stepDownAsGuardian(address patient) external {
        _removeGuardian(patient, msg.sender, true);
    }

    /// @inheritdoc IGuardians
    function grantAsGuardian(
        address patient,
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        grantId = _grant(patient, grantee, scope, target, write, expiresAt, wrappedKey);
        emit GuardianActed(patient, msg.sender, IGuardians.grantAsGuardian.selector, grantId);
    }

    /// @inheritdoc IGuardians
    function revokeAsGuardian(address patient, address grantee, Scope scope, bytes32 target) external {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 grantId = _revoke(patient, grantee, scope, target);
        emit GuardianActed(patient, msg.sender, IGuardians.revokeAsGuardian.selector, grantId);
    }

    /// @inheritdoc IGuardians
    function approveRequestAsGuardian(
        address patient,
        address requester,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 requestId = _closeRequest(patient, requester, scope, target, write);
        grantId = _grant(patient, requester, scope, target, write, expiresAt, wrappedKey);
        emit AccessRequestApproved(patient, requester, requestId);
        emit GuardianActed(patient, msg.sender, IGuardians.approveRequestAsGuardian.selector, requestId);
    }

    /// @inheritdoc IGuardians
    function denyRequestAsGuardian(address patient, address requester, Scope scope, bytes32 target) external {
        _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 requestId = _deny(patient, requester, scope, target);
        emit GuardianActed(patient, msg.sender, IGuardians.denyRequestAsGuardian.selector, requestId);
    }

    /// @inheritdoc IGuardians
    function guardianLevel(address patient, address guardian) external view returns (GuardianLevel) {
        return _guardians[patient][guardian];
    }

    function _removeGuardian(address patient, address guardian, bool byGuardian) private {
        GuardianLevel level = _guardians[patient][guardian];
        if (level == GuardianLevel.None) {
            revert RecordRegistryNotGuardian(patient, guardian, level, GuardianLevel.View);
        }
        delete _guardians[patient][guardian];
        uint32 epoch = _advanceKeyEpoch(patient);
        emit GuardianRemoved(
            patient,
            guardian,
            byGuardian,
            epoch,
            _linkEvent(_patients[patient]),
            _linkEvent(_patients[guardian])
        );
    }
}
