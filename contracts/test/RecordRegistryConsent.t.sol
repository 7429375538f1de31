// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {eip712Digest} from "./Eip712.sol";
import {TestBase} from "./TestBase.sol";
import {Vm} from "./Vm.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {RecordRegistry} from "../RecordRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {IConsentCodes} from "../interfaces/IConsentCodes.sol";
import {IEmergencyAccess} from "../interfaces/IEmergencyAccess.sol";
import {IGuardians} from "../interfaces/IGuardians.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {IPeerValidation} from "../interfaces/IPeerValidation.sol";

/**
 * @dev EIP-712 consent codes computed from the standard's formula and the documented type
 * (domain "Meridian RecordRegistry" version "1", this chain, the registry), not taken from the
 * registry, and signed with `vm.sign`.
 */
library ConsentCodes {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    bytes32 internal constant TYPEHASH = keccak256(
        "ConsentCode(address patient,address grantee,uint8 scope,bytes32 target,bool write,uint40 expiresAt,uint40 deadline,uint32 keyEpoch,uint256 nonce,bytes32 wrappedKeyHash)"
    );

    function digest(address registry, IConsentCodes.ConsentCode memory c) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                TYPEHASH,
                c.patient,
                c.grantee,
                uint8(c.scope),
                c.target,
                c.write,
                c.expiresAt,
                c.deadline,
                c.keyEpoch,
                c.nonce,
                c.wrappedKeyHash
            )
        );
        return eip712Digest("Meridian RecordRegistry", registry, structHash);
    }

    function sign(uint256 key, bytes32 hash) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, hash);
        return abi.encodePacked(r, s, v);
    }
}

/**
 * @dev Cheatcodes of the peer-validation actions that `Vm.sol` does not declare (signatures from
 * forge-std's `Vm.sol`; Hardhat 3's Solidity test runner implements them).
 */
interface VmChain {
    /// @notice An event recorded by {recordLogs}.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    /// @notice Sets `block.number`.
    function roll(uint256 newHeight) external;

    /// @notice Records the events emitted from now on.
    function recordLogs() external;

    /// @notice The events recorded since {recordLogs} (or the last call of this), which it forgets.
    function getRecordedLogs() external returns (Log[] memory logs);
}

/**
 * @dev EIP-712 validation consents computed from the standard's formula and the documented type
 * (domain "Meridian PeerValidation" version "1", this chain, the peer-validation contract), not
 * taken from the contract; signed with {ConsentCodes-sign}.
 */
library ValidationConsents {
    bytes32 internal constant TYPEHASH =
        keccak256("ValidationConsent(bytes32 recordId,address author,uint8 validators,uint40 deadline)");

    function digest(address validation, bytes32 recordId, address author, uint8 validators, uint40 deadline)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(TYPEHASH, recordId, author, validators, deadline));
        return eip712Digest("Meridian PeerValidation", validation, structHash);
    }
}

/**
 * @dev Shared state of the consent-code fuzz tests: active providers HOSPITAL and LAB, a
 * suspended one, patients alice and bob (EOAs whose private keys the tests hold) with records.
 */
