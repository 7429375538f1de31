// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "./Vm.sol";

/**
 * @title TestBase
 * @notice A minimal stand-in for forge-std's `Test`: the cheatcode handle, the assertions the
 * Meridian tests use (each reverts with a message naming both values), `bound`, and the
 * invariant-target hooks the runner reads (`targetContracts`, `targetSelectors`).
 * @dev Test-only; abstract, so it deploys nothing.
 */
abstract contract TestBase {
    /// @dev A contract and the selectors of it that invariant runs may call (forge-std `StdInvariant`).
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    /// @dev {bound} was asked for an empty range.
    error BoundMinAboveMax(uint256 min, uint256 max);

    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;

    /// @dev Whether this contract holds tests (read by the runner, as forge-std's `IS_TEST`).
    bool public constant IS_TEST = true;

    // ------------------------------------------------------------ invariant targets

    /// @notice Contracts the invariant runner calls (empty: every contract deployed in `setUp`).
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @notice Selectors the invariant runner calls on each target.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetSelectors.push(selector);
    }

    // ------------------------------------------------------------------ assertions

    function fail(string memory message) internal pure {
        revert(message);
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert(message);
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) revert(message);
    }

    function assertEq(bool a, bool b, string memory message) internal pure {
        if (a != b) revert(string.concat(message, ": expected ", _str(b), ", got ", _str(a)));
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) revert(string.concat(message, ": expected ", _str(b), ", got ", _str(a)));
    }

    function assertEq(address a, address b, string memory message) internal pure {
        if (a != b) {
            revert(string.concat(message, ": expected ", _str(uint160(b)), ", got ", _str(uint160(a))));
        }
    }

    function assertEq(bytes32 a, bytes32 b, string memory message) internal pure {
        if (a != b) {
            revert(string.concat(message, ": expected ", _str(uint256(b)), ", got ", _str(uint256(a))));
        }
    }

    /// @dev `x` mapped into [min, max] (forge-std `bound`, without its logging).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert BoundMinAboveMax(min, max);
        if (x >= min && x <= max) return x;
        return min + (x % (max - min + 1)); // cannot overflow: [min, max] is not the full range here
    }

    function _str(bool b) private pure returns (string memory) {
        return b ? "true" : "false";
    }

    function _str(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) ++len;
        bytes memory out = new bytes(len);
        for (; v != 0; v /= 10) out[--len] = bytes1(uint8(48 + (v % 10)));
        return string(out);
    }
}
