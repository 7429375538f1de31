// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/**
 * @title MeridianTimelock
 * @notice OpenZeppelin's TimelockController, unchanged, with no admin: the regulator of a
 * governed Meridian network (`ignition/modules/MeridianGoverned.ts`, docs/governance.md). It
 * holds `REGULATOR_ROLE` and `DEFAULT_ADMIN_ROLE` of the ProviderRegistry, so an admission,
 * reinstatement, removal or role change is scheduled by a proposer (the council's multisig),
 * can be cancelled by a canceller during the delay, and runs only after `minDelay` seconds.
 * @dev The only difference from deploying TimelockController directly is that the optional
 * admin is fixed to the zero address, so no deployment can leave an account that changes the
 * timelock's roles or delay without going through the timelock itself. Every proposer is also a
 * canceller (TimelockController's constructor does this); an executor of `address(0)` lets
 * anyone execute a ready operation.
 */
contract MeridianTimelock is TimelockController {
    /// @notice Deploys the timelock with no admin: only the timelock itself changes its roles or delay.
    /// @param minDelay Initial minimum delay in seconds of every operation.
    /// @param proposers Accounts granted `PROPOSER_ROLE` and `CANCELLER_ROLE`.
    /// @param executors Accounts granted `EXECUTOR_ROLE` (`address(0)`: anyone).
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors
    ) TimelockController(minDelay, proposers, executors, address(0)) {}
}
