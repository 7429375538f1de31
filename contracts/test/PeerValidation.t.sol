// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {eip712Digest} from "./Eip712.sol";
import {TestBase} from "./TestBase.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {RecordRegistry} from "../RecordRegistry.sol";
import {PeerValidation} from "../PeerValidation.sol";
import {IPeerValidation} from "../interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {IRecordAnchors} from "../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../interfaces/IRecordGrants.sol";

/// @dev PeerValidation with a block number and block hashes the test chooses: a hash exists for
/// the 256 blocks before the current one (as `blockhash`), `keccak256(salt, number)` unless set.
contract PeerValidationHarness is PeerValidation {
    uint256 public currentBlock = 1000;
    bytes32 public salt;
    mapping(uint256 number => bytes32 hash) private _hashes;

    constructor(IProviderRegistry providers_, IRecordRegistry records_) PeerValidation(providers_, records_) {}

    function roll(uint256 number) external {
        currentBlock = number;
    }

    function setSalt(bytes32 salt_) external {
        salt = salt_;
    }

    function _blockNumber() internal view override returns (uint256) {
        return currentBlock;
    }

    function _blockHash(uint256 number) internal view override returns (bytes32) {
        if (number >= currentBlock || currentBlock - number > 256) return bytes32(0);
        bytes32 h = _hashes[number];
        return h != bytes32(0) ? h : keccak256(abi.encode(salt, number));
    }
}

/// @dev An ERC-1271 contract patient (a smart account) that accepts the one digest it was told to.
contract ContractPatient {
    bytes32 private _accepted;

    function accept(bytes32 digest) external {
        _accepted = digest;
    }

    function register(RecordRegistry registry) external {
        registry.register(keccak256("contract patient x25519"));
    }

    function grant(RecordRegistry registry, address grantee) external {
        registry.grant(grantee, IRecordGrants.Scope.All, bytes32(0), true, 0, hex"c0ffee");
    }

    function isValidSignature(bytes32 hash, bytes calldata) external view returns (bytes4) {
        return hash == _accepted ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}

/**
 * @dev Shared state of the PeerValidation Solidity tests: a provider registry with the author
 * hospital (AUTHOR) and a second account of the same institution (AUTHOR_DEPT), six other
 * hospitals H[0..5], a lab and a stranger hospital outside the pool; AUTHOR_DEPT and H[0..5] are in
 * the pool (7 entries, 6 eligible for AUTHOR's records). The patient (a secp256k1 key) gave AUTHOR
 * write consent for all categories, and AUTHOR anchored one record, `recordId`. The test contract
 * is the admin and the regulator.
 */
abstract contract PeerValidationFixture is TestBase {
    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant PATIENT_KEY = 0xA11CE;
    bytes32 internal constant CONSENT_TYPEHASH =
        keccak256("ValidationConsent(bytes32 recordId,address author,uint8 validators,uint40 deadline)");

    address internal constant AUTHOR = address(0xA07);
    address internal constant AUTHOR_DEPT = address(0xA08);
    address internal constant LAB = address(0x1AB);
    address internal constant STRANGER = address(0x5757);
    uint256 internal constant HOSPITALS = 6;

    ProviderRegistry internal providers;
    RecordRegistry internal registry;
    PeerValidationHarness internal pv;
    address internal patient;
    address[HOSPITALS] internal h;

    bytes32 internal recordId;
    IPeerValidation.RecordProof internal proof;
    uint256 private _nonce;

    function setUp() public virtual {
        vm.warp(T0);
        providers = new ProviderRegistry(address(this), address(this));
        registry = new RecordRegistry(providers);
        pv = new PeerValidationHarness(providers, registry);
        patient = vm.addr(PATIENT_KEY);

        providers.admit(AUTHOR, IProviderRegistry.ProviderKind.Hospital, "Author General", "Cardiology");
        providers.admit(AUTHOR_DEPT, IProviderRegistry.ProviderKind.Hospital, "Author General", "Radiology");
        providers.admit(LAB, IProviderRegistry.ProviderKind.Lab, "Central Lab", "");
        providers.admit(STRANGER, IProviderRegistry.ProviderKind.Hospital, "Stranger Hospital", "");
        _join(AUTHOR_DEPT);
        for (uint256 i; i < HOSPITALS; ++i) {
            h[i] = address(uint160(0x4000 + i));
            providers.admit(h[i], IProviderRegistry.ProviderKind.Hospital, string.concat("Hospital ", _digit(i)), "");
            _join(h[i]);
        }

        vm.prank(patient);
        registry.register(keccak256("patient x25519"));
        vm.prank(patient);
        registry.grant(AUTHOR, IRecordGrants.Scope.All, bytes32(0), true, 0, hex"c0ffee");
        (recordId, proof) = _anchor(AUTHOR, patient);
    }

    function _digit(uint256 i) internal pure returns (string memory) {
        return string(abi.encodePacked(bytes1(uint8(65 + i))));
    }

    function _join(address account) internal {
        vm.prank(account);
        pv.joinPool();
    }

    /// @dev `author` anchors a fresh General record of `patient_`; returns its id and proof.
    function _anchor(address author, address patient_)
        internal
        returns (bytes32 id, IPeerValidation.RecordProof memory p)
    {
        bytes28 head = registry.getPatient(patient_).chainHead;
        bytes32 hash = keccak256(abi.encode("ciphertext", ++_nonce));
        bytes memory cid = abi.encodePacked(hex"01551220", hash);
        vm.prank(author);
        id = registry.anchorRecord(patient_, cid, hash, IRecordAnchors.Category.General, 0);
        p = IPeerValidation.RecordProof(head, hash, cid);
    }

    /// @dev The EIP-712 digest of a consent, from the standard's formula.
    function _digest(bytes32 id, address author, uint8 validators, uint40 deadline) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(CONSENT_TYPEHASH, id, author, validators, deadline));
        return eip712Digest("Meridian PeerValidation", address(pv), structHash);
    }

    function _consent(uint256 key, bytes32 id, address author, uint40 deadline) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _digest(id, author, 4, deadline));
        return abi.encodePacked(r, s, v);
    }

    function _deadline() internal view returns (uint40) {
        return uint40(block.timestamp + 1 days);
    }

    function _submit(bytes32 id, IPeerValidation.RecordProof memory p) internal {
        vm.prank(AUTHOR);
        pv.submit(id, p, _deadline(), _consent(PATIENT_KEY, id, AUTHOR, _deadline()));
    }

    /// @dev Moves past the case's seed block and draws.
    function _draw(bytes32 id) internal {
        pv.roll(pv.getCase(id).seedBlock + 1);
        pv.draw(id);
    }

    function _submitAndDraw() internal returns (address[] memory validators) {
        _submit(recordId, proof);
        _draw(recordId);
        validators = _validators(recordId);
    }

    function _validators(bytes32 id) internal view returns (address[] memory validators) {
        IPeerValidation.Seat[] memory seats = pv.getSeats(id);
        validators = new address[](seats.length);
        for (uint256 i; i < seats.length; ++i) {
            validators[i] = seats[i].validator;
        }
    }

    function _vote(bytes32 id, address validator, bool approve) internal {
        vm.prank(validator);
        pv.vote(id, approve ? IPeerValidation.Vote.Approve : IPeerValidation.Vote.Reject, keccak256("comment"));
    }

    /// @dev The first pool hospital not seated in `validators`.
    function _unchosen(address[] memory validators) internal view returns (address) {
        for (uint256 i; i < HOSPITALS; ++i) {
            bool seated;
            for (uint256 j; j < validators.length; ++j) {
                if (validators[j] == h[i]) seated = true;
            }
            if (!seated) return h[i];
        }
        revert("no unchosen hospital");
    }

    function _assertCase(bytes32 id, IPeerValidation.ValidationStatus status, uint8 approvals, uint8 rejections)
        internal
        view
    {
        IPeerValidation.ValidationCase memory c = pv.getCase(id);
        assertEq(uint256(c.status), uint256(status), "status");
        assertEq(c.approvals, approvals, "approvals");
        assertEq(c.rejections, rejections, "rejections");
    }
}

