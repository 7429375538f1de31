// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsentCodes} from "../interfaces/IConsentCodes.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {ConsentFixture} from "./fixtures/ConsentFixture.sol";

/// @notice Fuzz tests of consent codes: random fields, deadlines, nonces, tampering, chains and registries.
contract RecordRegistryConsentFuzzTest is ConsentFixture {
    /// @dev Random valid fields: the code is redeemed once, into exactly the grant it describes.
    function testFuzz_Redeem_RandomFieldsWorkOnce(
        uint8 scopeSeed,
        uint8 targetSeed,
        bool write,
        uint40 expiresAt,
        uint40 deadlineAhead,
        uint256 nonce,
        uint16 keyLength
    ) public {
        IConsentCodes.ConsentCode memory c = _code(nonce);
        c.scope = IRecordGrants.Scope(1 + (scopeSeed % 3));
        if (c.scope == RECORD) c.target = targetSeed % 2 == 0 ? aliceLab : aliceCardiac;
        else if (c.scope == CATEGORY) c.target = bytes32(uint256(1 + (targetSeed % 9)));
        else c.target = bytes32(0);
        c.write = c.scope != RECORD && write;
        c.expiresAt = expiresAt % 4 == 0 ? 0 : uint40(bound(expiresAt, T0 + 1, type(uint40).max));
        c.deadline = uint40(T0 + bound(deadlineAhead, 0, 3650 days));
        bytes memory wrappedKey = new bytes(bound(keyLength, 1, MAX_WRAPPED_KEY_BYTES));
        wrappedKey[0] = 0x01;
        c.wrappedKeyHash = keccak256(wrappedKey);
        bytes memory signature = _sign(ALICE_KEY, c);
        bytes32 digest = _digest(c);

        bytes32 grantId = keccak256(abi.encode(alice, HOSPITAL, c.scope, c.target));
        vm.expectEmit(true, true, true, true, address(registry));
        emit IRecordGrants.GrantIssued(
            alice,
            HOSPITAL,
            c.scope,
            c.target,
            c.write,
            c.expiresAt,
            0,
            wrappedKey,
            uint64(registry.patientLatestBlock(alice))
        );
        vm.expectEmit(true, true, true, true, address(registry));
        emit IConsentCodes.ConsentCodeRedeemed(alice, HOSPITAL, grantId, digest, nonce);
        assertEq(_redeem(c, wrappedKey, signature), grantId, "grant id");

        IRecordGrants.Grant memory g = registry.getGrant(alice, HOSPITAL, c.scope, c.target);
        assertEq(g.issuedAt, T0, "issuedAt");
        assertEq(g.expiresAt, c.expiresAt, "expiresAt");
        assertEq(g.revokedAt, 0, "revokedAt");
        assertEq(g.keyEpoch, 0, "keyEpoch");
        assertEq(g.write, c.write, "write");
        assertTrue(registry.consentNonceUsed(alice, nonce), "nonce spent");
        bytes32[3] memory ids = [aliceLab, aliceCardiac, bobLab];
        for (uint256 i = 0; i < ids.length; ++i) {
            IRecordAnchors.Record memory r = registry.getRecord(ids[i]);
            bool covers =
                r.patient == alice &&
                    (c.scope == ALL ||
                        (c.scope == RECORD && c.target == ids[i]) ||
                        (c.scope == CATEGORY && c.target == bytes32(uint256(r.category))));
            assertEq(registry.canRead(HOSPITAL, ids[i]), covers, "canRead covers what the code says");
        }

        vm.expectRevert(_alreadyUsed(alice, nonce));
        _redeem(c, wrappedKey, signature);
    }

    /// @dev A code works up to and including its deadline's second, and never after it.
    function testFuzz_Redeem_Deadline(uint40 deadline, uint40 warpTo, uint256 nonce) public {
        deadline = uint40(bound(deadline, T0, T0 + 3650 days));
        uint256 t =
            warpTo % 2 == 0
                ? bound(warpTo, deadline - 2, uint256(deadline) + 2)
                : bound(warpTo, T0, deadline + 30 days);
        IConsentCodes.ConsentCode memory c = _code(nonce);
        c.deadline = deadline;
        bytes memory signature = _sign(ALICE_KEY, c);
        vm.warp(t);
        if (t > deadline) {
            vm.expectRevert(
                abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentExpired.selector, deadline, uint40(t))
            );
            _redeem(c, WRAPPED, signature);
            _assertNotRedeemed(c);
        } else {
            _redeem(c, WRAPPED, signature);
            assertTrue(registry.isGrantActive(alice, HOSPITAL, c.scope, c.target), "granted");
            vm.expectRevert(_alreadyUsed(alice, nonce));
            _redeem(c, WRAPPED, signature);
        }
    }

    /// @dev A used (redeemed or cancelled) nonce always reverts, whatever the rest of the code; other
    /// nonces, and the same nonce of another patient, are independent.
    function testFuzz_Redeem_Nonces(uint256 used, uint256 other, bool cancelled, uint8 scopeSeed) public {
        vm.assume(used != other);
        IConsentCodes.ConsentCode memory first = _code(used);
        if (cancelled) {
            vm.expectEmit(true, false, false, true, address(registry));
            emit IConsentCodes.ConsentCodeCancelled(alice, used, uint64(registry.patientLatestBlock(alice)));
            vm.prank(alice);
            registry.cancelConsentCode(used);
        } else {
            _redeem(first, WRAPPED, _sign(ALICE_KEY, first));
        }
        assertTrue(registry.consentNonceUsed(alice, used), "used");
        assertFalse(registry.consentNonceUsed(alice, other), "other unused");

        // Any code with the used nonce, even for another grantee and scope, is refused.
        IConsentCodes.ConsentCode memory again = _code(used);
        again.grantee = LAB;
        again.scope = IRecordGrants.Scope(2 + (scopeSeed % 2));
        again.target = again.scope == ALL ? bytes32(0) : bytes32(uint256(1 + (scopeSeed % 9)));
        bytes memory againSig = _sign(ALICE_KEY, again);
        vm.expectRevert(_alreadyUsed(alice, used));
        _redeem(again, WRAPPED, againSig);
        vm.expectRevert(_alreadyUsed(alice, used));
        vm.prank(alice);
        registry.cancelConsentCode(used);

        // A distinct nonce is independent.
        again.nonce = other;
        _redeem(again, WRAPPED, _sign(ALICE_KEY, again));
        assertTrue(registry.isGrantActive(alice, LAB, again.scope, again.target), "other nonce works");

        // So is the same nonce of another patient.
        IConsentCodes.ConsentCode memory bobs = _code(used);
        bobs.patient = bob;
        bobs.keyEpoch = 0;
        _redeem(bobs, WRAPPED, _sign(BOB_KEY, bobs));
        assertTrue(registry.consentNonceUsed(bob, used), "bob's nonce");
    }

    /// @dev Changing any one signed field (or the wrapped key) after signing is refused by name,
    /// and spends nothing.
    function testFuzz_Redeem_TamperedFieldRefused(uint8 field, uint256 seed, address newAddress) public {
        IConsentCodes.ConsentCode memory c = _code(uint256(keccak256(abi.encode(seed))));
        c.expiresAt = uint40(T0 + 30 days);
        c.write = seed % 2 == 0;
        bytes memory signature = _sign(ALICE_KEY, c);
        bytes memory wrappedKey = WRAPPED;
        field %= 11;
        if (field == 0) {
            vm.assume(newAddress != alice);
            c.patient = newAddress;
        } else if (field == 1) {
            vm.assume(newAddress != HOSPITAL && newAddress != address(vm));
            c.grantee = newAddress;
        } else if (field == 2) {
            c.scope = ALL; // from Category
            c.target = bytes32(0);
        } else if (field == 3) {
            uint256 t = 1 + (seed % 9);
            if (t == uint256(IRecordAnchors.Category.Lab)) t = uint256(IRecordAnchors.Category.Cardiac);
            c.target = bytes32(t);
        } else if (field == 4) {
            c.write = !c.write;
        } else if (field == 5) {
            uint40 e = seed % 3 == 0 ? 0 : uint40(bound(seed, T0 + 1, type(uint40).max));
            vm.assume(e != c.expiresAt);
            c.expiresAt = e;
        } else if (field == 6) {
            uint40 d = uint40(bound(seed, T0, type(uint40).max)); // still in the future: the deadline check passes
            vm.assume(d != c.deadline);
            c.deadline = d;
        } else if (field == 7) {
            c.keyEpoch = uint32(bound(seed, 1, type(uint32).max));
        } else if (field == 8) {
            c.nonce = c.nonce ^ (seed | 1);
        } else if (field == 9) {
            bytes32 h = keccak256(abi.encode("other key", seed));
            c.wrappedKeyHash = h;
        } else {
            wrappedKey = abi.encodePacked(WRAPPED, bytes1(uint8(seed)));
        }
        vm.expectRevert(_invalidSignature(c.patient));
        _redeem(c, wrappedKey, signature);
        _assertNotRedeemed(c);
        assertFalse(registry.consentNonceUsed(alice, c.nonce), "alice's nonce not spent");
    }

    /// @dev A code naming another chain or registry is refused with its own error, before anything else.
    function testFuzz_Redeem_WrongChainOrRegistry(uint256 chainId, address otherRegistry, uint8 which) public {
        IConsentCodes.ConsentCode memory c = _code(1);
        bytes memory signature = _sign(ALICE_KEY, c); // a genuine signature over the right domain
        which %= 3;
        if (which != 1) {
            vm.assume(chainId != block.chainid);
            c.chainId = chainId;
        }
        if (which != 0) {
            vm.assume(otherRegistry != address(registry));
            c.registry = otherRegistry;
        }
        if (which != 1) {
            vm.expectRevert(
                abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentWrongChain.selector, block.chainid, chainId)
            );
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IConsentCodes.RecordRegistryConsentWrongContract.selector,
                    address(registry),
                    otherRegistry
                )
            );
        }
        vm.prank(STRANGER); // even before the caller check
        registry.redeemConsentCode(c, WRAPPED, signature);
        _assertNotRedeemed(c);
    }

    /// @dev Only the grantee submits: anyone else is refused by name.
    function testFuzz_Redeem_OnlyTheGrantee(address caller) public {
        vm.assume(caller != HOSPITAL && caller != address(vm));
        IConsentCodes.ConsentCode memory c = _code(2);
        bytes memory signature = _sign(ALICE_KEY, c);
        vm.expectRevert(
            abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentNotForCaller.selector, HOSPITAL, caller)
        );
        vm.prank(caller);
        registry.redeemConsentCode(c, WRAPPED, signature);
        _assertNotRedeemed(c);
    }

    /// @dev A random key signs: refused for alice's code; its own (registered) account's code works.
    function testFuzz_Redeem_SignerMustBeThePatient(uint256 key) public {
        key = bound(key, 1, SECP256K1_N - 1);
        vm.assume(key != ALICE_KEY);
        IConsentCodes.ConsentCode memory c = _code(3);
        vm.expectRevert(_invalidSignature(alice));
        _redeem(c, WRAPPED, _sign(key, c));
        _assertNotRedeemed(c);

        address signer = vm.addr(key);
        vm.assume(signer != bob);
        vm.prank(signer);
        registry.register(bytes32(uint256(1)));
        c.patient = signer;
        c.keyEpoch = 0;
        _redeem(c, WRAPPED, _sign(key, c));
        assertTrue(registry.isGrantActive(signer, HOSPITAL, c.scope, c.target), "signer's own code");
    }

    /// @dev A code signed at an older key epoch is stale once the patient revoked in between.
    function testFuzz_Redeem_StaleKeyEpoch(uint8 revocations, uint8 signedAt) public {
        uint32 n = uint32(bound(revocations, 1, 6));
        for (uint32 i = 0; i < n; ++i) {
            vm.startPrank(alice);
            registry.grant(LAB, ALL, bytes32(0), false, 0, WRAPPED);
            registry.revoke(LAB, ALL, bytes32(0));
            vm.stopPrank();
        }
        IConsentCodes.ConsentCode memory c = _code(4);
        c.keyEpoch = uint32(bound(signedAt, 0, n - 1));
        vm.expectRevert(
            abi.encodeWithSelector(IRecordAnchors.RecordRegistryStaleKeyEpoch.selector, alice, c.keyEpoch, n)
        );
        _redeem(c, WRAPPED, _sign(ALICE_KEY, c));
        _assertNotRedeemed(c);
        c.keyEpoch = n;
        _redeem(c, WRAPPED, _sign(ALICE_KEY, c));
        assertEq(registry.getGrant(alice, HOSPITAL, c.scope, c.target).keyEpoch, n, "current epoch");
    }
}
