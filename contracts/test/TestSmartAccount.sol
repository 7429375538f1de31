// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/**
 * @title TestSmartAccount
 * @notice A minimal owner-controlled smart account for tests of ERC-1271 signatures (consent
 * codes signed for a patient that is a contract). It accepts a signature when it is the owner's
 * 65-byte ECDSA signature over the hash it is asked about, and lets the owner send any call from
 * the account (e.g. `RecordRegistry.register`).
 * @dev Test-only: no replay protection across accounts of one owner, no nonce, no value transfer.
 */
contract TestSmartAccount is IERC1271 {
    /// @notice The only account that may sign for and call through this account.
    address public immutable owner;

    /// @notice The caller is not the owner.
    error TestSmartAccountNotOwner(address caller);

    /// @param owner_ The externally owned account that controls this one.
    constructor(address owner_) {
        owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(hash, signature);
        if (error == ECDSA.RecoverError.NoError && signer == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    /// @notice Calls `target` with `data` from this account; bubbles up a revert.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != owner) revert TestSmartAccountNotOwner(msg.sender);
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            // Bubble the target's revert data up unchanged.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
