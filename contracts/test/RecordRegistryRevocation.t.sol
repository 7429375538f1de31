// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./TestBase.sol";
import {Vm} from "./Vm.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {RecordRegistry} from "../RecordRegistry.sol";
import {IGuardians} from "../interfaces/IGuardians.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/**
 * @notice Random actions on one patient's grants by the patient and by its guardians (issue 14,
 * item 4: a SHARE AND VIEW guardian exhausted the key epochs, after which the patient could no
 * longer revoke). Actions: grants and revocations by the patient or a SHARE AND VIEW guardian,
 * guardian appointments, removals and step-downs, anchoring, time jumps, suspending and
 * reinstating providers, and moving the patient's key epoch near a generation boundary or the
 * largest epoch with `vm.store` (16,384 real rounds per generation would not fit in a run).
 * @dev The handler counts calls that contradicted the model; the invariant test reads it.
 */
contract RevocationHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev The documented largest key epoch, 2^30 - 1 (IRecordRegistry, docs/keys.md).
    uint32 public constant MAX_KEY_EPOCH = 1_073_741_823;
    uint32 private constant GENERATION_EPOCHS = 16_384;
    /// @dev Storage slot of `RecordRegistry._patients` (after EIP712's two string slots).
    uint256 private constant PATIENTS_SLOT = 2;
    uint256 private constant MAX_RECORDS = 6;

    RecordRegistry public immutable registry;
    ProviderRegistry public immutable providers;
    address public immutable patient;
    address[2] public guardians;
    address[2] public grantees;

    uint256 public now_;
    bytes32[] public records;
    uint32 public ghostEpoch;
    mapping(address guardian => IGuardians.GuardianLevel) public ghostLevel;

    /// @dev Calls whose outcome contradicted the model, and a note on the last one.
    uint256 public mismatches;
    string public lastMismatch;
    uint256 public patientRevocations;
    uint256 public guardianRevocations;
    uint256 public jumps;

    constructor(
        RecordRegistry registry_,
        ProviderRegistry providers_,
        address patient_,
        address[2] memory guardians_,
        address[2] memory grantees_,
        uint256 t0
    ) {
        registry = registry_;
        providers = providers_;
        patient = patient_;
        guardians = guardians_;
        grantees = grantees_;
        now_ = t0;
    }

    function recordCount() external view returns (uint256) {
        return records.length;
    }

    // ------------------------------------------------------------------ actions

    /// @dev The patient, or (when `byGuardian` and one is SHARE AND VIEW) a guardian, grants.
    function grant(
        bool byGuardian,
        uint8 granteeSeed,
        uint8 scopeSeed,
        uint8 targetSeed,
        bool write,
        uint8 expiry
    ) external {
        vm.warp(now_);
        address grantee = grantees[granteeSeed % 2];
        if (!providers.isActive(grantee)) return;
        (IRecordGrants.Scope scope, bytes32 target) = _scope(scopeSeed, targetSeed);
        if (scope == IRecordGrants.Scope.Record) write = false;
        uint40 expiresAt = expiry % 3 == 0 ? 0 : uint40(now_ + 1 + expiry);
        address guardian = _shareAndViewGuardian(targetSeed);
        if (byGuardian && guardian != address(0)) {
            vm.prank(guardian);
            registry.grantAsGuardian(patient, grantee, scope, target, write, expiresAt, hex"01");
        } else {
            vm.prank(patient);
            registry.grant(grantee, scope, target, write, expiresAt, hex"01");
        }
    }

    /// @dev A SHARE AND VIEW guardian revokes some grant that was issued and not revoked.
    function revokeAsGuardian(uint8 guardianSeed, uint8 grantSeed) external {
        vm.warp(now_);
        address guardian = _shareAndViewGuardian(guardianSeed);
        (bool found, address grantee, IRecordGrants.Scope scope, bytes32 target) = _liveGrant(grantSeed);
        if (guardian == address(0) || !found) return;
        vm.prank(guardian);
        registry.revokeAsGuardian(patient, grantee, scope, target);
        if (scope != IRecordGrants.Scope.Record) _advanceGhost();
        ++guardianRevocations;
        _checkEpoch("guardian revocation");
    }

    /// @dev The patient revokes some grant that was issued and not revoked: this must never fail.
    function revokeAsPatient(uint8 grantSeed) external {
        vm.warp(now_);
        (bool found, address grantee, IRecordGrants.Scope scope, bytes32 target) = _liveGrant(grantSeed);
        if (!found) return;
        vm.prank(patient);
        try registry.revoke(grantee, scope, target) {
            if (scope != IRecordGrants.Scope.Record) _advanceGhost();
            ++patientRevocations;
            if (registry.isGrantActive(patient, grantee, scope, target)) _mismatch("revoked grant still active");
            _checkEpoch("patient revocation");
        } catch {
            _mismatch("the patient's revocation reverted");
        }
    }

    function appointGuardian(uint8 guardianSeed, bool shareAndView) external {
        address guardian = guardians[guardianSeed % 2];
        IGuardians.GuardianLevel level =
            shareAndView ? IGuardians.GuardianLevel.ShareAndView : IGuardians.GuardianLevel.View;
        vm.prank(patient);
        registry.appointGuardian(guardian, level, hex"01");
        ghostLevel[guardian] = level;
    }

    /// @dev The patient removes a guardian, or (when `stepDown`) the guardian steps down.
    function removeGuardian(uint8 guardianSeed, bool stepDown) external {
        address guardian = guardians[guardianSeed % 2];
        if (ghostLevel[guardian] == IGuardians.GuardianLevel.None) return;
        vm.prank(stepDown ? guardian : patient);
        (bool ok, ) = address(registry).call(
            stepDown
                ? abi.encodeCall(registry.stepDownAsGuardian, (patient))
                : abi.encodeCall(registry.removeGuardian, (guardian))
        );
        if (!ok) return _mismatch(stepDown ? "step-down reverted" : "removal reverted");
        ghostLevel[guardian] = IGuardians.GuardianLevel.None;
        _advanceGhost();
        _checkEpoch("guardian removal");
    }

    function anchor(uint8 categorySeed) external {
        if (records.length >= MAX_RECORDS) return;
        vm.warp(now_);
        IRecordAnchors.Category category = IRecordAnchors.Category(1 + (categorySeed % 9));
        bytes32 hash = keccak256(abi.encode("ciphertext", records.length));
        vm.prank(patient);
        records.push(registry.anchorRecord(patient, hex"01", hash, category, ghostEpoch));
    }

    function warp(uint16 secondsAhead) external {
        now_ += secondsAhead;
    }

    function toggleProvider(uint8 seed) external {
        address p = grantees[seed % 2];
        if (providers.isActive(p)) providers.suspend(p);
        else providers.reinstate(p);
    }

    /**
     * @dev Moves the patient's key epoch with `vm.store` to just below the largest epoch, or to just
     * below a generation boundary, as 10^9 (or 16,384) real grant/revoke rounds would.
     */
    function jumpEpoch(uint8 offset, bool toCap) external {
        uint32 epoch =
            toCap
                ? MAX_KEY_EPOCH - uint32(offset % 4)
                : GENERATION_EPOCHS * (1 + uint32(offset % 3)) - 1 - uint32(offset % 2);
        if (epoch < ghostEpoch) return; // epochs only move forwards
        bytes32 slot = bytes32(uint256(keccak256(abi.encode(patient, PATIENTS_SLOT))) + 1);
        uint256 word = uint256(vm.load(address(registry), slot));
        vm.store(address(registry), slot, bytes32((word & ((uint256(1) << 224) - 1)) | (uint256(epoch) << 224)));
        ghostEpoch = epoch;
        ++jumps;
        _checkEpoch("jump");
    }

    // ----------------------------------------------------------------- helpers

    /// @dev Grant number `seed` among those issued and not revoked (expired ones too), if any.
    function _liveGrant(
        uint8 seed
    ) private view returns (bool found, address grantee, IRecordGrants.Scope scope, bytes32 target) {
        uint256 slots = 2 * (records.length + 10);
        for (uint256 k = 0; k < slots; ++k) {
            uint256 n = (uint256(seed) + k) % slots;
            (grantee, scope, target) = grantSlot(n);
            IRecordGrants.Grant memory g = registry.getGrant(patient, grantee, scope, target);
            if (g.issuedAt != 0 && g.revokedAt == 0) return (true, grantee, scope, target);
        }
        return (false, address(0), IRecordGrants.Scope.None, bytes32(0));
    }

    /// @notice Grant slot `n` of `2 * (records + 10)`: each grantee's record, category and all scopes.
    function grantSlot(uint256 n) public view returns (address grantee, IRecordGrants.Scope scope, bytes32 target) {
        grantee = grantees[n % 2];
        uint256 t = n / 2;
        if (t < records.length) return (grantee, IRecordGrants.Scope.Record, records[t]);
        t -= records.length;
        if (t < 9) return (grantee, IRecordGrants.Scope.Category, bytes32(t + 1));
        return (grantee, IRecordGrants.Scope.All, bytes32(0));
    }

    function _scope(uint8 scopeSeed, uint8 targetSeed) private view returns (IRecordGrants.Scope, bytes32) {
        uint256 kind = scopeSeed % 3;
        if (kind == 0 && records.length != 0) return (IRecordGrants.Scope.Record, records[targetSeed % records.length]);
        if (kind == 2) return (IRecordGrants.Scope.All, bytes32(0));
        return (IRecordGrants.Scope.Category, bytes32(uint256(1 + (targetSeed % 9))));
    }

    function _shareAndViewGuardian(uint8 seed) private view returns (address) {
        for (uint256 k = 0; k < 2; ++k) {
            address g = guardians[(seed + k) % 2];
            if (ghostLevel[g] == IGuardians.GuardianLevel.ShareAndView) return g;
        }
        return address(0);
    }

    function _advanceGhost() private {
        if (ghostEpoch < MAX_KEY_EPOCH) ++ghostEpoch;
    }

    function _checkEpoch(string memory what) private {
        if (registry.getPatient(patient).keyEpoch != ghostEpoch) _mismatch(string.concat(what, ": epoch"));
    }

    function _mismatch(string memory what) private {
        ++mismatches;
        lastMismatch = what;
    }
}