/// @notice Unit tests: pool, submission, draw, key sharing, votes, replacement.
contract PeerValidationTest is PeerValidationFixture {
    // ---------------------------------------------------------------------- pool

    function test_Constants_AreThreeFPlusOne() public view {
        assertEq(pv.VALIDATORS(), 4, "k");
        assertEq(pv.FAULTS(), 1, "f");
        assertEq(pv.APPROVALS(), 3, "2f + 1 approvals");
        assertEq(pv.REJECTIONS(), 2, "f + 1 rejections");
        assertEq(pv.VOTE_PERIOD(), 3 days, "vote period");
        assertEq(address(pv.providerRegistry()), address(providers), "providers");
        assertEq(address(pv.recordRegistry()), address(registry), "records");
    }

    function test_JoinPool_OneAccountPerInstitution() public {
        assertEq(pv.poolSize(), 7, "pool size");
        bytes32 institution = keccak256("Author General");
        assertEq(pv.poolMemberOf(institution), AUTHOR_DEPT, "institution member");
        assertEq(pv.institutionOf(AUTHOR), institution, "institution of the author");
        assertEq(pv.institutionOf(address(0xBEEF)), bytes32(0), "unknown account");
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationInstitutionInPool.selector, institution, AUTHOR_DEPT)
        );
        vm.prank(AUTHOR);
        pv.joinPool();
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationInstitutionInPool.selector, keccak256("Hospital A"), h[0]
            )
        );
        vm.prank(h[0]);
        pv.joinPool();
        assertEq(pv.poolSize(), 7, "unchanged");
    }

    function test_JoinPool_EmitsAndIndexes() public {
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.PoolJoined(STRANGER, keccak256("Stranger Hospital"));
        _join(STRANGER);
        assertTrue(pv.isInPool(STRANGER), "in pool");
        assertEq(pv.poolMemberAt(7), STRANGER, "appended");
    }

    function test_JoinPool_RefusesNonHospitalsAndInactiveProviders() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationNotHospital.selector, LAB, IProviderRegistry.ProviderKind.Lab
            )
        );
        _join(LAB);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, address(0xBEEF)));
        _join(address(0xBEEF));
        providers.suspend(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, STRANGER));
        _join(STRANGER);
        assertEq(pv.poolSize(), 7, "unchanged");
    }

    function test_LeavePool_SwapsAndPops() public {
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.PoolLeft(h[0], keccak256("Hospital A"), h[0]);
        vm.prank(h[0]);
        pv.leavePool();
        assertEq(pv.poolSize(), 6, "size");
        assertFalse(pv.isInPool(h[0]), "left");
        assertEq(pv.poolMemberAt(1), h[5], "last moved into the hole");
        assertEq(pv.poolMemberOf(keccak256("Hospital A")), address(0), "institution free");
        vm.prank(h[5]);
        pv.leavePool();
        assertEq(pv.poolMemberAt(1), h[4], "moved again");
        vm.prank(h[4]); // the last entry: no swap
        pv.leavePool();
        assertEq(pv.poolSize(), 4, "size");
        _join(h[0]);
        assertEq(pv.poolMemberAt(4), h[0], "re-joined");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotInPool.selector, STRANGER));
        vm.prank(STRANGER);
        pv.leavePool();
    }

    function test_Prune_OnlyInactiveMembers_ByAnyone() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationMemberActive.selector, h[2]));
        pv.prune(h[2]);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotInPool.selector, STRANGER));
        pv.prune(STRANGER);
        providers.suspend(h[2]);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.PoolLeft(h[2], keccak256("Hospital C"), STRANGER);
        vm.prank(STRANGER);
        pv.prune(h[2]);
        assertFalse(pv.isInPool(h[2]), "pruned");
        assertEq(pv.poolSize(), 6, "size");
    }

    // ---------------------------------------------------------------- submission

    function test_Submit_StoresTheCase() public {
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationSubmitted(recordId, patient, AUTHOR, 1001);
        _submit(recordId, proof);
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(uint256(c.status), uint256(IPeerValidation.ValidationStatus.Submitted), "submitted");
        assertEq(uint256(pv.statusOf(recordId)), uint256(IPeerValidation.ValidationStatus.Submitted), "statusOf");
        assertEq(c.author, AUTHOR, "author");
        assertEq(c.patient, patient, "patient");
        assertEq(c.authorInstitution, keccak256("Author General"), "institution");
        assertEq(c.submittedAt, T0, "submitted at");
        assertEq(c.seedBlock, 1001, "seed block: the next one");
        assertEq(c.vacancies, 4, "all seats vacant");
        assertEq(c.poolSize, 7, "the pool's size at submission");
        assertEq(c.poolVersion, 7, "the pool's version at submission: 7 joins");
        assertEq(pv.getSeats(recordId).length, 4, "four seats");
    }

    function test_CasePoolMemberAt_IsThePoolAsSubmissionLeftIt() public {
        _submit(recordId, proof);
        vm.prank(h[0]); // position 1: h[5] moves in from the end
        pv.leavePool();
        _join(STRANGER);
        _join(h[0]);
        assertEq(pv.poolVersion(), 10, "version: 7 joins, 1 leave, 2 joins");
        assertEq(pv.poolMemberAt(1), h[5], "now");
        assertEq(pv.casePoolMemberAt(recordId, 1), h[0], "at submission");
        assertEq(pv.casePoolMemberAt(recordId, 6), h[5], "at submission");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationPoolIndexOutOfRange.selector, 7, 7));
        pv.casePoolMemberAt(recordId, 7); // STRANGER and h[0] joined later
        bytes32 unknown = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, unknown));
        pv.casePoolMemberAt(unknown, 0);
    }

    function test_ConsentDigest_IsTheEip712Digest() public view {
        assertEq(pv.consentDigest(recordId, AUTHOR, 4, 77), _digest(recordId, AUTHOR, 4, 77), "digest");
    }

    function test_Submit_RefusesAnotherProvidersRecord() public {
        // h[0] presents the author's proof: the recomputed id (with h[0] as author) differs
        uint40 deadline = _deadline();
        bytes memory sig = _consent(PATIENT_KEY, recordId, h[0], deadline);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotAuthor.selector, recordId, h[0]));
        vm.prank(h[0]);
        pv.submit(recordId, proof, deadline, sig);
        // the author with a wrong proof
        IPeerValidation.RecordProof memory wrong = proof;
        wrong.ciphertextHash = bytes32(uint256(1));
        sig = _consent(PATIENT_KEY, recordId, AUTHOR, deadline);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotAuthor.selector, recordId, AUTHOR));
        vm.prank(AUTHOR);
        pv.submit(recordId, wrong, deadline, sig);
        // a record the patient anchored
        (bytes32 own, IPeerValidation.RecordProof memory ownProof) = _anchor(patient, patient);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotAuthor.selector, own, AUTHOR));
        vm.prank(AUTHOR);
        pv.submit(own, ownProof, deadline, _consent(PATIENT_KEY, own, AUTHOR, deadline));
        assertEq(uint256(pv.statusOf(recordId)), 0, "nothing submitted");
    }

    function test_Submit_RefusesUnknownRecords_InactiveAuthors_AndResubmission() public {
        uint40 deadline = _deadline();
        bytes32 unknown = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownRecord.selector, unknown));
        vm.prank(AUTHOR);
        pv.submit(unknown, proof, deadline, _consent(PATIENT_KEY, unknown, AUTHOR, deadline));

        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadySubmitted.selector,
                recordId,
                IPeerValidation.ValidationStatus.Submitted
            )
        );
        _submit(recordId, proof);

        (bytes32 second, IPeerValidation.RecordProof memory secondProof) = _anchor(AUTHOR, patient);
        providers.suspend(AUTHOR);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, AUTHOR));
        _submit(second, secondProof);
    }

    function test_Submit_RefusesExpiredOrForeignConsent() public {
        uint40 deadline = uint40(T0 - 1);
        bytes memory sig = _consent(PATIENT_KEY, recordId, AUTHOR, deadline);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationConsentExpired.selector, deadline, T0));
        vm.prank(AUTHOR);
        pv.submit(recordId, proof, deadline, sig);

        deadline = _deadline();
        bytes[] memory bad = new bytes[](4);
        bad[0] = _consent(0xB0B, recordId, AUTHOR, deadline); // not the patient
        bad[1] = _consent(PATIENT_KEY, recordId, h[0], deadline); // for another author
        bad[2] = _consent(PATIENT_KEY, keccak256("other"), AUTHOR, deadline); // for another record
        bad[3] = _consent(PATIENT_KEY, recordId, AUTHOR, deadline + 1); // for another deadline
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, recordId, patient));
            vm.prank(AUTHOR);
            pv.submit(recordId, proof, deadline, bad[i]);
        }
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(PATIENT_KEY, _digest(recordId, AUTHOR, 3, deadline));
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, recordId, patient));
        vm.prank(AUTHOR);
        pv.submit(recordId, proof, deadline, abi.encodePacked(r, s, v)); // consent to 3 validators, not 4
        assertEq(uint256(pv.statusOf(recordId)), 0, "nothing submitted");
    }

    function test_Submit_AcceptsAContractPatientsErc1271Consent() public {
        ContractPatient smart = new ContractPatient();
        smart.register(registry);
        smart.grant(registry, AUTHOR);
        (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, address(smart));
        uint40 deadline = _deadline();
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, id, address(smart))
        );
        vm.prank(AUTHOR);
        pv.submit(id, p, deadline, hex"00");
        smart.accept(_digest(id, AUTHOR, 4, deadline));
        vm.prank(AUTHOR);
        pv.submit(id, p, deadline, hex"00");
        assertEq(pv.getCase(id).patient, address(smart), "patient");
    }

    function test_Submit_RefusesWhenThePoolIsTooSmall() public {
        for (uint256 i; i < 3; ++i) {
            vm.prank(h[i]);
            pv.leavePool();
        }
        // 4 entries left, one of them the author's institution
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationPoolTooSmall.selector, 3, 4));
        _submit(recordId, proof);
        vm.prank(AUTHOR_DEPT);
        pv.leavePool();
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationPoolTooSmall.selector, 3, 4));
        _submit(recordId, proof);
        _join(h[0]);
        _submit(recordId, proof); // 4 entries, none of the author's institution
    }

    // ---------------------------------------------------------------------- draw

    function test_Draw_WaitsForTheSeedBlock() public {
        _submit(recordId, proof);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationSeedNotReady.selector, recordId, 1001, 1000));
        pv.draw(recordId);
        pv.roll(1001);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationSeedNotReady.selector, recordId, 1001, 1001));
        pv.draw(recordId);
        pv.roll(1002);
        pv.draw(recordId);
        assertEq(uint256(pv.statusOf(recordId)), uint256(IPeerValidation.ValidationStatus.Pending), "pending");
    }

    function test_Draw_SeatsFourDistinctHospitalsOutsideTheAuthorsInstitution() public {
        address[] memory v = _submitAndDraw();
        assertEq(v.length, 4, "four");
        IPeerValidation.Seat[] memory seats = pv.getSeats(recordId);
        for (uint256 i; i < 4; ++i) {
            assertTrue(v[i] != address(0), "seated");
            assertTrue(v[i] != AUTHOR && v[i] != AUTHOR_DEPT, "not the author's institution");
            assertTrue(pv.isValidator(recordId, v[i]), "validator");
            assertEq(seats[i].deadline, T0 + 3 days, "deadline");
            assertEq(uint256(seats[i].vote), 0, "no vote");
            for (uint256 j; j < i; ++j) {
                assertTrue(v[i] != v[j], "distinct");
            }
        }
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(c.vacancies, 0, "no vacancy");
        assertFalse(pv.isValidator(recordId, AUTHOR_DEPT), "author's department is no validator");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNothingToDraw.selector, recordId));
        pv.draw(recordId);
    }

    function test_Draw_RefusesUnknownAndDecidedCases() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        pv.draw(recordId);
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], true);
        _vote(recordId, v[1], true);
        _vote(recordId, v[2], true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector, recordId, IPeerValidation.ValidationStatus.Validated
            )
        );
        pv.draw(recordId);
    }

    function test_Draw_RenewsASeedOlderThan256Blocks() public {
        _submit(recordId, proof);
        pv.roll(1001 + 257);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationSeedRenewed(recordId, 1001 + 258);
        pv.draw(recordId);
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(uint256(c.status), uint256(IPeerValidation.ValidationStatus.Submitted), "still submitted");
        assertEq(c.seedBlock, 1001 + 258, "new seed block");
        assertEq(c.vacancies, 4, "still vacant");
        _draw(recordId);
        assertEq(uint256(pv.statusOf(recordId)), uint256(IPeerValidation.ValidationStatus.Pending), "drawn");
    }

    function test_Draw_SkipsInactiveMembers_AndFailsWhenTooFewAreEligible() public {
        _submit(recordId, proof);
        providers.suspend(h[0]);
        providers.remove(h[1]);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        for (uint256 i; i < 4; ++i) {
            assertTrue(v[i] != h[0] && v[i] != h[1], "inactive members skipped");
        }

        (bytes32 second, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
        _submit(second, p);
        providers.suspend(h[2]); // 3 eligible of 7 entries
        pv.roll(pv.getCase(second).seedBlock + 1);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationDrawFailed.selector, second, 3, 4));
        pv.draw(second);
        assertEq(uint256(pv.statusOf(second)), uint256(IPeerValidation.ValidationStatus.Submitted), "unchanged");
        providers.reinstate(h[2]);
        pv.draw(second);
        assertEq(uint256(pv.statusOf(second)), uint256(IPeerValidation.ValidationStatus.Pending), "drawn");
    }

    function test_Draw_DependsOnTheSeedBlocksHash() public {
        (bytes32 second, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
        _submit(recordId, proof);
        _submit(second, p);
        bool differs;
        address[] memory first;
        for (uint256 salt = 1; salt <= 8 && !differs; ++salt) {
            pv.setSalt(bytes32(salt));
            // same record, other seed hashes: compare the seats a fresh case would get
            (bytes32 id, IPeerValidation.RecordProof memory q) = _anchor(AUTHOR, patient);
            _submit(id, q);
            _draw(id);
            address[] memory v = _validators(id);
            if (salt == 1) first = v;
            else {
                for (uint256 i; i < 4; ++i) {
                    if (v[i] != first[i]) differs = true;
                }
            }
        }
        assertTrue(differs, "different hashes give different validators");
    }

    // ---------------------------------------------------------------- key sharing

    function test_ShareKeys_EmitsOnePerValidator() public {
        address[] memory v = _submitAndDraw();
        bytes[] memory keys = new bytes[](4);
        for (uint256 i; i < 4; ++i) {
            keys[i] = abi.encodePacked(keccak256(abi.encode(i)), keccak256(abi.encode(i + 1)));
        }
        for (uint256 i; i < 4; ++i) {
            vm.expectEmit(true, true, true, true, address(pv));
            emit IPeerValidation.ValidationKeyShared(recordId, v[i], keys[i]);
        }
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, v, keys);
    }

    function test_ShareKeys_Refusals() public {
        address[] memory one = new address[](1);
        bytes[] memory key = new bytes[](1);
        key[0] = hex"c0ffee";
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector, recordId, IPeerValidation.ValidationStatus.Submitted
            )
        );
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        one[0] = v[0];
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotCaseAuthor.selector, recordId, v[1]));
        vm.prank(v[1]);
        pv.shareKeys(recordId, one, key);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationLengthMismatch.selector, 1, 2));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, new bytes[](2));
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidWrappedKey.selector, 0));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, new bytes[](1));
        key[0] = new bytes(513);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidWrappedKey.selector, 513));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
        key[0] = hex"c0ffee";
        one[0] = _unchosen(v);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, one[0]));
        vm.prank(AUTHOR);
        pv.shareKeys(recordId, one, key);
    }

    // --------------------------------------------------------------------- votes

    function test_Vote_ThreeOfFourValidate() public {
        address[] memory v = _submitAndDraw();
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationVoteCast(recordId, v[0], IPeerValidation.Vote.Approve, keccak256("comment"));
        _vote(recordId, v[0], true);
        _vote(recordId, v[1], false);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 1, 1);
        _vote(recordId, v[2], true);
        vm.warp(T0 + 1 hours);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationDecided(recordId, IPeerValidation.ValidationStatus.Validated, 3, 1);
        _vote(recordId, v[3], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Validated, 3, 1);
        assertEq(pv.getCase(recordId).decidedAt, T0 + 1 hours, "decided at");
        assertEq(uint256(pv.getSeats(recordId)[1].vote), uint256(IPeerValidation.Vote.Reject), "seat vote");
        for (uint256 i; i < 4; ++i) {
            assertTrue(pv.isValidator(recordId, v[i]), "validators keep read access once decided");
        }
    }

    function test_Vote_TwoRejectionsReject_AndLaterVotesAreRefused() public {
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], false);
        _vote(recordId, v[1], true);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidationDecided(recordId, IPeerValidation.ValidationStatus.Rejected, 1, 2);
        _vote(recordId, v[2], false);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Rejected, 1, 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector, recordId, IPeerValidation.ValidationStatus.Rejected
            )
        );
        _vote(recordId, v[3], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Rejected, 1, 2);
    }

    function test_Vote_RefusesAProviderThatWasNotChosen() public {
        address[] memory v = _submitAndDraw();
        address other = _unchosen(v);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, other));
        _vote(recordId, other, true);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, STRANGER));
        _vote(recordId, STRANGER, true);
        vm.expectRevert(
            abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, AUTHOR_DEPT)
        );
        _vote(recordId, AUTHOR_DEPT, true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 0, 0);
    }

    function test_Vote_RefusesASecondVote() public {
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector, recordId, v[0], IPeerValidation.Vote.Approve
            )
        );
        _vote(recordId, v[0], false);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector, recordId, v[0], IPeerValidation.Vote.Approve
            )
        );
        _vote(recordId, v[0], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 1, 0);
    }

    function test_Vote_RefusesAVoteAfterTheDeadline() public {
        address[] memory v = _submitAndDraw();
        vm.warp(T0 + 3 days);
        _vote(recordId, v[0], true); // the deadline itself is in time
        vm.warp(T0 + 3 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlinePassed.selector, recordId, v[1], T0 + 3 days, T0 + 3 days + 1
            )
        );
        _vote(recordId, v[1], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 1, 0);
        assertEq(uint256(pv.getSeats(recordId)[1].vote), 0, "no vote recorded");
    }

    function test_Vote_RefusesTheAuthorValidatingItsOwnRecord() public {
        _submitAndDraw();
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationAuthorCannotVote.selector, recordId, AUTHOR));
        _vote(recordId, AUTHOR, true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 0, 0);
    }

    function test_Vote_OtherRefusals() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        _vote(recordId, h[0], true);
        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector, recordId, IPeerValidation.ValidationStatus.Submitted
            )
        );
        _vote(recordId, h[0], true);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidVote.selector));
        vm.prank(v[0]);
        pv.vote(recordId, IPeerValidation.Vote.None, bytes32(0));
        providers.suspend(v[0]);
        assertFalse(pv.isValidator(recordId, v[0]), "a suspended validator cannot read");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, v[0]));
        _vote(recordId, v[0], true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 0, 0);
    }

    // --------------------------------------------------------------- replacement

    function test_Replace_ASilentValidatorAfterItsDeadline() public {
        address[] memory v = _submitAndDraw();
        _vote(recordId, v[0], true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlineNotPassed.selector, recordId, v[1], T0 + 3 days, T0 + 3 days
            )
        );
        vm.warp(T0 + 3 days);
        pv.replace(recordId, v[1]);

        vm.warp(T0 + 3 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector, recordId, v[0], IPeerValidation.Vote.Approve
            )
        );
        pv.replace(recordId, v[0]);
        pv.roll(2000);
        vm.expectEmit(true, true, true, true, address(pv));
        emit IPeerValidation.ValidatorReplaced(recordId, v[1], STRANGER, 2001);
        vm.prank(STRANGER);
        pv.replace(recordId, v[1]);
        assertFalse(pv.isValidator(recordId, v[1]), "replaced: no read access");
        IPeerValidation.ValidationCase memory c = pv.getCase(recordId);
        assertEq(c.vacancies, 1, "one vacancy");
        assertEq(uint256(c.status), uint256(IPeerValidation.ValidationStatus.Pending), "still pending");
        assertEq(pv.getSeats(recordId)[1].validator, address(0), "seat vacant");
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, v[1]));
        _vote(recordId, v[1], true);
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, v[1]));
        pv.replace(recordId, v[1]);

        _draw(recordId);
        address successor = pv.getSeats(recordId)[1].validator;
        assertTrue(successor != address(0) && successor != v[1], "a new validator");
        assertTrue(successor != AUTHOR_DEPT, "not the author's institution");
        for (uint256 i; i < 4; ++i) {
            if (i != 1) assertTrue(successor != v[i], "not already seated");
        }
        assertEq(pv.getSeats(recordId)[1].deadline, T0 + 6 days + 1, "fresh deadline");
        assertEq(pv.getSeats(recordId)[2].deadline, T0 + 3 days, "others keep theirs");
        // the successor votes; the other two late validators are out of time
        _vote(recordId, successor, true);
        _assertCase(recordId, IPeerValidation.ValidationStatus.Pending, 2, 0);
    }

    function test_Replace_ASuspendedValidatorAtOnce() public {
        address[] memory v = _submitAndDraw();
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlineNotPassed.selector, recordId, v[2], T0 + 3 days, T0
            )
        );
        pv.replace(recordId, v[2]);
        providers.suspend(v[2]);
        pv.replace(recordId, v[2]);
        _draw(recordId);
        assertTrue(pv.getSeats(recordId)[2].validator != v[2], "replaced");
    }

    function test_Replace_Refusals() public {
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationUnknownCase.selector, recordId));
        pv.replace(recordId, h[0]);
        _submit(recordId, proof);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPeerValidation.PeerValidationCaseNotOpen.selector, recordId, IPeerValidation.ValidationStatus.Submitted
            )
        );
        pv.replace(recordId, h[0]);
        _draw(recordId);
        address other = _unchosen(_validators(recordId));
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, other));
        pv.replace(recordId, other);
    }

    /// @dev Regression: a vacant seat is nobody's. `replace(recordId, address(0))` once counted a
    /// second vacancy for one vacant seat, and every later draw of the case reverted (Panic 0x32).
    function test_Replace_RefusesTheZeroAddressAndTheSeatIsRefilled() public {
        address[] memory v = _submitAndDraw();
        providers.suspend(v[1]);
        pv.replace(recordId, v[1]); // seat 1 is vacant
        vm.expectRevert(abi.encodeWithSelector(IPeerValidation.PeerValidationNotValidator.selector, recordId, address(0)));
        vm.prank(STRANGER);
        pv.replace(recordId, address(0));
        assertEq(pv.getCase(recordId).vacancies, 1, "one vacancy");
        assertFalse(pv.isValidator(recordId, address(0)), "a vacant seat is nobody's");
        _draw(recordId);
        assertEq(pv.getCase(recordId).vacancies, 0, "the seat is refilled");
    }
}

