// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title Vm
 * @notice The few cheatcodes Meridian's Solidity tests use, declared at the standard cheatcode
 * address (`address(uint160(uint256(keccak256("hevm cheat code"))))`). Hardhat 3's Solidity test
 * runner (EDR) implements them; the npm `forge-std` does not resolve under Hardhat 3, so the
 * signatures are copied from forge-std's `Vm.sol` instead of imported.
 * @dev Test-only. Nothing in `contracts/` outside `contracts/test/` may import this file.
 */
interface Vm {
    /// @notice Sets `block.timestamp`.
    function warp(uint256 newTimestamp) external;

    /// @notice Sets `msg.sender` of the next call to `msgSender`.
    function prank(address msgSender) external;

    /// @notice Sets `msg.sender` of every following call to `msgSender` until {stopPrank}.
    function startPrank(address msgSender) external;

    /// @notice Ends {startPrank}.
    function stopPrank() external;

    /// @notice Expects the next call to revert with exactly `revertData`.
    function expectRevert(bytes calldata revertData) external;

    /// @notice Expects the next call to revert with data starting with `revertData`.
    function expectRevert(bytes4 revertData) external;

    /// @notice Sets `block.number` to `newHeight`.
    function roll(uint256 newHeight) external;

    /// @notice Discards the current fuzz input when `condition` is false.
    function assume(bool condition) external pure;

    /// @notice Expects the next emitted event to match the one emitted right after this call.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;

    /// @notice Writes `value` to storage slot `slot` of `target`.
    function store(address target, bytes32 slot, bytes32 value) external;

    /// @notice Reads storage slot `slot` of `target`.
    function load(address target, bytes32 slot) external view returns (bytes32 data);

    /// @notice Takes a snapshot of the whole state (storage, balances, block number and time); returns its id.
    function snapshotState() external returns (uint256 snapshotId);

    /// @notice Restores the state of snapshot `snapshotId` (which stays available).
    function revertToState(uint256 snapshotId) external returns (bool success);

    /// @notice Restores the state of snapshot `snapshotId` and forgets the snapshot.
    function revertToStateAndDelete(uint256 snapshotId) external returns (bool success);

    /// @notice Names `account` in traces.
    function label(address account, string calldata newLabel) external;

    /// @notice The address of secp256k1 private key `privateKey`.
    function addr(uint256 privateKey) external pure returns (address keyAddr);

    /// @notice Signs `digest` with secp256k1 private key `privateKey` (low-s ECDSA).
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}
