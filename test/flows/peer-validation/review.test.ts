/**
 * PeerValidation on the kit's embedded chain, part 2: once validators are drawn, key sharing,
 * votes (3 of 4 validate, 2 rejections reject), the abuse cases (each refused by its own custom
 * error, changing nothing), replacement after the deadline, and the gas of each operation.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { TransactionReceipt } from "viem";
import type { HDAccount } from "viem/accounts";
import { ProviderKind as Kind } from "@meridian/sdk/chain";
import { eventsFrom, expectContractError, expectEvent, mined } from "@meridian/sdk/testing";
import {
  DAY,
  Status,
  Vote,
  ZERO32,
  author,
  extra,
  id,
  outsider,
  patient,
  peerValidationFlow,
  randomHex,
  regulator,
  stranger,
} from "./fixtures.ts";

const { kit, node, loadFixture, deploy, drawn, anchor, submit, draw, expectCase } = await peerValidationFlow();

describe("PeerValidation", () => {
  describe("shareKeys", () => {
    it("emits each validator's wrapped key; only the author, only seated validators", async () => {
      const f = await loadFixture(drawn);
      const { recordId } = f.first;
      const addresses = f.validators.map((v) => v.address);
      const keys = addresses.map(() => randomHex(80));
      const receipt = await mined(kit, f.pv.as(author).shareKeys([recordId, addresses, keys]));
      assert.deepEqual(
        eventsFrom(receipt, f.pv, "ValidationKeyShared").map((e) => [e.args.validator, e.args.wrappedKey]),
        addresses.map((a, i) => [a, keys[i]]),
      );
      await expectContractError(
        f.pv.as(f.validators[0]!).shareKeys([recordId, addresses, keys]),
        "PeerValidationNotCaseAuthor",
        [recordId, addresses[0]],
      );
      await expectContractError(
        f.pv.as(author).shareKeys([recordId, [f.unchosen.address], [keys[0]!]]),
        "PeerValidationNotValidator",
        [recordId, f.unchosen.address],
      );
      await expectContractError(
        f.pv.as(author).shareKeys([recordId, addresses, keys.slice(1)]),
        "PeerValidationLengthMismatch",
        [4n, 3n],
      );
      await expectContractError(
        f.pv.as(author).shareKeys([recordId, [addresses[0]!], ["0x"]]),
        "PeerValidationInvalidWrappedKey",
        [0n],
      );
    });
  });

  describe("votes", () => {
    it("validates a diagnosis at 3 approvals of 4, and rejects another at 2 rejections", async () => {
      const f = await loadFixture(drawn);
      const { recordId } = f.first;
      const [v0, v1, v2, v3] = f.validators as [HDAccount, HDAccount, HDAccount, HDAccount];
      const comment = id("consistent with the ECG and troponin");
      expectEvent(await mined(kit, f.pv.as(v0).vote([recordId, Vote.Approve, comment])), f.pv, "ValidationVoteCast", {
        recordId,
        validator: v0.address,
        vote: Vote.Approve,
        commentHash: comment,
      });
      await mined(kit, f.pv.as(v1).vote([recordId, Vote.Reject, id("not supported")]));
      await mined(kit, f.pv.as(v2).vote([recordId, Vote.Approve, ZERO32]));
      await expectCase(f, recordId, Status.Pending, 2, 1);
      expectEvent(await mined(kit, f.pv.as(v3).vote([recordId, Vote.Approve, comment])), f.pv, "ValidationDecided", {
        recordId,
        status: Status.Validated,
        approvals: 3,
        rejections: 1,
      });
      await expectCase(f, recordId, Status.Validated, 3, 1);

      const second = await anchor(f.registry, author, patient.address);
      await submit(f, second);
      const { validators } = await draw(f, second.recordId);
      const [w0, w1, w2, w3] = validators as [HDAccount, HDAccount, HDAccount, HDAccount];
      await mined(kit, f.pv.as(w0).vote([second.recordId, Vote.Reject, id("wrong code")]));
      await mined(kit, f.pv.as(w1).vote([second.recordId, Vote.Approve, ZERO32]));
      const decided = await mined(kit, f.pv.as(w2).vote([second.recordId, Vote.Reject, ZERO32]));
      expectEvent(decided, f.pv, "ValidationDecided", {
        recordId: second.recordId,
        status: Status.Rejected,
        approvals: 1,
        rejections: 2,
      });
      await expectContractError(
        f.pv.as(w3).vote([second.recordId, Vote.Approve, ZERO32]),
        "PeerValidationCaseNotOpen",
        [second.recordId, Status.Rejected],
      );
      await expectCase(f, second.recordId, Status.Rejected, 1, 2);
    });

    it(
      "refuses, changing nothing: a provider not chosen, " + "a second vote, a vote after the deadline, the author",
      async () => {
        const f = await loadFixture(drawn);
        const { recordId } = f.first;
        const [v0, v1, v2] = f.validators as [HDAccount, HDAccount, HDAccount];
        await expectContractError(
          f.pv.as(f.unchosen).vote([recordId, Vote.Approve, ZERO32]),
          "PeerValidationNotValidator",
          [recordId, f.unchosen.address],
        );
        await mined(kit, f.pv.as(v0).vote([recordId, Vote.Approve, ZERO32]));
        await expectContractError(f.pv.as(v0).vote([recordId, Vote.Reject, ZERO32]), "PeerValidationAlreadyVoted", [
          recordId,
          v0.address,
          Vote.Approve,
        ]);
        await expectContractError(
          f.pv.as(author).vote([recordId, Vote.Approve, ZERO32]),
          "PeerValidationAuthorCannotVote",
          [recordId, author.address],
        );
        const { deadline } = (await f.pv.read.getSeats([recordId]))[1]!;
        await node.setNextBlockTimestamp(deadline + 1);
        await expectContractError(f.pv.as(v1).vote([recordId, Vote.Approve, ZERO32]), "PeerValidationDeadlinePassed", [
          recordId,
          v1.address,
          deadline,
          deadline + 1,
        ]);
        await expectCase(f, recordId, Status.Pending, 1, 0);
        assert.deepEqual(
          (await f.pv.read.getSeats([recordId])).map((s) => s.vote),
          [1, 0, 0, 0],
        );
        await expectContractError(f.pv.as(v2).vote([recordId, Vote.None, ZERO32]), "PeerValidationDeadlinePassed");
      },
    );
  });

  describe("replace", () => {
    it("frees a silent validator's seat after its deadline (anyone), and the next draw fills it", async () => {
      const f = await loadFixture(drawn);
      const { recordId } = f.first;
      const [v0, v1] = f.validators as [HDAccount, HDAccount];
      const asOutsider = f.pv.as(outsider);
      await mined(kit, f.pv.as(v0).vote([recordId, Vote.Approve, ZERO32]));
      await expectContractError(asOutsider.replace([recordId, v1.address]), "PeerValidationDeadlineNotPassed");
      await kit.increaseTime(3 * DAY + 1);
      await expectContractError(asOutsider.replace([recordId, v0.address]), "PeerValidationAlreadyVoted");
      await expectContractError(asOutsider.replace([recordId, f.unchosen.address]), "PeerValidationNotValidator", [
        recordId,
        f.unchosen.address,
      ]);
      const receipt = await mined(kit, asOutsider.replace([recordId, v1.address]));
      const [ev] = eventsFrom(receipt, f.pv, "ValidatorReplaced");
      assert.deepEqual(ev?.args, {
        recordId,
        validator: v1.address,
        by: outsider.address,
        seedBlock: Number(receipt.blockNumber) + 1,
      });
      assert.equal(await f.pv.read.isValidator([recordId, v1.address]), false);
      await expectContractError(f.pv.as(v1).vote([recordId, Vote.Approve, ZERO32]), "PeerValidationNotValidator");
      const { validators } = await draw(f, recordId);
      const successor = validators[1]!;
      assert.notEqual(successor.address, v1.address);
      assert.equal(new Set(validators.map((v) => v.address)).size, 4);
      await mined(kit, f.pv.as(successor).vote([recordId, Vote.Approve, ZERO32]));
      await expectCase(f, recordId, Status.Pending, 2, 0);
    });
  });

  // ------------------------------------------------------------------------------------ gas

  describe("gas", { timeout: 120_000 }, () => {
    const report: Record<string, bigint[]> = {};
    after(() => {
      const rows = Object.entries(report).map(([op, v]) => `    ${op.padEnd(24)} ${[...new Set(v)].join(" / ")}`);
      console.log(`\n    PeerValidation gas used per transaction:\n${rows.join("\n")}`);
    });
    function note(op: string, receipt: TransactionReceipt): bigint {
      (report[op] ??= []).push(receipt.gasUsed);
      return receipt.gasUsed;
    }

    it("reports each operation's gas; a draw costs about the same with 7 or 15 hospitals in the pool", async () => {
      const f = await loadFixture(deploy);
      note("joinPool", await mined(kit, f.pv.as(stranger).joinPool()));
      const drawGas: bigint[] = [];
      for (let round = 0; round < 2; round++) {
        if (round === 1) {
          for (const [i, s] of extra.entries()) {
            await mined(kit, f.providers.as(regulator).admit([s.address, Kind.Hospital, `Extra ${i}`, ""]));
            note("joinPool", await mined(kit, f.pv.as(s).joinPool()));
          }
        }
        const record = round === 0 ? f.first : await anchor(f.registry, author, patient.address);
        note("submit", await submit(f, record));
        const { validators, receipt } = await draw(f, record.recordId);
        drawGas.push(note("draw (4 seats)", receipt));
        const addresses = validators.map((v) => v.address);
        const keys = addresses.map(() => randomHex(80));
        note("shareKeys (4 keys)", await mined(kit, f.pv.as(author).shareKeys([record.recordId, addresses, keys])));
        const [v0, v1, v2] = validators as [HDAccount, HDAccount, HDAccount];
        note("vote", await mined(kit, f.pv.as(v0).vote([record.recordId, Vote.Approve, id("ok")])));
        note("vote", await mined(kit, f.pv.as(v1).vote([record.recordId, Vote.Approve, id("ok")])));
        note("vote (deciding)", await mined(kit, f.pv.as(v2).vote([record.recordId, Vote.Approve, id("ok")])));
      }
      const record = await anchor(f.registry, author, patient.address);
      await submit(f, record);
      const { validators } = await draw(f, record.recordId);
      await kit.increaseTime(3 * DAY + 1);
      note("replace", await mined(kit, f.pv.as(regulator).replace([record.recordId, validators[0]!.address])));
      note("draw (1 seat)", (await draw(f, record.recordId)).receipt);
      note("leavePool", await mined(kit, f.pv.as(stranger).leavePool()));
      // draws differ only by which pool entries the seed hits (a skipped entry costs a few thousand)
      for (const g of drawGas) assert.ok(g < 300_000n, `draw used ${g}`);
      for (const [op, v] of Object.entries(report)) for (const g of v) assert.ok(g < 300_000n, `${op} used ${g} gas`);
    });
  });
});
