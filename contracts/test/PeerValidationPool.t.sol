// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPeerValidation} from "../interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {ContractPatient, PeerValidationFixture} from "./fixtures/PeerValidationFixture.sol";

/// @notice Unit tests of the validator pool and of submission.
contract PeerValidationPoolTest is PeerValidationFixture {
    // ---------------------------------------------------------------------- pool

    function test_Constants_AreThreeFPlusOne() public view {
        assertEq(pv.VALIDATORS(), 4, "k");
        assertEq(pv.FAULTS(), 1, "f");
        assertEq(pv.APPROVALS(), 3, "2f + 1 approvals");
        assertEq(pv.REJECTIONS(), 2, "f + 1 rejections");
        assertEq(pv.VOTE_PERIOD(), 3 days, "vote period");
        assertEq(address(pv.providerRegistry()), address(providers), "providers");
        assertEq(address(pv.recordRegistry()), address(registry), "records");
    }

    function test_JoinPool_OneAccountPerInstitution() public {
        assertEq(pv.poolSize(), 7, "pool size");
        bytes32 institution = keccak256("Author General");
        assertEq(pv.poolMemberOf(institution), AUTHOR_DEPT, "institution member");
        assertEq(pv.institutionOf(AUTHOR), institution, "institution of the author");
        assertEq(pv.institutionOf(address(0xBEEF)), bytes32(0), "unknown account");
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationInstitutionInPool.selector, institution, AUTHOR_DEPT)
        );
        vm.prank(AUTHOR);
        pv.joinPool();
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationInstitutionInPool.selector,
                keccak256("Hospital A"),
                h[0]
            )
        );
        vm.prank(h[0]);
        pv.joinPool();
        assertEq(pv.poolSize(), 7, "unchanged");
    }

    function test_JoinPool_EmitsAndIndexes() public {
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.PoolJoined(STRANGER, keccak256("Stranger Hospital"));
        _join(STRANGER);
        assertTrue(pv.isInPool(STRANGER), "in pool");
        assertEq(pv.poolMemberAt(7), STRANGER, "appended");
    }

    function test_JoinPool_RefusesNonHospitalsAndInactiveProviders() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationNotHospital.selector,
                LAB,
                IProviderRegistry.ProviderKind.Lab
            )
        );
        _join(LAB);
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, address(0xBEEF))
        );
        _join(address(0xBEEF));
        providers.suspend(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, STRANGER));
        _join(STRANGER);
        assertEq(pv.poolSize(), 7, "unchanged");
    }

    function test_LeavePool_SwapsAndPops() public {
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.PoolLeft(h[0], keccak256("Hospital A"), h[0]);
        vm.prank(h[0]);
        pv.leavePool();
        assertEq(pv.poolSize(), 6, "size");
        assertFalse(pv.isInPool(h[0]), "left");
        assertEq(pv.poolMemberAt(1), h[5], "last moved into the hole");
        assertEq(pv.poolMemberOf(keccak256("Hospital A")), address(0), "institution free");
        vm.prank(h[5]);
        pv.leavePool();
        assertEq(pv.poolMemberAt(1), h[4], "moved again");
        vm.prank(h[4]); // the last entry: no swap
        pv.leavePool();
        assertEq(pv.poolSize(), 4, "size");
        _join(h[0]);
        assertEq(pv.poolMemberAt(4), h[0], "re-joined");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotInPool.selector, STRANGER));
        vm.prank(STRANGER);
        pv.leavePool();
    }

    function test_Prune_OnlyInactiveMembers_ByAnyone() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationMemberActive.selector, h[2]));
        pv.prune(h[2]);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotInPool.selector, STRANGER));
        pv.prune(STRANGER);
        providers.suspend(h[2]);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.PoolLeft(h[2], keccak256("Hospital C"), STRANGER);
        vm.prank(STRANGER);
        pv.prune(h[2]);
        assertFalse(pv.isInPool(h[2]), "pruned");
        assertEq(pv.poolSize(), 6, "size");
    }

    // ---------------------------------------------------------------- submission

    function test_Submit_StoresTheCase() public {
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationSubmitted(recordId, patient, AUTHOR, 1001);
        _submit(recordId, proof);
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(uint256(c.status), uint256(IPeerValidation.ValidationStatus.Submitted), "submitted");
        assertEq(uint256(pv.statusOf(recordId)), uint256(IPeerValidation.ValidationStatus.Submitted), "statusOf");
        assertEq(c.author, AUTHOR, "author");
        assertEq(c.patient, patient, "patient");
        assertEq(c.authorInstitution, keccak256("Author General"), "institution");
        assertEq(c.submittedAt, T0, "submitted at");
        assertEq(c.seedBlock, 1001, "seed block: the next one");
        assertEq(c.vacancies, 4, "all seats vacant");
        assertEq(c.poolSize, 7, "the pool's size at submission");
        assertEq(c.poolVersion, 7, "the pool's version at submission: 7 joins");
        assertEq(pv.getSeats(recordId).length, 4, "four seats");
    }

    function test_CasePoolMemberAt_IsThePoolAsSubmissionLeftIt() public {
        _submit(recordId, proof);
        vm.prank(h[0]); // position 1: h[5] moves in from the end
        pv.leavePool();
        _join(STRANGER);
        _join(h[0]);
        assertEq(pv.poolVersion(), 10, "version: 7 joins, 1 leave, 2 joins");
        assertEq(pv.poolMemberAt(1), h[5], "now");
        assertEq(pv.casePoolMemberAt(recordId, 1), h[0], "at submission");
        assertEq(pv.casePoolMemberAt(recordId, 6), h[5], "at submission");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationPoolIndexOutOfRange.selector, 7, 7));
        pv.casePoolMemberAt(recordId, 7); // STRANGER and h[0] joined later
        bytes32 unknown = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, unknown));
        pv.casePoolMemberAt(unknown, 0);
    }

    function test_ConsentDigest_IsTheEip712Digest() public view {
        assertEq(pv.consentDigest(recordId, AUTHOR, 4, 77), _digest(recordId, AUTHOR, 4, 77), "digest");
    }

    function test_Submit_RefusesAnotherProvidersRecord() public {
        // h[0] presents the author's proof: the recomputed id (with h[0] as author) differs
        uint40 deadline = _deadline();
        bytes memory sig = _consent(PATIENT_KEY, recordId, h[0], deadline);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotAuthor.selector, recordId, h[0]));
        vm.prank(h[0]);
        pv.submit(recordId, proof, deadline, sig);
        // the author with a wrong proof
        IPeerValidation.RecordProof memory wrong = proof;
        wrong.ciphertextHash = bytes32(uint256(1));
        sig = _consent(PATIENT_KEY, recordId, AUTHOR, deadline);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotAuthor.selector, recordId, AUTHOR));
        vm.prank(AUTHOR);
        pv.submit(recordId, wrong, deadline, sig);
        // a record the patient anchored
        (bytes32 own, IPeerValidation.RecordProof memory ownProof) = _anchor(patient, patient);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotAuthor.selector, own, AUTHOR));
        vm.prank(AUTHOR);
        pv.submit(own, ownProof, deadline, _consent(PATIENT_KEY, own, AUTHOR, deadline));
        assertEq(uint256(pv.statusOf(recordId)), 0, "nothing submitted");
    }

    function test_Submit_RefusesUnknownRecords_InactiveAuthors_AndResubmission() public {
        uint40 deadline = _deadline();
        bytes32 unknown = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownRecord.selector, unknown));
        vm.prank(AUTHOR);
        pv.submit(unknown, proof, deadline, _consent(PATIENT_KEY, unknown, AUTHOR, deadline));

        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadySubmitted.selector,
                recordId,
                IPeerValidation.ValidationStatus.Submitted
            )
        );
        _submit(recordId, proof);

        (bytes32 second, IPeerValidation.RecordProof memory secondProof) = _anchor(AUTHOR, patient);
        providers.suspend(AUTHOR);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, AUTHOR));
        _submit(second, secondProof);
    }

    function test_Submit_RefusesExpiredOrForeignConsent() public {
        uint40 deadline = uint40(T0 - 1);
        bytes memory sig = _consent(PATIENT_KEY, recordId, AUTHOR, deadline);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationConsentExpired.selector, deadline, T0));
        vm.prank(AUTHOR);
        pv.submit(recordId, proof, deadline, sig);

        deadline = _deadline();
        bytes[] memory bad = new bytes[](4);
        bad[0] = _consent(0xB0B, recordId, AUTHOR, deadline); // not the patient
        bad[1] = _consent(PATIENT_KEY, recordId, h[0], deadline); // for another author
        bad[2] = _consent(PATIENT_KEY, keccak256("other"), AUTHOR, deadline); // for another record
        bad[3] = _consent(PATIENT_KEY, recordId, AUTHOR, deadline + 1); // for another deadline
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, recordId, patient)
            );
            vm.prank(AUTHOR);
            pv.submit(recordId, proof, deadline, bad[i]);
        }
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(PATIENT_KEY, _digest(recordId, AUTHOR, 3, deadline));
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, recordId, patient)
        );
        vm.prank(AUTHOR);
        pv.submit(recordId, proof, deadline, abi.encodePacked(r, s, v)); // consent to 3 validators, not 4
        assertEq(uint256(pv.statusOf(recordId)), 0, "nothing submitted");
    }

    function test_Submit_AcceptsAContractPatientsErc1271Consent() public {
        ContractPatient smart = new ContractPatient();
        smart.register(registry);
        smart.grant(registry, AUTHOR);
        (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, address(smart));
        uint40 deadline = _deadline();
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, id, address(smart))
        );
        vm.prank(AUTHOR);
        pv.submit(id, p, deadline, hex"00");
        smart.accept(_digest(id, AUTHOR, 4, deadline));
        vm.prank(AUTHOR);
        pv.submit(id, p, deadline, hex"00");
        assertEq(pv.getCase(id).patient, address(smart), "patient");
    }

    function test_Submit_RefusesWhenThePoolIsTooSmall() public {
        for (uint256 i; i < 3; ++i) {
            vm.prank(h[i]);
            pv.leavePool();
        }
        // 4 entries left, one of them the author's institution
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationPoolTooSmall.selector, 3, 4));
        _submit(recordId, proof);
        vm.prank(AUTHOR_DEPT);
        pv.leavePool();
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationPoolTooSmall.selector, 3, 4));
        _submit(recordId, proof);
        _join(h[0]);
        _submit(recordId, proof); // 4 entries, none of the author's institution
    }
}
