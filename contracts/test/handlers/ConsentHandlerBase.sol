// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "../Vm.sol";
import {ProviderRegistry} from "../../ProviderRegistry.sol";
import {RecordRegistry} from "../../RecordRegistry.sol";
import {IGuardians} from "../../interfaces/IGuardians.sol";
import {IPeerValidation} from "../../interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "../../interfaces/IProviderRegistry.sol";
import {IRecordAnchors} from "../../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../../interfaces/IRecordGrants.sol";
import {VmChain} from "../fixtures/Signatures.sol";

/**
 * @dev The state, the ghost model and the shared helpers of the consent handler ({ConsentHandler}),
 * whose actions are split by concern ({ConsentRegistryActions}, {ConsentValidationActions}). It
 * drives random actions among a fixed set of actors: patients alice and bob (their keys sign
 * consent codes and validation consents), registered accounts that serve as guardians, providers,
 * more hospitals for the validator pool, a regulator (holder of `REGULATOR_ROLE`, never admitted)
 * and a stranger. Keeps a ghost model of grants, guardians, emergency summaries and accesses,
 * provider status, key epochs, nonces, time and block number, the validator pool and each peer
 * validation case with its seats, independent of the contracts' storage; every call's outcome
 * (success, or the exact revert data) is compared with the model's and a disagreement counted.
 *
 * Peer validation: the enrolled accounts (see {enrol}: the providers, four more hospitals, a
 * second account of the first provider's institution and a lab) join and leave the pool; records
 * anchored by two providers ({anchorByProvider}) are submitted with their patient's consent,
 * validators are drawn from the hash of a later block, vote, and are replaced when silent past
 * their deadline or suspended. A case draws from the pool as its submission left it (issue 14,
 * item 3), so the model keeps each case's pool at submission, and joins and leaves after it change
 * no case's eligible members. The model cannot predict which members a block hash picks: it
 * knows which are eligible, learns the picks from the {IPeerValidation-ValidatorChosen} events and
 * checks each. The pool (at most seven entries) is smaller than `MAX_DRAW_SAMPLES`, so a draw
 * samples every entry if it must and fails exactly when fewer members are eligible than seats are
 * vacant.
 */
