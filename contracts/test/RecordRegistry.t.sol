// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessRequests} from "../interfaces/IAccessRequests.sol";
import {IGuardians} from "../interfaces/IGuardians.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {RecordRegistryFixture} from "./fixtures/RecordRegistryFixture.sol";

/// @notice Unit tests of the main paths.
contract RecordRegistryTest is RecordRegistryFixture {
    // ------------------------------------------------------------------ patients

    function test_Register_StoresKeyAndGenesisHead() public {
        address carol = address(0xCA201);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IRecordAnchors.PatientRegistered(carol, bytes32(uint256(7)), _genesisHead(carol), 0);
        vm.prank(carol);
        registry.register(bytes32(uint256(7)));
        IRecordAnchors.Patient memory p = registry.getPatient(carol);
        assertEq(p.encryptionKey, bytes32(uint256(7)), "key");
        assertEq(bytes32(p.chainHead), bytes32(_genesisHead(carol)), "genesis head");
        assertEq(p.keyEpoch, 0, "epoch");
        assertTrue(p.chainHead != bytes24(0), "genesis head is never zero");
    }

    function test_Register_RevertsWhenAlreadyRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IRecordAnchors.RecordRegistryAlreadyRegistered.selector, ALICE));
        vm.prank(ALICE);
        registry.register(bytes32(uint256(1)));
    }

    function test_Register_RevertsOnZeroKey() public {
        vm.expectRevert(abi.encodeWithSelector(IRecordAnchors.RecordRegistryInvalidEncryptionKey.selector));
        vm.prank(address(0xCA201));
        registry.register(bytes32(0));
    }

    // ------------------------------------------------------------------- records

    function test_AnchorRecord_ExtendsTheHashChain() public {
        bytes24 head = registry.getPatient(ALICE).chainHead;
        assertEq(bytes32(head), bytes32(bytes24(aliceCardiac)), "head is the latest record");
        for (uint256 i = 0; i < 3; ++i) {
            bytes memory cid = abi.encodePacked(hex"0155", i);
            bytes32 hash = keccak256(cid);
            bytes32 expected = registry.computeRecordId(
                ALICE,
                head,
                ALICE,
                IRecordAnchors.Category.General,
                0,
                uint40(block.timestamp),
                hash,
                cid
            );
            vm.expectEmit(true, true, true, true, address(registry));
            emit IRecordAnchors.RecordAnchored(
                ALICE,
                expected,
                ALICE,
                head,
                IRecordAnchors.Category.General,
                0,
                uint40(block.timestamp),
                hash,
                cid,
                _prev(ALICE)
            );
            vm.prank(ALICE);
            bytes32 id = registry.anchorRecord(ALICE, cid, hash, IRecordAnchors.Category.General, 0);
            assertEq(id, expected, "record id");
            head = registry.getPatient(ALICE).chainHead;
            assertEq(bytes32(head), bytes32(bytes24(id)), "head advanced");
            IRecordAnchors.Record memory r = registry.getRecord(id);
            assertEq(r.patient, ALICE, "record patient");
            assertEq(uint256(r.category), uint256(IRecordAnchors.Category.General), "record category");
            assertEq(r.anchoredAt, block.timestamp, "record time");
        }
    }

    function test_AnchorRecord_ByProviderWithCategoryWriteConsent() public {
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Cardiac), true, 0);
        bytes32 id = _anchor(HOSPITAL, ALICE, IRecordAnchors.Category.Cardiac);
        assertEq(registry.getRecord(id).patient, ALICE, "anchored for the patient");
        assertTrue(registry.canRead(HOSPITAL, id), "author with category grant reads it");

        vm.expectRevert(
            abi.encodeWithSelector(
                IRecordAnchors.RecordRegistryWriteNotPermitted.selector,
                HOSPITAL,
                ALICE,
                IRecordAnchors.Category.Lab
            )
        );
        vm.prank(HOSPITAL);
        registry.anchorRecord(ALICE, hex"01", bytes32(uint256(1)), IRecordAnchors.Category.Lab, 0);
    }

    /// @dev Write consent carries the key epoch of its issue: after another grant's revocation
    /// advances the epoch, the writer may not anchor until the patient re-issues its grant.
    function test_AnchorRecord_WriteGrantMustCarryTheCurrentEpoch() public {
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), true, 0);
        _grant(ALICE, LAB, ALL, bytes32(0), true, 0);
        _revoke(ALICE, LAB, ALL, bytes32(0)); // epoch 0 -> 1
        assertFalse(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category.Lab), "stale grant: no write");
        assertTrue(registry.canRead(HOSPITAL, aliceLab), "stale grant still reads what it covers");
        for (uint32 epoch = 0; epoch <= 1; ++epoch) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRecordAnchors.RecordRegistryWriteNotPermitted.selector,
                    HOSPITAL,
                    ALICE,
                    IRecordAnchors.Category.Lab
                )
            );
            vm.prank(HOSPITAL);
            registry.anchorRecord(ALICE, hex"01", bytes32(uint256(1)), IRecordAnchors.Category.Lab, epoch);
        }
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), true, 0); // re-issue at epoch 1
        assertTrue(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category.Lab), "re-issued: write");
        bytes32 id = _anchor(HOSPITAL, ALICE, IRecordAnchors.Category.Lab);
        assertEq(registry.getRecord(id).keyEpoch, 1, "written under the new epoch");
    }

    function test_AnchorRecord_RevertsForReadOnlyGrant() public {
        _grant(ALICE, LAB, ALL, bytes32(0), false, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRecordAnchors.RecordRegistryWriteNotPermitted.selector,
                LAB,
                ALICE,
                IRecordAnchors.Category.Lab
            )
        );
        vm.prank(LAB);
        registry.anchorRecord(ALICE, hex"01", bytes32(uint256(1)), IRecordAnchors.Category.Lab, 0);
    }

    // -------------------------------------------------------------------- grants

    function test_Grant_RecordScopeCoversOnlyThatRecord() public {
        bytes32 id = _grant(ALICE, LAB, RECORD, aliceLab, false, 0);
        assertEq(id, _grantId(ALICE, LAB, RECORD, aliceLab), "grant id");
        assertTrue(registry.canRead(LAB, aliceLab), "granted record");
        assertFalse(registry.canRead(LAB, aliceCardiac), "other record");
        assertFalse(registry.canRead(LAB, bobLab), "other patient's record");
        assertFalse(registry.canWrite(LAB, ALICE, IRecordAnchors.Category.Lab), "record grant never writes");
    }

    function test_Revoke_CategoryAdvancesEpochAndOldEpochIsStale() public {
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), true, 0);
        bytes32 grantId = _grantId(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab));
        vm.expectEmit(true, true, true, true, address(registry));
        emit IRecordGrants.GrantRevoked(ALICE, HOSPITAL, grantId, 1, _prev(ALICE));
        _revoke(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab));
        assertEq(_epoch(ALICE), 1, "epoch advanced");
        assertEq(_epoch(BOB), 0, "other patient untouched");
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "revoked");

        vm.expectRevert(abi.encodeWithSelector(IRecordAnchors.RecordRegistryStaleKeyEpoch.selector, ALICE, 0, 1));
        vm.prank(ALICE);
        registry.anchorRecord(ALICE, hex"01", bytes32(uint256(1)), IRecordAnchors.Category.Lab, 0);
        vm.prank(ALICE);
        registry.anchorRecord(ALICE, hex"01", bytes32(uint256(1)), IRecordAnchors.Category.Lab, 1);

        vm.expectRevert(abi.encodeWithSelector(IRecordGrants.RecordRegistryGrantNotActive.selector, grantId));
        _revoke(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab));
    }

    function test_Revoke_RecordScopeKeepsEpoch() public {
        _grant(ALICE, HOSPITAL, RECORD, aliceLab, false, 0);
        _revoke(ALICE, HOSPITAL, RECORD, aliceLab);
        assertEq(_epoch(ALICE), 0, "epoch unchanged");
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "revoked");
    }

    function test_SuspensionStopsAndReinstatementRestoresAccess() public {
        _grant(ALICE, HOSPITAL, ALL, bytes32(0), true, uint40(T0 + 1 days));
        providers.suspend(HOSPITAL);
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "suspended: no read");
        assertFalse(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category.Lab), "suspended: no write");
        assertFalse(registry.isGrantActive(ALICE, HOSPITAL, ALL, bytes32(0)), "suspended: grant inactive");
        providers.reinstate(HOSPITAL);
        assertTrue(registry.canRead(HOSPITAL, aliceLab), "reinstated: read");
        assertTrue(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category.Lab), "reinstated: write");
        providers.suspend(HOSPITAL);
        vm.warp(T0 + 1 days);
        providers.reinstate(HOSPITAL);
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "reinstated after expiry: no read");
    }

    // ------------------------------------------------------------------ requests

    function test_Request_ApproveIssuesGrantAndClearsSlot() public {
        vm.prank(LAB);
        bytes32 requestId = registry.requestAccess(
            ALICE,
            CATEGORY,
            _cat(IRecordAnchors.Category.Lab),
            true,
            7 days,
            "TREAT"
        );
        IAccessRequests.AccessRequest memory req = registry.getRequest(
            ALICE,
            LAB,
            CATEGORY,
            _cat(IRecordAnchors.Category.Lab)
        );
        assertEq(uint256(req.status), uint256(IAccessRequests.RequestStatus.Pending), "pending");
        assertEq(req.duration, 7 days, "duration");

        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessRequests.AccessRequestApproved(ALICE, LAB, requestId);
        vm.prank(ALICE);
        registry.approveRequest(LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab), true, uint40(T0 + 2 days), hex"01");
        req = registry.getRequest(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab));
        assertEq(uint256(req.status), uint256(IAccessRequests.RequestStatus.None), "slot cleared");
        assertEq(req.write, false, "write cleared");
        assertEq(req.requestedAt, 0, "requestedAt cleared");
        assertEq(req.duration, 0, "duration cleared");
        IRecordGrants.Grant memory g = registry.getGrant(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab));
        assertEq(g.expiresAt, T0 + 2 days, "patient-chosen expiry");
        assertTrue(g.write, "write consent");
        assertTrue(registry.canRead(LAB, aliceLab), "lab reads its category");

        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessRequests.RecordRegistryRequestNotPending.selector,
                requestId,
                IAccessRequests.RequestStatus.None
            )
        );
        vm.prank(ALICE);
        registry.denyRequest(LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab));
    }

    function test_Request_DuplicateWhilePendingReverts() public {
        vm.prank(LAB);
        bytes32 requestId = registry.requestAccess(ALICE, ALL, bytes32(0), false, 0, "TREAT");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessRequests.RecordRegistryRequestNotPending.selector,
                requestId,
                IAccessRequests.RequestStatus.Pending
            )
        );
        vm.prank(LAB);
        registry.requestAccess(ALICE, ALL, bytes32(0), true, 1 days, "TREAT");
    }

    function test_Request_WriteNotRequestedThenDeniedThenRequestedAgain() public {
        vm.prank(LAB);
        bytes32 requestId = registry.requestAccess(ALICE, ALL, bytes32(0), false, 0, "TREAT");
        vm.expectRevert(abi.encodeWithSelector(IAccessRequests.RecordRegistryWriteNotRequested.selector, requestId));
        vm.prank(ALICE);
        registry.approveRequest(LAB, ALL, bytes32(0), true, 0, hex"01");

        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessRequests.AccessRequestDenied(ALICE, LAB, requestId, _prev(ALICE));
        vm.prank(ALICE);
        registry.denyRequest(LAB, ALL, bytes32(0));
        assertEq(registry.getGrant(ALICE, LAB, ALL, bytes32(0)).issuedAt, 0, "nothing issued");
        assertFalse(registry.canRead(LAB, aliceLab), "no access");

        vm.prank(LAB);
        assertEq(registry.requestAccess(ALICE, ALL, bytes32(0), true, 0, "TREAT"), requestId, "same slot, new request");
    }

    function test_Request_RejectsInactiveRequester() public {
        address[3] memory requesters = [SUSPENDED, REMOVED, STRANGER];
        for (uint256 i = 0; i < requesters.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, requesters[i])
            );
            vm.prank(requesters[i]);
            registry.requestAccess(ALICE, ALL, bytes32(0), false, 0, "TREAT");
        }
    }

    // ---------------------------------------------------------- key-epoch bound

    /**
     * @dev The audit's exploit (issue 14, item 4), for real: a SHARE AND VIEW guardian runs a
     * generation's worth of grant/revoke rounds (16,384, one more than the old single chain had
     * epochs) and the patient can still revoke a category grant, which advances the epoch further.
     */
    function test_KeyEpoch_GuardianRoundsCannotMakeGrantsIrrevocable() public {
        address guardian = address(0x6A1);
        vm.prank(guardian);
        registry.register(keccak256("guardian x25519"));
        vm.prank(ALICE);
        registry.appointGuardian(guardian, IGuardians.GuardianLevel.ShareAndView, hex"01");
        vm.startPrank(guardian);
        for (uint256 i = 0; i < GENERATION_EPOCHS; ++i) {
            registry.grantAsGuardian(ALICE, LAB, ALL, bytes32(0), false, 0, hex"01");
            registry.revokeAsGuardian(ALICE, LAB, ALL, bytes32(0));
        }
        vm.stopPrank();
        assertEq(_epoch(ALICE), GENERATION_EPOCHS, "the guardian moved the epoch into generation 1");
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), false, 0);
        vm.prank(ALICE);
        registry.revoke(HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab));
        assertEq(_epoch(ALICE), GENERATION_EPOCHS + 1, "the patient's revocation advanced it again");
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "revoked");
    }

    /**
     * @dev At the largest epoch (reached here with `vm.store`; for real only after 2^30 - 1 advances)
     * category, all-records and record revocations and guardian removal all still work and end access
     * at once; the epoch stays at the largest value instead of reverting or wrapping.
     */
    function test_KeyEpoch_RevocationNeverRevertsAtMaxEpoch() public {
        _setEpoch(ALICE, MAX_KEY_EPOCH - 1);
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), false, 0);
        _grant(ALICE, LAB, ALL, bytes32(0), false, 0);
        vm.prank(ALICE);
        registry.revoke(HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab));
        assertEq(_epoch(ALICE), MAX_KEY_EPOCH, "advanced to the largest epoch");
        vm.expectEmit(true, true, true, true, address(registry));
        emit IRecordGrants.GrantRevoked(ALICE, LAB, _grantId(ALICE, LAB, ALL, bytes32(0)), MAX_KEY_EPOCH, _prev(ALICE));
        vm.prank(ALICE);
        registry.revoke(LAB, ALL, bytes32(0));
        assertEq(_epoch(ALICE), MAX_KEY_EPOCH, "stays at the largest epoch");
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "category grant ended");
        assertFalse(registry.canRead(LAB, aliceCardiac), "all-records grant ended");

        bytes32 id = _anchor(ALICE, ALICE, IRecordAnchors.Category.General);
        _grant(ALICE, HOSPITAL, RECORD, id, false, 0);
        vm.prank(ALICE);
        registry.revoke(HOSPITAL, RECORD, id);
        assertFalse(registry.canRead(HOSPITAL, id), "record grant ended");

        address guardian = address(0x6A1);
        vm.prank(guardian);
        registry.register(keccak256("guardian x25519"));
        vm.startPrank(ALICE);
        registry.appointGuardian(guardian, IGuardians.GuardianLevel.ShareAndView, hex"01");
        registry.removeGuardian(guardian);
        vm.stopPrank();
        assertFalse(registry.canRead(guardian, id), "guardian removed");
        assertEq(_epoch(ALICE), MAX_KEY_EPOCH, "still the largest epoch");
    }

    // --------------------------------------------------- key epoch without revocation

    /// @dev The patient moves to a new epoch (e.g. after a grantee's expiry or suspension): the
    /// event names it, later records need the new epoch, grants stay active but a write grant of the
    /// old epoch no longer writes until re-issued.
    function test_OpenKeyEpoch_ByPatientAdvancesWithoutRevoking() public {
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), true, 0);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IRecordGrants.KeyEpochAdvanced(ALICE, ALICE, 1, _prev(ALICE));
        vm.prank(ALICE);
        registry.openKeyEpoch(ALICE);
        assertEq(_epoch(ALICE), 1, "epoch advanced");
        assertEq(_epoch(BOB), 0, "other patient untouched");
        bytes32 lab = _cat(IRecordAnchors.Category.Lab);
        assertTrue(registry.isGrantActive(ALICE, HOSPITAL, CATEGORY, lab), "not revoked");
        assertTrue(registry.canRead(HOSPITAL, aliceLab), "still reads");
        assertFalse(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category.Lab), "old-epoch write grant");

        vm.expectRevert(abi.encodeWithSelector(IRecordAnchors.RecordRegistryStaleKeyEpoch.selector, ALICE, 0, 1));
        vm.prank(ALICE);
        registry.anchorRecord(ALICE, hex"01", bytes32(uint256(1)), IRecordAnchors.Category.Lab, 0);
        _grant(ALICE, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), true, 0);
        assertTrue(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category.Lab), "re-issued at epoch 1");
        _anchor(HOSPITAL, ALICE, IRecordAnchors.Category.Lab);
    }

    function test_OpenKeyEpoch_ByShareAndViewGuardian() public {
        vm.prank(ALICE);
        registry.appointGuardian(BOB, IGuardians.GuardianLevel.ShareAndView, hex"01");
        vm.expectEmit(true, true, false, true, address(registry));
        emit IRecordGrants.KeyEpochAdvanced(ALICE, BOB, 1, _prev(ALICE));
        vm.prank(BOB);
        registry.openKeyEpoch(ALICE);
        assertEq(_epoch(ALICE), 1, "advanced for the patient");
        assertEq(_epoch(BOB), 0, "not the guardian's own epoch");
    }

    function test_OpenKeyEpoch_RefusesEveryoneElse() public {
        vm.prank(ALICE);
        registry.appointGuardian(BOB, IGuardians.GuardianLevel.View, hex"01");
        _grant(ALICE, HOSPITAL, ALL, bytes32(0), true, 0);
        IGuardians.GuardianLevel none = IGuardians.GuardianLevel.None;
        IGuardians.GuardianLevel view_ = IGuardians.GuardianLevel.View;
        IGuardians.GuardianLevel shareAndView = IGuardians.GuardianLevel.ShareAndView;
        bytes4 notGuardian = IGuardians.RecordRegistryNotGuardian.selector;

        vm.expectRevert(abi.encodeWithSelector(notGuardian, ALICE, BOB, view_, shareAndView));
        vm.prank(BOB);
        registry.openKeyEpoch(ALICE);
        vm.expectRevert(abi.encodeWithSelector(notGuardian, ALICE, HOSPITAL, none, shareAndView));
        vm.prank(HOSPITAL);
        registry.openKeyEpoch(ALICE);
        vm.expectRevert(abi.encodeWithSelector(notGuardian, ALICE, STRANGER, none, shareAndView));
        vm.prank(STRANGER);
        registry.openKeyEpoch(ALICE);
        vm.expectRevert(abi.encodeWithSelector(IRecordAnchors.RecordRegistryUnknownPatient.selector, STRANGER));
        vm.prank(STRANGER);
        registry.openKeyEpoch(STRANGER);
        assertEq(_epoch(ALICE), 0, "nothing advanced");
    }
}