/**
 * @notice Invariant: whatever sequence of grants, revocations and guardian actions came before,
 * the patient can revoke every grant that was issued and not revoked, and afterwards its grantee
 * can no longer read what only that grant covered; the key epoch never passes 2^30 - 1.
 * @dev Each check probes a revocation in a call that always reverts ({probeRevoke}), so probing
 * changes no state. Runs and depth are small so the suite stays fast on two cores.
 */
contract RecordRegistryRevocationInvariantTest is TestBase {
    /// @dev Why {probeRevoke} reverted: 0 = the revocation worked as required.
    error Probe(uint8 code);

    address internal constant ALICE = address(0xA11CE);
    address internal constant HOSPITAL = address(0x4051);
    address internal constant LAB = address(0x1AB);

    ProviderRegistry internal providers;
    RecordRegistry internal registry;
    RevocationHandler internal handler;

    function setUp() public {
        uint256 t0 = 1_700_000_000;
        vm.warp(t0);
        providers = new ProviderRegistry(address(this), address(this));
        registry = new RecordRegistry(providers);
        providers.admit(HOSPITAL, IProviderRegistry.ProviderKind.Hospital, "St. Elsewhere", "");
        providers.admit(LAB, IProviderRegistry.ProviderKind.Lab, "Central Lab", "");
        address[2] memory guardians = [address(0x6A1), address(0x6A2)];
        vm.prank(ALICE);
        registry.register(bytes32(uint256(1)));
        for (uint256 i = 0; i < 2; ++i) {
            vm.prank(guardians[i]);
            registry.register(bytes32(uint256(2 + i)));
        }
        handler = new RevocationHandler(registry, providers, ALICE, guardians, [HOSPITAL, LAB], t0);
        providers.grantRole(providers.REGULATOR_ROLE(), address(handler));
        handler.anchor(0);
        handler.appointGuardian(0, true);

        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = RevocationHandler.grant.selector;
        selectors[1] = RevocationHandler.revokeAsGuardian.selector;
        selectors[2] = RevocationHandler.revokeAsPatient.selector;
        selectors[3] = RevocationHandler.appointGuardian.selector;
        selectors[4] = RevocationHandler.removeGuardian.selector;
        selectors[5] = RevocationHandler.anchor.selector;
        selectors[6] = RevocationHandler.warp.selector;
        selectors[7] = RevocationHandler.toggleProvider.selector;
        selectors[8] = RevocationHandler.jumpEpoch.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 48
    function invariant_patientCanAlwaysRevoke() public {
        vm.warp(handler.now_());
        uint256 slots = 2 * (handler.recordCount() + 10);
        for (uint256 n = 0; n < slots; ++n) {
            (address grantee, IRecordGrants.Scope scope, bytes32 target) = handler.grantSlot(n);
            IRecordGrants.Grant memory g = registry.getGrant(ALICE, grantee, scope, target);
            if (g.issuedAt == 0 || g.revokedAt != 0) continue;
            try this.probeRevoke(grantee, scope, target) {
                fail("probeRevoke returned");
            } catch (bytes memory reason) {
                assertEq(keccak256(reason), keccak256(abi.encodeWithSelector(Probe.selector, 0)), "probe result");
            }
        }
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 48
    function invariant_callsAgreeWithModel() public view {
        assertEq(handler.mismatches(), 0, handler.lastMismatch());
        uint32 epoch = registry.getPatient(ALICE).keyEpoch;
        assertEq(epoch, handler.ghostEpoch(), "epoch agrees with the model");
        assertTrue(epoch <= handler.MAX_KEY_EPOCH(), "epoch within bounds");
    }

    /**
     * @notice Revokes (`grantee`, `scope`, `target`) as the patient and checks the outcome, then
     * always reverts with {Probe}: code 0 when the revocation worked and ended access, 1 when it
     * reverted, 2 when the grant stayed active, 3 when a record only it covered stays readable,
     * 4 when the epoch moved wrongly.
     */
    function probeRevoke(address grantee, IRecordGrants.Scope scope, bytes32 target) external {
        uint32 before = registry.getPatient(ALICE).keyEpoch;
        vm.prank(ALICE);
        (bool ok, ) = address(registry).call(abi.encodeCall(registry.revoke, (grantee, scope, target)));
        if (!ok) revert Probe(1);
        if (registry.isGrantActive(ALICE, grantee, scope, target)) revert Probe(2);
        for (uint256 i = 0; i < handler.recordCount(); ++i) {
            bytes32 id = handler.records(i);
            IRecordAnchors.Record memory r = registry.getRecord(id);
            bool covered =
                scope == IRecordGrants.Scope.All ||
                    (scope == IRecordGrants.Scope.Category && uint256(target) == uint256(r.category)) ||
                    (scope == IRecordGrants.Scope.Record && target == id);
            if (!covered) continue;
            bool otherGrant =
                registry.isGrantActive(ALICE, grantee, IRecordGrants.Scope.Record, id) ||
                    registry.isGrantActive(
                        ALICE,
                        grantee,
                        IRecordGrants.Scope.Category,
                        bytes32(uint256(r.category))
                    ) ||
                    registry.isGrantActive(ALICE, grantee, IRecordGrants.Scope.All, bytes32(0));
            if (!otherGrant && registry.canRead(grantee, id)) revert Probe(3);
        }
        uint32 expected =
            scope == IRecordGrants.Scope.Record || before == handler.MAX_KEY_EPOCH() ? before : before + 1;
        if (registry.getPatient(ALICE).keyEpoch != expected) revert Probe(4);
        revert Probe(0);
    }
}