abstract contract ConsentFixture is TestBase {
    uint256 internal constant T0 = 1_700_000_000;
    /// @dev The documented largest key epoch, 2^30 - 1 (IRecordRegistry, docs/keys.md); not a getter.
    uint32 internal constant MAX_KEY_EPOCH = 1_073_741_823;
    /// @dev The documented longest wrapped key (IRecordRegistry).
    uint256 internal constant MAX_WRAPPED_KEY_BYTES = 640;
    /// @dev Storage slot of `RecordRegistry._patients` (after EIP712's two string slots).
    uint256 internal constant PATIENTS_SLOT = 2;
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;

    address internal constant HOSPITAL = address(0x4051);
    address internal constant LAB = address(0x1AB);
    address internal constant SUSPENDED = address(0x5005);
    address internal constant STRANGER = address(0x5757);

    IRecordGrants.Scope internal constant RECORD = IRecordGrants.Scope.Record;
    IRecordGrants.Scope internal constant CATEGORY = IRecordGrants.Scope.Category;
    IRecordGrants.Scope internal constant ALL = IRecordGrants.Scope.All;

    bytes internal constant WRAPPED = hex"c0ffee";

    ProviderRegistry internal providers;
    RecordRegistry internal registry;
    address internal alice;
    address internal bob;
    bytes32 internal aliceLab;
    bytes32 internal aliceCardiac;
    bytes32 internal bobLab;

    uint256 private _anchored;

    function setUp() public virtual {
        vm.warp(T0);
        alice = vm.addr(ALICE_KEY);
        bob = vm.addr(BOB_KEY);
        providers = new ProviderRegistry(address(this), address(this));
        registry = new RecordRegistry(providers);
        providers.admit(HOSPITAL, IProviderRegistry.ProviderKind.Hospital, "St. Elsewhere", "Emergency");
        providers.admit(LAB, IProviderRegistry.ProviderKind.Lab, "Central Lab", "");
        providers.admit(SUSPENDED, IProviderRegistry.ProviderKind.Clinic, "Suspended Clinic", "");
        providers.suspend(SUSPENDED);
        vm.prank(alice);
        registry.register(keccak256("alice x25519"));
        vm.prank(bob);
        registry.register(keccak256("bob x25519"));
        aliceLab = _anchor(alice, IRecordAnchors.Category.Lab);
        aliceCardiac = _anchor(alice, IRecordAnchors.Category.Cardiac);
        bobLab = _anchor(bob, IRecordAnchors.Category.Lab);
    }

    function _anchor(address patient, IRecordAnchors.Category category) internal returns (bytes32) {
        bytes32 hash = keccak256(abi.encode("ciphertext", ++_anchored));
        uint32 epoch = registry.getPatient(patient).keyEpoch;
        vm.prank(patient);
        return registry.anchorRecord(patient, abi.encodePacked(hex"01551220", hash), hash, category, epoch);
    }

    /// @dev A code from alice to HOSPITAL over her Lab category, no expiry, deadline in a day.
    function _code(uint256 nonce) internal view returns (IConsentCodes.ConsentCode memory c) {
        c.chainId = block.chainid;
        c.registry = address(registry);
        c.patient = alice;
        c.grantee = HOSPITAL;
        c.scope = CATEGORY;
        c.target = bytes32(uint256(IRecordAnchors.Category.Lab));
        c.deadline = uint40(block.timestamp + 1 days);
        c.keyEpoch = registry.getPatient(alice).keyEpoch;
        c.nonce = nonce;
        c.wrappedKeyHash = keccak256(WRAPPED);
    }

    function _digest(IConsentCodes.ConsentCode memory c) internal view returns (bytes32) {
        return ConsentCodes.digest(address(registry), c);
    }

    function _sign(uint256 key, IConsentCodes.ConsentCode memory c) internal view returns (bytes memory) {
        return ConsentCodes.sign(key, _digest(c));
    }

    function _redeem(IConsentCodes.ConsentCode memory c, bytes memory wrappedKey, bytes memory signature)
        internal
        returns (bytes32)
    {
        vm.prank(c.grantee);
        return registry.redeemConsentCode(c, wrappedKey, signature);
    }

    function _invalidSignature(address patient) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IConsentCodes.RecordRegistryInvalidConsentSignature.selector, patient);
    }

    function _alreadyUsed(address patient, uint256 nonce) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentAlreadyUsed.selector, patient, nonce);
    }

    /// @dev Nothing of `c` happened: nonce unused, grant never issued.
    function _assertNotRedeemed(IConsentCodes.ConsentCode memory c) internal view {
        assertFalse(registry.consentNonceUsed(c.patient, c.nonce), "nonce not spent");
        assertEq(registry.getGrant(c.patient, c.grantee, c.scope, c.target).issuedAt, 0, "no grant");
    }
}

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
        emit IRecordGrants.GrantIssued(alice, HOSPITAL, grantId, c.scope, c.target, c.write, c.expiresAt, 0, wrappedKey);
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
            bool covers = r.patient == alice
                && (c.scope == ALL || (c.scope == RECORD && c.target == ids[i])
                    || (c.scope == CATEGORY && c.target == bytes32(uint256(r.category))));
            assertEq(registry.canRead(HOSPITAL, ids[i]), covers, "canRead covers what the code says");
        }

        vm.expectRevert(_alreadyUsed(alice, nonce));
        _redeem(c, wrappedKey, signature);
    }

    /// @dev A code works up to and including its deadline's second, and never after it.
    function testFuzz_Redeem_Deadline(uint40 deadline, uint40 warpTo, uint256 nonce) public {
        deadline = uint40(bound(deadline, T0, T0 + 3650 days));
        uint256 t = warpTo % 2 == 0 ? bound(warpTo, deadline - 2, uint256(deadline) + 2) : bound(warpTo, T0, deadline + 30 days);
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
            emit IConsentCodes.ConsentCodeCancelled(alice, used);
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
                    IConsentCodes.RecordRegistryConsentWrongContract.selector, address(registry), otherRegistry
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

/**
 * @dev Drives random actions among a fixed set of actors: patients alice and bob (their keys sign
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
contract ConsentHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    VmChain private constant chain = VmChain(address(uint160(uint256(keccak256("hevm cheat code")))));

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

    uint256 private constant MAX_RECORDS = 10;
    uint256 private constant NONCES = 6;
    /// @dev The documented k = 3f + 1, 2f + 1, f + 1 and vote period (IPeerValidation), not read from the contract.
    uint8 private constant VALIDATORS = 4;
    uint8 private constant APPROVALS = 3;
    uint8 private constant REJECTIONS = 2;
    uint40 private constant VOTE_PERIOD = 3 days;
    /// @dev How many blocks back `blockhash` answers.
    uint256 private constant HASHED_BLOCKS = 256;

    RecordRegistry public immutable registry;
    ProviderRegistry public immutable providers;
    IPeerValidation public immutable validation;
    address public immutable regulator;
    address public immutable stranger;

    address[2] public patients;
    uint256[2] private _keys;
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
    mapping(bytes32 recordId => IPeerValidation.RecordProof) private _proofOf;
    mapping(bytes32 recordId => GhostCase) public ghostCases;
    mapping(bytes32 recordId => IPeerValidation.Seat[VALIDATORS]) private _ghostSeats;
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
        address[3] memory providers__,
        address regulator_,
        address stranger_,
        uint256 t0
    ) {
        registry = registry_;
        providers = providers_;
        patients = patients_;
        _keys = keys_;
        guardians = guardians_;
        providerList = providers__;
        regulator = regulator_;
        stranger = stranger_;
        now_ = t0;
        for (uint256 i = 0; i < 3; ++i) ghostActive[providers__[i]] = true;
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

    // -------------------------------------------------------------------- setup

    /// @dev Setup only: records an account the test admitted (its kind and institution, the
    /// keccak256 of `name`) and, when `join`, puts it in the validator pool.
    function enrol(address account, IProviderRegistry.ProviderKind kind, string calldata name, bool join) external {
        hospitals.push(account);
        kindOf[account] = kind;
        institutionOf[account] = keccak256(bytes(name));
        ghostActive[account] = true;
        if (join) _join(account);
    }

    /// @dev Setup only: the patient gives `author` write consent for General records and `author`
    /// anchors one, which it can then submit for validation.
    function anchorByProvider(uint256 patientSeed, address author) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        IRecordAnchors.Category category = IRecordAnchors.Category.General;
        bytes32 target = bytes32(uint256(category));
        vm.prank(patient);
        registry.grant(author, IRecordGrants.Scope.Category, target, true, 0, hex"01");
        ghostGrants[_grantId(patient, author, IRecordGrants.Scope.Category, target)] = GhostGrant(true, false, 0);
        bytes32 hash = keccak256(abi.encode("by provider", records.length, patient));
        bytes memory cid = abi.encodePacked(hex"01551220", hash);
        bytes28 head = registry.getPatient(patient).chainHead;
        vm.prank(author);
        bytes32 id = registry.anchorRecord(patient, cid, hash, category, ghostEpoch[patient]);
        records.push(id);
        ownerOf[id] = patient;
        categoryOf[id] = category;
        validationRecords.push(id);
        authorOf[id] = author;
        _proofOf[id] = IPeerValidation.RecordProof(head, hash, cid);
        successfulCalls += 2;
    }

    /// @dev Setup only: the author of `validationRecords[index]` submits it with its patient's
    /// consent and, when `draw`, validators are drawn two blocks later.
    function openCase(uint256 index, bool draw) external {
        _syncChain();
        bytes32 id = validationRecords[index];
        _submit(id, authorOf[id], ownerOf[id] == patients[0] ? 0 : 1, uint40(now_ + 1 days));
        if (!draw) return;
        blockNumber += 2;
        _syncChain();
        _draw(id);
    }

    // ------------------------------------------------------------------ actions

    function anchor(uint256 patientSeed, uint256 categorySeed) public {
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

    /// @dev The patient, or (`asGuardian`) one of the guardian accounts, grants a provider (or the
    /// regulator or the stranger, who are refused).
    function grant(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint256 scopeSeed,
        uint256 targetSeed,
        uint256 expirySeed,
        uint256 callerSeed
    ) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = _granteeOf(granteeSeed);
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        uint40 expiresAt = expirySeed % 3 == 0 ? 0 : uint40(now_ + 1 + ((expirySeed >> 8) % 3 days));
        address caller = _patientOrGuardian(patient, callerSeed);
        bytes memory expected = _guardianError(patient, caller);
        if (expected.length == 0 && !ghostActive[grantee]) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, grantee);
        }
        vm.prank(caller);
        bool ok;
        bytes memory data;
        if (caller == patient) {
            (ok, data) = address(registry).call(
                abi.encodeCall(IRecordGrants.grant, (grantee, scope, target, false, expiresAt, hex"01"))
            );
        } else {
            (ok, data) = address(registry).call(
                abi.encodeCall(
                    IGuardians.grantAsGuardian, (patient, grantee, scope, target, false, expiresAt, hex"01")
                )
            );
        }
        if (_check(ok, data, expected)) {
            ghostGrants[_grantId(patient, grantee, scope, target)] = GhostGrant(true, false, expiresAt);
        }
    }

    function revoke(uint256 patientSeed, uint256 granteeSeed, uint256 scopeSeed, uint256 targetSeed, uint256 callerSeed)
        external
    {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address grantee = providerList[granteeSeed % 3];
        (IRecordGrants.Scope scope, bytes32 target) = _scope(patient, scopeSeed, targetSeed);
        bytes32 id = _grantId(patient, grantee, scope, target);
        address caller = _patientOrGuardian(patient, callerSeed);
        bytes memory expected = _guardianError(patient, caller);
        if (expected.length == 0 && (!ghostGrants[id].issued || ghostGrants[id].revoked)) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryGrantNotActive.selector, id);
        }
        vm.prank(caller);
        bool ok;
        bytes memory data;
        if (caller == patient) {
            (ok, data) = address(registry).call(abi.encodeCall(IRecordGrants.revoke, (grantee, scope, target)));
        } else {
            (ok, data) = address(registry).call(
                abi.encodeCall(IGuardians.revokeAsGuardian, (patient, grantee, scope, target))
            );
        }
        if (_check(ok, data, expected)) {
            ghostGrants[id].revoked = true;
            if (scope != IRecordGrants.Scope.Record) ++ghostEpoch[patient];
        }
    }

    /// @dev The patient signs a consent code (sometimes stale, tampered, past its deadline or with a
    /// used nonce) and its grantee (a provider, the regulator or the stranger) submits it.
    function redeemCode(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint256 scopeSeed,
        uint256 targetSeed,
        uint256 timeSeed,
        uint256 nonceSeed,
        uint8 mutation
    ) external {
        vm.warp(now_);
        uint256 p = patientSeed % 2;
        address patient = patients[p];
        IConsentCodes.ConsentCode memory c;
        c.chainId = block.chainid;
        c.registry = address(registry);
        c.patient = patient;
        c.grantee = _granteeOf(granteeSeed);
        (c.scope, c.target) = _scope(patient, scopeSeed, targetSeed);
        c.expiresAt = timeSeed % 3 == 0 ? 0 : uint40(now_ + 1 + ((timeSeed >> 8) % 3 days));
        // Half the deadlines already past.
        c.deadline = uint40(now_ + ((timeSeed >> 64) % 2 days) - 1 days);
        c.keyEpoch = ghostEpoch[patient];
        mutation %= 8;
        if (mutation == 1 && c.keyEpoch != 0) c.keyEpoch -= 1; // stale
        c.nonce = nonceSeed % NONCES;
        c.wrappedKeyHash = keccak256(hex"01");
        bytes memory signature = ConsentCodes.sign(_keys[p], ConsentCodes.digest(address(registry), c));
        bool tampered = mutation == 2;
        if (tampered) c.expiresAt = c.expiresAt == 0 ? uint40(now_ + 7 days) : 0;

        bytes memory expected;
        if (now_ > c.deadline) {
            expected = abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentExpired.selector, c.deadline, uint40(now_));
        } else if (ghostNonceUsed[patient][c.nonce]) {
            expected = abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentAlreadyUsed.selector, patient, c.nonce);
        } else if (tampered) {
            expected = abi.encodeWithSelector(IConsentCodes.RecordRegistryInvalidConsentSignature.selector, patient);
        } else if (c.keyEpoch != ghostEpoch[patient]) {
            expected = abi.encodeWithSelector(
                IRecordAnchors.RecordRegistryStaleKeyEpoch.selector, patient, c.keyEpoch, ghostEpoch[patient]
            );
        } else if (!ghostActive[c.grantee]) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, c.grantee);
        }
        vm.prank(c.grantee);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IConsentCodes.redeemConsentCode, (c, hex"01", signature))
        );
        if (_check(ok, data, expected)) {
            ghostNonceUsed[patient][c.nonce] = true;
            ghostGrants[_grantId(patient, c.grantee, c.scope, c.target)] = GhostGrant(true, false, c.expiresAt);
            ++redeemedCodes;
        }
    }

    function cancelCode(uint256 patientSeed, uint256 nonceSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        uint256 nonce = nonceSeed % NONCES;
        bytes memory expected = ghostNonceUsed[patient][nonce]
            ? abi.encodeWithSelector(IConsentCodes.RecordRegistryConsentAlreadyUsed.selector, patient, nonce)
            : bytes("");
        vm.prank(patient);
        (bool ok, bytes memory data) =
            address(registry).call(abi.encodeCall(IConsentCodes.cancelConsentCode, (nonce)));
        if (_check(ok, data, expected)) ghostNonceUsed[patient][nonce] = true;
    }

    function appointGuardian(uint256 patientSeed, uint256 guardianSeed, uint256 levelSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address guardian = guardians[guardianSeed % 3];
        IGuardians.GuardianLevel level = IGuardians.GuardianLevel(levelSeed % 5 == 0 ? 0 : 1 + (levelSeed % 2));
        bytes memory expected = level == IGuardians.GuardianLevel.None
            ? abi.encodeWithSelector(IGuardians.RecordRegistryInvalidGuardian.selector, guardian, level)
            : bytes("");
        vm.prank(patient);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IGuardians.appointGuardian, (guardian, level, hex"02"))
        );
        if (_check(ok, data, expected)) ghostGuardian[patient][guardian] = level;
    }

    /// @dev The patient removes, or the guardian steps down.
    function removeGuardian(uint256 patientSeed, uint256 guardianSeed, bool byGuardian) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address guardian = guardians[guardianSeed % 3];
        bytes memory expected = ghostGuardian[patient][guardian] == IGuardians.GuardianLevel.None
            ? abi.encodeWithSelector(
                IGuardians.RecordRegistryNotGuardian.selector,
                patient,
                guardian,
                IGuardians.GuardianLevel.None,
                IGuardians.GuardianLevel.View
            )
            : bytes("");
        bool ok;
        bytes memory data;
        if (byGuardian) {
            vm.prank(guardian);
            (ok, data) = address(registry).call(abi.encodeCall(IGuardians.stepDownAsGuardian, (patient)));
        } else {
            vm.prank(patient);
            (ok, data) = address(registry).call(abi.encodeCall(IGuardians.removeGuardian, (guardian)));
        }
        if (_check(ok, data, expected)) {
            ghostGuardian[patient][guardian] = IGuardians.GuardianLevel.None;
            ++ghostEpoch[patient];
        }
    }

    /// @dev The patient names one of its records as the emergency summary, or clears it.
    function setSummary(uint256 patientSeed, uint256 recordSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        bytes32 id;
        if (recordSeed % 4 != 0) {
            for (uint256 i = 0; i < records.length; ++i) {
                bytes32 r = records[(recordSeed + i) % records.length];
                if (ownerOf[r] == patient) {
                    id = r;
                    break;
                }
            }
        }
        vm.prank(patient);
        registry.setEmergencySummary(id);
        ghostSummary[patient] = id;
        ++successfulCalls;
    }

    /// @dev A provider, the regulator or the stranger opens emergency access (sometimes with a bad
    /// duration or no reason).
    function openEmergency(uint256 patientSeed, uint256 callerSeed, uint256 durationSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address caller = _granteeOf(callerSeed);
        uint40 duration = durationSeed % 8 == 0 ? uint40(durationSeed % 2 == 0 ? 0 : 1 days + 1) : uint40(1 + (durationSeed >> 8) % 1 days);
        bytes32 reason = durationSeed % 16 == 1 ? bytes32(0) : bytes32("ETREAT");
        bytes memory expected;
        if (caller == regulator) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryRegulatorNotAllowed.selector, caller);
        } else if (!ghostActive[caller]) {
            expected = abi.encodeWithSelector(IRecordGrants.RecordRegistryProviderNotActive.selector, caller);
        } else if (reason == bytes32(0)) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryEmergencyReasonRequired.selector);
        } else if (duration == 0 || duration > 1 days) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryInvalidEmergencyDuration.selector, duration);
        } else if (ghostSummary[patient] == bytes32(0)) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryNoEmergencySummary.selector, patient);
        } else if (ghostEmergencyUntil[patient][caller] > now_) {
            expected = abi.encodeWithSelector(
                IEmergencyAccess.RecordRegistryEmergencyAccessActive.selector, patient, caller, ghostEmergencyUntil[patient][caller]
            );
        }
        vm.prank(caller);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IEmergencyAccess.openEmergencyAccess, (patient, reason, duration))
        );
        if (_check(ok, data, expected)) {
            ghostEmergencyUntil[patient][caller] = uint40(now_ + duration);
            ++emergencyOpenings;
        }
    }

    /// @dev The patient, a guardian account, the provider, another provider, the regulator or the
    /// stranger closes a provider's emergency access.
    function closeEmergency(uint256 patientSeed, uint256 providerSeed, uint256 closerSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address provider = providerList[providerSeed % 3];
        address closer;
        uint256 k = closerSeed % 8;
        if (k == 0) closer = patient;
        else if (k <= 3) closer = guardians[k - 1];
        else if (k == 4) closer = provider;
        else if (k == 5) closer = providerList[(providerSeed + 1) % 3];
        else if (k == 6) closer = regulator;
        else closer = stranger;
        bytes memory expected;
        if (closer != patient && closer != provider && ghostGuardian[patient][closer] == IGuardians.GuardianLevel.None) {
            expected = abi.encodeWithSelector(
                IEmergencyAccess.RecordRegistryEmergencyCloseNotPermitted.selector, patient, provider, closer
            );
        } else if (ghostEmergencyUntil[patient][provider] <= now_) {
            expected =
                abi.encodeWithSelector(IEmergencyAccess.RecordRegistryEmergencyAccessNotActive.selector, patient, provider);
        }
        vm.prank(closer);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IEmergencyAccess.closeEmergencyAccess, (patient, provider))
        );
        if (_check(ok, data, expected)) ghostEmergencyUntil[patient][provider] = uint40(now_);
    }

    /// @dev The patient, a guardian account or the stranger releases the summary's key.
    function releaseKey(uint256 patientSeed, uint256 providerSeed, uint256 callerSeed) external {
        vm.warp(now_);
        address patient = patients[patientSeed % 2];
        address provider = providerList[providerSeed % 3];
        uint256 k = callerSeed % 5;
        address caller = k == 0 ? patient : k == 4 ? stranger : guardians[k - 1];
        bytes memory expected = caller == patient ? bytes("") : _guardianError(patient, caller);
        if (expected.length == 0 && (ghostEmergencyUntil[patient][provider] <= now_ || !ghostActive[provider])) {
            expected =
                abi.encodeWithSelector(IEmergencyAccess.RecordRegistryEmergencyAccessNotActive.selector, patient, provider);
        } else if (expected.length == 0 && ghostSummary[patient] == bytes32(0)) {
            expected = abi.encodeWithSelector(IEmergencyAccess.RecordRegistryNoEmergencySummary.selector, patient);
        }
        vm.prank(caller);
        (bool ok, bytes memory data) = address(registry).call(
            abi.encodeCall(IEmergencyAccess.releaseEmergencyKey, (patient, provider, hex"03"))
        );
        _check(ok, data, expected);
    }

    function warp(uint256 seconds_) external {
        now_ += seconds_ % 2 days;
        vm.warp(now_);
    }

    /// @dev The regulator suspends or reinstates a provider or pool hospital.
    function toggleProvider(uint256 providerSeed) external {
        vm.warp(now_);
        address provider = hospitals[providerSeed % hospitals.length];
        vm.prank(regulator);
        if (ghostActive[provider]) providers.suspend(provider);
        else providers.reinstate(provider);
        ghostActive[provider] = !ghostActive[provider];
        ++successfulCalls;
    }

    // -------------------------------------------------------- peer validation

    /// @dev An enrolled account (or the stranger) joins the validator pool: refused unless it is an
    /// active hospital whose institution has no member in the pool.
    function joinPool(uint256 accountSeed) external {
        _syncChain();
        uint256 k = accountSeed % (hospitals.length + 1);
        _join(k == hospitals.length ? stranger : hospitals[k]);
    }

    /// @dev A member leaves the pool, or the stranger prunes it (refused while it is active). Seats
    /// it holds stay.
    function leavePool(uint256 memberSeed, bool prune) external {
        _syncChain();
        address member = hospitals[memberSeed % hospitals.length];
        bytes memory expected;
        if (!ghostInPool[member]) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationNotInPool.selector, member);
        } else if (prune && ghostActive[member]) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationMemberActive.selector, member);
        }
        vm.prank(prune ? stranger : member);
        (bool ok, bytes memory data) = address(validation).call(
            prune ? abi.encodeCall(IPeerValidation.prune, (member)) : abi.encodeCall(IPeerValidation.leavePool, ())
        );
        if (_check(ok, data, expected)) {
            ghostInPool[member] = false;
            delete ghostMemberOf[institutionOf[member]];
            --ghostPoolSize;
        }
    }

    /// @dev A provider, mostly the record's author, submits a record for validation with the
    /// patient's consent (sometimes past its deadline, or signed by the other patient).
    function submitForValidation(uint256 recordSeed, uint256 callerSeed, uint256 consentSeed) external {
        _syncChain();
        bytes32 id = _caseRecord(recordSeed, Stage.Unsubmitted);
        address author = authorOf[id];
        address caller = author == address(0) || callerSeed % 4 == 0 ? providerList[callerSeed % 3] : author;
        address patient = ownerOf[id];
        uint256 signer = patient == patients[0] ? 0 : 1;
        uint256 mutation = consentSeed % 8;
        if (mutation == 1) signer = 1 - signer;
        uint40 deadline = mutation == 2
            ? uint40(now_ - 1 - (consentSeed >> 8) % 1 days)
            : uint40(now_ + (consentSeed >> 8) % 2 days);
        _submit(id, caller, signer, deadline);
    }

    /// @dev Blocks pass (none, a few, or more than the chain keeps hashes of) and anyone draws a
    /// case's validators.
    function drawValidators(uint256 recordSeed, uint256 blockSeed) external {
        uint256 k = blockSeed % 16;
        blockNumber += k == 0 ? 0 : k == 1 ? HASHED_BLOCKS + 44 : 1 + (blockSeed >> 8) % 4;
        _syncChain();
        _draw(_caseRecord(recordSeed, Stage.Drawable));
    }

    /// @dev A seated validator votes (sometimes without a choice, or the author, or a hospital
    /// without a seat tries).
    function voteOnValidation(uint256 recordSeed, uint256 voterSeed, uint256 choiceSeed) external {
        _syncChain();
        bytes32 id = _caseRecord(recordSeed, Stage.Voting);
        GhostCase memory c = ghostCases[id];
        uint256 k = voterSeed % 6;
        address voter = k < VALIDATORS ? _ghostSeats[id][k].validator : k == VALIDATORS ? c.author : address(0);
        if (voter == address(0)) voter = hospitals[(voterSeed >> 8) % hospitals.length];
        IPeerValidation.Vote choice = IPeerValidation.Vote(choiceSeed % 8 == 0 ? 0 : 1 + (choiceSeed >> 8) % 2);
        (bool seated, uint256 index) = _ghostSeatOf(id, voter);
        IPeerValidation.Seat memory seat = _ghostSeats[id][index];
        bytes memory expected;
        if (c.status == IPeerValidation.ValidationStatus.None) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, id);
        } else if (voter == c.author) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationAuthorCannotVote.selector, id, voter);
        } else if (c.status != IPeerValidation.ValidationStatus.Pending) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationCaseNotOpen.selector, id, c.status);
        } else if (!seated) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, id, voter);
        } else if (seat.vote != IPeerValidation.Vote.None) {
            expected =
                abi.encodeWithSelector(IPeerValidation.PeerValidationAlreadyVoted.selector, id, voter, seat.vote);
        } else if (now_ > seat.deadline) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlinePassed.selector, id, voter, seat.deadline, uint40(now_)
            );
        } else if (choice == IPeerValidation.Vote.None) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidVote.selector);
        } else if (!ghostActive[voter]) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, voter);
        }
        vm.prank(voter);
        (bool ok, bytes memory data) = address(validation).call(
            abi.encodeCall(IPeerValidation.vote, (id, choice, keccak256("comment")))
        );
        if (!_check(ok, data, expected)) return;
        _ghostSeats[id][index].vote = choice;
        GhostCase storage g = ghostCases[id];
        if (choice == IPeerValidation.Vote.Approve) ++g.approvals;
        else ++g.rejections;
        if (g.approvals >= APPROVALS) g.status = IPeerValidation.ValidationStatus.Validated;
        else if (g.rejections >= REJECTIONS) g.status = IPeerValidation.ValidationStatus.Rejected;
        if (g.status != IPeerValidation.ValidationStatus.Pending) ++decisions;
    }

    /// @dev Anyone replaces a validator (sometimes after waiting past its deadline; sometimes one that
    /// voted, is still in time, or holds no seat, or the zero address of a vacant seat, which must be
    /// refused: it once counted a vacancy no seat could take, after which every draw reverted).
    function replaceValidator(uint256 recordSeed, uint256 validatorSeed, uint256 waitSeed) external {
        bytes32 id = _caseRecord(recordSeed, Stage.Voting);
        uint256 k = validatorSeed % 6;
        address validator = k < VALIDATORS ? _ghostSeats[id][k].validator : address(0);
        if (validator == address(0) && (k >= VALIDATORS || (validatorSeed >> 16) % 2 == 0)) {
            validator = hospitals[(validatorSeed >> 8) % hospitals.length];
        }
        (bool seated, uint256 index) = _ghostSeatOf(id, validator);
        IPeerValidation.Seat memory seat = _ghostSeats[id][index];
        if (seated && waitSeed % 3 == 0 && now_ <= seat.deadline) {
            now_ = uint256(seat.deadline) + 1 + (waitSeed >> 8) % 1 days; // the caller waits it out
        }
        _syncChain();
        GhostCase memory c = ghostCases[id];
        bytes memory expected;
        if (c.status == IPeerValidation.ValidationStatus.None) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, id);
        } else if (c.status != IPeerValidation.ValidationStatus.Pending) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationCaseNotOpen.selector, id, c.status);
        } else if (!seated) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, id, validator);
        } else if (seat.vote != IPeerValidation.Vote.None) {
            expected =
                abi.encodeWithSelector(IPeerValidation.PeerValidationAlreadyVoted.selector, id, validator, seat.vote);
        } else if (now_ <= seat.deadline && ghostActive[validator]) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlineNotPassed.selector, id, validator, seat.deadline, uint40(now_)
            );
        }
        vm.prank(stranger);
        (bool ok, bytes memory data) =
            address(validation).call(abi.encodeCall(IPeerValidation.replace, (id, validator)));
        if (!_check(ok, data, expected)) return;
        delete _ghostSeats[id][index];
        ghostReplaced[id][validator] = true;
        GhostCase storage g = ghostCases[id];
        ++g.vacancies;
        g.seedBlock = uint40(blockNumber + 1);
        ++replacements;
    }

    /// @dev `caller` submits record `id` with a consent `patients[signer]` signed until `deadline`.
    function _submit(bytes32 id, address caller, uint256 signer, uint40 deadline) private {
        address author = authorOf[id];
        address patient = ownerOf[id];
        bytes memory signature = ConsentCodes.sign(
            _keys[signer], ValidationConsents.digest(address(validation), id, caller, VALIDATORS, deadline)
        );
        GhostCase memory c = ghostCases[id];
        bytes memory expected;
        if (!ghostActive[caller]) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, caller);
        } else if (caller != author) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationNotAuthor.selector, id, caller);
        } else if (c.status != IPeerValidation.ValidationStatus.None) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationAlreadySubmitted.selector, id, c.status);
        } else if (deadline < now_) {
            expected =
                abi.encodeWithSelector(IPeerValidation.PeerValidationConsentExpired.selector, deadline, uint40(now_));
        } else if (patients[signer] != patient) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, id, patient);
        } else {
            uint256 available = ghostPoolSize;
            if (ghostMemberOf[institutionOf[caller]] != address(0)) --available;
            if (available < VALIDATORS) {
                expected = abi.encodeWithSelector(
                    IPeerValidation.PeerValidationPoolTooSmall.selector, available, uint256(VALIDATORS)
                );
            }
        }
        vm.prank(caller);
        (bool ok, bytes memory data) = address(validation).call(
            abi.encodeCall(IPeerValidation.submit, (id, _proofOf[id], deadline, signature))
        );
        if (_check(ok, data, expected)) {
            ghostCases[id] = GhostCase(
                IPeerValidation.ValidationStatus.Submitted,
                caller,
                institutionOf[caller],
                uint40(blockNumber + 1),
                0,
                0,
                VALIDATORS
            );
            for (uint256 i = 0; i < hospitals.length; ++i) {
                ghostInPoolAtSubmission[id][hospitals[i]] = ghostInPool[hospitals[i]];
            }
            ghostPoolSizeAtSubmission[id] = ghostPoolSize;
            ++submissions;
        }
    }

    /// @dev Anyone draws validators for record `id`'s case. The picks come from the events; each
    /// must be an eligible pool member for a vacant seat, with the deadline the vote period gives.
    function _draw(bytes32 id) private {
        GhostCase memory c = ghostCases[id];
        address[] memory eligible = _eligible(id, c.authorInstitution);
        bool renews;
        bytes memory expected;
        if (c.status == IPeerValidation.ValidationStatus.None) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, id);
        } else if (!_open(c.status)) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationCaseNotOpen.selector, id, c.status);
        } else if (c.vacancies == 0) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationNothingToDraw.selector, id);
        } else if (blockNumber <= c.seedBlock) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationSeedNotReady.selector, id, uint256(c.seedBlock), blockNumber
            );
        } else if (blockNumber - c.seedBlock > HASHED_BLOCKS) {
            renews = true;
        } else if (eligible.length < c.vacancies) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationDrawFailed.selector, id, eligible.length, uint256(c.vacancies)
            );
        }
        chain.recordLogs();
        (bool ok, bytes memory data) = address(validation).call(abi.encodeCall(IPeerValidation.draw, (id)));
        VmChain.Log[] memory logs = chain.getRecordedLogs();
        if (!_check(ok, data, expected)) return;
        if (renews) {
            ghostCases[id].seedBlock = uint40(blockNumber + 1);
            return;
        }
        _seat(id, c.vacancies, eligible, logs);
    }

    // -------------------------------------------------------------------- model

    /// @notice The model's answer to `canRead(reader, recordId)` at `now_`.
    function modelCanRead(address reader, bytes32 recordId) external view returns (bool) {
        address owner = ownerOf[recordId];
        if (owner == address(0)) return false;
        if (reader == owner || ghostGuardian[owner][reader] != IGuardians.GuardianLevel.None) return true;
        if (!ghostActive[reader]) return false;
        return _ghostActive(_grantId(owner, reader, IRecordGrants.Scope.Record, recordId))
            || _ghostActive(_grantId(owner, reader, IRecordGrants.Scope.Category, bytes32(uint256(categoryOf[recordId]))))
            || _ghostActive(_grantId(owner, reader, IRecordGrants.Scope.All, bytes32(0)))
            || (recordId == ghostSummary[owner] && ghostEmergencyUntil[owner][reader] > now_)
            || isSeated(recordId, reader);
    }

    /// @notice Whether the model has `account` in a seat of record `recordId`'s case (drawn, not
    /// replaced; active or not).
    function isSeated(bytes32 recordId, address account) public view returns (bool seated) {
        (seated,) = _ghostSeatOf(recordId, account);
    }

    function _ghostActive(bytes32 id) private view returns (bool) {
        GhostGrant memory g = ghostGrants[id];
        return g.issued && !g.revoked && (g.expiresAt == 0 || now_ < g.expiresAt);
    }

    // ------------------------------------------------------------------ helpers

    function _syncChain() private {
        vm.warp(now_);
        chain.roll(blockNumber);
    }

    function _join(address account) private {
        bytes32 institution = institutionOf[account];
        address member = ghostMemberOf[institution];
        bytes memory expected;
        if (!ghostActive[account]) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, account);
        } else if (kindOf[account] != IProviderRegistry.ProviderKind.Hospital) {
            expected =
                abi.encodeWithSelector(IPeerValidation.PeerValidationNotHospital.selector, account, kindOf[account]);
        } else if (member != address(0)) {
            expected =
                abi.encodeWithSelector(IPeerValidation.PeerValidationInstitutionInPool.selector, institution, member);
        }
        vm.prank(account);
        (bool ok, bytes memory data) = address(validation).call(abi.encodeCall(IPeerValidation.joinPool, ()));
        if (_check(ok, data, expected)) {
            ghostInPool[account] = true;
            ghostMemberOf[institution] = account;
            ++ghostPoolSize;
        }
    }

    /// @dev Mostly a provider's record, half of those (when there is one) at `stage`; now and then
    /// any record.
    function _caseRecord(uint256 seed, Stage stage) private view returns (bytes32) {
        if (seed % 8 == 7) return records[(seed >> 8) % records.length];
        uint256 n = validationRecords.length;
        uint256 start = (seed >> 8) % n;
        if (seed % 2 == 0) {
            for (uint256 i = 0; i < n; ++i) {
                bytes32 id = validationRecords[(start + i) % n];
                GhostCase memory c = ghostCases[id];
                bool atStage = stage == Stage.Unsubmitted
                    ? c.status == IPeerValidation.ValidationStatus.None
                    : stage == Stage.Drawable
                        ? _open(c.status) && c.vacancies != 0
                        : c.status == IPeerValidation.ValidationStatus.Pending;
                if (atStage) return id;
            }
        }
        return validationRecords[start];
    }

    function _open(IPeerValidation.ValidationStatus status) private pure returns (bool) {
        return status == IPeerValidation.ValidationStatus.Submitted
            || status == IPeerValidation.ValidationStatus.Pending;
    }

    /// @dev The seat the model has `account` in (never the zero address).
    function _ghostSeatOf(bytes32 recordId, address account) private view returns (bool seated, uint256 index) {
        if (account == address(0)) return (false, 0);
        for (uint256 i = 0; i < VALIDATORS; ++i) {
            if (_ghostSeats[recordId][i].validator == account) return (true, i);
        }
    }

    /// @dev The accounts a draw for `recordId` may pick: members of the pool at the case's submission
    /// (whether or not they left since), active, outside the author's institution and the
    /// institutions seated in the case, never replaced in it.
    function _eligible(bytes32 recordId, bytes32 authorInstitution) private view returns (address[] memory eligible) {
        eligible = new address[](hospitals.length);
        uint256 count;
        for (uint256 i = 0; i < hospitals.length; ++i) {
            address h = hospitals[i];
            bytes32 institution = institutionOf[h];
            if (
                !ghostInPoolAtSubmission[recordId][h] || !ghostActive[h] || institution == authorInstitution
                    || ghostReplaced[recordId][h]
            ) {
                continue;
            }
            bool taken;
            for (uint256 j = 0; j < VALIDATORS; ++j) {
                address v = _ghostSeats[recordId][j].validator;
                if (v != address(0) && institutionOf[v] == institution) taken = true;
            }
            if (!taken) eligible[count++] = h;
        }
        assembly ("memory-safe") {
            mstore(eligible, count)
        }
    }

    /// @dev Seats the validators a successful draw chose, from its {IPeerValidation-ValidatorChosen}
    /// events: one per vacancy, each eligible (and so of an institution not seated yet: the pool holds
    /// one member per institution), each in a vacant seat, each with the deadline the vote period gives.
    function _seat(bytes32 recordId, uint8 vacancies, address[] memory eligible, VmChain.Log[] memory logs) private {
        uint256 chosen;
        for (uint256 i = 0; i < logs.length; ++i) {
            VmChain.Log memory log = logs[i];
            if (log.emitter != address(validation) || log.topics[0] != IPeerValidation.ValidatorChosen.selector) {
                continue;
            }
            address validator = address(uint160(uint256(log.topics[2])));
            (uint8 seat, uint40 deadline) = abi.decode(log.data, (uint8, uint40));
            bool found;
            for (uint256 j = 0; j < eligible.length; ++j) {
                if (eligible[j] == validator) {
                    found = true;
                    eligible[j] = address(0); // not twice
                }
            }
            if (log.topics[1] != recordId) return _disagree("draw: a validator chosen for another record");
            if (!found) return _disagree("draw: an ineligible or repeated validator chosen");
            if (seat >= VALIDATORS || _ghostSeats[recordId][seat].validator != address(0)) {
                return _disagree("draw: a validator put in an occupied seat");
            }
            if (deadline != now_ + VOTE_PERIOD) return _disagree("draw: deadline is not now + VOTE_PERIOD");
            _ghostSeats[recordId][seat] = IPeerValidation.Seat(validator, deadline, IPeerValidation.Vote.None);
            ++chosen;
        }
        if (chosen != vacancies) return _disagree("draw: chosen validators do not fill the vacancies");
        GhostCase storage g = ghostCases[recordId];
        g.vacancies = 0;
        g.status = IPeerValidation.ValidationStatus.Pending;
        ++draws;
    }

    function _disagree(string memory what) private {
        ++mismatches;
        lastModelError = what;
    }

    /// @dev Compares a call's outcome with the expected revert data (empty: success). Returns
    /// whether the call succeeded.
    function _check(bool ok, bytes memory data, bytes memory expected) private returns (bool) {
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
    function _guardianError(address patient, address caller) private view returns (bytes memory) {
        if (caller == patient) return "";
        IGuardians.GuardianLevel level = ghostGuardian[patient][caller];
        if (level == IGuardians.GuardianLevel.ShareAndView) return "";
        return abi.encodeWithSelector(
            IGuardians.RecordRegistryNotGuardian.selector,
            patient,
            caller,
            level,
            IGuardians.GuardianLevel.ShareAndView
        );
    }

    function _patientOrGuardian(address patient, uint256 seed) private view returns (address) {
        uint256 k = seed % 4;
        return k == 0 ? patient : guardians[k - 1];
    }

    /// @dev Mostly a provider; sometimes the regulator or the stranger.
    function _granteeOf(uint256 seed) private view returns (address) {
        uint256 k = seed % 8;
        if (k == 6) return regulator;
        if (k == 7) return stranger;
        return providerList[k % 3];
    }

    function _grantId(address patient, address grantee, IRecordGrants.Scope scope, bytes32 target)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(patient, grantee, scope, target));
    }

    function _scope(address patient, uint256 scopeSeed, uint256 targetSeed)
        private
        view
        returns (IRecordGrants.Scope, bytes32)
    {
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

/**
 * @notice Invariant tests: after any sequence of grants and revocations (by patients and SHARE AND
 * VIEW guardians), consent codes, guardian appointments and removals, emergency summaries,
 * emergency openings, closes and key releases, validator pool joins and departures, submissions for
 * peer validation, draws, votes and replacements, suspensions, reinstatements, time jumps and
 * blocks, `canRead` is true only for the patient, a current guardian, an active provider with an
 * active grant covering the record, an active provider with open emergency access to the summary,
 * or an active validator the model has seated for the record (drawn, not replaced); never for the
 * regulator or the stranger. The pool and every case (status, counts, seed block, seats) agree
 * with the model.
 * @dev Runs and depth are kept small so `npx hardhat test solidity` stays fast.
 */
contract RecordRegistryConsentInvariantTest is TestBase {
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;
    address internal constant REGULATOR = address(0x8E6);
    address internal constant STRANGER = address(0x5757);

    ProviderRegistry internal providers;
    RecordRegistry internal registry;
    ConsentHandler internal handler;
    address[2] internal patients;
    address[3] internal guardians = [address(0x6A1), address(0x6A2), address(0x6A3)];
    address[3] internal providerList = [address(0x4051), address(0x1AB), address(0xC11)];
    /// @dev Hospitals only in the validator pool.
    address[4] internal poolHospitals = [address(0x7A10), address(0x7A11), address(0x7A12), address(0x7A13)];
    /// @dev A second account of providerList[0]'s institution, and a lab: neither may join while the
    /// institution is in the pool, or ever.
    address internal constant DEPARTMENT = address(0x4052);
    address internal constant LAB = address(0x1AC);

    IPeerValidation internal validation;

    function setUp() public {
        uint256 t0 = 1_700_000_000;
        vm.warp(t0);
        patients = [vm.addr(ALICE_KEY), vm.addr(BOB_KEY)];
        providers = new ProviderRegistry(address(this), REGULATOR);
        registry = new RecordRegistry(providers);
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(REGULATOR);
            providers.admit(providerList[i], IProviderRegistry.ProviderKind.Hospital, string(abi.encode(i)), "");
        }
        for (uint256 i = 0; i < 2; ++i) {
            vm.prank(patients[i]);
            registry.register(bytes32(i + 1));
        }
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(guardians[i]);
            registry.register(bytes32(i + 10));
        }
        handler = new ConsentHandler(
            registry, providers, patients, [ALICE_KEY, BOB_KEY], guardians, providerList, REGULATOR, STRANGER, t0
        );
        handler.anchor(0, 1);
        handler.anchor(0, 3);
        handler.anchor(1, 2);

        // The pool: providerList[2] and the pool hospitals; providerList[0..1], the department and
        // the lab may try later. providerList[0] and [1] author records to validate.
        validation = IPeerValidation(registry.peerValidation());
        IProviderRegistry.ProviderKind hospital = IProviderRegistry.ProviderKind.Hospital;
        for (uint256 i = 0; i < 3; ++i) handler.enrol(providerList[i], hospital, string(abi.encode(i)), i == 2);
        for (uint256 i = 0; i < 4; ++i) {
            string memory name = string(abi.encode(10 + i));
            vm.prank(REGULATOR);
            providers.admit(poolHospitals[i], hospital, name, "");
            handler.enrol(poolHospitals[i], hospital, name, true);
        }
        vm.prank(REGULATOR);
        providers.admit(DEPARTMENT, hospital, string(abi.encode(0)), "Radiology");
        handler.enrol(DEPARTMENT, hospital, string(abi.encode(0)), false);
        vm.prank(REGULATOR);
        providers.admit(LAB, IProviderRegistry.ProviderKind.Lab, "Lab", "");
        handler.enrol(LAB, IProviderRegistry.ProviderKind.Lab, "Lab", false);
        for (uint256 i = 0; i < 4; ++i) handler.anchorByProvider(i, providerList[i / 2]);
        // Every run starts with one case drawn and one waiting for its draw.
        handler.openCase(0, true);
        handler.openCase(3, false);

        bytes4[] memory selectors = new bytes4[](19);
        selectors[0] = ConsentHandler.grant.selector;
        selectors[1] = ConsentHandler.revoke.selector;
        selectors[2] = ConsentHandler.redeemCode.selector;
        selectors[3] = ConsentHandler.cancelCode.selector;
        selectors[4] = ConsentHandler.appointGuardian.selector;
        selectors[5] = ConsentHandler.removeGuardian.selector;
        selectors[6] = ConsentHandler.setSummary.selector;
        selectors[7] = ConsentHandler.openEmergency.selector;
        selectors[8] = ConsentHandler.closeEmergency.selector;
        selectors[9] = ConsentHandler.releaseKey.selector;
        selectors[10] = ConsentHandler.warp.selector;
        selectors[11] = ConsentHandler.toggleProvider.selector;
        selectors[12] = ConsentHandler.anchor.selector;
        selectors[13] = ConsentHandler.joinPool.selector;
        selectors[14] = ConsentHandler.leavePool.selector;
        selectors[15] = ConsentHandler.submitForValidation.selector;
        selectors[16] = ConsentHandler.drawValidators.selector;
        selectors[17] = ConsentHandler.voteOnValidation.selector;
        selectors[18] = ConsentHandler.replaceValidator.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 48
    function invariant_canReadOnlyForAllowedReaders() public {
        vm.warp(handler.now_());
        address[16] memory readers = [
            patients[0],
            patients[1],
            guardians[0],
            guardians[1],
            guardians[2],
            providerList[0],
            providerList[1],
            providerList[2],
            poolHospitals[0],
            poolHospitals[1],
            poolHospitals[2],
            poolHospitals[3],
            DEPARTMENT,
            LAB,
            REGULATOR,
            STRANGER
        ];
        uint256 n = handler.recordCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.records(i);
            address patient = registry.getRecord(id).patient;
            for (uint256 j = 0; j < readers.length; ++j) {
                address x = readers[j];
                bool can = registry.canRead(x, id);
                assertEq(can, handler.modelCanRead(x, id), "canRead agrees with the model");
                if (!can) continue;
                assertTrue(x != REGULATOR && x != STRANGER, "never the regulator or a stranger");
                assertTrue(
                    x == patient || registry.guardianLevel(patient, x) != IGuardians.GuardianLevel.None
                        || (
                            providers.isActive(x)
                                && (
                                    _grantCovers(patient, x, id) || _emergencyOpen(patient, x, id)
                                        || handler.isSeated(id, x)
                                )
                        ),
                    "reader is the patient, a guardian, a covered or emergency provider, or a seated validator"
                );
            }
        }
        // The peer-validation contract's own view agrees: a validator is seated in the model and active.
        uint256 m = handler.validationRecordCount();
        uint256 h = handler.hospitalCount();
        for (uint256 i = 0; i < m; ++i) {
            bytes32 id = handler.validationRecords(i);
            for (uint256 j = 0; j < h; ++j) {
                address x = handler.hospitals(j);
                assertEq(
                    validation.isValidator(id, x), handler.isSeated(id, x) && providers.isActive(x), "isValidator"
                );
            }
        }
    }

    /// forge-config: default.invariant.runs = 48
    /// forge-config: default.invariant.depth = 48
    function invariant_callsAndStateAgreeWithModel() public view {
        string memory modelError = handler.lastModelError();
        if (bytes(modelError).length != 0) revert(string.concat("effects disagree with the model: ", modelError));
        if (handler.mismatches() != 0) {
            (bool ok, bytes memory data, bytes memory expected) =
                abi.decode(handler.lastMismatch(), (bool, bytes, bytes));
            revert(
                string.concat(
                    "call outcome disagrees with the model: ok=",
                    ok ? "true" : "false",
                    " data=",
                    _hex(data),
                    " expected=",
                    _hex(expected)
                )
            );
        }
        for (uint256 i = 0; i < 2; ++i) {
            address p = patients[i];
            assertEq(registry.getPatient(p).keyEpoch, handler.ghostEpoch(p), "key epoch");
            assertEq(registry.emergencySummaryOf(p), handler.ghostSummary(p), "emergency summary");
            for (uint256 j = 0; j < 3; ++j) {
                assertEq(
                    uint256(registry.guardianLevel(p, guardians[j])),
                    uint256(handler.ghostGuardian(p, guardians[j])),
                    "guardian level"
                );
                assertEq(
                    registry.getEmergencyAccess(p, providerList[j]).expiresAt,
                    handler.ghostEmergencyUntil(p, providerList[j]),
                    "emergency access end"
                );
            }
            assertEq(registry.getEmergencyAccess(p, REGULATOR).openedAt, 0, "the regulator never opened access");
        }
        assertFalse(providers.isActive(REGULATOR), "the regulator is never admitted");
        assertFalse(providers.isActive(STRANGER), "the stranger is never admitted");
        _assertPoolAndCasesAgree();
    }

    function _assertPoolAndCasesAgree() private view {
        assertEq(validation.poolSize(), handler.ghostPoolSize(), "pool size");
        uint256 h = handler.hospitalCount();
        for (uint256 i = 0; i < h; ++i) {
            address a = handler.hospitals(i);
            assertEq(validation.isInPool(a), handler.ghostInPool(a), "pool membership");
            bytes32 institution = handler.institutionOf(a);
            assertEq(validation.poolMemberOf(institution), handler.ghostMemberOf(institution), "institution's member");
        }
        uint256 n = handler.validationRecordCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.validationRecords(i);
            IPeerValidation.ValidationCase memory c = validation.getCase(id);
            (
                IPeerValidation.ValidationStatus status,
                address author,
                bytes32 authorInstitution,
                uint40 seedBlock,
                uint8 approvals,
                uint8 rejections,
                uint8 vacancies
            ) = handler.ghostCases(id);
            assertEq(uint256(c.status), uint256(status), "case status");
            assertEq(c.author, author, "case author");
            assertEq(c.authorInstitution, authorInstitution, "case author's institution");
            assertEq(c.approvals, approvals, "approvals");
            assertEq(c.rejections, rejections, "rejections");
            assertEq(c.vacancies, vacancies, "vacancies");
            assertEq(c.seedBlock, seedBlock, "seed block");
            if (status == IPeerValidation.ValidationStatus.None) continue;
            assertEq(c.patient, handler.ownerOf(id), "case patient");
            _assertPoolAtSubmission(id, c.poolSize);
            IPeerValidation.Seat[] memory seats = validation.getSeats(id);
            for (uint256 s = 0; s < seats.length; ++s) {
                IPeerValidation.Seat memory g = handler.ghostSeat(id, s);
                assertEq(seats[s].validator, g.validator, "seat's validator");
                assertEq(seats[s].deadline, g.deadline, "seat's deadline");
                assertEq(uint256(seats[s].vote), uint256(g.vote), "seat's vote");
            }
        }
    }

    /// @dev The case's pool at submission, read back position by position, is the model's: its size,
    /// and each position a distinct member of it.
    function _assertPoolAtSubmission(bytes32 id, uint256 size) private view {
        assertEq(size, handler.ghostPoolSizeAtSubmission(id), "case's pool size at submission");
        address[] memory seen = new address[](size);
        for (uint256 i = 0; i < size; ++i) {
            address member = validation.casePoolMemberAt(id, i);
            assertTrue(handler.ghostInPoolAtSubmission(id, member), "a position holds a member at submission");
            for (uint256 j = 0; j < i; ++j) {
                assertTrue(seen[j] != member, "a member holds one position of a case's pool");
            }
            seen[i] = member;
        }
    }

    function _grantCovers(address patient, address grantee, bytes32 id) private view returns (bool) {
        IRecordAnchors.Record memory r = registry.getRecord(id);
        return _active(registry.getGrant(patient, grantee, IRecordGrants.Scope.Record, id))
            || _active(registry.getGrant(patient, grantee, IRecordGrants.Scope.Category, bytes32(uint256(r.category))))
            || _active(registry.getGrant(patient, grantee, IRecordGrants.Scope.All, bytes32(0)));
    }

    function _emergencyOpen(address patient, address provider, bytes32 id) private view returns (bool) {
        return registry.emergencySummaryOf(patient) == id
            && registry.getEmergencyAccess(patient, provider).expiresAt > block.timestamp;
    }

    function _active(IRecordGrants.Grant memory g) private view returns (bool) {
        return g.issuedAt != 0 && g.revokedAt == 0 && (g.expiresAt == 0 || block.timestamp < g.expiresAt);
    }

    function _hex(bytes memory b) private pure returns (string memory) {
        bytes memory digits = "0123456789abcdef";
        bytes memory out = new bytes(2 + b.length * 2);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = 0; i < b.length; ++i) {
            out[2 + 2 * i] = digits[uint8(b[i]) >> 4];
            out[3 + 2 * i] = digits[uint8(b[i]) & 0x0f];
        }
        return string(out);
    }
}

