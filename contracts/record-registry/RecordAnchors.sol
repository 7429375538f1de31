// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {RecordRegistryBase} from "./RecordRegistryBase.sol";

/**
 * @title RecordAnchors
 * @notice Implements {IRecordAnchors}: patients' registration and keys, and the anchors of their
 * records in a hash chain per patient. Part of {RecordRegistry}.
 */
abstract contract RecordAnchors is RecordRegistryBase {
    uint256 private constant MAX_CID_BYTES = 128;

    /// @inheritdoc IRecordAnchors
    function register(bytes32 encryptionKey) external {
        Patient storage p = _patients[msg.sender];
        if (p.chainHead != bytes28(0)) revert RecordRegistryAlreadyRegistered(msg.sender);
        if (encryptionKey == bytes32(0)) revert RecordRegistryInvalidEncryptionKey();
        bytes28 head = _genesisHead(msg.sender);
        p.encryptionKey = encryptionKey;
        p.chainHead = head;
        emit PatientRegistered(msg.sender, encryptionKey, head);
    }

    /// @inheritdoc IRecordAnchors
    function rotateEncryptionKey(bytes32 encryptionKey) external {
        Patient storage p = _requirePatient(msg.sender);
        if (encryptionKey == bytes32(0)) revert RecordRegistryInvalidEncryptionKey();
        p.encryptionKey = encryptionKey;
        emit PatientEncryptionKeyRotated(msg.sender, encryptionKey);
    }

    /// @inheritdoc IRecordAnchors
    function anchorRecord(
        address patient,
        bytes calldata cid,
        bytes32 ciphertextHash,
        Category category,
        uint32 keyEpoch
    ) external returns (bytes32 recordId) {
        // The patient's head and epoch share a slot: read both at once (as {_requirePatient} checks).
        Patient storage p = _patients[patient];
        bytes28 previousHead = p.chainHead;
        uint32 currentEpoch = p.keyEpoch;
        if (previousHead == bytes28(0)) revert RecordRegistryUnknownPatient(patient);
        if (category == Category.None) revert RecordRegistryInvalidCategory();
        if (cid.length == 0 || cid.length > MAX_CID_BYTES) revert RecordRegistryInvalidCid(cid.length);
        if (ciphertextHash == bytes32(0)) revert RecordRegistryInvalidCiphertextHash();
        if (msg.sender != patient && !_canWrite(msg.sender, patient, category, currentEpoch)) {
            revert RecordRegistryWriteNotPermitted(msg.sender, patient, category);
        }
        if (keyEpoch != currentEpoch) revert RecordRegistryStaleKeyEpoch(patient, keyEpoch, currentEpoch);

        uint40 now_ = _time();
        recordId = _recordId(patient, previousHead, msg.sender, category, keyEpoch, now_, ciphertextHash, cid);
        _records[recordId] = Record(patient, category, keyEpoch, now_);
        p.chainHead = bytes28(recordId);
        emit RecordAnchored(patient, recordId, msg.sender, previousHead, category, keyEpoch, now_, ciphertextHash, cid);
    }

    /// @inheritdoc IRecordAnchors
    function canWrite(address author, address patient, Category category) external view returns (bool) {
        Patient storage p = _patients[patient];
        if (p.chainHead == bytes28(0) || category == Category.None) return false;
        return author == patient || _canWrite(author, patient, category, p.keyEpoch);
    }

    /// @inheritdoc IRecordAnchors
    function getPatient(address patient) external view returns (Patient memory) {
        return _patients[patient];
    }

    /// @inheritdoc IRecordAnchors
    function getRecord(bytes32 recordId) external view returns (Record memory) {
        return _records[recordId];
    }

    /// @inheritdoc IRecordAnchors
    function computeRecordId(
        address patient,
        bytes28 previousHead,
        address author,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes calldata cid
    ) external view returns (bytes32) {
        return _recordId(patient, previousHead, author, category, keyEpoch, anchoredAt, ciphertextHash, cid);
    }

    /// @dev The chain head of `patient` before its first record; see {IRecordAnchors-Patient}.
    function _genesisHead(address patient) private view returns (bytes28) {
        return bytes28(keccak256(abi.encode(block.chainid, address(this), patient)));
    }

    function _recordId(
        address patient,
        bytes28 previousHead,
        address author,
        Category category,
        uint32 keyEpoch,
        uint40 anchoredAt,
        bytes32 ciphertextHash,
        bytes calldata cid
    ) private view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    block.chainid,
                    address(this),
                    patient,
                    previousHead,
                    author,
                    category,
                    keyEpoch,
                    anchoredAt,
                    ciphertextHash,
                    keccak256(cid)
                )
            );
    }
}
