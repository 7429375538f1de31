// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IConsentCodes} from "../interfaces/IConsentCodes.sol";
import {RecordRegistryBase} from "./RecordRegistryBase.sol";

/**
 * @title ConsentCodes
 * @notice Implements {IConsentCodes}: grants the patient signed as one-time codes, submitted by the
 * grantee. Part of {RecordRegistry}.
 * @dev Consent codes are EIP-712 typed data (OpenZeppelin {EIP712}, domain "Meridian RecordRegistry",
 * version "1"), checked with {SignatureChecker} (ECDSA for EOAs, ERC-1271 for smart accounts).
 */
abstract contract ConsentCodes is RecordRegistryBase {
    /// @dev EIP-712 type of {ConsentCode}; chain id and registry are the domain's.
    bytes32 private constant CONSENT_CODE_TYPEHASH = keccak256(
        "ConsentCode(address patient,address grantee,uint8 scope,bytes32 target,bool write,uint40 expiresAt,uint40 deadline,uint32 keyEpoch,uint256 nonce,bytes32 wrappedKeyHash)"
    );

    /// @inheritdoc IConsentCodes
    function redeemConsentCode(
        ConsentCode calldata code,
        bytes calldata wrappedKey,
        bytes calldata signature
    ) external returns (bytes32 grantId) {
        if (code.chainId != block.chainid) revert RecordRegistryConsentWrongChain(block.chainid, code.chainId);
        if (code.registry != address(this)) revert RecordRegistryConsentWrongContract(address(this), code.registry);
        if (msg.sender != code.grantee) revert RecordRegistryConsentNotForCaller(code.grantee, msg.sender);
        uint40 now_ = _time();
        if (now_ > code.deadline) revert RecordRegistryConsentExpired(code.deadline, now_);
        address patient = code.patient;
        mapping(uint256 => bool) storage used = _consentNonces[patient];
        if (used[code.nonce]) revert RecordRegistryConsentAlreadyUsed(patient, code.nonce);
        bytes32 digest = _consentDigest(code);
        if (
            keccak256(wrappedKey) != code.wrappedKeyHash ||
            !SignatureChecker.isValidSignatureNowCalldata(patient, digest, signature)
        ) revert RecordRegistryInvalidConsentSignature(patient);
        used[code.nonce] = true;
        uint32 current = _patients[patient].keyEpoch;
        if (code.keyEpoch != current) revert RecordRegistryStaleKeyEpoch(patient, code.keyEpoch, current);
        grantId = _grant(patient, code.grantee, code.scope, code.target, code.write, code.expiresAt, wrappedKey);
        emit ConsentCodeRedeemed(patient, code.grantee, grantId, digest, code.nonce);
    }

    /// @inheritdoc IConsentCodes
    function cancelConsentCode(uint256 nonce) external {
        mapping(uint256 => bool) storage used = _consentNonces[msg.sender];
        if (used[nonce]) revert RecordRegistryConsentAlreadyUsed(msg.sender, nonce);
        used[nonce] = true;
        emit ConsentCodeCancelled(msg.sender, nonce, _linkEvent(_patients[msg.sender]));
    }

    /// @inheritdoc IConsentCodes
    function consentNonceUsed(address patient, uint256 nonce) external view returns (bool) {
        return _consentNonces[patient][nonce];
    }

    function _consentDigest(ConsentCode calldata code) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        CONSENT_CODE_TYPEHASH,
                        code.patient,
                        code.grantee,
                        code.scope,
                        code.target,
                        code.write,
                        code.expiresAt,
                        code.deadline,
                        code.keyEpoch,
                        code.nonce,
                        code.wrappedKeyHash
                    )
                )
            );
    }
}
