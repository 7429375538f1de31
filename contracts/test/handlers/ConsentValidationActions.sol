// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPeerValidation} from "../../interfaces/IPeerValidation.sol";
import {IProviderRegistry} from "../../interfaces/IProviderRegistry.sol";
import {IRecordAnchors} from "../../interfaces/IRecordAnchors.sol";
import {IRecordGrants} from "../../interfaces/IRecordGrants.sol";
import {ConsentCodeSigner, ValidationConsents, VmChain} from "../fixtures/Signatures.sol";
import {ConsentHandlerBase} from "./ConsentHandlerBase.sol";

/// @dev The consent handler's setup and actions on peer validation: the pool, submissions, draws,
/// votes and replacements (see {ConsentHandlerBase}).
abstract contract ConsentValidationActions is ConsentHandlerBase {
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
        bytes24 head = registry.getPatient(patient).chainHead;
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
        uint40 deadline =
            mutation == 2
                ? uint40(now_ - 1 - ((consentSeed >> 8) % 1 days))
                : uint40(now_ + ((consentSeed >> 8) % 2 days));
        _submit(id, caller, signer, deadline);
    }

    /// @dev Blocks pass (none, a few, or more than the chain keeps hashes of) and anyone draws a
    /// case's validators.
    function drawValidators(uint256 recordSeed, uint256 blockSeed) external {
        uint256 k = blockSeed % 16;
        blockNumber +=
            k == 0
                ? 0
                : k == 1
                    ? HASHED_BLOCKS + 44
                    : 1 + ((blockSeed >> 8) % 4);
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
        address voter =
            k < VALIDATORS
                ? _ghostSeats[id][k].validator
                : k == VALIDATORS
                    ? c.author
                    : address(0);
        if (voter == address(0)) voter = hospitals[(voterSeed >> 8) % hospitals.length];
        IPeerValidation.Vote choice = IPeerValidation.Vote(choiceSeed % 8 == 0 ? 0 : 1 + ((choiceSeed >> 8) % 2));
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
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector,
                id,
                voter,
                seat.vote
            );
        } else if (now_ > seat.deadline) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlinePassed.selector,
                id,
                voter,
                seat.deadline,
                uint40(now_)
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
            now_ = uint256(seat.deadline) + 1 + ((waitSeed >> 8) % 1 days); // the caller waits it out
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
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationAlreadyVoted.selector,
                id,
                validator,
                seat.vote
            );
        } else if (now_ <= seat.deadline && ghostActive[validator]) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationDeadlineNotPassed.selector,
                id,
                validator,
                seat.deadline,
                uint40(now_)
            );
        }
        vm.prank(stranger);
        (bool ok, bytes memory data) = address(validation).call(
            abi.encodeCall(IPeerValidation.replace, (id, validator))
        );
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
        bytes memory signature = ConsentCodeSigner.sign(
            _keys[signer],
            ValidationConsents.digest(address(validation), id, caller, VALIDATORS, deadline)
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
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationConsentExpired.selector,
                deadline,
                uint40(now_)
            );
        } else if (patients[signer] != patient) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationInvalidConsent.selector, id, patient);
        } else {
            uint256 available = ghostPoolSize;
            if (ghostMemberOf[institutionOf[caller]] != address(0)) --available;
            if (available < VALIDATORS) {
                expected = abi.encodeWithSelector(
                    IPeerValidation.PeerValidationPoolTooSmall.selector,
                    available,
                    uint256(VALIDATORS)
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
                IPeerValidation.PeerValidationSeedNotReady.selector,
                id,
                uint256(c.seedBlock),
                blockNumber
            );
        } else if (blockNumber - c.seedBlock > HASHED_BLOCKS) {
            renews = true;
        } else if (eligible.length < c.vacancies) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationDrawFailed.selector,
                id,
                eligible.length,
                uint256(c.vacancies)
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

    function _join(address account) private {
        bytes32 institution = institutionOf[account];
        address member = ghostMemberOf[institution];
        bytes memory expected;
        if (!ghostActive[account]) {
            expected = abi.encodeWithSelector(IPeerValidation.PeerValidationProviderNotActive.selector, account);
        } else if (kindOf[account] != IProviderRegistry.ProviderKind.Hospital) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationNotHospital.selector,
                account,
                kindOf[account]
            );
        } else if (member != address(0)) {
            expected = abi.encodeWithSelector(
                IPeerValidation.PeerValidationInstitutionInPool.selector,
                institution,
                member
            );
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
                bool atStage =
                    stage == Stage.Unsubmitted
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
        return
            status == IPeerValidation.ValidationStatus.Submitted || status == IPeerValidation.ValidationStatus.Pending;
    }

    /// institutions seated in the case, never replaced in it.
    function _eligible(bytes32 recordId, bytes32 authorInstitution) private view returns (address[] memory eligible) {
        eligible = new address[](hospitals.length);
        uint256 count;
        for (uint256 i = 0; i < hospitals.length; ++i) {
            address h = hospitals[i];
            bytes32 institution = institutionOf[h];
            if (
                !ghostInPoolAtSubmission[recordId][h] ||
                !ghostActive[h] ||
                institution == authorInstitution ||
                ghostReplaced[recordId][h]
            ) {
                continue;
            }
            bool taken;
            for (uint256 j = 0; j < VALIDATORS; ++j) {
                address v = _ghostSeats[recordId][j].validator;
                if (v != address(0) && institutionOf[v] == institution) taken = true;
            }
            if (!taken) {
                eligible[count] = h;
                ++count;
            }
        }
        // Shrink the array to the accounts found.
        // solhint-disable-next-line no-inline-assembly
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
}
