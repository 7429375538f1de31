// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessRequests} from "../interfaces/IAccessRequests.sol";
import {RecordRegistryBase} from "./RecordRegistryBase.sol";

/**
 * @title AccessRequests
 * @notice Implements {IAccessRequests}: providers ask, the patient approves (issuing the grant)
 * or denies. Part of {RecordRegistry}.
 */
abstract contract AccessRequests is RecordRegistryBase {
    /// @inheritdoc IAccessRequests
    function requestAccess(
        address patient,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 duration,
        bytes32 purpose
    ) external returns (bytes32 requestId) {
        if (!_providers.isActive(msg.sender)) revert RecordRegistryProviderNotActive(msg.sender);
        Patient storage p = _requirePatient(patient);
        _requireScope(patient, scope, target, write);
        requestId = _requestId(patient, msg.sender, scope, target);
        AccessRequest storage r = _requests[requestId];
        if (r.status == RequestStatus.Pending) revert RecordRegistryRequestNotPending(requestId, r.status);
        _requests[requestId] = AccessRequest(RequestStatus.Pending, write, _time(), duration);
        emit AccessRequested(patient, msg.sender, requestId, scope, target, write, duration, purpose, _linkEvent(p));
    }

    /// @inheritdoc IAccessRequests
    function approveRequest(
        address requester,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId) {
        bytes32 requestId = _closeRequest(msg.sender, requester, scope, target, write);
        grantId = _grant(msg.sender, requester, scope, target, write, expiresAt, wrappedKey);
        emit AccessRequestApproved(msg.sender, requester, requestId);
    }

    /// @inheritdoc IAccessRequests
    function denyRequest(address requester, Scope scope, bytes32 target) external {
        _deny(msg.sender, requester, scope, target);
    }

    /// @inheritdoc IAccessRequests
    function getRequest(
        address patient,
        address requester,
        Scope scope,
        bytes32 target
    ) external view returns (AccessRequest memory) {
        return _requests[_requestId(patient, requester, scope, target)];
    }
}
