// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPeerValidation} from "../interfaces/IPeerValidation.sol";
import {PeerValidationFixture} from "./fixtures/PeerValidationFixture.sol";

/// @notice Fuzz tests of the draw and the decision rule.
contract PeerValidationFuzzTest is PeerValidationFixture {
    /// @dev Whatever the seed hash and whichever members are inactive (leaving at least 4 eligible),
    /// the draw seats 4 distinct, active hospitals of distinct institutions, none the author's.
    function testFuzz_Draw_SeatsEligibleDistinctHospitals(bytes32 salt, uint8 inactiveMask) public {
        pv.setSalt(salt);
        uint256 inactive;
        for (uint256 i; i < HOSPITALS; ++i) {
            if (inactiveMask & (1 << i) != 0 && inactive < 2) {
                providers.suspend(h[i]);
                ++inactive;
            }
        }
        _submit(recordId, proof);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        for (uint256 i; i < 4; ++i) {
            assertTrue(providers.isActive(v[i]), "active");
            assertTrue(pv.institutionOf(v[i]) != keccak256("Author General"), "not the author's institution");
            for (uint256 j; j < i; ++j) {
                assertTrue(pv.institutionOf(v[i]) != pv.institutionOf(v[j]), "distinct institutions");
            }
        }
    }

    /// @dev Votes in any order: Validated exactly when 3 approvals come before 2 rejections,
    /// Rejected otherwise; once decided, nothing more is counted.
    function testFuzz_Vote_DecisionRule(uint8 pattern, bytes32 salt) public {
        pv.setSalt(salt);
        address[] memory v = _submitAndDraw();
        uint8 approvals;
        uint8 rejections;
        for (uint256 i; i < 4; ++i) {
            bool approve = pattern & (1 << i) != 0;
            if (approvals >= 3 || rejections >= 2) {
                IPeerValidation.ValidationStatus decided =
                    approvals >= 3
                        ? IPeerValidation.ValidationStatus.Validated
                        : IPeerValidation.ValidationStatus.Rejected;
                vm.expectRevert(
                    abi.encodeWithSelector(IPeerValidation.PeerValidationCaseNotOpen.selector, recordId, decided)
                );
                _vote(recordId, v[i], approve);
                continue;
            }
            _vote(recordId, v[i], approve);
            if (approve) ++approvals;
            else ++rejections;
        }
        IPeerValidation.ValidationStatus expected =
            approvals >= 3 ? IPeerValidation.ValidationStatus.Validated : IPeerValidation.ValidationStatus.Rejected;
        _assertCase(recordId, expected, approvals, rejections);
    }

    /// @dev Every eligible hospital has the same chance: over 120 cases with fixed seeds, each of the
    /// 6 eligible hospitals is seated 4/6 of the time (80 expected; a binomial standard deviation of
    /// 5.2), and the author's department never. Deterministic (the seeds are fixed), so not flaky.
    function test_Draw_EveryHospitalHasTheSameChance() public {
        uint256[HOSPITALS] memory seated;
        for (uint256 n; n < 120; ++n) {
            pv.setSalt(keccak256(abi.encode("equal stake", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            _draw(id);
            address[] memory v = _validators(id);
            for (uint256 i; i < 4; ++i) {
                assertTrue(v[i] != AUTHOR_DEPT, "never the author's institution");
                ++seated[uint160(v[i]) - 0x4000];
            }
        }
        for (uint256 i; i < HOSPITALS; ++i) {
            assertTrue(seated[i] >= 64 && seated[i] <= 96, "within 3 standard deviations of 80");
        }
    }
}
