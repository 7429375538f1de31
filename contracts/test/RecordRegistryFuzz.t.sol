// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {RecordRegistryFixture} from "./fixtures/RecordRegistryFixture.sol";

/// @notice Fuzz tests of grants, expiry, revocation, reads and anchoring against a small model.
contract RecordRegistryFuzzTest is RecordRegistryFixture {
    /// @dev A random non-grantee never reads, whatever was granted to others.
    function testFuzz_CanRead_NeverForNonGrantee(address stranger, uint8 categorySeed, bool admitStranger) public {
        vm.assume(stranger != ALICE && stranger != BOB && stranger != HOSPITAL && stranger != address(0));
        _grant(ALICE, HOSPITAL, ALL, bytes32(0), true, 0);
        _grant(ALICE, HOSPITAL, RECORD, aliceLab, false, 0);
        _grant(BOB, HOSPITAL, CATEGORY, _cat(IRecordAnchors.Category.Lab), false, 0);
        if (admitStranger && providers.statusOf(stranger) == IProviderRegistry.ProviderStatus.None) {
            providers.admit(stranger, IProviderRegistry.ProviderKind.Lab, "x", "");
        }
        IRecordAnchors.Category c = IRecordAnchors.Category(1 + (categorySeed % 9));
        bytes32 fresh = _anchor(ALICE, ALICE, c);
        assertFalse(registry.canRead(stranger, aliceLab), "aliceLab");
        assertFalse(registry.canRead(stranger, aliceCardiac), "aliceCardiac");
        assertFalse(registry.canRead(stranger, bobLab), "bobLab");
        assertFalse(registry.canRead(stranger, fresh), "fresh record");
        assertFalse(registry.canWrite(stranger, ALICE, c), "write");
        assertTrue(registry.canRead(HOSPITAL, fresh), "the grantee does read");
    }

    /// @dev Unknown record ids are never readable, by anyone.
    function testFuzz_CanRead_UnknownRecord(address reader, bytes32 recordId) public view {
        vm.assume(recordId != aliceLab && recordId != aliceCardiac && recordId != bobLab);
        assertFalse(registry.canRead(reader, recordId), "unknown record");
    }

    struct GrantCase {
        address grantee;
        IRecordGrants.Scope scope;
        bytes32 target;
        bool write;
        uint40 expiresAt;
        bytes wrappedKey;
    }

    /**
     * @dev Random scope, target, grantee, write flag, expiry and key length. The model lists the
     * rules of {IRecordRegistry-grant} in the order the implementation checks them: valid inputs
     * must succeed and agree with `getGrant`, `isGrantActive`, `canRead` and `canWrite`; invalid
     * ones must revert with the exact error and arguments.
     */
    function testFuzz_Grant_MatchesModel(
        uint8 granteeSeed,
        uint8 scopeSeed,
        uint8 targetKind,
        uint256 targetSeed,
        bool write,
        uint40 expiresAt,
        uint16 keyLength
    ) public {
        GrantCase memory c;
        c.grantee = [HOSPITAL, SUSPENDED, REMOVED, STRANGER][granteeSeed % 4];
        c.scope = IRecordGrants.Scope(scopeSeed % 4);
        targetKind %= 5;
        if (targetKind == 0) c.target = aliceLab;
        else if (targetKind == 1) c.target = bobLab;
        else if (targetKind == 2) c.target = bytes32(targetSeed % 12);
        else if (targetKind == 3) c.target = bytes32(0);
        else c.target = bytes32(targetSeed);
        c.write = write;
        // Half the expiries near now (both sides), the rest anywhere in uint40.
        c.expiresAt = expiresAt % 2 == 0 ? uint40(bound(expiresAt, T0 - 10, T0 + 10)) : expiresAt;
        c.wrappedKey = new bytes(bound(keyLength, 0, MAX_WRAPPED_KEY_BYTES + 60));

        bytes memory expected = _expectedGrantError(c);
        if (expected.length != 0) vm.expectRevert(expected);
        vm.prank(ALICE);
        registry.grant(c.grantee, c.scope, c.target, c.write, c.expiresAt, c.wrappedKey);
        if (expected.length != 0) return;

        IRecordGrants.Grant memory g = registry.getGrant(ALICE, c.grantee, c.scope, c.target);
        assertEq(g.issuedAt, T0, "issuedAt");
        assertEq(g.expiresAt, c.expiresAt, "expiresAt");
        assertEq(g.revokedAt, 0, "revokedAt");
        assertEq(g.keyEpoch, 0, "keyEpoch");
        assertEq(g.write, c.write, "write");
        assertTrue(registry.isGrantActive(ALICE, c.grantee, c.scope, c.target), "active");
        _assertReadsMatch(c, true);

        // After expiry (if any) nothing of it works any more.
        if (c.expiresAt != 0) {
            vm.warp(c.expiresAt);
            assertFalse(registry.isGrantActive(ALICE, c.grantee, c.scope, c.target), "expired");
            _assertReadsMatch(c, false);
        }
    }

    function _expectedGrantError(GrantCase memory c) private view returns (bytes memory) {
        if (!providers.isActive(c.grantee)) {
            return abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, c.grantee);
        }
        bytes memory invalidScope = abi.encodeWithSelector(
            IRecordGrants.RecordRegistryInvalidScope.selector,
            c.scope,
            c.target
        );
        if (c.scope == RECORD) {
            if (c.write) return invalidScope;
            address owner = registry.getRecord(c.target).patient;
            if (owner == address(0)) {
                return abi.encodeWithSelector(IRecordAnchors.RecordRegistryUnknownRecord.selector, c.target);
            }
            if (owner != ALICE) {
                return
                    abi.encodeWithSelector(
                        IRecordAnchors.RecordRegistryRecordOfAnotherPatient.selector,
                        c.target,
                        ALICE
                    );
            }
        } else if (c.scope == CATEGORY) {
            if (uint256(c.target) == 0 || uint256(c.target) > 9) return invalidScope;
        } else if (c.scope != ALL || c.target != bytes32(0)) {
            return invalidScope;
        }
        if (c.expiresAt != 0 && c.expiresAt <= block.timestamp) {
            return
                abi.encodeWithSelector(
                    IRecordGrants.RecordRegistryInvalidExpiry.selector,
                    c.expiresAt,
                    uint40(block.timestamp)
                );
        }
        if (c.wrappedKey.length == 0 || c.wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
            return abi.encodeWithSelector(IRecordGrants.RecordRegistryInvalidWrappedKey.selector, c.wrappedKey.length);
        }
        return "";
    }

    function _assertReadsMatch(GrantCase memory c, bool live) private view {
        bytes32[3] memory ids = [aliceLab, aliceCardiac, bobLab];
        for (uint256 i = 0; i < ids.length; ++i) {
            IRecordAnchors.Record memory r = registry.getRecord(ids[i]);
            bool covers =
                r.patient == ALICE &&
                    ((c.scope == RECORD && c.target == ids[i]) ||
                        (c.scope == CATEGORY && c.target == _cat(r.category)) ||
                        c.scope == ALL);
            assertEq(registry.canRead(c.grantee, ids[i]), live && covers, "canRead agrees with the model");
        }
        for (uint256 k = 1; k <= 9; ++k) {
            bool covers = c.write && (c.scope == ALL || (c.scope == CATEGORY && uint256(c.target) == k));
            assertEq(
                registry.canWrite(c.grantee, ALICE, IRecordAnchors.Category(k)),
                live && covers,
                "canWrite agrees with the model"
            );
        }
    }

    /// @dev A grant is active iff `now < expiresAt` (or it has no expiry), at any time.
    function testFuzz_Expiry_ActiveIffBeforeExpiry(uint40 expiresAt, uint40 warpTo, bool noExpiry) public {
        expiresAt = noExpiry ? 0 : uint40(bound(expiresAt, T0 + 1, type(uint40).max));
        _grant(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab), false, expiresAt);
        // Aim at the boundary half the time. Times stay within uint40 (the contract's clock
        // truncates `block.timestamp` to uint40, which wraps only in the year 36812).
        uint256 t =
            warpTo % 2 == 0 && expiresAt != 0
                ? bound(
                    warpTo,
                    expiresAt - 2,
                    expiresAt > type(uint40).max - 2 ? type(uint40).max : uint256(expiresAt) + 2
                )
                : bound(warpTo, T0, type(uint40).max);
        vm.warp(t);
        bool model = expiresAt == 0 || t < expiresAt;
        assertEq(registry.isGrantActive(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab)), model, "active");
        assertEq(registry.canRead(LAB, aliceLab), model, "canRead");
        if (!model) {
            // an expired grant can still be revoked, which advances the key epoch
            uint32 epoch = registry.getPatient(ALICE).keyEpoch;
            _revoke(ALICE, LAB, CATEGORY, _cat(IRecordAnchors.Category.Lab));
            assertEq(registry.getPatient(ALICE).keyEpoch, epoch + 1, "epoch advanced");
        }
    }

    /// @dev After a revocation the grant is never active again (at any later time) until re-issued;
    /// the epoch advances by one for category/all scopes only.
    function testFuzz_Revoke_NeverActiveAfterwards(
        uint8 scopeSeed,
        uint8 categorySeed,
        bool write,
        uint32 later
    ) public {
        IRecordGrants.Scope scope = IRecordGrants.Scope(1 + (scopeSeed % 3));
        bytes32 target =
            scope == RECORD
                ? aliceCardiac
                : scope == CATEGORY
                    ? bytes32(uint256(1 + (categorySeed % 9)))
                    : bytes32(0);
        if (scope == RECORD) write = false;
        // A record the grant covers (for a category grant, a fresh record in that category).
        bytes32 covered =
            scope == CATEGORY ? _anchor(ALICE, ALICE, IRecordAnchors.Category(uint256(target))) : aliceCardiac;
        _grant(ALICE, HOSPITAL, scope, target, write, 0);
        assertTrue(registry.canRead(HOSPITAL, covered), "reads while granted");
        uint32 before = _epoch(ALICE);
        bytes32 grantId = _grantId(ALICE, HOSPITAL, scope, target);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IRecordGrants.GrantRevoked(ALICE, HOSPITAL, grantId, scope == RECORD ? before : before + 1, _prev(ALICE));
        _revoke(ALICE, HOSPITAL, scope, target);
        assertEq(_epoch(ALICE), scope == RECORD ? before : before + 1, "epoch");
        assertEq(_epoch(BOB), 0, "other patient's epoch");
        assertEq(registry.getGrant(ALICE, HOSPITAL, scope, target).revokedAt, T0, "revokedAt");

        vm.warp(T0 + uint256(later));
        assertFalse(registry.isGrantActive(ALICE, HOSPITAL, scope, target), "never active again");
        assertFalse(registry.canRead(HOSPITAL, covered), "covered record");
        assertFalse(registry.canRead(HOSPITAL, aliceLab), "aliceLab");
        assertFalse(registry.canRead(HOSPITAL, aliceCardiac), "aliceCardiac");
        for (uint256 k = 1; k <= 9; ++k) {
            assertFalse(registry.canWrite(HOSPITAL, ALICE, IRecordAnchors.Category(k)), "no write");
        }
        vm.expectRevert(abi.encodeWithSelector(IRecordGrants.RecordRegistryGrantNotActive.selector, grantId));
        _revoke(ALICE, HOSPITAL, scope, target);

        // Re-issuing (at the new epoch) makes it active again.
        _grant(ALICE, HOSPITAL, scope, target, write, 0);
        IRecordGrants.Grant memory g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.revokedAt, 0, "re-issue clears revocation");
        assertEq(g.keyEpoch, _epoch(ALICE), "re-issue at the current epoch");
        assertTrue(registry.canRead(HOSPITAL, covered), "reads again");
    }

    /// @dev A re-issue replaces every member of a revoked grant (the registry stores a grant as one
    /// packed word): random times up to the largest uint40, write on and off, later key epochs.
    function testFuzz_Grant_ReissueOverwritesEveryField(
        bool allScope,
        bool write1,
        bool write2,
        uint40 expires1,
        uint40 expires2,
        uint40 t2,
        uint8 revocations
    ) public {
        IRecordGrants.Scope scope = allScope ? ALL : CATEGORY;
        bytes32 target = allScope ? bytes32(0) : _cat(IRecordAnchors.Category.Lab);
        expires1 = uint40(bound(expires1, T0 + 1, type(uint40).max));
        _grant(ALICE, HOSPITAL, scope, target, write1, expires1);
        IRecordGrants.Grant memory g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.issuedAt, T0, "issuedAt");
        assertEq(g.expiresAt, expires1, "expiresAt");
        assertEq(g.revokedAt, 0, "revokedAt");
        assertEq(g.keyEpoch, 0, "keyEpoch");
        assertEq(g.write, write1, "write");

        // Revoke (at the largest times too), advancing the epoch 1..8 times, then re-issue later.
        t2 = uint40(bound(t2, T0 + 1, type(uint40).max - 2));
        vm.warp(t2);
        uint256 n = 1 + (revocations % 8);
        for (uint256 i = 0; i < n; ++i) {
            if (i > 0) _grant(ALICE, HOSPITAL, scope, target, write1, 0);
            _revoke(ALICE, HOSPITAL, scope, target);
        }
        g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.revokedAt, t2, "revoked");
        vm.warp(uint256(t2) + 1);
        expires2 = expires2 % 2 == 0 ? 0 : uint40(bound(expires2, uint256(t2) + 2, type(uint40).max));
        _grant(ALICE, HOSPITAL, scope, target, write2, expires2);
        g = registry.getGrant(ALICE, HOSPITAL, scope, target);
        assertEq(g.issuedAt, uint256(t2) + 1, "re-issued at");
        assertEq(g.expiresAt, expires2, "new expiry");
        assertEq(g.revokedAt, 0, "revocation cleared");
        assertEq(g.keyEpoch, n, "current epoch");
        assertEq(g.write, write2, "new write flag");
        assertEq(registry.isGrantActive(ALICE, HOSPITAL, scope, target), true, "active");
    }

    /// @dev Anchoring validates category, CID length, hash and epoch, whoever the author.
    function testFuzz_AnchorRecord_Validation(
        bytes calldata cid,
        bytes32 hash,
        uint8 categorySeed,
        uint32 keyEpoch
    ) public {
        IRecordAnchors.Category category = IRecordAnchors.Category(categorySeed % 10);
        if (keyEpoch % 2 == 0) keyEpoch = 0; // the current epoch half the time
        bytes memory expected;
        if (category == IRecordAnchors.Category.None) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryInvalidCategory.selector);
        } else if (cid.length == 0 || cid.length > 128) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryInvalidCid.selector, cid.length);
        } else if (hash == bytes32(0)) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryInvalidCiphertextHash.selector);
        } else if (keyEpoch != 0) {
            expected = abi.encodeWithSelector(IRecordAnchors.RecordRegistryStaleKeyEpoch.selector, ALICE, keyEpoch, 0);
        }
        bytes24 head = registry.getPatient(ALICE).chainHead;
        if (expected.length != 0) vm.expectRevert(expected);
        vm.prank(ALICE);
        bytes32 id = registry.anchorRecord(ALICE, cid, hash, category, keyEpoch);
        if (expected.length != 0) {
            assertEq(bytes32(registry.getPatient(ALICE).chainHead), bytes32(head), "head unchanged");
            return;
        }
        assertEq(
            id,
            registry.computeRecordId(ALICE, head, ALICE, category, 0, uint40(block.timestamp), hash, cid),
            "record id"
        );
        assertEq(bytes32(registry.getPatient(ALICE).chainHead), bytes32(bytes24(id)), "head");
    }
}
