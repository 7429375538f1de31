// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ProviderRegistry} from "../../ProviderRegistry.sol";
import {RecordRegistry} from "../../RecordRegistry.sol";
import {ConsentHandlerBase} from "./ConsentHandlerBase.sol";
import {ConsentRegistryActions} from "./ConsentRegistryActions.sol";
import {ConsentValidationActions} from "./ConsentValidationActions.sol";

/// @dev The consent handler the invariant runner calls: {ConsentHandlerBase}'s model with both sets of
/// actions, one deployed contract.
contract ConsentHandler is ConsentRegistryActions, ConsentValidationActions {
    constructor(
        RecordRegistry registry_,
        ProviderRegistry providers_,
        address[2] memory patients_,
        uint256[2] memory keys_,
        address[3] memory guardians_,
        address[3] memory providerList_,
        address regulator_,
        address stranger_,
        uint256 t0
    )
        ConsentHandlerBase(
            registry_,
            providers_,
            patients_,
            keys_,
            guardians_,
            providerList_,
            regulator_,
            stranger_,
            t0
        )
    {}
}
