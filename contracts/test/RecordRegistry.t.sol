// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./TestBase.sol";
import {Vm} from "./Vm.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {RecordRegistry} from "../RecordRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {IAccessRequests} from "../interfaces/IAccessRequests.sol";
import {IGuardians} from "../interfaces/IGuardians.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/**
 * @dev Shared state of the RecordRegistry Solidity tests: a provider registry with two active
 * providers, a suspended one and a removed one; two registered patients (ALICE with a Lab and a
 * Cardiac record, BOB with a Lab record). The test contract is the admin and the regulator.
 */
abstract contract RecordRegistryFixture is TestBase {
    uint256 internal constant T0 = 1_700_000_000;
    /// @dev The documented largest key epoch, 2^30 - 1 (IRecordRegistry, docs/keys.md); not a getter.
    uint32 internal constant MAX_KEY_EPOCH = 1_073_741_823;
    /// @dev Epochs per key generation (docs/keys.md): the old, single chain's length.
    uint32 internal constant GENERATION_EPOCHS = 16_384;
    /// @dev The documented longest wrapped key (IRecordRegistry).
    uint256 internal constant MAX_WRAPPED_KEY_BYTES = 640;
    /// @dev Storage slot of `RecordRegistry._patients` (after EIP712's two string slots); checked
    /// by {_setEpoch}, which reads the epoch back through {IRecordRegistry-getPatient}.
    uint256 internal constant PATIENTS_SLOT = 2;

    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);
    address internal constant HOSPITAL = address(0x4051);
    address internal constant LAB = address(0x1AB);
    address internal constant SUSPENDED = address(0x5005);
    address internal constant REMOVED = address(0xDEAD);
    address internal constant STRANGER = address(0x5757);

    IRecordGrants.Scope internal constant RECORD = IRecordGrants.Scope.Record;
    IRecordGrants.Scope internal constant CATEGORY = IRecordGrants.Scope.Category;
    IRecordGrants.Scope internal constant ALL = IRecordGrants.Scope.All;

    ProviderRegistry internal providers;
    RecordRegistry internal registry;

    bytes32 internal aliceLab;
    bytes32 internal aliceCardiac;
    bytes32 internal bobLab;

    uint256 private _nonce;

    function setUp() public virtual {
        vm.warp(T0);
        providers = new ProviderRegistry(address(this), address(this));
        registry = new RecordRegistry(providers);
        providers.admit(HOSPITAL, IProviderRegistry.ProviderKind.Hospital, "St. Elsewhere", "Cardiology");
        providers.admit(LAB, IProviderRegistry.ProviderKind.Lab, "Central Lab", "");
        providers.admit(SUSPENDED, IProviderRegistry.ProviderKind.Clinic, "Suspended Clinic", "");
        providers.admit(REMOVED, IProviderRegistry.ProviderKind.Practitioner, "Dr. Removed", "");
        providers.suspend(SUSPENDED);
        providers.remove(REMOVED);

        vm.prank(ALICE);
        registry.register(keccak256("alice x25519"));
        vm.prank(BOB);
        registry.register(keccak256("bob x25519"));
        aliceLab = _anchor(ALICE, ALICE, IRecordAnchors.Category.Lab);
        aliceCardiac = _anchor(ALICE, ALICE, IRecordAnchors.Category.Cardiac);
        bobLab = _anchor(BOB, BOB, IRecordAnchors.Category.Lab);
    }

    function _cat(IRecordAnchors.Category c) internal pure returns (bytes32) {
        return bytes32(uint256(c));
    }

    /// @dev A grant id by its documented formula ({IRecordRegistry-Grant}), not taken from the registry.
    function _grantId(address patient, address grantee, IRecordGrants.Scope scope, bytes32 target)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    /// @dev The genesis head by its documented formula ({IRecordRegistry-Patient}).
    function _genesisHead(address patient) internal view returns (bytes28) {
        return bytes28(keccak256(abi.encode(block.chainid, address(registry), patient)));
    }

    function _epoch(address patient) internal view returns (uint32) {
        return registry.getPatient(patient).keyEpoch;
    }

    /// @dev Moves `patient`'s key epoch to `epoch` with `vm.store`, keeping its chain head (the
    /// epoch is the top 32 bits of the {IRecordRegistry-Patient} slot it shares with the head).
    function _setEpoch(address patient, uint32 epoch) internal {
        bytes32 slot = bytes32(uint256(keccak256(abi.encode(patient, PATIENTS_SLOT))) + 1);
        uint256 word = uint256(vm.load(address(registry), slot));
        word = (word & ((uint256(1) << 224) - 1)) | (uint256(epoch) << 224);
        vm.store(address(registry), slot, bytes32(word));
        assertEq(_epoch(patient), epoch, "epoch moved");
    }

    /// @dev `author` anchors a fresh record of `patient` at the patient's current epoch.
    function _anchor(address author, address patient, IRecordAnchors.Category category)
        internal
        returns (bytes32 recordId)
    {
        uint32 epoch = _epoch(patient);
        bytes32 hash = keccak256(abi.encode("ciphertext", ++_nonce));
        vm.prank(author);
        recordId = registry.anchorRecord(patient, abi.encodePacked(hex"01551220", hash), hash, category, epoch);
    }

    function _grant(
        address patient,
        address grantee,
        IRecordGrants.Scope scope,
        bytes32 target,
        bool write,
        uint40 expiresAt
    ) internal returns (bytes32 grantId) {
        vm.prank(patient);
        grantId = registry.grant(grantee, scope, target, write, expiresAt, hex"c0ffee");
    }

    function _revoke(address patient, address grantee, IRecordGrants.Scope scope, bytes32 target) internal {
        vm.prank(patient);
        registry.revoke(grantee, scope, target);
    }
}

