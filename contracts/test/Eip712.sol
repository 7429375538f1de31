// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @dev The EIP-712 digest of `structHash` in the domain (`name`, version "1", this chain,
/// `verifyingContract`), computed from the standard's formula rather than taken from the contract
/// or OpenZeppelin, so tests check the contracts' typed data against EIP-712 itself.
function eip712Digest(string memory name, address verifyingContract, bytes32 structHash) view returns (bytes32) {
    bytes32 domain = keccak256(
        abi.encode(
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
            keccak256(bytes(name)),
            keccak256("1"),
            block.chainid,
            verifyingContract
        )
    );
    return keccak256(abi.encodePacked(hex"1901", domain, structHash));
}
