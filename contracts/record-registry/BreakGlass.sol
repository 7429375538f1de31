// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IEmergencyAccess} from "../interfaces/IEmergencyAccess.sol";
import {RecordRegistryBase} from "./RecordRegistryBase.sol";

/**
 * @title BreakGlass
 * @notice Implements {IEmergencyAccess}: the patient's emergency summary and providers' time-boxed
 * emergency ("break-glass", HL7 BTG) access to it. Part of {RecordRegistry}.
 */
abstract contract BreakGlass is RecordRegistryBase {
    /// @dev The longest emergency access, in seconds (SDK `MAX_EMERGENCY_ACCESS_SECONDS`).
    uint40 private constant MAX_EMERGENCY_ACCESS = 24 hours;
    /// @dev ProviderRegistry's regulator role (OpenZeppelin AccessControl), refused emergency access.
    bytes32 private constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /// @inheritdoc IEmergencyAccess
    function setEmergencySummary(bytes32 recordId) external {
        Patient storage p = _requirePatient(msg.sender);
        if (recordId != bytes32(0)) {
            address owner = _records[recordId].patient;
            if (owner == address(0)) revert RecordRegistryUnknownRecord(recordId);
            if (owner != msg.sender) revert RecordRegistryRecordOfAnotherPatient(recordId, msg.sender);
        }
        _emergencySummaries[msg.sender] = recordId;
        emit EmergencySummarySet(msg.sender, recordId, _linkEvent(p));
    }

    /// @inheritdoc IEmergencyAccess
    function openEmergencyAccess(address patient, bytes32 reason, uint40 duration) external {
        if (IAccessControl(address(_providers)).hasRole(REGULATOR_ROLE, msg.sender)) {
            revert RecordRegistryRegulatorNotAllowed(msg.sender);
        }
        if (!_providers.isActive(msg.sender)) revert RecordRegistryProviderNotActive(msg.sender);
        if (reason == bytes32(0)) revert RecordRegistryEmergencyReasonRequired();
        if (duration == 0 || duration > MAX_EMERGENCY_ACCESS) revert RecordRegistryInvalidEmergencyDuration(duration);
        Patient storage p = _requirePatient(patient);
        bytes32 summary = _emergencySummaries[patient];
        if (summary == bytes32(0)) revert RecordRegistryNoEmergencySummary(patient);
        EmergencyAccess storage e = _emergencyAccess[_emergencyAccessId(patient, msg.sender)];
        uint40 now_ = _time();
        if (e.expiresAt > now_) revert RecordRegistryEmergencyAccessActive(patient, msg.sender, e.expiresAt);
        uint40 expiresAt = now_ + duration;
        e.openedAt = now_;
        e.expiresAt = expiresAt;
        emit EmergencyAccessOpened(patient, msg.sender, reason, summary, expiresAt, _linkEvent(p));
    }

    /// @inheritdoc IEmergencyAccess
    function releaseEmergencyKey(address patient, address provider, bytes calldata wrappedKey) external {
        bool byGuardian = msg.sender != patient;
        if (byGuardian) _requireGuardian(patient, GuardianLevel.ShareAndView);
        bytes32 accessId = _emergencyAccessId(patient, provider);
        if (_emergencyAccess[accessId].expiresAt <= _time() || !_providers.isActive(provider)) {
            revert RecordRegistryEmergencyAccessNotActive(patient, provider);
        }
        _requireWrappedKey(wrappedKey);
        bytes32 summary = _emergencySummaries[patient];
        if (summary == bytes32(0)) revert RecordRegistryNoEmergencySummary(patient);
        emit EmergencyKeyReleased(patient, provider, msg.sender, summary, wrappedKey, _linkEvent(_patients[patient]));
        if (byGuardian)
            emit GuardianActed(patient, msg.sender, IEmergencyAccess.releaseEmergencyKey.selector, accessId);
    }

    /// @inheritdoc IEmergencyAccess
    function closeEmergencyAccess(address patient, address provider) external {
        if (msg.sender != patient && msg.sender != provider && _guardians[patient][msg.sender] == GuardianLevel.None) {
            revert RecordRegistryEmergencyCloseNotPermitted(patient, provider, msg.sender);
        }
        EmergencyAccess storage e = _emergencyAccess[_emergencyAccessId(patient, provider)];
        uint40 now_ = _time();
        if (e.expiresAt <= now_) revert RecordRegistryEmergencyAccessNotActive(patient, provider);
        e.expiresAt = now_;
        emit EmergencyAccessClosed(patient, provider, msg.sender, _linkEvent(_patients[patient]));
    }

    /// @inheritdoc IEmergencyAccess
    function emergencySummaryOf(address patient) external view returns (bytes32) {
        return _emergencySummaries[patient];
    }

    /// @inheritdoc IEmergencyAccess
    function getEmergencyAccess(address patient, address provider) external view returns (EmergencyAccess memory) {
        return _emergencyAccess[_emergencyAccessId(patient, provider)];
    }
}