/// @notice Unit tests of the main paths.
contract RecordRegistryTest is RecordRegistryFixture {
    // ------------------------------------------------------------------ patients

    function test_Register_StoresKeyAndGenesisHead() public {
        address carol = address(0xCA201);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IRecordAnchors.PatientRegistered(carol, bytes32(uint256(7)), _genesisHead(carol));
        vm.prank(carol);
        registry.register(bytes32(uint256(7)));
        IRecordAnchors.Patient memory p = registry.getPatient(carol);
        assertEq(p.encryptionKey, bytes32(uint256(7)), "key");
        assertEq(bytes32(p.chainHead), bytes32(_genesisHead(carol)), "genesis head");
        assertEq(p.keyEpoch, 0, "epoch");
        assertTrue(p.chainHead != bytes28(0), "genesis head is never zero");
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
        bytes28 head = registry.getPatient(ALICE).chainHead;
        assertEq(bytes32(head), bytes32(bytes28(aliceCardiac)), "head is the latest record");
        for (uint256 i = 0; i < 3; ++i) {
            bytes memory cid = abi.encodePacked(hex"0155", i);
            bytes32 hash = keccak256(cid);
            bytes32 expected = registry.computeRecordId(
                ALICE, head, ALICE, IRecordAnchors.Category.General, 0, uint40(block.timestamp), hash, cid
            );
            vm.expectEmit(true, true, true, true, address(registry));
            emit IRecordAnchors.RecordAnchored(
                ALICE, expected, ALICE, head, IRecordAnchors.Category.General, 0, uint40(block.timestamp), hash, cid
            );
            vm.prank(ALICE);
            bytes32 id = registry.anchorRecord(ALICE, cid, hash, IRecordAnchors.Category.General, 0);
            assertEq(id, expected, "record id");
            head = registry.getPatient(ALICE).chainHead;
            assertEq(bytes32(head), bytes32(bytes28(id)), "head advanced");
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
                IRecordAnchors.RecordRegistryWriteNotPermitted.selector, HOSPITAL, ALICE, IRecordAnchors.Category.Lab
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
                IRecordAnchors.RecordRegistryWriteNotPermitted.selector, LAB, ALICE, IRecordAnchors.Category.Lab
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
        emit IRecordGrants.GrantRevoked(ALICE, HOSPITAL, grantId, 1);
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
        bytes32 requestId =
            registry.requestAccess(ALICE, CATEGORY, _cat(IRecordAnchors.Category.Lab), true, 7 days, "TREAT");
        IAccessRequests.AccessRequest memory req =
            registry.getRequest(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab));
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
                IAccessRequests.RecordRegistryRequestNotPending.selector, requestId, IAccessRequests.RequestStatus.Pending
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
        emit IAccessRequests.AccessRequestDenied(ALICE, LAB, requestId);
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
        emit IRecordGrants.GrantRevoked(ALICE, LAB, _grantId(ALICE, LAB, ALL, bytes32(0)), MAX_KEY_EPOCH);
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
        emit IRecordGrants.KeyEpochAdvanced(ALICE, ALICE, 1);
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
        emit IRecordGrants.KeyEpochAdvanced(ALICE, BOB, 1);
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

/// @notice Fuzz tests of grants, expiry, revocation, reads and anchoring against a small model.
contract RecordRegistryFuzzTest is RecordRegistryFixture {
    /// @dev A random non-grantee never reads, whatever was granted to others.
    function testFuzz_CanRead_NeverForNonGrantee(address stranger, uint8 categorySeed, bool admitStranger) public {
        vm.assume(stranger != ALICE && stranger != BOB && stranger != HOSPITAL && stranger != address(0));
        _grant(ALICE, HOSPITAL, ALL, bytes32(0), true, 0);
        _grant(ALICE, HOSPITAL, RECORD, aliceLab, false, 0);
        _grant(BOB, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), false, 0);
        if (admitStranger && providers.statusOf(stranger) == IProviderRegistry.ProviderStatus.None) {
            providers.admit(stranger, IProviderRegistry.ProviderKind.Lab, "x", "");
        }
        IRecordAnchors.Category c = IRecordAnchors.Category(1 + (categorySeed % 9));
        bytes32 fresh = _anchor(ALICE, ALICE, c);
        assertFalse(registry.canRead(stranger, aliceLab), "aliceLab");
        assertFalse(registry.canRead(stranger, aliceCardiac), "aliceCardiac");
        assertFalse(registry.canRead(stranger, bobLab), "bobLab");
        assertFalse(registry.canRead(stranger, fresh), "fresh record");
        assertFalse(registry.canWrite(stranger, ALICE, c), "write");
        assertTrue(registry.canRead(HOSPITAL, fresh), "the grantee does read");
    }

    /// @dev Unknown record ids are never readable, by anyone.
    function testFuzz_CanRead_UnknownRecord(address reader, bytes32 recordId) public view {
        vm.assume(recordId != aliceLab && recordId != aliceCardiac && recordId != bobLab);
        assertFalse(registry.canRead(reader, recordId), "unknown record");
    }

    struct GrantCase {
        address grantee;
        IRecordGrants.Scope scope;
        bytes32 target;
        bool write;
        uint40 expiresAt;
        bytes wrappedKey;
    }

    /**
     * @dev Random scope, target, grantee, write flag, expiry and key length. The model lists the
     * rules of {IRecordRegistry-grant} in the order the implementation checks them: valid inputs
     * must succeed and agree with `getGrant`, `isGrantActive`, `canRead` and `canWrite`; invalid
     * ones must revert with the exact error and arguments.
     */
    function testFuzz_Grant_MatchesModel(
        uint8 granteeSeed,
        uint8 scopeSeed,
        uint8 targetKind,
        uint256 targetSeed,
        bool write,
        uint40 expiresAt,
        uint16 keyLength
    ) public {
        GrantCase memory c;
        c.grantee = [HOSPITAL, SUSPENDED, REMOVED, STRANGER][granteeSeed % 4];
        c.scope = IRecordGrants.Scope(scopeSeed % 4);
        targetKind %= 5;
        if (targetKind == 0) c.target = aliceLab;
        else if (targetKind == 1) c.target = bobLab;
        else if (targetKind == 2) c.target = bytes32(targetSeed % 12);
        else if (targetKind == 3) c.target = bytes32(0);
        else c.target = bytes32(targetSeed);
        c.write = write;
        // Half the expiries near now (both sides), the rest anywhere in uint40.
        c.expiresAt = expiresAt % 2 == 0 ? uint40(bound(expiresAt, T0 - 10, T0 + 10)) : expiresAt;
        c.wrappedKey = new bytes(bound(keyLength, 0, MAX_WRAPPED_KEY_BYTES + 60));

        bytes memory expected = _expectedGrantError(c);
        if (expected.length != 0) vm.expectRevert(expected);
        vm.prank(ALICE);
        registry.grant(c.grantee, c.scope, c.target, c.write, c.expiresAt, c.wrappedKey);
        if (expected.length != 0) return;

        IRecordGrants.Grant memory g = registry.getGrant(ALICE, c.grantee, c.scope, c.target);
        assertEq(g.issuedAt, T0, "issuedAt");
        assertEq(g.expiresAt, c.expiresAt, "expiresAt");
        assertEq(g.revokedAt, 0, "revokedAt");
        assertEq(g.keyEpoch, 0, "keyEpoch");
        assertEq(g.write, c.write, "write");
        assertTrue(registry.isGrantActive(ALICE, c.grantee, c.scope, c.target), "active");
        _assertReadsMatch(c, true);

        // After expiry (if any) nothing of it works any more.
        if (c.expiresAt != 0) {
            vm.warp(c.expiresAt);
            assertFalse(registry.isGrantActive(ALICE, c.grantee, c.scope, c.target), "expired");
            _assertReadsMatch(c, false);
        }
    }

    function _expectedGrantError(GrantCase memory c) private view returns (bytes memory) {
        if (!providers.isActive(c.grantee)) {
            return abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, c.grantee);
        }
        bytes memory invalidScope =
            abi.encodeWithSelector(IRecordGrants.RecordRegistryInvalidScope.selector, c.scope, c.target);
        if (c.scope == RECORD) {
            if (c.write) return invalidScope;
            address owner = registry.getRecord(c.target).patient;
            if (owner == address(0)) {
                return abi.encodeWithSelector(IRecordAnchors.RecordRegistryUnknownRecord.selector, c.target);
            }
            if (owner != ALICE) {
                return abi.encodeWithSelector(
                    IRecordAnchors.RecordRegistryRecordOfAnotherPatient.selector, c.target, ALICE
                );
            }
        } else if (c.scope == CATEGORY) {
            if (uint256(c.target) == 0 || uint256(c.target) > 9) return invalidScope;
        } else if (c.scope != ALL || c.target != bytes32(0)) {
            return invalidScope;
        }
        if (c.expiresAt != 0 && c.expiresAt <= block.timestamp) {
            return abi.encodeWithSelector(
                IRecordGrants.RecordRegistryInvalidExpiry.selector, c.expiresAt, uint40(block.timestamp)
            );
        }
        if (c.wrappedKey.length == 0 || c.wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
            return abi.encodeWithSelector(
                IRecordGrants.RecordRegistryInvalidWrappedKey.selector, c.wrappedKey.length
            );
        }
        return "";
    }

    function _assertReadsMatch(GrantCase memory c, bool live) private view {
        bytes32[3] memory ids = [aliceLab, aliceCardiac, bobLab];
        for (uint256 i = 0; i < ids.length; ++i) {
            IRecordAnchors.Record memory r = registry.getRecord(ids[i]);
            bool covers = r.patient == ALICE
                && (
                    (c.scope == RECORD && c.target == ids[i]) || (c.scope == CATEGORY && c.target == _cat(r.category))
                        || c.scope == ALL
                );
            assertEq(registry.canRead(c.grantee, ids[i]), live && covers, "canRead agrees with the model");
        }
        for (uint256 k = 1; k <= 9; ++k) {
            bool covers = c.write && (c.scope == ALL || (c.scope == CATEGORY && uint256(c.target) == k));
            assertEq(
                registry.canWrite(c.grantee, ALICE, IRecordAnchors.Category(k)),
                live && covers,
                "canWrite agrees with the model"
            );
        }
    }

    /// @dev A grant is active iff `now < expiresAt` (or it has no expiry), at any time.
    function testFuzz_Expiry_ActiveIffBeforeExpiry(uint40 expiresAt, uint40 warpTo, bool noExpiry) public {
        expiresAt = noExpiry ? 0 : uint40(bound(expiresAt, T0 + 1, type(uint40).max));
        _grant(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab), false, expiresAt);
        // Aim at the boundary half the time. Times stay within uint40 (the contract's clock
        // truncates `block.timestamp` to uint40, which wraps only in the year 36812).
        uint256 t = warpTo % 2 == 0 && expiresAt != 0
            ? bound(warpTo, expiresAt - 2, expiresAt > type(uint40).max - 2 ? type(uint40).max : uint256(expiresAt) + 2)
            : bound(warpTo, T0, type(uint40).max);
        vm.warp(t);
        bool model = expiresAt == 0 || t < expiresAt;
        assertEq(registry.isGrantActive(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab)), model, "active");
        assertEq(registry.canRead(LAB, aliceLab), model, "canRead");
        if (!model) {
            // an expired grant can still be revoked, which advances the key epoch
            uint32 epoch = registry.getPatient(ALICE).keyEpoch;
            _revoke(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab));
            assertEq(registry.getPatient(ALICE).keyEpoch, epoch + 1, "epoch advanced");
        }
    }

    /// @dev After a revocation the grant is never active again (at any later time) until re-issued;
    /// the epoch advances by one for category/all scopes only.
    function testFuzz_Revoke_NeverActiveAfterwards(uint8 scopeSeed, uint8 categorySeed, bool write, uint32 later)
        public
    {
        IRecordGrants.Scope scope = IRecordGrants.Scope(1 + (scopeSeed % 3));
        bytes32 target = scope == RECORD
            ? aliceCardiac
            : scope == CATEGORY ? bytes32(uint256(1 + (categorySeed % 9))) : bytes32(0);
        if (scope == RECORD) write = false;
        // A record the grant covers (for a category grant, a fresh record in that category).
        bytes32 covered = scope == CATEGORY ? _anchor(ALICE, ALICE, IRecordAnchors.Category(uint256(target))) : aliceCardiac;
        _grant(ALICE, HOSPITAL, scope, target, write, 0);
        assertTrue(registry.canRead(HOSPITAL, covered), "reads while granted");
        uint32 before = _epoch(ALICE);
        bytes32 grantId = _grantId(ALICE, HOSPITAL, scope, target);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IRecordGrants.GrantRevoked(ALICE, HOSPITAL, grantId, scope == RECORD ? before : before + 1);
        _revoke(ALICE, HOSPITAL, scope, target);
        assertEq(_epoch(ALICE), scope == RECORD ? before : before + 1, "epoch");
        assertEq(_epoch(BOB), 0, "other patient's epoch");
        assertEq(registry.getGrant(ALICE, HOSPITAL, scope, target).revokedAt, T0, "revokedAt");

        vm.warp(T0 + uint256(later));
        assertFalse(registry.isGrantActive(ALICE, HOSPITAL, scope, target), "never active again");
        assertFalse(registry.canRead(HOSPITAL, covered), "covered record");
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "aliceLab");
        assertFalse(registry.canRead(HOSPITAL, aliceCardiac), "aliceCardiac");
        for (uint256 k = 1; k <= 9; ++k) {
            assertFalse(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category(k)), "no write");
        }
        vm.expectRevert(abi.encodeWithSelector(IRecordGrants.RecordRegistryGrantNotActive.selector, grantId));
        _revoke(ALICE, HOSPITAL, scope, target);

        // Re-issuing (at the new epoch) makes it active again.
        _grant(ALICE, HOSPITAL, scope, target, write, 0);
        IRecordGrants.Grant memory g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.revokedAt, 0, "re-issue clears revocation");
        assertEq(g.keyEpoch, _epoch(ALICE), "re-issue at the current epoch");
        assertTrue(registry.canRead(HOSPITAL, covered), "reads again");
    }

    /// @dev A re-issue replaces every member of a revoked grant (the registry stores a grant as one
    /// packed word): random times up to the largest uint40, write on and off, later key epochs.
    function testFuzz_Grant_ReissueOverwritesEveryField(
        bool allScope,
        bool write1,
        bool write2,
        uint40 expires1,
        uint40 expires2,
        uint40 t2,
        uint8 revocations
    ) public {
        IRecordGrants.Scope scope = allScope ? ALL : CATEGORY;
        bytes32 target = allScope ? bytes32(0) : _cat(IRecordAnchors.Category.Lab);
        expires1 = uint40(bound(expires1, T0 + 1, type(uint40).max));
        _grant(ALICE, HOSPITAL, scope, target, write1, expires1);
        IRecordGrants.Grant memory g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.issuedAt, T0, "issuedAt");
        assertEq(g.expiresAt, expires1, "expiresAt");
        assertEq(g.revokedAt, 0, "revokedAt");
        assertEq(g.keyEpoch, 0, "keyEpoch");
        assertEq(g.write, write1, "write");

        // Revoke (at the largest times too), advancing the epoch 1..8 times, then re-issue later.
        t2 = uint40(bound(t2, T0 + 1, type(uint40).max - 2));
        vm.warp(t2);
        uint256 n = 1 + (revocations % 8);
        for (uint256 i = 0; i < n; ++i) {
            if (i > 0) _grant(ALICE, HOSPITAL, scope, target, write1, 0);
            _revoke(ALICE, HOSPITAL, scope, target);
        }
        g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.revokedAt, t2, "revoked");
        vm.warp(uint256(t2) + 1);
        expires2 = expires2 % 2 == 0 ? 0 : uint40(bound(expires2, uint256(t2) + 2, type(uint40).max));
        _grant(ALICE, HOSPITAL, scope, target, write2, expires2);
        g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.issuedAt, uint256(t2) + 1, "re-issued at");
        assertEq(g.expiresAt, expires2, "new expiry");
        assertEq(g.revokedAt, 0, "revocation cleared");
        assertEq(g.keyEpoch, n, "current epoch");
        assertEq(g.write, write2, "new write flag");
        assertEq(registry.isGrantActive(ALICE, HOSPITAL, scope, target), true, "active");
    }

    /// @dev Anchoring validates category, CID length, hash and epoch, whoever the author.
    function testFuzz_AnchorRecord_Validation(bytes calldata cid, bytes32 hash, uint8 categorySeed, uint32 keyEpoch)
        public
    {
        IRecordAnchors.Category category = IRecordAnchors.Category(categorySeed % 10);
        if (keyEpoch % 2 == 0) keyEpoch = 0; // the current epoch half the time
        bytes memory expected;
        if (category == IRecordAnchors.Category.None) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryInvalidCategory.selector);
        } else if (cid.length == 0 || cid.length > 128) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryInvalidCid.selector, cid.length);
        } else if (hash == bytes32(0)) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryInvalidCiphertextHash.selector);
        } else if (keyEpoch != 0) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryStaleKeyEpoch.selector, ALICE, keyEpoch, 0);
        }
        bytes28 head = registry.getPatient(ALICE).chainHead;
        if (expected.length != 0) vm.expectRevert(expected);
        vm.prank(ALICE);
        bytes32 id = registry.anchorRecord(ALICE, cid, hash, category, keyEpoch);
        if (expected.length != 0) {
            assertEq(bytes32(registry.getPatient(ALICE).chainHead), bytes32(head), "head unchanged");
            return;
        }
        assertEq(
            id,
            registry.computeRecordId(ALICE, head, ALICE, category, 0, uint40(block.timestamp), hash, cid),
            "record id"
        );
        assertEq(bytes32(registry.getPatient(ALICE).chainHead), bytes32(bytes28(id)), "head");
    }
}

