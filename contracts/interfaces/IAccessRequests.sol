// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRecordGrants} from "./IRecordGrants.sol";

/**
 * @title IAccessRequests
 * @notice Providers' requests for access, which the patient approves (issuing the grant) or
 * denies: part of {IRecordRegistry}.
 */
interface IAccessRequests is IRecordGrants {
    /// @notice State of an access request. A decided request's slot is cleared (back to `None`,
    /// which refunds its storage); its outcome stays in {AccessRequestApproved} or {AccessRequestDenied}.
    enum RequestStatus {
        None,
        Pending
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
        bytes32 purpose,
        uint64 previousEventBlock
    );
    /// @notice Emitted when `patient` approves a request; the grant is issued in the same transaction
    /// ({GrantIssued}, for the same patient, requester and scope; ids at {Grant} and {AccessRequest}).
    /// It carries no `previousEventBlock`: that {GrantIssued}, in the same block, links it.
    event AccessRequestApproved(address indexed patient, address indexed requester, bytes32 indexed requestId);
    /// @notice Emitted when `patient` denies a request.
    event AccessRequestDenied(
        address indexed patient,
        address indexed requester,
        bytes32 indexed requestId,
        uint64 previousEventBlock
    );

    /// @notice There is no pending request for this provider and scope.
    /// @custom:hint List requests with `meridian requests`.
    /// @dev Request `requestId` is not pending (its status is `status`).
    error RecordRegistryRequestNotPending(bytes32 requestId, RequestStatus status);
    /// @notice The provider asked for read access only; write consent cannot be added on approval.
    /// @custom:hint Approve read-only, or ask the provider to request write access.
    /// @dev The patient tried to grant write consent on request `requestId`, which asked for read only.
    error RecordRegistryWriteNotRequested(bytes32 requestId);

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

    /// @notice The request of `requester` to `patient` over (`scope`, `target`).
    function getRequest(
        address patient,
        address requester,
        Scope scope,
        bytes32 target
    ) external view returns (AccessRequest memory);
}
