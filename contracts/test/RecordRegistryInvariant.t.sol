// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./TestBase.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {RecordRegistry} from "../RecordRegistry.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {RegistryHandler} from "./handlers/RegistryHandler.sol";

/**
 * @notice Invariant tests: after any sequence of grants, revocations, time jumps, suspensions,
 * reinstatements and anchorings, `canRead` agrees with the handler's model, and whenever it is
 * true the reader is the patient or an active provider holding an active grant covering the record.
 * @dev Depth and runs are kept small so the suite stays fast on two cores.
 */
contract RecordRegistryInvariantTest is TestBase {
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant STRANGER = address(0x5757);

    ProviderRegistry internal providers;
    RecordRegistry internal registry;
    RegistryHandler internal handler;
    address[3] internal grantees = [address(0x4051), address(0x1AB), address(0xC11)];

    function setUp() public {
        uint256 t0 = 1_700_000_000;
        vm.warp(t0);
        providers = new ProviderRegistry(address(this), address(this));
        registry = new RecordRegistry(providers);
        for (uint256 i = 0; i < 3; ++i) {
            providers.admit(grantees[i], IProviderRegistry.ProviderKind.Clinic, "provider", "");
        }
        vm.prank(ALICE);
        registry.register(bytes32(uint256(1)));
        vm.prank(BOB);
        registry.register(bytes32(uint256(2)));
        handler = new RegistryHandler(registry, providers, [ALICE, BOB], grantees, t0);
        providers.grantRole(providers.REGULATOR_ROLE(), address(handler));
        handler.anchor(0, 1);
        handler.anchor(1, 2);

        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = RegistryHandler.grant.selector;
        selectors[1] = RegistryHandler.revoke.selector;
        selectors[2] = RegistryHandler.warp.selector;
        selectors[3] = RegistryHandler.toggleProvider.selector;
        selectors[4] = RegistryHandler.anchor.selector;
        selectors[5] = RegistryHandler.anchorAsProvider.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 64
    function invariant_canReadImpliesPatientOrActiveCoveringGrant() public {
        vm.warp(handler.now_());
        address[6] memory readers = [ALICE, BOB, grantees[0], grantees[1], grantees[2], STRANGER];
        uint256 n = handler.recordCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.records(i);
            IRecordAnchors.Record memory r = registry.getRecord(id);
            for (uint256 j = 0; j < readers.length; ++j) {
                address x = readers[j];
                bool can = registry.canRead(x, id);
                assertEq(can, handler.modelCanRead(x, id), "canRead agrees with the model");
                if (can && x != r.patient) {
                    assertTrue(providers.isActive(x), "reader is an active provider");
                    assertTrue(
                        _active(r.patient, x, IRecordGrants.Scope.Record, id) ||
                            _active(r.patient, x, IRecordGrants.Scope.Category, bytes32(uint256(r.category))) ||
                            _active(r.patient, x, IRecordGrants.Scope.All, bytes32(0)),
                        "reader holds an active grant covering the record"
                    );
                }
            }
        }
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 64
    function invariant_canWriteMatchesModel() public {
        vm.warp(handler.now_());
        address[6] memory authors = [ALICE, BOB, grantees[0], grantees[1], grantees[2], STRANGER];
        address[2] memory patients = [ALICE, BOB];
        for (uint256 i = 0; i < patients.length; ++i) {
            for (uint256 j = 0; j < authors.length; ++j) {
                for (uint256 c = 1; c <= 9; ++c) {
                    IRecordAnchors.Category category = IRecordAnchors.Category(c);
                    assertEq(
                        registry.canWrite(authors[j], patients[i], category),
                        handler.modelCanWrite(authors[j], patients[i], category),
                        "canWrite agrees with the model"
                    );
                }
            }
        }
    }

    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 64
    function invariant_modelAgreesOnOutcomesAndEpochs() public view {
        assertEq(handler.mismatches(), 0, "call outcomes agree with the model");
        assertEq(registry.getPatient(ALICE).keyEpoch, handler.ghostEpoch(ALICE), "alice epoch");
        assertEq(registry.getPatient(BOB).keyEpoch, handler.ghostEpoch(BOB), "bob epoch");
        assertFalse(providers.isActive(STRANGER), "stranger never a provider");
    }

    /// @dev Active per the registry's own stored fields (not via `isGrantActive`).
    function _active(
        address patient,
        address grantee,
        IRecordGrants.Scope scope,
        bytes32 target
    ) private view returns (bool) {
        IRecordGrants.Grant memory g = registry.getGrant(patient, grantee, scope, target);
        return g.issuedAt != 0 && g.revokedAt == 0 && (g.expiresAt == 0 || block.timestamp < g.expiresAt);
    }
}