abstract contract ConsentHandlerBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    VmChain internal constant chain = VmChain(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct GhostGrant {
        bool issued;
        bool revoked;
        uint40 expiresAt;
    }

    /// @dev Where a case is, for choosing one an action can advance.
    enum Stage {
        Unsubmitted,
        Drawable,
        Voting
    }

    /// @dev A validation case as the model sees it.
    struct GhostCase {
        IPeerValidation.ValidationStatus status;
        address author;
        bytes32 authorInstitution;
        uint40 seedBlock;
        uint8 approvals;
        uint8 rejections;
        uint8 vacancies;
    }

    uint256 internal constant MAX_RECORDS = 10;
    uint256 internal constant NONCES = 6;
    /// @dev The documented k = 3f + 1, 2f + 1, f + 1 and vote period (IPeerValidation), not read from the contract.
    uint8 internal constant VALIDATORS = 4;
    uint8 internal constant APPROVALS = 3;
    uint8 internal constant REJECTIONS = 2;
    uint40 internal constant VOTE_PERIOD = 3 days;
    /// @dev How many blocks back `blockhash` answers.
    uint256 internal constant HASHED_BLOCKS = 256;

    RecordRegistry public immutable registry;
    ProviderRegistry public immutable providers;
    IPeerValidation public immutable validation;
    address public immutable regulator;
    address public immutable stranger;

    address[2] public patients;
    uint256[2] internal _keys;
    address[3] public guardians;
    address[3] public providerList;

    uint256 public now_;
    bytes32[] public records;
    mapping(bytes32 recordId => address) public ownerOf;
    mapping(bytes32 recordId => IRecordAnchors.Category) public categoryOf;

    mapping(bytes32 grantId => GhostGrant) public ghostGrants;
    mapping(address provider => bool) public ghostActive;
    mapping(address patient => uint32) public ghostEpoch;
    mapping(address patient => mapping(address guardian => IGuardians.GuardianLevel)) public ghostGuardian;
    mapping(address patient => bytes32) public ghostSummary;
    mapping(address patient => mapping(address provider => uint40)) public ghostEmergencyUntil;
    mapping(address patient => mapping(uint256 nonce => bool)) public ghostNonceUsed;

    uint256 public blockNumber;
    /// @dev Every account {enrol}led: candidates for the pool and for suspension.
    address[] public hospitals;
    mapping(address account => IProviderRegistry.ProviderKind) public kindOf;
    /// @dev keccak256 of the account's registered provider name.
    mapping(address account => bytes32) public institutionOf;
    mapping(address account => bool) public ghostInPool;
    mapping(bytes32 institution => address) public ghostMemberOf;
    uint256 public ghostPoolSize;

    /// @dev Records anchored by a provider, which can be submitted for validation.
    bytes32[] public validationRecords;
    mapping(bytes32 recordId => address) public authorOf;
    mapping(bytes32 recordId => IPeerValidation.RecordProof) internal _proofOf;
    mapping(bytes32 recordId => GhostCase) public ghostCases;
    mapping(bytes32 recordId => IPeerValidation.Seat[VALIDATORS]) internal _ghostSeats;
    mapping(bytes32 recordId => mapping(address account => bool)) public ghostReplaced;
    /// @dev Each case's pool at its submission: who was in it, and how many.
    mapping(bytes32 recordId => mapping(address account => bool)) public ghostInPoolAtSubmission;
    mapping(bytes32 recordId => uint256) public ghostPoolSizeAtSubmission;

    /// @dev Calls whose outcome contradicted the model, and the last one's data for debugging.
    uint256 public mismatches;
    bytes public lastMismatch;
    /// @dev The last disagreement the model found in a successful call's effects (a draw's picks).
    string public lastModelError;
    uint256 public successfulCalls;
    uint256 public emergencyOpenings;
    uint256 public redeemedCodes;
    uint256 public submissions;
    uint256 public draws;
    uint256 public replacements;
    uint256 public decisions;

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
    ) {
        registry = registry_;
        providers = providers_;
        patients = patients_;
        _keys = keys_;
        guardians = guardians_;
        providerList = providerList_;
        regulator = regulator_;
        stranger = stranger_;
        now_ = t0;
        for (uint256 i = 0; i < 3; ++i) ghostActive[providerList_[i]] = true;
        validation = IPeerValidation(registry_.peerValidation());
        blockNumber = block.number;
    }

    function recordCount() external view returns (uint256) {
        return records.length;
    }

    function hospitalCount() external view returns (uint256) {
        return hospitals.length;
    }

    function validationRecordCount() external view returns (uint256) {
        return validationRecords.length;
    }

    function ghostSeat(bytes32 recordId, uint256 index) external view returns (IPeerValidation.Seat memory) {
        return _ghostSeats[recordId][index];
    }

    // -------------------------------------------------------------------- model

    /// @notice The model's answer to `canRead(reader, recordId)` at `now_`.
    function modelCanRead(address reader, bytes32 recordId) external view returns (bool) {
        address owner = ownerOf[recordId];
        if (owner == address(0)) return false;
        if (reader == owner || ghostGuardian[owner][reader] != IGuardians.GuardianLevel.None) return true;
        if (!ghostActive[reader]) return false;
        return
            _ghostActive(_grantId(owner, reader, IRecordGrants.Scope.Record, recordId)) ||
            _ghostActive(
                _grantId(owner, reader, IRecordGrants.Scope.Category, bytes32(uint256(categoryOf[recordId])))
            ) ||
            _ghostActive(_grantId(owner, reader, IRecordGrants.Scope.All, bytes32(0))) ||
            (recordId == ghostSummary[owner] && ghostEmergencyUntil[owner][reader] > now_) ||
            isSeated(recordId, reader);
    }

    /// @notice Whether the model has `account` in a seat of record `recordId`'s case (drawn, not
    /// replaced; active or not).
    function isSeated(bytes32 recordId, address account) public view returns (bool seated) {
        (seated, ) = _ghostSeatOf(recordId, account);
    }

    function _ghostActive(bytes32 id) internal view returns (bool) {
        GhostGrant memory g = ghostGrants[id];
        return g.issued && !g.revoked && (g.expiresAt == 0 || now_ < g.expiresAt);
    }

    // ------------------------------------------------------------------ helpers

    function _syncChain() internal {
        vm.warp(now_);
        chain.roll(blockNumber);
    }

    /// @dev The seat the model has `account` in (never the zero address).
    function _ghostSeatOf(bytes32 recordId, address account) internal view returns (bool seated, uint256 index) {
        if (account == address(0)) return (false, 0);
        for (uint256 i = 0; i < VALIDATORS; ++i) {
            if (_ghostSeats[recordId][i].validator == account) return (true, i);
        }
    }

    /// @dev The accounts a draw for `recordId` may pick: members of the pool at the case's submission
    /// (whether or not they left since), active, outside the author's institution and the
    function _disagree(string memory what) internal {
        ++mismatches;
        lastModelError = what;
    }

    /// @dev Compares a call's outcome with the expected revert data (empty: success). Returns
    /// whether the call succeeded.
    function _check(bool ok, bytes memory data, bytes memory expected) internal returns (bool) {
        bool agrees = expected.length == 0 ? ok : (!ok && keccak256(data) == keccak256(expected));
        if (!agrees) {
            ++mismatches;
            lastMismatch = abi.encode(ok, data, expected);
        }
        if (ok) ++successfulCalls;
        return ok;
    }

    /// @dev The revert data when `caller` acts for `patient` as a SHARE AND VIEW guardian (empty
    /// when it may, or when it is the patient).
    function _guardianError(address patient, address caller) internal view returns (bytes memory) {
        if (caller == patient) return "";
        IGuardians.GuardianLevel level = ghostGuardian[patient][caller];
        if (level == IGuardians.GuardianLevel.ShareAndView) return "";
        return
            abi.encodeWithSelector(
                IGuardians.RecordRegistryNotGuardian.selector,
                patient,
                caller,
                level,
                IGuardians.GuardianLevel.ShareAndView
            );
    }

    function _patientOrGuardian(address patient, uint256 seed) internal view returns (address) {
        uint256 k = seed % 4;
        return k == 0 ? patient : guardians[k - 1];
    }

    /// @dev Mostly a provider; sometimes the regulator or the stranger.
    function _granteeOf(uint256 seed) internal view returns (address) {
        uint256 k = seed % 8;
        if (k == 6) return regulator;
        if (k == 7) return stranger;
        return providerList[k % 3];
    }

    function _grantId(
        address patient,
        address grantee,
        IRecordGrants.Scope scope,
        bytes32 target
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    function _scope(
        address patient,
        uint256 scopeSeed,
        uint256 targetSeed
    ) internal view returns (IRecordGrants.Scope, bytes32) {
        uint256 kind = scopeSeed % 3;
        if (kind == 0) {
            for (uint256 i = 0; i < records.length; ++i) {
                bytes32 id = records[(targetSeed + i) % records.length];
                if (ownerOf[id] == patient) return (IRecordGrants.Scope.Record, id);
            }
        }
        if (kind == 2) return (IRecordGrants.Scope.All, bytes32(0));
        return (IRecordGrants.Scope.Category, bytes32(1 + (targetSeed % 9)));
    }
}
