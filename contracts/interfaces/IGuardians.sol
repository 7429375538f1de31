// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAccessRequests} from "./IAccessRequests.sol";

/**
 * @title IGuardians
 * @notice Guardians (a parent, a carer, a proxy) who read what the patient reads and, at SHARE AND
 * VIEW level, share and approve on the patient's behalf: part of {IRecordRegistry}.
 */
interface IGuardians is IAccessRequests {
    /// @notice What a guardian may do for a patient. `None` means "not a guardian".
    /// `View`: reads what the patient can read. `ShareAndView`: also grants, revokes, approves and
    /// denies requests, and releases the emergency summary's key, on the patient's behalf.
    enum GuardianLevel {
        None,
        View,
        ShareAndView
    }

    /**
     * @notice Emitted when `patient` appoints (or re-keys) `guardian` at `level`. `wrappedKey` is the
     * bundle of the patient's category KEKs at `keyEpoch`, sealed to the guardian's key with HPKE.
     * The event is in both accounts' event chains ({IRecordAnchors-patientLatestBlock}):
     * `previousEventBlock` is the patient's previous event block, `previousGuardianEventBlock` the
     * guardian's (a guardian is a registered patient), so "the patients I guard" is a walk too.
     */
    event GuardianAppointed(
        address indexed patient,
        address indexed guardian,
        GuardianLevel level,
        uint32 keyEpoch,
        bytes wrappedKey,
        uint64 previousEventBlock,
        uint64 previousGuardianEventBlock
    );
    /// @notice Emitted when `guardian` stops being a guardian of `patient` (`byGuardian`: it stepped
    /// down; otherwise the patient removed it). `keyEpoch` is the patient's key epoch afterwards. Linked
    /// into both accounts' event chains, as {GuardianAppointed}.
    event GuardianRemoved(
        address indexed patient,
        address indexed guardian,
        bool byGuardian,
        uint32 keyEpoch,
        uint64 previousEventBlock,
        uint64 previousGuardianEventBlock
    );
    /**
     * @notice Emitted when `guardian` acts for `patient`: `action` is the selector of the function
     * called ({grantAsGuardian}, {revokeAsGuardian}, {approveRequestAsGuardian},
     * {denyRequestAsGuardian}, {IEmergencyAccess-releaseEmergencyKey}) and `subject` the grant,
     * request or emergency-access id it acted on. It carries no `previousEventBlock`: it always
     * follows, in the same transaction, the event of what the guardian did, which links it.
     */
    event GuardianActed(address indexed patient, address indexed guardian, bytes4 action, bytes32 indexed subject);

    /// @notice This account is not the patient's guardian at the level this needs (acting for the patient needs share
    /// and view).
    /// @custom:hint Ask the patient to appoint you at that level (`meridian guardian appoint <address> --level share`);
    /// see your patients with `meridian guardian wards`.
    /// @dev `account` is not a guardian of `patient` at `required` level or above (it is at `level`).
    error RecordRegistryNotGuardian(address patient, address account, GuardianLevel level, GuardianLevel required);
    /// @notice A guardian needs a level, and a patient cannot be their own guardian.
    /// @custom:hint Appoint another registered account with a level (`meridian guardian appoint <address> --level
    /// view`).
    /// @dev The guardian level is `None`, or the patient named itself.
    error RecordRegistryInvalidGuardian(address guardian, GuardianLevel level);

    /**
     * @notice Appoints `guardian` at `level`, or changes its level, or re-keys it (e.g. after a key
     * epoch change). `wrappedKey` is the patient's bundle of category KEKs at the current epoch
     * sealed with HPKE to the guardian's registered key, so a guardian reads what the patient reads.
     * @dev Requirements: caller and `guardian` registered; `guardian` not the caller; `level` not
     * `None`; wrapped key 1..640 bytes. Emits {GuardianAppointed}.
     */
    function appointGuardian(address guardian, GuardianLevel level, bytes calldata wrappedKey) external;

    /// @notice Removes the caller's guardian `guardian`. Like revoking an all-records grant, it
    /// advances the caller's key epoch (unless it is already the largest, 2^30 - 1: removal still
    /// works, and later records stay under that epoch's keys). Emits {GuardianRemoved}.
    function removeGuardian(address guardian) external;

    /// @notice The caller steps down as guardian of `patient`; advances the patient's key epoch
    /// (as {removeGuardian}). Emits {GuardianRemoved}.
    function stepDownAsGuardian(address patient) external;

    /// @notice {grant}, by a SHARE AND VIEW guardian for `patient`. Emits {GrantIssued} and {GuardianActed}.
    function grantAsGuardian(
        address patient,
        address grantee,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId);

    /// @notice {revoke}, by a SHARE AND VIEW guardian for `patient`. Emits {GrantRevoked} and {GuardianActed}.
    function revokeAsGuardian(address patient, address grantee, Scope scope, bytes32 target) external;

    /// @notice {approveRequest}, by a SHARE AND VIEW guardian for `patient`. Emits
    /// {AccessRequestApproved}, {GrantIssued} and {GuardianActed}.
    function approveRequestAsGuardian(
        address patient,
        address requester,
        Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt,
        bytes calldata wrappedKey
    ) external returns (bytes32 grantId);

    /// @notice {denyRequest}, by a SHARE AND VIEW guardian for `patient`. Emits
    /// {AccessRequestDenied} and {GuardianActed}.
    function denyRequestAsGuardian(address patient, address requester, Scope scope, bytes32 target) external;

    /// @notice The level at which `guardian` acts for `patient` (`None` when not a guardian).
    function guardianLevel(address patient, address guardian) external view returns (GuardianLevel);
}
