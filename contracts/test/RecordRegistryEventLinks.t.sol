// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RecordRegistryFixture} from "./fixtures/RecordRegistryFixture.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {IAccessRequests} from "../interfaces/IAccessRequests.sol";
import {IConsentCodes} from "../interfaces/IConsentCodes.sol";
import {IGuardians} from "../interfaces/IGuardians.sol";
import {IEmergencyAccess} from "../interfaces/IEmergencyAccess.sol";

/**
 * @dev Event linking (docs/event-reads.md): every event about a patient carries the block of the
 * patient's previous event (`previousEventBlock`), and {IRecordAnchors-patientLatestBlock} names
 * the block of the latest one, so a client walks a patient's events with exact-block queries.
 * Each test moves to a new block before each event, so every link names a distinct block.
 */
contract RecordRegistryEventLinksTest is RecordRegistryFixture {
    address internal constant CAROL = address(0xCA201);

    /// @dev Moves to block `b` and returns the block of `account`'s latest event (its next link).
    function _at(uint256 b, address account) internal returns (uint64 previous) {
        previous = _prev(account);
        vm.roll(b);
    }

    function test_PatientLatestBlock_IsZeroBeforeAnyEvent() public view {
        assertEq(registry.patientLatestBlock(CAROL), 0, "no events");
        assertEq(registry.getPatient(CAROL).latestEventBlock, 0, "stored");
    }

    function test_RegisterAnchorRotate_LinkEachToThePrevious() public {
        vm.roll(100);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IRecordAnchors.PatientRegistered(CAROL, bytes32(uint256(7)), _genesisHead(CAROL), 0);
        vm.prank(CAROL);
        registry.register(bytes32(uint256(7)));
        assertEq(registry.patientLatestBlock(CAROL), 100, "pointer at registration");

        uint64 previous = _at(250, CAROL);
        assertEq(previous, 100, "link to registration");
        bytes24 head = registry.getPatient(CAROL).chainHead;
        bytes32 hash = keccak256("c");
        bytes memory cid = abi.encodePacked(hex"01551220", hash);
        bytes32 id = registry.computeRecordId(
            CAROL,
            head,
            CAROL,
            IRecordAnchors.Category.Lab,
            0,
            uint40(block.timestamp),
            hash,
            cid
        );
        vm.expectEmit(true, true, true, true, address(registry));
        emit IRecordAnchors.RecordAnchored(
            CAROL,
            id,
            CAROL,
            head,
            IRecordAnchors.Category.Lab,
            0,
            uint40(block.timestamp),
            hash,
            cid,
            previous
        );
        vm.prank(CAROL);
        registry.anchorRecord(CAROL, cid, hash, IRecordAnchors.Category.Lab, 0);
        IRecordAnchors.Patient memory p = registry.getPatient(CAROL);
        assertEq(bytes32(p.chainHead), bytes32(bytes24(id)), "head is the record");
        assertEq(p.latestEventBlock, 250, "pointer moved");
        assertEq(p.keyEpoch, 0, "epoch kept");

        previous = _at(400, CAROL);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IRecordAnchors.PatientEncryptionKeyRotated(CAROL, bytes32(uint256(8)), 250);
        vm.prank(CAROL);
        registry.rotateEncryptionKey(bytes32(uint256(8)));
        assertEq(registry.patientLatestBlock(CAROL), 400, "pointer at rotation");
        assertEq(bytes32(registry.getPatient(CAROL).chainHead), bytes32(bytes24(id)), "head kept");
        assertEq(registry.getPatient(CAROL).encryptionKey, bytes32(uint256(8)), "key kept");
    }

    function test_GrantRevokeAndEpoch_LinkEachToThePrevious() public {
        bytes32 lab = _cat(IRecordAnchors.Category.Lab);
        uint64 previous = _at(1_000, ALICE);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IRecordGrants.GrantIssued(ALICE, HOSPITAL, CATEGORY, lab, true, 0, 0, hex"c0ffee", previous);
        _grant(ALICE, HOSPITAL, CATEGORY, lab, true, 0);
        bytes24 head = registry.getPatient(ALICE).chainHead;

        previous = _at(1_001, ALICE);
        assertEq(previous, 1_000, "link to the grant");
        vm.expectEmit(true, true, true, true, address(registry));
        emit IRecordGrants.GrantRevoked(ALICE, HOSPITAL, _grantId(ALICE, HOSPITAL, CATEGORY, lab), 1, 1_000);
        _revoke(ALICE, HOSPITAL, CATEGORY, lab);

        _at(5_000, ALICE);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IRecordGrants.KeyEpochAdvanced(ALICE, ALICE, 2, 1_001);
        vm.prank(ALICE);
        registry.openKeyEpoch(ALICE);
        IRecordAnchors.Patient memory p = registry.getPatient(ALICE);
        assertEq(p.latestEventBlock, 5_000, "pointer");
        assertEq(p.keyEpoch, 2, "epoch advanced and kept by the link");
        assertEq(bytes32(p.chainHead), bytes32(head), "head kept by grant, revoke and epoch");
    }

    function test_RequestsAndConsentCodes_LinkEachToThePrevious() public {
        uint64 previous = _at(2_000, ALICE);
        bytes32 requestId = keccak256(abi.encode(ALICE, LAB, ALL, bytes32(0), "request"));
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessRequests.AccessRequested(ALICE, LAB, requestId, ALL, bytes32(0), false, 60, "TREAT", previous);
        vm.prank(LAB);
        registry.requestAccess(ALICE, ALL, bytes32(0), false, 60, "TREAT");

        _at(2_100, ALICE);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessRequests.AccessRequestDenied(ALICE, LAB, requestId, 2_000);
        vm.prank(ALICE);
        registry.denyRequest(LAB, ALL, bytes32(0));

        vm.prank(LAB);
        registry.requestAccess(ALICE, ALL, bytes32(0), false, 60, "TREAT"); // at 2_100 too
        _at(2_200, ALICE);
        // The approval's GrantIssued links; its companion AccessRequestApproved is in the same block.
        vm.expectEmit(true, true, false, true, address(registry));
        emit IRecordGrants.GrantIssued(ALICE, LAB, ALL, bytes32(0), false, 0, 0, hex"02", 2_100);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessRequests.AccessRequestApproved(ALICE, LAB, requestId);
        vm.prank(ALICE);
        registry.approveRequest(LAB, ALL, bytes32(0), false, 0, hex"02");

        _at(2_300, ALICE);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IConsentCodes.ConsentCodeCancelled(ALICE, 42, 2_200);
        vm.prank(ALICE);
        registry.cancelConsentCode(42);
        assertEq(registry.patientLatestBlock(ALICE), 2_300, "pointer");
    }

    function test_Guardians_LinkIntoBothAccountsChains() public {
        vm.roll(3_000);
        vm.prank(BOB);
        registry.rotateEncryptionKey(keccak256("bob again")); // BOB's latest event: 3_000
        uint64 alicePrevious = _at(3_100, ALICE);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IGuardians.GuardianAppointed(
            ALICE,
            BOB,
            IGuardians.GuardianLevel.ShareAndView,
            0,
            hex"03",
            alicePrevious,
            3_000
        );
        vm.prank(ALICE);
        registry.appointGuardian(BOB, IGuardians.GuardianLevel.ShareAndView, hex"03");
        assertEq(registry.patientLatestBlock(ALICE), 3_100, "patient's pointer");
        assertEq(registry.patientLatestBlock(BOB), 3_100, "guardian's pointer");

        _at(3_200, ALICE);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IGuardians.GuardianRemoved(ALICE, BOB, true, 1, 3_100, 3_100);
        vm.prank(BOB);
        registry.stepDownAsGuardian(ALICE);
        assertEq(registry.patientLatestBlock(ALICE), 3_200, "patient's pointer");
        assertEq(registry.patientLatestBlock(BOB), 3_200, "guardian's pointer");
    }

    function test_EmergencyAccess_LinksEachToThePrevious() public {
        uint64 previous = _at(4_000, ALICE);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IEmergencyAccess.EmergencySummarySet(ALICE, aliceCardiac, previous);
        vm.prank(ALICE);
        registry.setEmergencySummary(aliceCardiac);

        _at(4_100, ALICE);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IEmergencyAccess.EmergencyAccessOpened(ALICE, HOSPITAL, "ETREAT", aliceCardiac, uint40(T0 + 600), 4_000);
        vm.prank(HOSPITAL);
        registry.openEmergencyAccess(ALICE, "ETREAT", 600);

        _at(4_200, ALICE);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IEmergencyAccess.EmergencyKeyReleased(ALICE, HOSPITAL, ALICE, aliceCardiac, hex"04", 4_100);
        vm.prank(ALICE);
        registry.releaseEmergencyKey(ALICE, HOSPITAL, hex"04");

        _at(4_300, ALICE);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IEmergencyAccess.EmergencyAccessClosed(ALICE, HOSPITAL, HOSPITAL, 4_200);
        vm.prank(HOSPITAL);
        registry.closeEmergencyAccess(ALICE, HOSPITAL);
        assertEq(registry.patientLatestBlock(ALICE), 4_300, "pointer");
    }

    /// @dev Events of one patient in one block: the first links to the block before, the next ones
    /// to this block (the walk follows the smallest link below the block it reads).
    function test_SameBlockEvents_LinkToThatBlock() public {
        vm.roll(6_000);
        _anchor(ALICE, ALICE, IRecordAnchors.Category.General);
        uint64 previous = _at(6_000, ALICE);
        assertEq(previous, 6_000, "the second event of the block links to the block itself");
        vm.expectEmit(true, true, false, true, address(registry));
        emit IRecordGrants.GrantIssued(ALICE, LAB, ALL, bytes32(0), false, 0, 0, hex"c0ffee", 6_000);
        _grant(ALICE, LAB, ALL, bytes32(0), false, 0);
    }

    /// @dev Other patients' chains are untouched by an event about one patient.
    function test_Link_TouchesOnlyThePatientsOwnChain() public {
        vm.roll(7_000);
        uint256 bob = registry.patientLatestBlock(BOB);
        _anchor(ALICE, ALICE, IRecordAnchors.Category.General);
        _grant(ALICE, HOSPITAL, ALL, bytes32(0), false, 0);
        assertEq(registry.patientLatestBlock(ALICE), 7_000, "alice moved");
        assertEq(registry.patientLatestBlock(BOB), bob, "bob unchanged");
        assertEq(registry.patientLatestBlock(HOSPITAL), 0, "a grantee has no chain here");
    }

    /// @dev The block is stored modulo 2^32 and resolved against the current block, so links stay
    /// exact across a multiple of 2^32 and for any gap below 2^32 blocks.
    function testFuzz_Link_ResolvesBlocksModulo2To32(uint64 start, uint32 gap) public {
        start = uint64(bound(start, 1, type(uint64).max - type(uint32).max - 1));
        gap = uint32(bound(gap, 1, type(uint32).max));
        vm.roll(start);
        _anchor(ALICE, ALICE, IRecordAnchors.Category.General);
        assertEq(registry.patientLatestBlock(ALICE), start, "pointer resolved");
        vm.roll(uint256(start) + gap);
        assertEq(registry.patientLatestBlock(ALICE), start, "pointer resolved later");
        vm.expectEmit(true, true, false, true, address(registry));
        emit IRecordGrants.GrantIssued(ALICE, LAB, ALL, bytes32(0), false, 0, 0, hex"c0ffee", start);
        _grant(ALICE, LAB, ALL, bytes32(0), false, 0);
        assertEq(registry.patientLatestBlock(ALICE), uint256(start) + gap, "pointer moved");
    }
}
