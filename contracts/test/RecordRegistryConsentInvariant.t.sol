// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./TestBase.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {RecordRegistry} from "../RecordRegistry.sol";
import {IGuardians} from "../interfaces/IGuardians.sol";
import {IPeerValidation} from "../interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {ConsentHandler} from "./handlers/ConsentHandler.sol";
import {ConsentRegistryActions} from "./handlers/ConsentRegistryActions.sol";
import {ConsentValidationActions} from "./handlers/ConsentValidationActions.sol";

/**
 * @notice Invariant tests: after any sequence of grants and revocations (by patients and SHARE AND
 * VIEW guardians), consent codes, guardian appointments and removals, emergency summaries,
 * emergency openings, closes and key releases, validator pool joins and departures, submissions for
 * peer validation, draws, votes and replacements, suspensions, reinstatements, time jumps and
 * blocks, `canRead` is true only for the patient, a current guardian, an active provider with an
 * active grant covering the record, an active provider with open emergency access to the summary,
 * or an active validator the model has seated for the record (drawn, not replaced); never for the
 * regulator or the stranger. The pool and every case (status, counts, seed block, seats) agree
 * with the model.
 * @dev Runs and depth are kept small so `npx hardhat test solidity` stays fast.
 */
contract RecordRegistryConsentInvariantTest is TestBase {
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;
    address internal constant REGULATOR = address(0x8E6);
    address internal constant STRANGER = address(0x5757);

    ProviderRegistry internal providers;
    RecordRegistry internal registry;
    ConsentHandler internal handler;
    address[2] internal patients;
    address[3] internal guardians = [address(0x6A1), address(0x6A2), address(0x6A3)];
    address[3] internal providerList = [address(0x4051), address(0x1AB), address(0xC11)];
    /// @dev Hospitals only in the validator pool.
    address[4] internal poolHospitals = [address(0x7A10), address(0x7A11), address(0x7A12), address(0x7A13)];
    /// @dev A second account of providerList[0]'s institution, and a lab: neither may join while the
    /// institution is in the pool, or ever.
    address internal constant DEPARTMENT = address(0x4052);
    address internal constant LAB = address(0x1AC);

    IPeerValidation internal validation;

    function setUp() public {
        uint256 t0 = 1_700_000_000;
        vm.warp(t0);
        patients = [vm.addr(ALICE_KEY), vm.addr(BOB_KEY)];
        providers = new ProviderRegistry(address(this), REGULATOR);
        registry = new RecordRegistry(providers);
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(REGULATOR);
            providers.admit(providerList[i], IProviderRegistry.ProviderKind.Hospital, string(abi.encode(i)), "");
        }
        for (uint256 i = 0; i < 2; ++i) {
            vm.prank(patients[i]);
            registry.register(bytes32(i + 1));
        }
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(guardians[i]);
            registry.register(bytes32(i + 10));
        }
        handler = new ConsentHandler(
            registry,
            providers,
            patients,
            [ALICE_KEY, BOB_KEY],
            guardians,
            providerList,
            REGULATOR,
            STRANGER,
            t0
        );
        handler.anchor(0, 1);
        handler.anchor(0, 3);
        handler.anchor(1, 2);

        // The pool: providerList[2] and the pool hospitals; providerList[0..1], the department and
        // the lab may try later. providerList[0] and [1] author records to validate.
        validation = IPeerValidation(registry.peerValidation());
        IProviderRegistry.ProviderKind hospital = IProviderRegistry.ProviderKind.Hospital;
        for (uint256 i = 0; i < 3; ++i) handler.enrol(providerList[i], hospital, string(abi.encode(i)), i == 2);
        for (uint256 i = 0; i < 4; ++i) {
            string memory name = string(abi.encode(10 + i));
            vm.prank(REGULATOR);
            providers.admit(poolHospitals[i], hospital, name, "");
            handler.enrol(poolHospitals[i], hospital, name, true);
        }
        vm.prank(REGULATOR);
        providers.admit(DEPARTMENT, hospital, string(abi.encode(0)), "Radiology");
        handler.enrol(DEPARTMENT, hospital, string(abi.encode(0)), false);
        vm.prank(REGULATOR);
        providers.admit(LAB, IProviderRegistry.ProviderKind.Lab, "Lab", "");
        handler.enrol(LAB, IProviderRegistry.ProviderKind.Lab, "Lab", false);
        for (uint256 i = 0; i < 4; ++i) handler.anchorByProvider(i, providerList[i / 2]);
        // Every run starts with one case drawn and one waiting for its draw.
        handler.openCase(0, true);
        handler.openCase(3, false);

        bytes4[] memory selectors = new bytes4[](19);
        selectors[0] = ConsentRegistryActions.grant.selector;
        selectors[1] = ConsentRegistryActions.revoke.selector;
        selectors[2] = ConsentRegistryActions.redeemCode.selector;
        selectors[3] = ConsentRegistryActions.cancelCode.selector;
        selectors[4] = ConsentRegistryActions.appointGuardian.selector;
        selectors[5] = ConsentRegistryActions.removeGuardian.selector;
        selectors[6] = ConsentRegistryActions.setSummary.selector;
        selectors[7] = ConsentRegistryActions.openEmergency.selector;
        selectors[8] = ConsentRegistryActions.closeEmergency.selector;
        selectors[9] = ConsentRegistryActions.releaseKey.selector;
        selectors[10] = ConsentRegistryActions.warp.selector;
        selectors[11] = ConsentRegistryActions.toggleProvider.selector;
        selectors[12] = ConsentRegistryActions.anchor.selector;
        selectors[13] = ConsentValidationActions.joinPool.selector;
        selectors[14] = ConsentValidationActions.leavePool.selector;
        selectors[15] = ConsentValidationActions.submitForValidation.selector;
        selectors[16] = ConsentValidationActions.drawValidators.selector;
        selectors[17] = ConsentValidationActions.voteOnValidation.selector;
        selectors[18] = ConsentValidationActions.replaceValidator.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 48
    function invariant_canReadOnlyForAllowedReaders() public {
        vm.warp(handler.now_());
        address[16] memory readers = [
            patients[0],
            patients[1],
            guardians[0],
            guardians[1],
            guardians[2],
            providerList[0],
            providerList[1],
            providerList[2],
            poolHospitals[0],
            poolHospitals[1],
            poolHospitals[2],
            poolHospitals[3],
            DEPARTMENT,
            LAB,
            REGULATOR,
            STRANGER
        ];
        uint256 n = handler.recordCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.records(i);
            address patient = registry.getRecord(id).patient;
            for (uint256 j = 0; j < readers.length; ++j) {
                address x = readers[j];
                bool can = registry.canRead(x, id);
                assertEq(can, handler.modelCanRead(x, id), "canRead agrees with the model");
                if (!can) continue;
                assertTrue(x != REGULATOR && x != STRANGER, "never the regulator or a stranger");
                assertTrue(
                    x == patient ||
                        registry.guardianLevel(patient, x) != IGuardians.GuardianLevel.None ||
                        (providers.isActive(x) &&
                            (_grantCovers(patient, x, id) ||
                                _emergencyOpen(patient, x, id) ||
                                handler.isSeated(id, x))),
                    "reader is the patient, a guardian, a covered or emergency provider, or a seated validator"
                );
            }
        }
        // The peer-validation contract's own view agrees: a validator is seated in the model and active.
        uint256 m = handler.validationRecordCount();
        uint256 h = handler.hospitalCount();
        for (uint256 i = 0; i < m; ++i) {
            bytes32 id = handler.validationRecords(i);
            for (uint256 j = 0; j < h; ++j) {
                address x = handler.hospitals(j);
                assertEq(
                    validation.isValidator(id, x),
                    handler.isSeated(id, x) && providers.isActive(x),
                    "isValidator"
                );
            }
        }
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 48
    function invariant_callsAndStateAgreeWithModel() public view {
        string memory modelError = handler.lastModelError();
        if (bytes(modelError).length != 0) revert(string.concat("effects disagree with the model: ", modelError));
        if (handler.mismatches() != 0) {
            (bool ok, bytes memory data, bytes memory expected) = abi.decode(
                handler.lastMismatch(),
                (bool, bytes, bytes)
            );
            revert(
                string.concat(
                    "call outcome disagrees with the model: ok=",
                    ok ? "true" : "false",
                    " data=",
                    _hex(data),
                    " expected=",
                    _hex(expected)
                )
            );
        }
        for (uint256 i = 0; i < 2; ++i) {
            address p = patients[i];
            assertEq(registry.getPatient(p).keyEpoch, handler.ghostEpoch(p), "key epoch");
            assertEq(registry.emergencySummaryOf(p), handler.ghostSummary(p), "emergency summary");
            for (uint256 j = 0; j < 3; ++j) {
                assertEq(
                    uint256(registry.guardianLevel(p, guardians[j])),
                    uint256(handler.ghostGuardian(p, guardians[j])),
                    "guardian level"
                );
                assertEq(
                    registry.getEmergencyAccess(p, providerList[j]).expiresAt,
                    handler.ghostEmergencyUntil(p, providerList[j]),
                    "emergency access end"
                );
            }
            assertEq(registry.getEmergencyAccess(p, REGULATOR).openedAt, 0, "the regulator never opened access");
        }
        assertFalse(providers.isActive(REGULATOR), "the regulator is never admitted");
        assertFalse(providers.isActive(STRANGER), "the stranger is never admitted");
        _assertPoolAndCasesAgree();
    }

    function _assertPoolAndCasesAgree() private view {
        assertEq(validation.poolSize(), handler.ghostPoolSize(), "pool size");
        uint256 h = handler.hospitalCount();
        for (uint256 i = 0; i < h; ++i) {
            address a = handler.hospitals(i);
            assertEq(validation.isInPool(a), handler.ghostInPool(a), "pool membership");
            bytes32 institution = handler.institutionOf(a);
            assertEq(validation.poolMemberOf(institution), handler.ghostMemberOf(institution), "institution's member");
        }
        uint256 n = handler.validationRecordCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.validationRecords(i);
            IPeerValidation.ValidationCase memory c = validation.getCase(id);
            (
                IPeerValidation.ValidationStatus status,
                address author,
                bytes32 authorInstitution,
                uint40 seedBlock,
                uint8 approvals,
                uint8 rejections,
                uint8 vacancies
            ) = handler.ghostCases(id);
            assertEq(uint256(c.status), uint256(status), "case status");
            assertEq(c.author, author, "case author");
            assertEq(c.authorInstitution, authorInstitution, "case author's institution");
            assertEq(c.approvals, approvals, "approvals");
            assertEq(c.rejections, rejections, "rejections");
            assertEq(c.vacancies, vacancies, "vacancies");
            assertEq(c.seedBlock, seedBlock, "seed block");
            if (status == IPeerValidation.ValidationStatus.None) continue;
            assertEq(c.patient, handler.ownerOf(id), "case patient");
            _assertPoolAtSubmission(id, c.poolSize);
            IPeerValidation.Seat[] memory seats = validation.getSeats(id);
            for (uint256 s = 0; s < seats.length; ++s) {
                IPeerValidation.Seat memory g = handler.ghostSeat(id, s);
                assertEq(seats[s].validator, g.validator, "seat's validator");
                assertEq(seats[s].deadline, g.deadline, "seat's deadline");
                assertEq(uint256(seats[s].vote), uint256(g.vote), "seat's vote");
            }
        }
    }

    /// @dev The case's pool at submission, read back position by position, is the model's: its size,
    /// and each position a distinct member of it.
    function _assertPoolAtSubmission(bytes32 id, uint256 size) private view {
        assertEq(size, handler.ghostPoolSizeAtSubmission(id), "case's pool size at submission");
        address[] memory seen = new address[](size);
        for (uint256 i = 0; i < size; ++i) {
            address member = validation.casePoolMemberAt(id, i);
            assertTrue(handler.ghostInPoolAtSubmission(id, member), "a position holds a member at submission");
            for (uint256 j = 0; j < i; ++j) {
                assertTrue(seen[j] != member, "a member holds one position of a case's pool");
            }
            seen[i] = member;
        }
    }

    function _grantCovers(address patient, address grantee, bytes32 id) private view returns (bool) {
        IRecordAnchors.Record memory r = registry.getRecord(id);
        return
            _active(registry.getGrant(patient, grantee, IRecordGrants.Scope.Record, id)) ||
            _active(registry.getGrant(patient, grantee, IRecordGrants.Scope.Category, bytes32(uint256(r.category)))) ||
            _active(registry.getGrant(patient, grantee, IRecordGrants.Scope.All, bytes32(0)));
    }

    function _emergencyOpen(address patient, address provider, bytes32 id) private view returns (bool) {
        return
            registry.emergencySummaryOf(patient) == id &&
            registry.getEmergencyAccess(patient, provider).expiresAt > block.timestamp;
    }

    function _active(IRecordGrants.Grant memory g) private view returns (bool) {
        return g.issuedAt != 0 && g.revokedAt == 0 && (g.expiresAt == 0 || block.timestamp < g.expiresAt);
    }

    function _hex(bytes memory b) private pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        bytes memory out = new bytes(2 + b.length * 2);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = 0; i < b.length; ++i) {
            out[2 + 2 * i] = digits[uint8(b[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(b[i]) & 0x0f];
        }
        return string(out);
    }
}