/**
 * @notice Guardians at the largest key epoch (2^30 - 1, reached here with `vm.store`). Removing a
 * guardian (or stepping down) advances the key epoch, except at the largest one: removal must
 * always work, so there it leaves the epoch as it is and the guardian still loses every power.
 */
contract RecordRegistryConsentKeyEpochTest is ConsentFixture {
    address internal constant GUARDIAN = address(0x6A1);

    function test_GuardianIsRemovedEvenAtMaxKeyEpoch() public {
        vm.prank(GUARDIAN);
        registry.register(bytes32(uint256(9)));
        uint32 max = MAX_KEY_EPOCH;
        bytes32 slot = bytes32(uint256(keccak256(abi.encode(alice, PATIENTS_SLOT))) + 1);
        uint256 word = uint256(vm.load(address(registry), slot));
        vm.store(address(registry), slot, bytes32((word & ((uint256(1) << 224) - 1)) | (uint256(max - 1) << 224)));
        assertEq(registry.getPatient(alice).keyEpoch, max - 1, "epoch moved near the largest");
        vm.startPrank(alice);
        registry.appointGuardian(GUARDIAN, IGuardians.GuardianLevel.View, hex"01");
        registry.removeGuardian(GUARDIAN);
        assertEq(registry.getPatient(alice).keyEpoch, max, "epoch at max");
        registry.appointGuardian(GUARDIAN, IGuardians.GuardianLevel.ShareAndView, hex"01");
        registry.removeGuardian(GUARDIAN);
        assertEq(uint256(registry.guardianLevel(alice, GUARDIAN)), 0, "removed");
        assertFalse(registry.canRead(GUARDIAN, aliceLab), "no longer reads");
        registry.appointGuardian(GUARDIAN, IGuardians.GuardianLevel.ShareAndView, hex"01");
        vm.stopPrank();

        vm.startPrank(GUARDIAN);
        registry.stepDownAsGuardian(alice);
        assertEq(registry.getPatient(alice).keyEpoch, max, "epoch stays at max");
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardians.RecordRegistryNotGuardian.selector,
                alice,
                GUARDIAN,
                IGuardians.GuardianLevel.None,
                IGuardians.GuardianLevel.ShareAndView
            )
        );
        registry.grantAsGuardian(alice, HOSPITAL, ALL, bytes32(0), false, 0, hex"01");
        vm.stopPrank();
    }
}
