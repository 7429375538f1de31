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
        uint256 word = _headWord(p);
        if (uint192(word) != 0) revert RecordRegistryAlreadyRegistered(msg.sender);
        if (encryptionKey == bytes32(0)) revert RecordRegistryInvalidEncryptionKey();
        bytes24 head = _genesisHead(msg.sender);
        p.encryptionKey = encryptionKey;
        // The genesis head and the link in one SSTORE (the link is read before the head is set: an
        // account may have had an event before registering, a cancelled consent code).
        uint64 previousEventBlock = _storeLinked(p, word, (word & EPOCH_MASK) | uint192(head));
        emit PatientRegistered(msg.sender, encryptionKey, head, previousEventBlock);
    }

    /// @inheritdoc IRecordAnchors
    function rotateEncryptionKey(bytes32 encryptionKey) external {
        Patient storage p = _requirePatient(msg.sender);
        if (encryptionKey == bytes32(0)) revert RecordRegistryInvalidEncryptionKey();
        p.encryptionKey = encryptionKey;
        emit PatientEncryptionKeyRotated(msg.sender, encryptionKey, _linkEvent(p));
    }

    /// @inheritdoc IRecordAnchors
    function anchorRecord(
        address patient,
        bytes calldata cid,
        bytes32 ciphertextHash,
        Category category,
        uint32 keyEpoch
    ) external returns (bytes32 recordId) {
        // The patient's head, latest event block and epoch share a slot: read it once, as a word (the
        // head is its low 192 bits, the epoch its top 32), and write it once below.
        Patient storage p = _patients[patient];
        uint256 word = _headWord(p);
        bytes24 previousHead = bytes24(uint192(word));
        uint32 currentEpoch = uint32(word >> 224);
        if (previousHead == bytes24(0)) revert RecordRegistryUnknownPatient(patient);
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
        // The new head and the link in one SSTORE; the epoch bits are kept.
        uint256 kept = (word & EPOCH_MASK) | uint192(bytes24(recordId));
        uint64 previousEventBlock = _storeLinked(p, word, kept);
        emit RecordAnchored(
            patient,
            recordId,
            msg.sender,
            previousHead,
            category,
            keyEpoch,
            now_,
            ciphertextHash,
            cid,
            previousEventBlock
        );
    }

    /// @inheritdoc IRecordAnchors
    function canWrite(address author, address patient, Category category) external view returns (bool) {
        Patient storage p = _patients[patient];
        if (p.chainHead == bytes24(0) || category == Category.None) return false;
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
    /// @dev Named so that its selector (0xfb83a5d7) sorts above `grant`'s and `anchorRecord`'s (see
    /// {IRecordGrants-openKeyEpoch}).
    function patientLatestBlock(address patient) external view returns (uint256) {
        return _latestBlock(_patients[patient]);
    }

    /// @inheritdoc IRecordAnchors
    function computeRecordId(
        address patient,
        bytes24 previousHead,
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
    function _genesisHead(address patient) private view returns (bytes24) {
        return bytes24(keccak256(abi.encode(block.chainid, address(this), patient)));
    }

    function _recordId(
        address patient,
        bytes24 previousHead,
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
