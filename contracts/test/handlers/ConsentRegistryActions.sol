// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsentCodes} from "../../interfaces/IConsentCodes.sol";
import {IEmergencyAccess} from "../../interfaces/IEmergencyAccess.sol";
import {IGuardians} from "../../interfaces/IGuardians.sol";
import {IRecordAnchors} from "../../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../../interfaces/IRecordGrants.sol";
import {ConsentCodeSigner} from "../fixtures/Signatures.sol";
import {ConsentHandlerBase} from "./ConsentHandlerBase.sol";

/// @dev The consent handler's actions on the record registry: grants, revocations, consent codes,
/// guardians, emergency access, anchoring, time and provider status (see {ConsentHandlerBase}).
abstract contract ConsentRegistryActions is ConsentHandlerBase {
    function anchor(uint256 patientSeed, uint256 categorySeed) public {
        vm.warp(now_);
        if (records.length >= MAX_RECORDS) return;
        address patient = patients[patientSeed % 2];
        IRecordAnchors.Category category = IRecordAnchors.Category(1 + (categorySeed % 9));
        bytes32 hash = keccak256(abi.encode(records.length, patient));
        uint32 epoch = ghostEpoch[patient];
        vm.prank(patient);
        bytes32 id = registry.anchorRecord(patient, abi.encodePacked(hash), hash, category, epoch);
        records.push(id);
        ownerOf[id] = patient;
        categoryOf[id] = category;
        ++successfulCalls;
    }

    /// @dev The patient, or (`asGuardian`) one of the guardian accounts, grants a provider (or the
    /// regulator or the stranger, who are refused).
    function grant(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint256 scopeSeed,
        uint256 targetSeed,
        uint256 expirySeed,
        uint256 callerSeed
    ) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = _granteeOf(granteeSeed);
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        uint40 expiresAt = expirySeed % 3 == 0 ? 0 : uint40(now_ + 1 + ((expirySeed >> 8) % 3 days));
        address caller = _patientOrGuardian(patient, callerSeed);
        bytes memory expected = _guardianError(patient, caller);
        if (expected.length == 0 && !ghostActive[grantee]) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, grantee);
        }
        vm.prank(caller);
        bool ok;
        bytes memory data;
        if (caller == patient) {
            (ok, data) = address(registry).call(
                abi.encodeCall(IRecordGrants.grant, (grantee, scope, target, false, expiresAt, hex"01"))
            );
        } else {
            (ok, data) = address(registry).call(
                abi.encodeCall(IGuardians.grantAsGuardian, (patient, grantee, scope, target, false, expiresAt, hex"01"))
            );
        }
        if (_check(ok, data, expected)) {
            ghostGrants[_grantId(patient, grantee, scope, target)] = GhostGrant(true, false, expiresAt);
        }
    }

    function revoke(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint256 scopeSeed,
        uint256 targetSeed,
        uint256 callerSeed
    ) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = providerList[granteeSeed % 3];
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        bytes32 id = _grantId(patient, grantee, scope, target);
        address caller = _patientOrGuardian(patient, callerSeed);
        bytes memory expected = _guardianError(patient, caller);
        if (expected.length == 0 && (!ghostGrants[id].issued || ghostGrants[id].revoked)) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryGrantNotActive.selector, id);
        }
        vm.prank(caller);
        bool ok;
        bytes memory data;
        if (caller == patient) {
            (ok, data) = address(registry).call(abi.encodeCall(IRecordGrants.revoke, (grantee, scope, target)));
        } else {
            (ok, data) = address(registry).call(
                abi.encodeCall(IGuardians.revokeAsGuardian, (patient, grantee, scope, target))
            );
        }
        if (_check(ok, data, expected)) {
            ghostGrants[id].revoked = true;
            if (scope != IRecordGrants.Scope.Record) ++ghostEpoch[patient];
        }
    }

    /// @dev The patient signs a consent code (sometimes stale, tampered, past its deadline or with a
    /// used nonce) and its grantee (a provider, the regulator or the stranger) submits it.
    function redeemCode(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint256 scopeSeed,
        uint256 targetSeed,
        uint256 timeSeed,
        uint256 nonceSeed,
        uint8 mutation
    ) external {
        vm.warp(now_);
        uint256 p = patientSeed % 2;
        address patient = patients[p];
        IConsentCodes.ConsentCode memory c;
        c.chainId = block.chainid;
        c.registry = address(registry);
        c.patient = patient;
        c.grantee = _granteeOf(granteeSeed);
        (c.scope, c.target) = _scope(patient, scopeSeed, targetSeed);
        c.expiresAt = timeSeed % 3 == 0 ? 0 : uint40(now_ + 1 + ((timeSeed >> 8) % 3 days));
        // Half the deadlines already past.
        c.deadline = uint40(now_ + ((timeSeed >> 64) % 2 days) - 1 days);
        c.keyEpoch = ghostEpoch[patient];
        mutation %= 8;
        if (mutation == 1 && c.keyEpoch != 0) --c.keyEpoch; // stale
        c.nonce = nonceSeed % NONCES;
        c.wrappedKeyHash = keccak256(hex"01");
        bytes memory signature = ConsentCodeSigner.sign(_keys[p], ConsentCodeSigner.digest(address(registry), c));
        bool tampered = mutation == 2;
        if (tampered) c.expiresAt = c.expiresAt == 0 ? uint40(now_ + 7 days) : 0;

        bytes memory expected;
        if (now_ > c.deadline) {
            expected = abi.encodeWithSelector(
                IConsentCodes.RecordRegistryConsentExpired.selector,
                c.deadline,
                uint40(now_)
            );
        } else if (ghostNonceUsed[patient][c.nonce]) {
            expected = abi.encodeWithSelector(
                IConsentCodes.RecordRegistryConsentAlreadyUsed.selector,
                patient,
                c.nonce
            );
        } else if (tampered) {
            expected = abi.encodeWithSelector(IConsentCodes.RecordRegistryInvalidConsentSignature.selector, patient);
        } else if (c.keyEpoch != ghostEpoch[patient]) {
            expected = abi.encodeWithSelector(
                IRecordAnchors.RecordRegistryStaleKeyEpoch.selector,
                patient,
                c.keyEpoch,
                ghostEpoch[patient]
            );
        } else if (!ghostActive[c.grantee]) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, c.grantee);
        }
        vm.prank(c.grantee);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IConsentCodes.redeemConsentCode, (c, hex"01", signature))
        );
        if (_check(ok, data, expected)) {
            ghostNonceUsed[patient][c.nonce] = true;
            ghostGrants[_grantId(patient, c.grantee, c.scope, c.target)] = GhostGrant(true, false, c.expiresAt);
            ++redeemedCodes;
        }
    }

    function cancelCode(uint256 patientSeed, uint256 nonceSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        uint256 nonce = nonceSeed % NONCES;
        bytes memory expected =
            ghostNonceUsed[patient][nonce]
                ? abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentAlreadyUsed.selector, patient, nonce)
                : bytes("");
        vm.prank(patient);
        (bool ok, bytes memory data) = address(registry).call(abi.encodeCall(IConsentCodes.cancelConsentCode, (nonce)));
        if (_check(ok, data, expected)) ghostNonceUsed[patient][nonce] = true;
    }

    function appointGuardian(uint256 patientSeed, uint256 guardianSeed, uint256 levelSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address guardian = guardians[guardianSeed % 3];
        IGuardians.GuardianLevel level = IGuardians.GuardianLevel(levelSeed % 5 == 0 ? 0 : 1 + (levelSeed % 2));
        bytes memory expected =
            level == IGuardians.GuardianLevel.None
                ? abi.encodeWithSelector(IGuardians.RecordRegistryInvalidGuardian.selector, guardian, level)
                : bytes("");
        vm.prank(patient);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IGuardians.appointGuardian, (guardian, level, hex"02"))
        );
        if (_check(ok, data, expected)) ghostGuardian[patient][guardian] = level;
    }

    /// @dev The patient removes, or the guardian steps down.
    function removeGuardian(uint256 patientSeed, uint256 guardianSeed, bool byGuardian) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address guardian = guardians[guardianSeed % 3];
        bytes memory expected =
            ghostGuardian[patient][guardian] == IGuardians.GuardianLevel.None
                ? abi.encodeWithSelector(
                    IGuardians.RecordRegistryNotGuardian.selector,
                    patient,
                    guardian,
                    IGuardians.GuardianLevel.None,
                    IGuardians.GuardianLevel.View
                )
                : bytes("");
        bool ok;
        bytes memory data;
        if (byGuardian) {
            vm.prank(guardian);
            (ok, data) = address(registry).call(abi.encodeCall(IGuardians.stepDownAsGuardian, (patient)));
        } else {
            vm.prank(patient);
            (ok, data) = address(registry).call(abi.encodeCall(IGuardians.removeGuardian, (guardian)));
        }
        if (_check(ok, data, expected)) {
            ghostGuardian[patient][guardian] = IGuardians.GuardianLevel.None;
            ++ghostEpoch[patient];
        }
    }

    /// @dev The patient names one of its records as the emergency summary, or clears it.
    function setSummary(uint256 patientSeed, uint256 recordSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        bytes32 id;
        if (recordSeed % 4 != 0) {
            for (uint256 i = 0; i < records.length; ++i) {
                bytes32 r = records[(recordSeed + i) % records.length];
                if (ownerOf[r] == patient) {
                    id = r;
                    break;
                }
            }
        }
        vm.prank(patient);
        registry.setEmergencySummary(id);
        ghostSummary[patient] = id;
        ++successfulCalls;
    }

    /// @dev A provider, the regulator or the stranger opens emergency access (sometimes with a bad
    /// duration or no reason).
    function openEmergency(uint256 patientSeed, uint256 callerSeed, uint256 durationSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address caller = _granteeOf(callerSeed);
        uint40 duration =
            durationSeed % 8 == 0
                ? uint40(durationSeed % 2 == 0 ? 0 : 1 days + 1)
                : uint40(1 + ((durationSeed >> 8) % 1 days));
        bytes32 reason = durationSeed % 16 == 1 ? bytes32(0) : bytes32("ETREAT");
        bytes memory expected;
        if (caller == regulator) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryRegulatorNotAllowed.selector, caller);
        } else if (!ghostActive[caller]) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, caller);
        } else if (reason == bytes32(0)) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryEmergencyReasonRequired.selector);
        } else if (duration == 0 || duration > 1 days) {
            expected = abi.encodeWithSelector(
                IEmergencyAccess.RecordRegistryInvalidEmergencyDuration.selector,
                duration
            );
        } else if (ghostSummary[patient] == bytes32(0)) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryNoEmergencySummary.selector, patient);
        } else if (ghostEmergencyUntil[patient][caller] > now_) {
            expected = abi.encodeWithSelector(
                IEmergencyAccess.RecordRegistryEmergencyAccessActive.selector,
                patient,
                caller,
                ghostEmergencyUntil[patient][caller]
            );
        }
        vm.prank(caller);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IEmergencyAccess.openEmergencyAccess, (patient, reason, duration))
        );
        if (_check(ok, data, expected)) {
            ghostEmergencyUntil[patient][caller] = uint40(now_ + duration);
            ++emergencyOpenings;
        }
    }

    /// @dev The patient, a guardian account, the provider, another provider, the regulator or the
    /// stranger closes a provider's emergency access.
    function closeEmergency(uint256 patientSeed, uint256 providerSeed, uint256 closerSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address provider = providerList[providerSeed % 3];
        address closer;
        uint256 k = closerSeed % 8;
        if (k == 0) closer = patient;
        else if (k <= 3) closer = guardians[k - 1];
        else if (k == 4) closer = provider;
        else if (k == 5) closer = providerList[(providerSeed + 1) % 3];
        else if (k == 6) closer = regulator;
        else closer = stranger;
        bytes memory expected;
        if (
            closer != patient && closer != provider && ghostGuardian[patient][closer] == IGuardians.GuardianLevel.None
        ) {
            expected = abi.encodeWithSelector(
                IEmergencyAccess.RecordRegistryEmergencyCloseNotPermitted.selector,
                patient,
                provider,
                closer
            );
        } else if (ghostEmergencyUntil[patient][provider] <= now_) {
            expected = abi.encodeWithSelector(
                IEmergencyAccess.RecordRegistryEmergencyAccessNotActive.selector,
                patient,
                provider
            );
        }
        vm.prank(closer);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IEmergencyAccess.closeEmergencyAccess, (patient, provider))
        );
        if (_check(ok, data, expected)) ghostEmergencyUntil[patient][provider] = uint40(now_);
    }

    /// @dev The patient, a guardian account or the stranger releases the summary's key.
    function releaseKey(uint256 patientSeed, uint256 providerSeed, uint256 callerSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address provider = providerList[providerSeed % 3];
        uint256 k = callerSeed % 5;
        address caller =
            k == 0
                ? patient
                : k == 4
                    ? stranger
                    : guardians[k - 1];
        bytes memory expected = caller == patient ? bytes("") : _guardianError(patient, caller);
        if (expected.length == 0 && (ghostEmergencyUntil[patient][provider] <= now_ || !ghostActive[provider])) {
            expected = abi.encodeWithSelector(
                IEmergencyAccess.RecordRegistryEmergencyAccessNotActive.selector,
                patient,
                provider
            );
        } else if (expected.length == 0 && ghostSummary[patient] == bytes32(0)) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryNoEmergencySummary.selector, patient);
        }
        vm.prank(caller);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IEmergencyAccess.releaseEmergencyKey, (patient, provider, hex"03"))
        );
        _check(ok, data, expected);
    }

    function warp(uint256 seconds_) external {
        now_ += seconds_ % 2 days;
        vm.warp(now_);
    }

    /// @dev The regulator suspends or reinstates a provider or pool hospital.
    function toggleProvider(uint256 providerSeed) external {
        vm.warp(now_);
        address provider = hospitals[providerSeed % hospitals.length];
        vm.prank(regulator);
        if (ghostActive[provider]) providers.suspend(provider);
        else providers.reinstate(provider);
        ghostActive[provider] = !ghostActive[provider];
        ++successfulCalls;
    }
}
