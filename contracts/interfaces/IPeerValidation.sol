// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title IPeerValidation
 * @notice Peer validation of diagnosis records: k hospitals drawn at random (never the
 * author's own institution) read a record under the patient's consent and vote on it.
 * @dev Work in progress: the full interface (pool, submit, draw, vote, replace) follows.
 */
interface IPeerValidation {
    /**
     * @notice Whether `account` is a currently chosen, not-replaced validator of an open or
     * decided validation case of `recordId` and is an active provider. The record registry
     * lets such an account read the record (`canRead`).
     */
    function isValidator(bytes32 recordId, address account) external view returns (bool);
}