/// @notice Fuzz tests of the draw and the decision rule.
contract PeerValidationFuzzTest is PeerValidationFixture {
    /// @dev Whatever the seed hash and whichever members are inactive (leaving at least 4 eligible),
    /// the draw seats 4 distinct, active hospitals of distinct institutions, none the author's.
    function testFuzz_Draw_SeatsEligibleDistinctHospitals(bytes32 salt, uint8 inactiveMask) public {
        pv.setSalt(salt);
        uint256 inactive;
        for (uint256 i; i < HOSPITALS; ++i) {
            if (inactiveMask & (1 << i) != 0 && inactive < 2) {
                providers.suspend(h[i]);
                ++inactive;
            }
        }
        _submit(recordId, proof);
        _draw(recordId);
        address[] memory v = _validators(recordId);
        for (uint256 i; i < 4; ++i) {
            assertTrue(providers.isActive(v[i]), "active");
            assertTrue(pv.institutionOf(v[i]) != keccak256("Author General"), "not the author's institution");
            for (uint256 j; j < i; ++j) {
                assertTrue(pv.institutionOf(v[i]) != pv.institutionOf(v[j]), "distinct institutions");
            }
        }
    }

    /// @dev Votes in any order: Validated exactly when 3 approvals come before 2 rejections,
    /// Rejected otherwise; once decided, nothing more is counted.
    function testFuzz_Vote_DecisionRule(uint8 pattern, bytes32 salt) public {
        pv.setSalt(salt);
        address[] memory v = _submitAndDraw();
        uint8 approvals;
        uint8 rejections;
        for (uint256 i; i < 4; ++i) {
            bool approve = pattern & (1 << i) != 0;
            if (approvals >= 3 || rejections >= 2) {
                IPeerValidation.ValidationStatus decided = approvals >= 3
                    ? IPeerValidation.ValidationStatus.Validated
                    : IPeerValidation.ValidationStatus.Rejected;
                vm.expectRevert(
                    abi.encodeWithSelector(IPeerValidation.PeerValidationCaseNotOpen.selector, recordId, decided)
                );
                _vote(recordId, v[i], approve);
                continue;
            }
            _vote(recordId, v[i], approve);
            if (approve) ++approvals;
            else ++rejections;
        }
        IPeerValidation.ValidationStatus expected =
            approvals >= 3 ? IPeerValidation.ValidationStatus.Validated : IPeerValidation.ValidationStatus.Rejected;
        _assertCase(recordId, expected, approvals, rejections);
    }

    /// @dev Every eligible hospital has the same chance: over 120 cases with fixed seeds, each of the
    /// 6 eligible hospitals is seated 4/6 of the time (80 expected; a binomial standard deviation of
    /// 5.2), and the author's department never. Deterministic (the seeds are fixed), so not flaky.
    function test_Draw_EveryHospitalHasTheSameChance() public {
        uint256[HOSPITALS] memory seated;
        for (uint256 n; n < 120; ++n) {
            pv.setSalt(keccak256(abi.encode("equal stake", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            _draw(id);
            address[] memory v = _validators(id);
            for (uint256 i; i < 4; ++i) {
                assertTrue(v[i] != AUTHOR_DEPT, "never the author's institution");
                seated[uint160(v[i]) - 0x4000] += 1;
            }
        }
        for (uint256 i; i < HOSPITALS; ++i) {
            assertTrue(seated[i] >= 64 && seated[i] <= 96, "within 3 standard deviations of 80");
        }
    }
}

/**
 * @notice Regression tests for issue 14, item 3: the draw could be steered after the seed block's
 * hash was known. Pool members (the author's institution among them) left and rejoined to reorder
 * and resize the pool (swap-and-pop), dry-ran `draw`, and seated colluders (with 15 hospitals and
 * 3 colluders a 3-step plan seated all 3 in one seed and at least 2 in 5 of 6). A case now draws
 * from the pool as its submission left it.
 *
 * The pool holds 15 hospitals: AUTHOR_DEPT, H[0..5] and G[0..7]. Three institutions collude, each
 * with a pool member and a second account outside the pool: the author's (AUTHOR_DEPT; AUTHOR),
 * "Hospital B" (H[1]; B_SITE) and "Hospital J" (G[3]; J_SITE). Dry runs use state snapshots.
 */
contract PeerValidationSteeringTest is PeerValidationFixture {
    uint256 internal constant MORE = 8;
    address internal constant B_SITE = address(0xB2B2);
    address internal constant J_SITE = address(0x1212);
    address internal constant NEWCOMER = address(0x4E3);
    /// @dev The number of seed hashes tried by the exhaustive test (the audit used 6).
    uint256 internal constant SEEDS = 6;
    /// @dev A {_churn} script that does nothing (every byte 200 or more).
    bytes32 internal constant NO_CHURN = bytes32(type(uint256).max);

    address[MORE] internal g;
    /// @dev The colluders' six accounts, in and out of the pool.
    address[6] internal colluders;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < MORE; ++i) {
            g[i] = address(uint160(0x5000 + i));
            string memory name = string.concat("Hospital ", _digit(6 + i));
            providers.admit(g[i], IProviderRegistry.ProviderKind.Hospital, name, "");
            _join(g[i]);
        }
        providers.admit(B_SITE, IProviderRegistry.ProviderKind.Hospital, "Hospital B", "Second site");
        providers.admit(J_SITE, IProviderRegistry.ProviderKind.Hospital, "Hospital J", "Second site");
        providers.admit(NEWCOMER, IProviderRegistry.ProviderKind.Hospital, "Newcomer Hospital", "");
        colluders = [AUTHOR_DEPT, AUTHOR, h[1], B_SITE, g[3], J_SITE];
        assertEq(pv.poolSize(), 15, "15 hospitals");
    }

    /// @dev Every plan of up to 3 joins and leaves by the colluders' accounts, in every order,
    /// after the seed block is mined, leaves the dry-run draw exactly as it was with no plan, for
    /// each of `SEEDS` seed hashes (old code: the plans changed the seats for most seeds).
    function test_LeaveAndRejoinAfterSubmission_CannotChangeTheDraw() public {
        for (uint256 n; n < SEEDS; ++n) {
            pv.setSalt(keccak256(abi.encode("steer", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            pv.roll(pv.getCase(id).seedBlock + 1); // the seed block is out: its hash is known
            _explore(id, _dryRun(id), 3);
        }
    }

    /// @dev The colluders leave and rejoin, each through its other account or the same one, in every
    /// order of leaving and of rejoining, one after another and interleaved: the draw is unchanged.
    function test_LeaveAndRejoinInEveryOrder_CannotChangeTheDraw() public {
        uint8[3][6] memory orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        for (uint256 n; n < 2; ++n) {
            pv.setSalt(keccak256(abi.encode("orders", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            pv.roll(pv.getCase(id).seedBlock + 1);
            address[] memory expected = _dryRun(id);
            for (uint256 a; a < 6; ++a) {
                for (uint256 b; b < 6; ++b) {
                    uint256 snap = vm.snapshotState();
                    for (uint256 k; k < 3; ++k) _act(colluders[2 * orders[a][k]]); // leave
                    for (uint256 k; k < 3; ++k) _act(colluders[2 * orders[b][k] + (a + b) % 2]); // rejoin
                    _assertDraw(id, expected);
                    for (uint256 k; k < 3; ++k) {
                        uint256 c = orders[a][k];
                        address inPool = pv.isInPool(colluders[2 * c]) ? colluders[2 * c] : colluders[2 * c + 1];
                        _act(inPool); // leave ...
                        _act(inPool); // ... and rejoin at the end, twice over
                    }
                    _assertDraw(id, expected);
                    vm.revertToStateAndDelete(snap);
                }
            }
        }
    }

    /// @dev Any sequence of joins and leaves by anyone (members, colluders' second accounts, outsiders)
    /// after submission, before the first draw and again before the draw that replaces a silent
    /// validator, leaves both draws as they would have been without it.
    function testFuzz_Draw_IgnoresPoolChangesAfterSubmission(
        bytes32 salt,
        bytes32 churnFirst,
        bytes32 churnThen,
        uint8 seat
    ) public {
        pv.setSalt(salt);
        _submit(recordId, proof);
        pv.roll(pv.getCase(recordId).seedBlock + 1);
        uint256 snap = vm.snapshotState();
        address[] memory first = _drawNow(recordId);
        address[] memory second = _replaceAndDraw(recordId, seat % 4, NO_CHURN);
        vm.revertToStateAndDelete(snap);

        _churn(churnFirst);
        _assertEqual(_drawNow(recordId), first, "first draw");
        _assertEqual(_replaceAndDraw(recordId, seat % 4, churnThen), second, "replacement draw");
    }

    /// @dev A member at submission that left since (and did not come back) can still be drawn: the
    /// case draws from the pool as it stood, and a leave after the hash is known cannot re-roll it.
    function test_Draw_SeatsAMemberThatLeftAfterSubmission() public {
        _submit(recordId, proof);
        pv.roll(pv.getCase(recordId).seedBlock + 1);
        address[] memory expected = _dryRun(recordId);
        for (uint256 i; i < 4; ++i) {
            vm.prank(expected[i]);
            pv.leavePool();
        }
        _assertDraw(recordId, expected);
        pv.draw(recordId);
        for (uint256 i; i < 4; ++i) {
            assertFalse(pv.isInPool(expected[i]), "left the pool");
            assertTrue(pv.isValidator(recordId, expected[i]), "seated for the case submitted while it was in");
        }
    }

    /// @dev Accounts that join after submission are never drawn for the case, not even when the eight
    /// members G[0..7] have left and two newcomers took their place; a suspended member is skipped (the
    /// regulator's act, the one change after submission that a draw reads).
    function test_Draw_OnlyMembersAtSubmission_SkippingSuspendedOnes() public {
        for (uint256 n; n < 12; ++n) {
            pv.setSalt(keccak256(abi.encode("newcomers", n)));
            (bytes32 id, IPeerValidation.RecordProof memory p) = _anchor(AUTHOR, patient);
            _submit(id, p);
            uint256 snap = vm.snapshotState();
            for (uint256 i; i < MORE; ++i) {
                vm.prank(g[i]);
                pv.leavePool();
            }
            _join(NEWCOMER);
            _join(STRANGER);
            providers.suspend(h[0]);
            _draw(id);
            address[] memory v = _validators(id);
            for (uint256 i; i < 4; ++i) {
                assertTrue(v[i] != NEWCOMER && v[i] != STRANGER, "joined after submission");
                assertTrue(v[i] != h[0], "suspended");
                assertTrue(pv.institutionOf(v[i]) != keccak256("Author General"), "the author's institution");
            }
            vm.revertToStateAndDelete(snap);
        }
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The seats a draw of case `id` would fill now, without drawing.
    function _dryRun(bytes32 id) internal returns (address[] memory validators) {
        uint256 snap = vm.snapshotState();
        validators = _drawNow(id);
        vm.revertToStateAndDelete(snap);
    }

    function _drawNow(bytes32 id) internal returns (address[] memory) {
        pv.draw(id);
        return _validators(id);
    }

    function _assertDraw(bytes32 id, address[] memory expected) internal {
        _assertEqual(_dryRun(id), expected, "the draw changed");
    }

    function _assertEqual(address[] memory actual, address[] memory expected, string memory what) internal pure {
        assertEq(actual.length, expected.length, what);
        for (uint256 i; i < expected.length; ++i) {
            assertEq(actual[i], expected[i], what);
        }
    }

    /// @dev Checks the draw after every plan of at most `depth` more joins and leaves by colluders.
    function _explore(bytes32 id, address[] memory expected, uint256 depth) internal {
        _assertDraw(id, expected);
        if (depth == 0) return;
        for (uint256 a; a < colluders.length; ++a) {
            uint256 snap = vm.snapshotState();
            if (_act(colluders[a])) _explore(id, expected, depth - 1);
            vm.revertToStateAndDelete(snap);
        }
    }

    /// @dev `account` leaves the pool if in it, else joins if its institution's place is free;
    /// returns whether it did either.
    function _act(address account) internal returns (bool) {
        if (pv.isInPool(account)) {
            vm.prank(account);
            pv.leavePool();
            return true;
        }
        if (pv.poolMemberOf(pv.institutionOf(account)) != address(0)) return false;
        vm.prank(account);
        pv.joinPool();
        return true;
    }

    /// @dev Up to 32 joins and leaves, one per byte of `script`, by pool members, the colluders'
    /// second accounts and two outsiders.
    function _churn(bytes32 script) internal {
        for (uint256 k; k < 32; ++k) {
            uint256 x = uint8(script[k]);
            if (x >= 200) continue; // no action
            uint256 who = x % 20;
            address account = who < HOSPITALS
                ? h[who]
                : who < HOSPITALS + MORE
                    ? g[who - HOSPITALS]
                    : [AUTHOR_DEPT, AUTHOR, B_SITE, J_SITE, NEWCOMER, STRANGER][who - HOSPITALS - MORE];
            _act(account);
        }
    }

    /// @dev Once every deadline passed, the validator in `seat` is replaced as silent; after the new
    /// seed block is out, the pool churns with `script`, and the seat is drawn again.
    function _replaceAndDraw(bytes32 id, uint256 seat, bytes32 script) internal returns (address[] memory) {
        vm.warp(T0 + 3 days + 1);
        pv.replace(id, pv.getSeats(id)[seat].validator);
        pv.roll(pv.getCase(id).seedBlock + 1);
        _churn(script);
        return _drawNow(id);
    }
}
