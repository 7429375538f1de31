// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "../Vm.sol";
import {ProviderRegistry} from "../../ProviderRegistry.sol";
import {RecordRegistry} from "../../RecordRegistry.sol";
import {IRecordAnchors} from "../../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../../interfaces/IRecordGrants.sol";

/**
 * @dev Drives random grant / revoke / warp / suspend-reinstate / anchor sequences and keeps its
 * own model ("ghost" state) of grants, provider status and time, independent of the registry's
 * storage. Calls the registry through `vm.prank` as patients and holds `REGULATOR_ROLE`.
 */
contract RegistryHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct GhostGrant {
        bool issued;
        bool revoked;
        bool write;
        uint40 expiresAt;
        uint32 keyEpoch;
    }

    RecordRegistry public immutable registry;
    ProviderRegistry public immutable providers;

    address[2] public patients;
    address[3] public grantees;
    uint256 public now_;
    bytes32[] public records;
    mapping(bytes32 recordId => address) public ownerOf;
    mapping(bytes32 recordId => IRecordAnchors.Category) public categoryOf;
    mapping(bytes32 grantId => GhostGrant) public ghostGrants;
    mapping(address provider => bool) public ghostActive;
    mapping(address patient => uint32) public ghostEpoch;
    uint256 private constant MAX_RECORDS = 16;
    /// @dev Calls whose outcome (success or revert) contradicted the model.
    uint256 public mismatches;
    uint256 public successfulCalls;

    constructor(
        RecordRegistry registry_,
        ProviderRegistry providers_,
        address[2] memory patients_,
        address[3] memory grantees_,
        uint256 t0
    ) {
        registry = registry_;
        providers = providers_;
        patients = patients_;
        grantees = grantees_;
        now_ = t0;
        for (uint256 i = 0; i < 3; ++i) ghostActive[grantees_[i]] = true;
    }

    function recordCount() external view returns (uint256) {
        return records.length;
    }

    // --------------------------------------------------------------- actions

    function grant(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint256 scopeSeed,
        uint256 targetSeed,
        uint256 expirySeed,
        bool write
    ) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = grantees[granteeSeed % 3];
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        if (scope == IRecordGrants.Scope.Record) write = false;
        uint40 expiresAt = expirySeed % 3 == 0 ? 0 : uint40(now_ + 1 + ((expirySeed >> 8) % 20 days));
        bool expectOk = ghostActive[grantee];
        vm.prank(patient);
        try registry.grant(grantee, scope, target, write, expiresAt, hex"01") {
            ghostGrants[_grantId(patient, grantee, scope, target)] = GhostGrant(
                true,
                false,
                write,
                expiresAt,
                ghostEpoch[patient]
            );
            if (!expectOk) ++mismatches;
            ++successfulCalls;
        } catch {
            if (expectOk) ++mismatches;
        }
    }

    function revoke(uint256 patientSeed, uint256 granteeSeed, uint256 scopeSeed, uint256 targetSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = grantees[granteeSeed % 3];
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        bytes32 id = _grantId(patient, grantee, scope, target);
        // revocable while issued and not yet revoked, even when expired
        bool expectOk = ghostGrants[id].issued && !ghostGrants[id].revoked;
        vm.prank(patient);
        try registry.revoke(grantee, scope, target) {
            ghostGrants[id].revoked = true;
            if (scope != IRecordGrants.Scope.Record) ++ghostEpoch[patient];
            if (!expectOk) ++mismatches;
            ++successfulCalls;
        } catch {
            if (expectOk) ++mismatches;
        }
    }

    function warp(uint256 seconds_) external {
        now_ += seconds_ % 10 days;
        vm.warp(now_);
    }

    function toggleProvider(uint256 granteeSeed) external {
        vm.warp(now_);
        address provider = grantees[granteeSeed % 3];
        if (ghostActive[provider]) providers.suspend(provider);
        else providers.reinstate(provider);
        ghostActive[provider] = !ghostActive[provider];
        ++successfulCalls;
    }

    /// @dev A provider tries to anchor a record of a patient at the current epoch; the model says
    /// whether it may.
    function anchorAsProvider(uint256 patientSeed, uint256 granteeSeed, uint256 categorySeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address author = grantees[granteeSeed % 3];
        IRecordAnchors.Category category = IRecordAnchors.Category(1 + (categorySeed % 9));
        bool expectOk = modelCanWrite(author, patient, category);
        bytes32 hash = keccak256(abi.encode(records.length, patient, author));
        uint32 epoch = ghostEpoch[patient];
        vm.prank(author);
        try registry.anchorRecord(patient, abi.encodePacked(hash), hash, category, epoch) returns (bytes32 id) {
            if (!expectOk) ++mismatches;
            ++successfulCalls;
            if (records.length < MAX_RECORDS) {
                records.push(id);
                ownerOf[id] = patient;
                categoryOf[id] = category;
            }
        } catch {
            if (expectOk) ++mismatches;
        }
    }

    function anchor(uint256 patientSeed, uint256 categorySeed) external {
        vm.warp(now_);
        if (records.length >= MAX_RECORDS) return;
        address patient = patients[patientSeed % 2];
        IRecordAnchors.Category category = IRecordAnchors.Category(1 + (categorySeed % 9));
        bytes32 hash = keccak256(abi.encode(records.length, patient));
        uint32 epoch = ghostEpoch[patient];
        vm.prank(patient);
        bytes32 id = registry.anchorRecord(patient, abi.encodePacked(hash), hash, category, epoch);
        records.push(id);
        ownerOf[id] = patient;
        categoryOf[id] = category;
        ++successfulCalls;
    }

    // ----------------------------------------------------------------- model

    /// @notice The model's answer to `canWrite(author, patient, category)` at `now_`: the patient, or
    /// an active provider with an active write grant over the category or all records issued at the
    /// patient's current epoch.
    function modelCanWrite(
        address author,
        address patient,
        IRecordAnchors.Category category
    ) public view returns (bool) {
        if (author == patient) return true;
        if (!ghostActive[author]) return false;
        bytes32 categoryGrant = _grantId(patient, author, IRecordGrants.Scope.Category, bytes32(uint256(category)));
        bytes32 allGrant = _grantId(patient, author, IRecordGrants.Scope.All, bytes32(0));
        return _ghostWrites(categoryGrant, patient) || _ghostWrites(allGrant, patient);
    }

    function _ghostWrites(bytes32 id, address patient) private view returns (bool) {
        GhostGrant memory g = ghostGrants[id];
        return g.write && g.keyEpoch == ghostEpoch[patient] && _ghostGrantActive(id);
    }

    /// @notice The model's answer to `canRead(reader, recordId)` at `now_`.
    function modelCanRead(address reader, bytes32 recordId) external view returns (bool) {
        address owner = ownerOf[recordId];
        if (owner == address(0)) return false;
        if (reader == owner) return true;
        if (!ghostActive[reader]) return false;
        return
            _ghostGrantActive(_grantId(owner, reader, IRecordGrants.Scope.Record, recordId)) ||
            _ghostGrantActive(
                _grantId(owner, reader, IRecordGrants.Scope.Category, bytes32(uint256(categoryOf[recordId])))
            ) ||
            _ghostGrantActive(_grantId(owner, reader, IRecordGrants.Scope.All, bytes32(0)));
    }

    function _ghostGrantActive(bytes32 id) private view returns (bool) {
        GhostGrant memory g = ghostGrants[id];
        return g.issued && !g.revoked && (g.expiresAt == 0 || now_ < g.expiresAt);
    }

    function _grantId(
        address patient,
        address grantee,
        IRecordGrants.Scope scope,
        bytes32 target
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    /// @dev A valid scope of `patient`: one of its records (when it has any), a category, or all.
    function _scope(
        address patient,
        uint256 scopeSeed,
        uint256 targetSeed
    ) private view returns (IRecordGrants.Scope, bytes32) {
        uint256 kind = scopeSeed % 3;
        if (kind == 0 && records.length != 0) {
            for (uint256 i = 0; i < records.length; ++i) {
                bytes32 id = records[(targetSeed + i) % records.length];
                if (ownerOf[id] == patient) return (IRecordGrants.Scope.Record, id);
            }
        }
        if (kind == 2) return (IRecordGrants.Scope.All, bytes32(0));
        return (IRecordGrants.Scope.Category, bytes32(1 + (targetSeed % 9)));
    }
}
