// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IGuardians} from "../interfaces/IGuardians.sol";
import {ConsentFixture} from "./fixtures/ConsentFixture.sol";

/**
 * @notice Guardians at the largest key epoch (2^30 - 1, reached here with `vm.store`). Removing a
 * guardian (or stepping down) advances the key epoch, except at the largest one: removal must
 * always work, so there it leaves the epoch as it is and the guardian still loses every power.
 */
contract RecordRegistryConsentKeyEpochTest is ConsentFixture {
    address internal constant GUARDIAN = address(0x6A1);

    function test_GuardianIsRemovedEvenAtMaxKeyEpoch() public {
        vm.prank(GUARDIAN);
        registry.register(bytes32(uint256(9)));
        uint32 max = MAX_KEY_EPOCH;
        bytes32 slot = bytes32(uint256(keccak256(abi.encode(alice, PATIENTS_SLOT))) + 1);
        uint256 word = uint256(vm.load(address(registry), slot));
        vm.store(address(registry), slot, bytes32((word & ((uint256(1) << 224) - 1)) | (uint256(max - 1) << 224)));
        assertEq(registry.getPatient(alice).keyEpoch, max - 1, "epoch moved near the largest");
        vm.startPrank(alice);
        registry.appointGuardian(GUARDIAN, IGuardians.GuardianLevel.View, hex"01");
        registry.removeGuardian(GUARDIAN);
        assertEq(registry.getPatient(alice).keyEpoch, max, "epoch at max");
        registry.appointGuardian(GUARDIAN, IGuardians.GuardianLevel.ShareAndView, hex"01");
        registry.removeGuardian(GUARDIAN);
        assertEq(uint256(registry.guardianLevel(alice, GUARDIAN)), 0, "removed");
        assertFalse(registry.canRead(GUARDIAN, aliceLab), "no longer reads");
        registry.appointGuardian(GUARDIAN, IGuardians.GuardianLevel.ShareAndView, hex"01");
        vm.stopPrank();

        vm.startPrank(GUARDIAN);
        registry.stepDownAsGuardian(alice);
        assertEq(registry.getPatient(alice).keyEpoch, max, "epoch stays at max");
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardians.RecordRegistryNotGuardian.selector,
                alice,
                GUARDIAN,
                IGuardians.GuardianLevel.None,
                IGuardians.GuardianLevel.ShareAndView
            )
        );
        registry.grantAsGuardian(alice, HOSPITAL, ALL, bytes32(0), false, 0, hex"01");
        vm.stopPrank();
    }
}
