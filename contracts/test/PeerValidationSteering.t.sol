// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPeerValidation} from "../interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {PeerValidationFixture} from "./fixtures/PeerValidationFixture.sol";

/**
 * @notice Regression tests for issue 14, item 3: the draw could be steered after the seed block's
 * hash was known. Pool members (the author's institution among them) left and rejoined to reorder
 * and resize the pool (swap-and-pop), dry-ran `draw`, and seated colluders (with 15 hospitals and
 * 3 colluders a 3-step plan seated all 3 in one seed and at least 2 in 5 of 6). A case now draws
 * from the pool as its submission left it.
 *
 * The pool holds 15 hospitals: AUTHOR_DEPT, H[0..5] and G[0..7]. Three institutions collude, each
 * with a pool member and a second account outside the pool: the author's (AUTHOR_DEPT; AUTHOR),
 * "Hospital B" (H[1]; B_SITE) and "Hospital J" (G[3]; J_SITE). Dry runs use state snapshots.
 */
contract PeerValidationSteeringTest is PeerValidationFixture {
    uint256 internal constant MORE = 8;
    address internal constant B_SITE = address(0xB2B2);
    address internal constant J_SITE = address(0x1212);
    address internal constant NEWCOMER = address(0x4E3);
    /// @dev The number of seed hashes tried by the exhaustive test (the audit used 6).
    uint256 internal constant SEEDS = 6;
    /// @dev A {_churn} script that does nothing (every byte 200 or more).
    bytes32 internal constant NO_CHURN = bytes32(type(uint256).max);

    address[MORE] internal g;
    /// @dev The colluders' six accounts, in and out of the pool.
    address[6] internal colluders;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < MORE; ++i) {
            g[i] = address(uint160(0x5000 + i));
            string memory name = string.concat("Hospital ", _digit(6 + i));
            providers.admit(g[i], IProviderRegistry.ProviderKind.Hospital, name, "");
            _join(g[i]);
        }
        providers.admit(B_SITE, IProviderRegistry.ProviderKind.Hospital, "Hospital B", "Second site");
        providers.admit(J_SITE, IProviderRegistry.ProviderKind.Hospital, "Hospital J", "Second site");
        providers.admit(NEWCOMER, IProviderRegistry.ProviderKind.Hospital, "Newcomer Hospital", "");
        colluders = [AUTHOR_DEPT, AUTHOR, h[1], B_SITE, g[3], J_SITE];
        assertEq(pv.poolSize(), 15, "15 hospitals");
    }

    /// @dev Every plan of up to 3 joins and leaves by the colluders' accounts, in every order,
    /// after the seed block is mined, leaves the dry-run draw exactly as it was with no plan, for
    /// each of `SEEDS` seed hashes (old code: the plans changed the seats for most seeds).
    function test_LeaveAndRejoinAfterSubmission_CannotChangeTheDraw() public {
        for (uint256 n; n < SEEDS; ++n) {
            pv.setSalt(keccak256(abi.encode("steer", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            pv.roll(pv.getCase(id).seedBlock + 1); // the seed block is out: its hash is known
            _explore(id, _dryRun(id), 3);
        }
    }

    /// @dev The colluders leave and rejoin, each through its other account or the same one, in every
    /// order of leaving and of rejoining, one after another and interleaved: the draw is unchanged.
    function test_LeaveAndRejoinInEveryOrder_CannotChangeTheDraw() public {
        uint8[3][6] memory orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        for (uint256 n; n < 2; ++n) {
            pv.setSalt(keccak256(abi.encode("orders", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            pv.roll(pv.getCase(id).seedBlock + 1);
            address[] memory expected = _dryRun(id);
            for (uint256 a; a < 6; ++a) {
                for (uint256 b; b < 6; ++b) {
                    uint256 snap = vm.snapshotState();
                    for (uint256 k; k < 3; ++k) _act(colluders[2 * orders[a][k]]); // leave
                    for (uint256 k; k < 3; ++k) _act(colluders[2 * orders[b][k] + ((a + b) % 2)]); // rejoin
                    _assertDraw(id, expected);
                    for (uint256 k; k < 3; ++k) {
                        uint256 c = orders[a][k];
                        address inPool = pv.isInPool(colluders[2 * c]) ? colluders[2 * c] : colluders[2 * c + 1];
                        _act(inPool); // leave ...
                        _act(inPool); // ... and rejoin at the end, twice over
                    }
                    _assertDraw(id, expected);
                    vm.revertToStateAndDelete(snap);
                }
            }
        }
    }

    /// @dev Any sequence of joins and leaves by anyone (members, colluders' second accounts, outsiders)
    /// after submission, before the first draw and again before the draw that replaces a silent
    /// validator, leaves both draws as they would have been without it.
    function testFuzz_Draw_IgnoresPoolChangesAfterSubmission(
        bytes32 salt,
        bytes32 churnFirst,
        bytes32 churnThen,
        uint8 seat
    ) public {
        pv.setSalt(salt);
        _submit(recordId, proof);
        pv.roll(pv.getCase(recordId).seedBlock + 1);
        uint256 snap = vm.snapshotState();
        address[] memory first = _drawNow(recordId);
        address[] memory second = _replaceAndDraw(recordId, seat % 4, NO_CHURN);
        vm.revertToStateAndDelete(snap);

        _churn(churnFirst);
        _assertEqual(_drawNow(recordId), first, "first draw");
        _assertEqual(_replaceAndDraw(recordId, seat % 4, churnThen), second, "replacement draw");
    }

    /// @dev A member at submission that left since (and did not come back) can still be drawn: the
    /// case draws from the pool as it stood, and a leave after the hash is known cannot re-roll it.
    function test_Draw_SeatsAMemberThatLeftAfterSubmission() public {
        _submit(recordId, proof);
        pv.roll(pv.getCase(recordId).seedBlock + 1);
        address[] memory expected = _dryRun(recordId);
        for (uint256 i; i < 4; ++i) {
            vm.prank(expected[i]);
            pv.leavePool();
        }
        _assertDraw(recordId, expected);
        pv.draw(recordId);
        for (uint256 i; i < 4; ++i) {
            assertFalse(pv.isInPool(expected[i]), "left the pool");
            assertTrue(pv.isValidator(recordId, expected[i]), "seated for the case submitted while it was in");
        }
    }

    /// @dev Accounts that join after submission are never drawn for the case, not even when the eight
    /// members G[0..7] have left and two newcomers took their place; a suspended member is skipped (the
    /// regulator's act, the one change after submission that a draw reads).
    function test_Draw_OnlyMembersAtSubmission_SkippingSuspendedOnes() public {
        for (uint256 n; n < 12; ++n) {
            pv.setSalt(keccak256(abi.encode("newcomers", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            uint256 snap = vm.snapshotState();
            for (uint256 i; i < MORE; ++i) {
                vm.prank(g[i]);
                pv.leavePool();
            }
            _join(NEWCOMER);
            _join(STRANGER);
            providers.suspend(h[0]);
            _draw(id);
            address[] memory v = _validators(id);
            for (uint256 i; i < 4; ++i) {
                assertTrue(v[i] != NEWCOMER && v[i] != STRANGER, "joined after submission");
                assertTrue(v[i] != h[0], "suspended");
                assertTrue(pv.institutionOf(v[i]) != keccak256("Author General"), "the author's institution");
            }
            vm.revertToStateAndDelete(snap);
        }
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The seats a draw of case `id` would fill now, without drawing.
    function _dryRun(bytes32 id) internal returns (address[] memory validators) {
        uint256 snap = vm.snapshotState();
        validators = _drawNow(id);
        vm.revertToStateAndDelete(snap);
    }

    function _drawNow(bytes32 id) internal returns (address[] memory) {
        pv.draw(id);
        return _validators(id);
    }

    function _assertDraw(bytes32 id, address[] memory expected) internal {
        _assertEqual(_dryRun(id), expected, "the draw changed");
    }

    function _assertEqual(address[] memory actual, address[] memory expected, string memory what) internal pure {
        assertEq(actual.length, expected.length, what);
        for (uint256 i; i < expected.length; ++i) {
            assertEq(actual[i], expected[i], what);
        }
    }

    /// @dev Checks the draw after every plan of at most `depth` more joins and leaves by colluders.
    function _explore(bytes32 id, address[] memory expected, uint256 depth) internal {
        _assertDraw(id, expected);
        if (depth == 0) return;
        for (uint256 a; a < colluders.length; ++a) {
            uint256 snap = vm.snapshotState();
            if (_act(colluders[a])) _explore(id, expected, depth - 1);
            vm.revertToStateAndDelete(snap);
        }
    }

    /// @dev `account` leaves the pool if in it, else joins if its institution's place is free;
    /// returns whether it did either.
    function _act(address account) internal returns (bool) {
        if (pv.isInPool(account)) {
            vm.prank(account);
            pv.leavePool();
            return true;
        }
        if (pv.poolMemberOf(pv.institutionOf(account)) != address(0)) return false;
        vm.prank(account);
        pv.joinPool();
        return true;
    }

    /// @dev Up to 32 joins and leaves, one per byte of `script`, by pool members, the colluders'
    /// second accounts and two outsiders.
    function _churn(bytes32 script) internal {
        for (uint256 k; k < 32; ++k) {
            uint256 x = uint8(script[k]);
            if (x >= 200) continue; // no action
            uint256 who = x % 20;
            address account =
                who < HOSPITALS
                    ? h[who]
                    : who < HOSPITALS + MORE
                        ? g[who - HOSPITALS]
                        : [AUTHOR_DEPT, AUTHOR, B_SITE, J_SITE, NEWCOMER, STRANGER][who - HOSPITALS - MORE];
            _act(account);
        }
    }

    /// @dev Once every deadline passed, the validator in `seat` is replaced as silent; after the new
    /// seed block is out, the pool churns with `script`, and the seat is drawn again.
    function _replaceAndDraw(bytes32 id, uint256 seat, bytes32 script) internal returns (address[] memory) {
        vm.warp(T0 + 3 days + 1);
        pv.replace(id, pv.getSeats(id)[seat].validator);
        pv.roll(pv.getCase(id).seedBlock + 1);
        _churn(script);
        return _drawNow(id);
    }
}