/**
 * @dev Drives random grant / revoke / warp / suspend-reinstate / anchor sequences and keeps its
 * own model ("ghost" state) of grants, provider status and time, independent of the registry's
 * storage. Calls the registry through `vm.prank` as patients and holds `REGULATOR_ROLE`.
 */
contract RegistryHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct GhostGrant {
        bool issued;
        bool revoked;
        bool write;
        uint40 expiresAt;
        uint32 keyEpoch;
    }

    RecordRegistry public immutable registry;
    ProviderRegistry public immutable providers;

    address[2] public patients;
    address[3] public grantees;
    uint256 public now_;
    bytes32[] public records;
    mapping(bytes32 recordId => address) public ownerOf;
    mapping(bytes32 recordId => IRecordAnchors.Category) public categoryOf;
    mapping(bytes32 grantId => GhostGrant) public ghostGrants;
    mapping(address provider => bool) public ghostActive;
    mapping(address patient => uint32) public ghostEpoch;
    uint256 private constant MAX_RECORDS = 16;
    /// @dev Calls whose outcome (success or revert) contradicted the model.
    uint256 public mismatches;
    uint256 public successfulCalls;

    constructor(RecordRegistry registry_, ProviderRegistry providers_, address[2] memory patients_, address[3] memory grantees_, uint256 t0) {
        registry = registry_;
        providers = providers_;
        patients = patients_;
        grantees = grantees_;
        now_ = t0;
        for (uint256 i = 0; i < 3; ++i) ghostActive[grantees_[i]] = true;
    }

    function recordCount() external view returns (uint256) {
        return records.length;
    }

    // --------------------------------------------------------------- actions

    function grant(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint256 scopeSeed,
        uint256 targetSeed,
        uint256 expirySeed,
        bool write
    ) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = grantees[granteeSeed % 3];
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        if (scope == IRecordGrants.Scope.Record) write = false;
        uint40 expiresAt = expirySeed % 3 == 0 ? 0 : uint40(now_ + 1 + ((expirySeed >> 8) % 20 days));
        bool expectOk = ghostActive[grantee];
        vm.prank(patient);
        try registry.grant(grantee, scope, target, write, expiresAt, hex"01") {
            ghostGrants[_grantId(patient, grantee, scope, target)] =
                GhostGrant(true, false, write, expiresAt, ghostEpoch[patient]);
            if (!expectOk) ++mismatches;
            ++successfulCalls;
        } catch {
            if (expectOk) ++mismatches;
        }
    }

    function revoke(uint256 patientSeed, uint256 granteeSeed, uint256 scopeSeed, uint256 targetSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = grantees[granteeSeed % 3];
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        bytes32 id = _grantId(patient, grantee, scope, target);
        // revocable while issued and not yet revoked, even when expired
        bool expectOk = ghostGrants[id].issued && !ghostGrants[id].revoked;
        vm.prank(patient);
        try registry.revoke(grantee, scope, target) {
            ghostGrants[id].revoked = true;
            if (scope != IRecordGrants.Scope.Record) ++ghostEpoch[patient];
            if (!expectOk) ++mismatches;
            ++successfulCalls;
        } catch {
            if (expectOk) ++mismatches;
        }
    }

    function warp(uint256 seconds_) external {
        now_ += seconds_ % 10 days;
        vm.warp(now_);
    }

    function toggleProvider(uint256 granteeSeed) external {
        vm.warp(now_);
        address provider = grantees[granteeSeed % 3];
        if (ghostActive[provider]) providers.suspend(provider);
        else providers.reinstate(provider);
        ghostActive[provider] = !ghostActive[provider];
        ++successfulCalls;
    }

    /// @dev A provider tries to anchor a record of a patient at the current epoch; the model says
    /// whether it may.
    function anchorAsProvider(uint256 patientSeed, uint256 granteeSeed, uint256 categorySeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address author = grantees[granteeSeed % 3];
        IRecordAnchors.Category category = IRecordAnchors.Category(1 + (categorySeed % 9));
        bool expectOk = modelCanWrite(author, patient, category);
        bytes32 hash = keccak256(abi.encode(records.length, patient, author));
        uint32 epoch = ghostEpoch[patient];
        vm.prank(author);
        try registry.anchorRecord(patient, abi.encodePacked(hash), hash, category, epoch) returns (bytes32 id) {
            if (!expectOk) ++mismatches;
            ++successfulCalls;
            if (records.length < MAX_RECORDS) {
                records.push(id);
                ownerOf[id] = patient;
                categoryOf[id] = category;
            }
        } catch {
            if (expectOk) ++mismatches;
        }
    }

    function anchor(uint256 patientSeed, uint256 categorySeed) external {
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

    // ----------------------------------------------------------------- model

    /// @notice The model's answer to `canWrite(author, patient, category)` at `now_`: the patient, or
    /// an active provider with an active write grant over the category or all records issued at the
    /// patient's current epoch.
    function modelCanWrite(address author, address patient, IRecordAnchors.Category category)
        public
        view
        returns (bool)
    {
        if (author == patient) return true;
        if (!ghostActive[author]) return false;
        bytes32 categoryGrant = _grantId(patient, author, IRecordGrants.Scope.Category, bytes32(uint256(category)));
        bytes32 allGrant = _grantId(patient, author, IRecordGrants.Scope.All, bytes32(0));
        return _ghostWrites(categoryGrant, patient) || _ghostWrites(allGrant, patient);
    }

    function _ghostWrites(bytes32 id, address patient) private view returns (bool) {
        GhostGrant memory g = ghostGrants[id];
        return g.write && g.keyEpoch == ghostEpoch[patient] && _ghostGrantActive(id);
    }

    /// @notice The model's answer to `canRead(reader, recordId)` at `now_`.
    function modelCanRead(address reader, bytes32 recordId) external view returns (bool) {
        address owner = ownerOf[recordId];
        if (owner == address(0)) return false;
        if (reader == owner) return true;
        if (!ghostActive[reader]) return false;
        return _ghostGrantActive(_grantId(owner, reader, IRecordGrants.Scope.Record, recordId))
            || _ghostGrantActive(
                _grantId(owner, reader, IRecordGrants.Scope.Category, bytes32(uint256(categoryOf[recordId])))
            ) || _ghostGrantActive(_grantId(owner, reader, IRecordGrants.Scope.All, bytes32(0)));
    }

    function _ghostGrantActive(bytes32 id) private view returns (bool) {
        GhostGrant memory g = ghostGrants[id];
        return g.issued && !g.revoked && (g.expiresAt == 0 || now_ < g.expiresAt);
    }

    function _grantId(address patient, address grantee, IRecordGrants.Scope scope, bytes32 target)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    /// @dev A valid scope of `patient`: one of its records (when it has any), a category, or all.
    function _scope(address patient, uint256 scopeSeed, uint256 targetSeed)
        private
        view
        returns (IRecordGrants.Scope, bytes32)
    {
        uint256 kind = scopeSeed % 3;
        if (kind == 0 && records.length != 0) {
            for (uint256 i = 0; i < records.length; ++i) {
                bytes32 id = records[(targetSeed + i) % records.length];
                if (ownerOf[id] == patient) return (IRecordGrants.Scope.Record, id);
            }
        }
        if (kind == 2) return (IRecordGrants.Scope.All, bytes32(0));
        return (IRecordGrants.Scope.Category, bytes32(1 + (targetSeed % 9)));
    }
}

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
                        _active(r.patient, x, IRecordGrants.Scope.Record, id)
                            || _active(r.patient, x, IRecordGrants.Scope.Category, bytes32(uint256(r.category)))
                            || _active(r.patient, x, IRecordGrants.Scope.All, bytes32(0)),
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
    function _active(address patient, address grantee, IRecordGrants.Scope scope, bytes32 target)
        private
        view
        returns (bool)
    {
        IRecordGrants.Grant memory g = registry.getGrant(patient, grantee, scope, target);
        return g.issuedAt != 0 && g.revokedAt == 0 && (g.expiresAt == 0 || block.timestamp < g.expiresAt);
    }
}
