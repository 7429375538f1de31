// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPeerValidation} from "../interfaces/IPeerValidation.sol";
import {PeerValidationFixture} from "./fixtures/PeerValidationFixture.sol";

/// @notice Unit tests: draw, key sharing, votes, replacement.
contract PeerValidationTest is PeerValidationFixture {
    // ---------------------------------------------------------------------- draw

    function test_Draw_WaitsForTheSeedBlock() public {
        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationSeedNotReady.selector, recordId, 1001, 1000)
        );
        pv.draw(recordId);
        pv.roll(1001);
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationSeedNotReady.selector, recordId, 1001, 1001)
        );
        pv.draw(recordId);
        pv.roll(1002);
        pv.draw(recordId);
        assertEq(uint256(pv.statusOf(recordId)), uint256(IPeerValidation.ValidationStatus.Pending), "pending");
    }

    function test_Draw_SeatsFourDistinctHospitalsOutsideTheAuthorsInstitution() public {
        address[] memory v = _submitAndDraw();
        assertEq(v.length, 4, "four");
        IPeerValidation.Seat[] memory seats = pv.getSeats(recordId);
        for (uint256 i; i < 4; ++i) {
            assertTrue(v[i] != address(0), "seated");
            assertTrue(v[i] != AUTHOR && v[i] != AUTHOR_DEPT, "not the author's institution");
            assertTrue(pv.isValidator(recordId, v[i]), "validator");
            assertEq(seats[i].deadline, T0 + 3 days, "deadline");
            assertEq(uint256(seats[i].vote), 0, "no vote");
            for (uint256 j; j < i; ++j) {
                assertTrue(v[i] != v[j], "distinct");
            }
        }
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(c.vacancies, 0, "no vacancy");
        assertFalse(pv.isValidator(recordId, AUTHOR_DEPT), "author's department is no validator");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNothingToDraw.selector, recordId));
        pv.draw(recordId);
    }

    function test_Draw_RefusesUnknownAndDecidedCases() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        pv.draw(recordId);
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], true);
        _vote(recordId, v[1], true);
        _vote(recordId, v[2], true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector,
                recordId,
                IPeerValidation.ValidationStatus.Validated
            )
        );
        pv.draw(recordId);
    }

    function test_Draw_RenewsASeedOlderThan256Blocks() public {
        _submit(recordId, proof);
        pv.roll(1001 + 257);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationSeedRenewed(recordId, 1001 + 258);
        pv.draw(recordId);
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(uint256(c.status), uint256(IPeerValidation.ValidationStatus.Submitted), "still submitted");
        assertEq(c.seedBlock, 1001 + 258, "new seed block");
        assertEq(c.vacancies, 4, "still vacant");
        _draw(recordId);
        assertEq(uint256(pv.statusOf(recordId)), uint256(IPeerValidation.ValidationStatus.Pending), "drawn");
    }

    function test_Draw_SkipsInactiveMembers_AndFailsWhenTooFewAreEligible() public {
        _submit(recordId, proof);
        providers.suspend(h[0]);
        providers.remove(h[1]);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        for (uint256 i; i < 4; ++i) {
            assertTrue(v[i] != h[0] && v[i] != h[1], "inactive members skipped");
        }

        (bytes32 second, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
        _submit(second, p);
        providers.suspend(h[2]); // 3 eligible of 7 entries
        pv.roll(pv.getCase(second).seedBlock + 1);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationDrawFailed.selector, second, 3, 4));
        pv.draw(second);
        assertEq(uint256(pv.statusOf(second)), uint256(IPeerValidation.ValidationStatus.Submitted), "unchanged");
        providers.reinstate(h[2]);
        pv.draw(second);
        assertEq(uint256(pv.statusOf(second)), uint256(IPeerValidation.ValidationStatus.Pending), "drawn");
    }

    function test_Draw_DependsOnTheSeedBlocksHash() public {
        (bytes32 second, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
        _submit(recordId, proof);
        _submit(second, p);
        bool differs;
        address[] memory first;
        for (uint256 salt = 1; salt <= 8 && !differs; ++salt) {
            pv.setSalt(bytes32(salt));
            // same record, other seed hashes: compare the seats a fresh case would get
            (bytes32 id, IPeerValidation.RecordProof memory q) = _anchor(AUTHOR, patient);
            _submit(id, q);
            _draw(id);
            address[] memory v = _validators(id);
            if (salt == 1) first = v;
            else {
                for (uint256 i; i < 4; ++i) {
                    if (v[i] != first[i]) differs = true;
                }
            }
        }
        assertTrue(differs, "different hashes give different validators");
    }

    // ---------------------------------------------------------------- key sharing

    function test_ShareKeys_EmitsOnePerValidator() public {
        address[] memory v = _submitAndDraw();
        bytes[] memory keys = new bytes[](4);
        for (uint256 i; i < 4; ++i) {
            keys[i] = abi.encodePacked(keccak256(abi.encode(i)), keccak256(abi.encode(i + 1)));
        }
        for (uint256 i; i < 4; ++i) {
            vm.expectEmit(true, true, true, true, address(pv));
            emit IPeerValidation.ValidationKeyShared(recordId, v[i], keys[i]);
        }
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, v, keys);
    }

    function test_ShareKeys_Refusals() public {
        address[] memory one = new address[](1);
        bytes[] memory key = new bytes[](1);
        key[0] = hex"c0ffee";
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector,
                recordId,
                IPeerValidation.ValidationStatus.Submitted
            )
        );
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        one[0] = v[0];
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotCaseAuthor.selector, recordId, v[1]));
        vm.prank(v[1]);
        pv.shareKeys(recordId, one, key);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationLengthMismatch.selector, 1, 2));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, new bytes[](2));
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidWrappedKey.selector, 0));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, new bytes[](1));
        key[0] = new bytes(513);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidWrappedKey.selector, 513));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
        key[0] = hex"c0ffee";
        one[0] = _unchosen(v);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, one[0]));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
    }

    // --------------------------------------------------------------------- votes

    function test_Vote_ThreeOfFourValidate() public {
        address[] memory v = _submitAndDraw();
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationVoteCast(recordId, v[0], IPeerValidation.Vote.Approve, keccak256("comment"));
        _vote(recordId, v[0], true);
        _vote(recordId, v[1], false);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 1, 1);
        _vote(recordId, v[2], true);
        vm.warp(T0 + 1 hours);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationDecided(recordId, IPeerValidation.ValidationStatus.Validated, 3, 1);
        _vote(recordId, v[3], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Validated, 3, 1);
        assertEq(pv.getCase(recordId).decidedAt, T0 + 1 hours, "decided at");
        assertEq(uint256(pv.getSeats(recordId)[1].vote), uint256(IPeerValidation.Vote.Reject), "seat vote");
        for (uint256 i; i < 4; ++i) {
            assertTrue(pv.isValidator(recordId, v[i]), "validators keep read access once decided");
        }
    }

    function test_Vote_TwoRejectionsReject_AndLaterVotesAreRefused() public {
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], false);
        _vote(recordId, v[1], true);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationDecided(recordId, IPeerValidation.ValidationStatus.Rejected, 1, 2);
        _vote(recordId, v[2], false);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Rejected, 1, 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector,
                recordId,
                IPeerValidation.ValidationStatus.Rejected
            )
        );
        _vote(recordId, v[3], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Rejected, 1, 2);
    }

    function test_Vote_RefusesAProviderThatWasNotChosen() public {
        address[] memory v = _submitAndDraw();
        address other = _unchosen(v);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, other));
        _vote(recordId, other, true);
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, STRANGER)
        );
        _vote(recordId, STRANGER, true);
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, AUTHOR_DEPT)
        );
        _vote(recordId, AUTHOR_DEPT, true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 0, 0);
    }

    function test_Vote_RefusesASecondVote() public {
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector,
                recordId,
                v[0],
                IPeerValidation.Vote.Approve
            )
        );
        _vote(recordId, v[0], false);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector,
                recordId,
                v[0],
                IPeerValidation.Vote.Approve
            )
        );
        _vote(recordId, v[0], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 1, 0);
    }

    function test_Vote_RefusesAVoteAfterTheDeadline() public {
        address[] memory v = _submitAndDraw();
        vm.warp(T0 + 3 days);
        _vote(recordId, v[0], true); // the deadline itself is in time
        vm.warp(T0 + 3 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlinePassed.selector,
                recordId,
                v[1],
                T0 + 3 days,
                T0 + 3 days + 1
            )
        );
        _vote(recordId, v[1], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 1, 0);
        assertEq(uint256(pv.getSeats(recordId)[1].vote), 0, "no vote recorded");
    }

    function test_Vote_RefusesTheAuthorValidatingItsOwnRecord() public {
        _submitAndDraw();
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationAuthorCannotVote.selector, recordId, AUTHOR)
        );
        _vote(recordId, AUTHOR, true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 0, 0);
    }

    function test_Vote_OtherRefusals() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        _vote(recordId, h[0], true);
        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector,
                recordId,
                IPeerValidation.ValidationStatus.Submitted
            )
        );
        _vote(recordId, h[0], true);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidVote.selector));
        vm.prank(v[0]);
        pv.vote(recordId, IPeerValidation.Vote.None, bytes32(0));
        providers.suspend(v[0]);
        assertFalse(pv.isValidator(recordId, v[0]), "a suspended validator cannot read");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, v[0]));
        _vote(recordId, v[0], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 0, 0);
    }

    // --------------------------------------------------------------- replacement

    function test_Replace_ASilentValidatorAfterItsDeadline() public {
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlineNotPassed.selector,
                recordId,
                v[1],
                T0 + 3 days,
                T0 + 3 days
            )
        );
        vm.warp(T0 + 3 days);
        pv.replace(recordId, v[1]);

        vm.warp(T0 + 3 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector,
                recordId,
                v[0],
                IPeerValidation.Vote.Approve
            )
        );
        pv.replace(recordId, v[0]);
        pv.roll(2000);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidatorReplaced(recordId, v[1], STRANGER, 2001);
        vm.prank(STRANGER);
        pv.replace(recordId, v[1]);
        assertFalse(pv.isValidator(recordId, v[1]), "replaced: no read access");
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(c.vacancies, 1, "one vacancy");
        assertEq(uint256(c.status), uint256(IPeerValidation.ValidationStatus.Pending), "still pending");
        assertEq(pv.getSeats(recordId)[1].validator, address(0), "seat vacant");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, v[1]));
        _vote(recordId, v[1], true);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, v[1]));
        pv.replace(recordId, v[1]);

        _draw(recordId);
        address successor = pv.getSeats(recordId)[1].validator;
        assertTrue(successor != address(0) && successor != v[1], "a new validator");
        assertTrue(successor != AUTHOR_DEPT, "not the author's institution");
        for (uint256 i; i < 4; ++i) {
            if (i != 1) assertTrue(successor != v[i], "not already seated");
        }
        assertEq(pv.getSeats(recordId)[1].deadline, T0 + 6 days + 1, "fresh deadline");
        assertEq(pv.getSeats(recordId)[2].deadline, T0 + 3 days, "others keep theirs");
        // the successor votes; the other two late validators are out of time
        _vote(recordId, successor, true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 2, 0);
    }

    function test_Replace_ASuspendedValidatorAtOnce() public {
        address[] memory v = _submitAndDraw();
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlineNotPassed.selector,
                recordId,
                v[2],
                T0 + 3 days,
                T0
            )
        );
        pv.replace(recordId, v[2]);
        providers.suspend(v[2]);
        pv.replace(recordId, v[2]);
        _draw(recordId);
        assertTrue(pv.getSeats(recordId)[2].validator != v[2], "replaced");
    }

    function test_Replace_Refusals() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        pv.replace(recordId, h[0]);
        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector,
                recordId,
                IPeerValidation.ValidationStatus.Submitted
            )
        );
        pv.replace(recordId, h[0]);
        _draw(recordId);
        address other = _unchosen(_validators(recordId));
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, other));
        pv.replace(recordId, other);
    }

    /// @dev Regression: a vacant seat is nobody's. `replace(recordId, address(0))` once counted a
    /// second vacancy for one vacant seat, and every later draw of the case reverted (Panic 0x32).
    function test_Replace_RefusesTheZeroAddressAndTheSeatIsRefilled() public {
        address[] memory v = _submitAndDraw();
        providers.suspend(v[1]);
        pv.replace(recordId, v[1]); // seat 1 is vacant
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, address(0))
        );
        vm.prank(STRANGER);
        pv.replace(recordId, address(0));
        assertEq(pv.getCase(recordId).vacancies, 1, "one vacancy");
        assertFalse(pv.isValidator(recordId, address(0)), "a vacant seat is nobody's");
        _draw(recordId);
        assertEq(pv.getCase(recordId).vacancies, 0, "the seat is refilled");
    }
}
