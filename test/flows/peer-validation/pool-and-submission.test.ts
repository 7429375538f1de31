/**
 * PeerValidation on the kit's embedded chain, part 1: the constants and EIP-712 domain, the
 * instance RecordRegistry deploys (and its canRead for seated validators), the hospital pool,
 * submission with the patient's EIP-712 consent, and the two-step draw from a real future block
 * hash. Each abuse is refused by its own custom error, changing nothing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashTypedData } from "viem";
import { ProviderKind as Kind, peerValidationAbi } from "@meridian/sdk/chain";
import { bindContract, eventsFrom, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  CONSENT_TYPES,
  DAY,
  Status,
  ZERO32,
  author,
  authorDept,
  extra,
  hospitals,
  id,
  lab,
  outsider,
  patient,
  peerValidationFlow,
  regulator,
  stranger,
} from "./fixtures.ts";

const { kit, node, chainId, loadFixture, deploy, anchor, consent, inADay, submit, draw } = await peerValidationFlow();

describe("PeerValidation", () => {
  describe("deployment", () => {
    it(
      "has k = 4 (3f + 1), 3 approvals, 2 rejections, " + "3 days to vote, and the documented EIP-712 domain and type",
      async () => {
        const f = await loadFixture(deploy);
        assert.equal(await f.pv.read.VALIDATORS(), 4);
        assert.equal(await f.pv.read.APPROVALS(), 3);
        assert.equal(await f.pv.read.REJECTIONS(), 2);
        assert.equal(await f.pv.read.VOTE_PERIOD(), 3 * DAY);
        assert.equal(
          await f.pv.read.VALIDATION_CONSENT_TYPEHASH(),
          id("ValidationConsent(bytes32 recordId,address author,uint8 validators,uint40 deadline)"),
        );
        const [, name, version, domainChainId, verifyingContract] = await f.pv.read.eip712Domain();
        assert.deepEqual(
          [name, version, domainChainId, verifyingContract],
          ["Meridian PeerValidation", "1", BigInt(chainId), f.pv.address],
        );
        const digest = hashTypedData({
          domain: { name: "Meridian PeerValidation", version: "1", chainId, verifyingContract: f.pv.address },
          types: CONSENT_TYPES,
          primaryType: "ValidationConsent",
          message: { recordId: f.first.recordId, author: author.address, validators: 4, deadline: 99 },
        });
        assert.equal(await f.pv.read.consentDigest([f.first.recordId, author.address, 4, 99]), digest);
      },
    );
  });

  describe("record registry", () => {
    it(
      "is deployed by RecordRegistry, whose canRead lets a seated, " + "active validator (only) read the record",
      async () => {
        const f = await loadFixture(deploy);
        const { recordId } = f.first;
        const embedded = bindContract(kit, peerValidationAbi, await f.registry.read.peerValidation());
        assert.equal(await embedded.read.recordRegistry(), f.registry.address);
        assert.equal(await embedded.read.providerRegistry(), f.providers.address);
        for (const h of [authorDept, ...hospitals]) await mined(kit, embedded.as(h).joinPool());
        const deadline = await inADay();
        const signature = await consent(embedded.address, patient, recordId, author.address, deadline);
        await mined(kit, embedded.as(author).submit([recordId, f.first.proof, deadline, signature]));
        await node.mine(1);
        await mined(kit, embedded.as(regulator).draw([recordId]));
        const seats = (await embedded.read.getSeats([recordId])).map((s) => s.validator);
        const others = [authorDept, ...hospitals].map((h) => h.address).filter((a) => !seats.includes(a));
        for (const v of seats) assert.equal(await f.registry.read.canRead([v, recordId]), true);
        for (const o of others) assert.equal(await f.registry.read.canRead([o, recordId]), false);
        await mined(kit, f.providers.as(regulator).suspend([seats[0]!]));
        assert.equal(await f.registry.read.canRead([seats[0]!, recordId]), false);
      },
    );
  });

  describe("pool", () => {
    it("takes one account per institution, only active hospitals; leave and prune remove by swap-and-pop", async () => {
      const f = await loadFixture(deploy);
      assert.equal(await f.pv.read.poolSize(), 6n);
      const institution = id("Author General");
      assert.equal(await f.pv.read.poolMemberOf([institution]), authorDept.address);
      await expectContractError(f.pv.as(author).joinPool(), "PeerValidationInstitutionInPool", [
        institution,
        authorDept.address,
      ]);
      await expectContractError(f.pv.as(lab).joinPool(), "PeerValidationNotHospital", [lab.address, Kind.Lab]);
      await expectContractError(f.pv.as(outsider).joinPool(), "PeerValidationProviderNotActive", [outsider.address]);
      await expectContractError(f.pv.as(stranger).leavePool(), "PeerValidationNotInPool", [stranger.address]);
      expectEvent(await mined(kit, f.pv.as(stranger).joinPool()), f.pv, "PoolJoined", {
        provider: stranger.address,
        institution: id("Stranger Hospital"),
      });

      const h0 = hospitals[0]!;
      await expectContractError(f.pv.as(outsider).prune([h0.address]), "PeerValidationMemberActive", [h0.address]);
      await mined(kit, f.providers.as(regulator).suspend([h0.address]));
      expectEvent(await mined(kit, f.pv.as(outsider).prune([h0.address])), f.pv, "PoolLeft", {
        provider: h0.address,
        institution: id("Hospital A"),
        by: outsider.address,
      });
      assert.equal(await f.pv.read.poolMemberAt([1n]), stranger.address); // the last entry filled the hole
      const size = await f.pv.read.poolSize();
      await expectContractError(f.pv.read.poolMemberAt([size]), "PeerValidationPoolIndexOutOfRange", [size, size]);
      expectEvent(await mined(kit, f.pv.as(authorDept).leavePool()), f.pv, "PoolLeft", {
        provider: authorDept.address,
        institution,
        by: authorDept.address,
      });
      expectEvent(await mined(kit, f.pv.as(author).joinPool()), f.pv, "PoolJoined", {
        provider: author.address,
        institution,
      });
      assert.equal(await f.pv.read.isInPool([author.address]), true);
      assert.equal(await f.pv.read.poolSize(), 6n);
    });
  });

  describe("submit", () => {
    it("opens a case with the patient's consent; the seed block is the next block", async () => {
      const f = await loadFixture(deploy);
      const receipt = await submit(f, f.first);
      const seedBlock = Number(receipt.blockNumber) + 1;
      const c = await f.pv.read.getCase([f.first.recordId]);
      assert.equal(c.status, Status.Submitted);
      assert.deepEqual(
        [c.author, c.patient, c.authorInstitution],
        [author.address, patient.address, id("Author General")],
      );
      assert.equal(c.seedBlock, seedBlock);
      assert.equal(c.vacancies, 4);
      const [ev] = eventsFrom(receipt, f.pv, "ValidationSubmitted");
      assert.deepEqual(ev?.args, {
        recordId: f.first.recordId,
        patient: patient.address,
        author: author.address,
        seedBlock,
      });
    });

    it(
      "refuses a non-author, a wrong proof, an inactive author, " +
        "a bad or expired consent, a second submission, a small pool",
      async () => {
        const f = await loadFixture(deploy);
        const { recordId, proof } = f.first;
        const deadline = await inADay();
        const h0 = hospitals[0]!;
        const asAuthor = f.pv.as(author);
        await expectContractError(
          f.pv
            .as(h0)
            .submit([recordId, proof, deadline, await consent(f.pv.address, patient, recordId, h0.address, deadline)]),
          "PeerValidationNotAuthor",
          [recordId, h0.address],
        );
        const good = await consent(f.pv.address, patient, recordId, author.address, deadline);
        await expectContractError(
          asAuthor.submit([recordId, { ...proof, ciphertextHash: ZERO32 }, deadline, good]),
          "PeerValidationNotAuthor",
          [recordId, author.address],
        );
        await expectContractError(asAuthor.submit([ZERO32, proof, deadline, good]), "PeerValidationUnknownRecord", [
          ZERO32,
        ]);
        for (const bad of [
          await consent(f.pv.address, stranger, recordId, author.address, deadline),
          await consent(f.pv.address, patient, recordId, author.address, deadline, 3),
          await consent(f.pv.address, patient, recordId, author.address, deadline + 1),
          "0x1234" as const,
        ]) {
          await expectContractError(asAuthor.submit([recordId, proof, deadline, bad]), "PeerValidationInvalidConsent", [
            recordId,
            patient.address,
          ]);
        }
        const past = (await node.latestTime()) - 1;
        await expectContractError(
          asAuthor.submit([
            recordId,
            proof,
            past,
            await consent(f.pv.address, patient, recordId, author.address, past),
          ]),
          "PeerValidationConsentExpired",
        );
        assert.equal(await f.pv.read.statusOf([recordId]), Status.None);

        await submit(f, f.first);
        await expectContractError(
          asAuthor.submit([recordId, proof, deadline, good]),
          "PeerValidationAlreadySubmitted",
          [recordId, Status.Submitted],
        );

        const second = await anchor(f.registry, author, patient.address);
        for (const h of hospitals.slice(0, 2)) await mined(kit, f.pv.as(h).leavePool());
        await expectContractError(submit(f, second), "PeerValidationPoolTooSmall", [3n, 4n]);
        await mined(kit, f.providers.as(regulator).suspend([author.address]));
        await expectContractError(submit(f, second), "PeerValidationProviderNotActive", [author.address]);
      },
    );
  });

  describe("draw", () => {
    it(
      "waits for the seed block, " + "then seats 4 distinct hospitals outside the author's institution from its hash",
      async () => {
        const f = await loadFixture(deploy);
        const { recordId } = f.first;
        const receipt = await submit(f, f.first);
        const seedBlock = receipt.blockNumber + 1n;
        // the next transaction is mined in the seed block itself, whose hash is not known yet
        await expectContractError(f.pv.as(regulator).draw([recordId]), "PeerValidationSeedNotReady", [
          recordId,
          seedBlock,
          seedBlock,
        ]);
        const { validators, receipt: drawReceipt } = await draw(f, recordId);
        const addresses = validators.map((v) => v.address);
        assert.equal(new Set(addresses).size, 4);
        assert.ok(!addresses.includes(authorDept.address));
        const chosen = eventsFrom(drawReceipt, f.pv, "ValidatorChosen");
        const deadline = (await node.latestTime()) + 3 * DAY;
        assert.deepEqual(
          chosen.map((e) => [e.args.validator, e.args.seat, e.args.deadline]),
          addresses.map((a, i) => [a, i, deadline]),
        );
        for (const a of addresses) assert.equal(await f.pv.read.isValidator([recordId, a]), true);
        assert.equal(await f.pv.read.statusOf([recordId]), Status.Pending);
        await expectContractError(f.pv.as(regulator).draw([recordId]), "PeerValidationNothingToDraw", [recordId]);
        await expectContractError(f.pv.as(regulator).draw([ZERO32]), "PeerValidationUnknownCase", [ZERO32]);
      },
    );

    it("renews a seed block whose hash is gone (over 256 blocks), then draws from the new one", async () => {
      const f = await loadFixture(deploy);
      const { recordId } = f.first;
      await submit(f, f.first);
      await node.mine(300);
      const receipt = await mined(kit, f.pv.as(regulator).draw([recordId]));
      const [ev] = eventsFrom(receipt, f.pv, "ValidationSeedRenewed");
      assert.equal(ev?.args.seedBlock, Number(receipt.blockNumber) + 1);
      assert.equal(await f.pv.read.statusOf([recordId]), Status.Submitted);
      await draw(f, recordId);
      assert.equal(await f.pv.read.statusOf([recordId]), Status.Pending);
    });

    it(
      "draws from the pool as the submission left it: " +
        "leaving and rejoining once the seed block is out changes nothing (issue 14, item 3)",
      async () => {
        const f = await loadFixture(deploy);
        for (const [i, s] of extra.entries()) {
          await mined(kit, f.providers.as(regulator).admit([s.address, Kind.Hospital, `Extra ${i}`, ""]));
          await mined(kit, f.pv.as(s).joinPool());
        }
        assert.equal(await f.pv.read.poolSize(), 14n);
        await submit(f, f.first);
        await node.mine(1); // the seed block: its hash is public from here on
        const { recordId } = f.first;
        const seats = async () => (await f.pv.read.getSeats([recordId])).map((s) => s.validator);
        // what the colluders see when they dry-run the draw
        const before = await kit.snapshot();
        await mined(kit, f.pv.as(regulator).draw([recordId]));
        const expected = await seats();
        await kit.revert(before);
        // three colluding institutions (the author's among them) leave and rejoin to reorder the pool; a newcomer joins
        await mined(kit, f.pv.as(authorDept).leavePool());
        await mined(kit, f.pv.as(author).joinPool()); // the author's own account, for its institution
        await mined(kit, f.pv.as(hospitals[1]!).leavePool());
        await mined(kit, f.pv.as(extra[0]!).leavePool());
        await mined(kit, f.pv.as(extra[0]!).joinPool());
        await mined(kit, f.pv.as(hospitals[1]!).joinPool());
        await mined(kit, f.pv.as(stranger).joinPool());
        assert.notEqual(
          await f.pv.read.poolMemberAt([0n]),
          await f.pv.read.casePoolMemberAt([recordId, 0n]),
          "the pool was reordered",
        );
        assert.equal(await f.pv.read.poolSize(), 15n);
        assert.equal((await f.pv.read.getCase([recordId])).poolSize, 14);
        await mined(kit, f.pv.as(regulator).draw([recordId]));
        assert.deepEqual(await seats(), expected);
      },
    );

    it("fails, changing nothing, when too few pool members are eligible", async () => {
      const f = await loadFixture(deploy);
      await submit(f, f.first);
      await mined(kit, f.providers.as(regulator).suspend([hospitals[0]!.address]));
      await mined(kit, f.providers.as(regulator).suspend([hospitals[1]!.address]));
      await expectContractError(draw(f, f.first.recordId), "PeerValidationDrawFailed", [f.first.recordId, 3n, 4n]);
      assert.equal(await f.pv.read.statusOf([f.first.recordId]), Status.Submitted);
    });
  });
});
