// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRecordGrants} from "./IRecordGrants.sol";

/**
 * @title IEmergencyAccess
 * @notice Emergency ("break-glass") access to a patient's emergency summary when the patient
 * cannot consent: time-boxed, on chain before any key is released: part of {IRecordRegistry}.
 */
interface IEmergencyAccess is IRecordGrants {
    /// @notice A provider's emergency ("break-glass") access to a patient's emergency summary, as
    /// returned by {getEmergencyAccess}.
    struct EmergencyAccess {
        /// @dev Unix time (seconds) the access was opened; zero when never opened.
        uint40 openedAt;
        /// @dev Unix time (seconds) the access ends (or ended, when closed early). The reason code
        /// is in {EmergencyAccessOpened}.
        uint40 expiresAt;
    }

    /// @notice Emitted when `patient` names record `recordId` its emergency summary (an HL7 FHIR
    /// International Patient Summary); zero clears it.
    event EmergencySummarySet(address indexed patient, bytes32 recordId, uint64 previousEventBlock);
    /**
     * @notice Emitted when `provider` opens emergency access to `patient`'s emergency summary,
     * before any key is released: the first entry of the patient's and guardians' audit logs.
     */
    event EmergencyAccessOpened(
        address indexed patient,
        address indexed provider,
        bytes32 indexed reason,
        bytes32 recordId,
        uint40 expiresAt,
        uint64 previousEventBlock
    );
    /// @notice Emitted when the emergency summary's data key is released to `provider`, sealed to its
    /// key with HPKE, by `releasedBy` (the patient or a SHARE AND VIEW guardian).
    event EmergencyKeyReleased(
        address indexed patient,
        address indexed provider,
        address indexed releasedBy,
        bytes32 recordId,
        bytes wrappedKey,
        uint64 previousEventBlock
    );
    /// @notice Emitted when an emergency access is closed before its time box ends, by `closedBy`.
    event EmergencyAccessClosed(
        address indexed patient,
        address indexed provider,
        address indexed closedBy,
        uint64 previousEventBlock
    );

    /// @notice Emergency access needs a reason code.
    /// @custom:hint Give a reason code such as ETREAT (HL7 v3 ActReason).
    /// @dev No reason code was given for emergency access.
    error RecordRegistryEmergencyReasonRequired();
    /// @notice Emergency access lasts at least 1 second and at most 24 hours.
    /// @custom:hint Ask for 1 to 24 hours (`meridian emergency open <patient> --hours <n>`).
    /// @dev The duration (seconds) is zero or above 24 hours (86,400).
    error RecordRegistryInvalidEmergencyDuration(uint40 duration);
    /// @notice This patient has named no emergency summary, so emergency access has nothing to open.
    /// @custom:hint The patient creates one first (`meridian emergency create-summary`).
    /// @dev `patient` has named no emergency summary.
    error RecordRegistryNoEmergencySummary(address patient);
    /// @notice The regulator can never use emergency access.
    /// @custom:hint Open emergency access from a provider account.
    /// @dev The regulator (`account`) may never use emergency access.
    error RecordRegistryRegulatorNotAllowed(address account);
    /// @notice This provider already has open emergency access to this patient.
    /// @custom:hint Use the open access until it ends, or close it first (`meridian emergency close <patient>
    /// <provider>`).
    /// @dev `provider` already has emergency access to `patient` until `expiresAt`.
    error RecordRegistryEmergencyAccessActive(address patient, address provider, uint40 expiresAt);
    /// @notice This provider has no open emergency access to this patient (never opened, closed or timed out), or is no
    /// longer an active provider.
    /// @custom:hint The provider opens emergency access first (`meridian emergency open <patient>`); see `meridian
    /// emergency list <patient>`.
    /// @dev `provider` has no open emergency access to `patient` (never opened, closed or past its time box).
    error RecordRegistryEmergencyAccessNotActive(address patient, address provider);
    /// @notice Only the patient, a guardian of the patient or the provider itself can close this emergency access.
    /// @custom:hint Close it from one of those accounts (`meridian emergency close <patient> <provider>`).
    /// @dev Only `patient`, its guardians or the provider itself may close this emergency access.
    error RecordRegistryEmergencyCloseNotPermitted(address patient, address provider, address caller);

    /**
     * @notice Names the caller's record `recordId` (an HL7 FHIR International Patient Summary) as
     * the emergency summary that emergency access opens; zero clears it.
     * @dev Requirements: caller registered; a non-zero id is a record of the caller. Emits {EmergencySummarySet}.
     */
    function setEmergencySummary(bytes32 recordId) external;

    /**
     * @notice Opens time-boxed emergency ("break-glass") access to `patient`'s emergency summary,
     * when the patient cannot consent. It is on chain before any key is released: the key comes
     * afterwards from the patient or a SHARE AND VIEW guardian ({releaseEmergencyKey}).
     * @param reason A reason code (e.g. HL7 v3 ActReason "ETREAT"), never free text.
     * @param duration Seconds, 1..86,400 (24 hours; SDK `MAX_EMERGENCY_ACCESS_SECONDS`).
     * @dev Requirements: caller an active provider and not the regulator; `patient` registered with
     * an emergency summary; no open emergency access for the same pair. Emits {EmergencyAccessOpened}.
     */
    function openEmergencyAccess(address patient, bytes32 reason, uint40 duration) external;

    /**
     * @notice Releases the emergency summary's data key to `provider`, sealed to its key with HPKE,
     * while its emergency access is open.
     * Emergency access opens whatever record the patient names as summary now (see
     * {setEmergencySummary}); the key released is that record's.
     * @dev Requirements: caller `patient` or its SHARE AND VIEW guardian; access open; wrapped key
     * 1..640 bytes; a summary named (else {RecordRegistryNoEmergencySummary}). Emits
     * {EmergencyKeyReleased} (and {IGuardians-GuardianActed} for a guardian).
     */
    function releaseEmergencyKey(address patient, address provider, bytes calldata wrappedKey) external;

    /// @notice Ends `provider`'s emergency access to `patient` early; by the patient, a guardian or the
    /// provider. Emits {EmergencyAccessClosed}.
    function closeEmergencyAccess(address patient, address provider) external;

    /// @notice The record id of `patient`'s emergency summary (zero when none).
    function emergencySummaryOf(address patient) external view returns (bytes32);

    /// @notice `provider`'s latest emergency access to `patient` (all zero when never opened).
    function getEmergencyAccess(address patient, address provider) external view returns (EmergencyAccess memory);
}
