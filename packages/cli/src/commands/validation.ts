/**
 * `meridian validation ...`: peer validation of diagnoses (docs/peer-validation.md).
 *
 * Hospital: `join-pool`, `leave-pool`. Patient: `consent <recordId> --author <address>` prints a
 * consent text for the author. Author: `submit <recordId> --consent TEXT`, `share-keys <recordId>`.
 * Anyone: `draw <recordId>`, `replace <recordId> <validator>`, `status <recordId>`, `pool [--case <recordId>]`,
 * `prune`.
 * Validator: `assigned`, `read <recordId> --out FILE`, `vote <recordId> --approve|--reject [--comment TEXT]`.
 *
 * @module
 */
import type { Command } from "commander";
import type { Hex } from "viem";
import type { MeridianContext } from "@meridian/sdk/chain";
import {
  castValidationVote,
  decodeValidationConsent,
  drawValidators,
  encodeValidationConsent,
  getValidationCase,
  getValidationCasePool,
  getValidationStatuses,
  getValidatorPool,
  joinValidatorPool,
  leaveValidatorPool,
  listValidationVotes,
  listValidatorAssignments,
  pruneValidatorPool,
  replaceValidator,
  signValidationConsent,
  submitForValidation,
  validationStatusName,
  ValidationVote,
} from "@meridian/sdk/chain";
import { readRecordAsValidator, shareValidationKeys } from "@meridian/sdk";
import { ConfigurationError } from "../env.ts";
import { userPath, writePrivateFile } from "../files.ts";
import { log, out } from "../output.ts";
import { address, recordId } from "./arguments.ts";
import type { CommandKit } from "./kit.ts";

const VOTE_NAMES = {
  [ValidationVote.None]: "none",
  [ValidationVote.Approve]: "approve",
  [ValidationVote.Reject]: "reject",
} as const;

/** `30m`, `12h`, `7d` or a number of seconds, in seconds; more than 0. */
function seconds(value: string, option: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  const s = m ? Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"] : 0;
  if (s <= 0)
    throw new ConfigurationError(`${option} "${value}" is not a duration longer than 0.`, {
      hint: "Use a duration such as 30m, 12h or 7d.",
    });
  return s;
}

const iso = (unixSeconds: number) => (unixSeconds ? new Date(unixSeconds * 1000).toISOString() : null);

/** Registers `meridian validation` and its subcommands on `program`. */
export function registerValidationCommands(program: Command, h: CommandKit): void {
  const { action } = h;
  const validation = program
    .command("validation")
    .description(
      "peer validation of diagnoses: 4 hospitals drawn at random vote; 3 approvals validate, 2 rejections reject",
    );

  validation
    .command("join-pool")
    .description("hospital: join the validator pool (one account per institution)")
    .action(
      action(async () => {
        out(await joinValidatorPool(await h.context()));
      }),
    );
  validation
    .command("leave-pool")
    .description("hospital: leave the validator pool")
    .action(
      action(async () => {
        out(await leaveValidatorPool(await h.context()));
      }),
    );
  validation
    .command("prune <member>")
    .description("anyone: take a pool member that is no longer an active provider out of the pool")
    .action(
      action(async (member: string) => {
        out(await pruneValidatorPool(await h.context(), { member: address(member, "member") }));
      }),
    );
  validation
    .command("pool")
    .description("list the validator pool (now, or the one a case draws from: the pool at its submission)")
    .option("--case <recordId>", "list the pool as it stood when this record was submitted for validation")
    .action(
      action(async (o: { case?: string }) => {
        const ctx = await h.context();
        out(o.case === undefined ? await getValidatorPool(ctx) : await getValidationCasePool(ctx, recordId(o.case)));
      }),
    );

  validation
    .command("consent <recordId>")
    .description(
      "patient: consent to a provider submitting one of your records for peer validation; prints the consent " +
        "text to give it",
    )
    .requiredOption("--author <address>", "the provider that wrote the record")
    .option("--valid-for <duration>", "how long the author may submit it (30m, 12h, 7d)", "7d")
    .action(
      action(async (id: string, o: { author: string; validFor: string }) => {
        const signed = await signValidationConsent(await h.context(), {
          recordId: recordId(id),
          author: address(o.author, "--author"),
          validForSeconds: seconds(o.validFor, "--valid-for"),
        });
        out({
          consent: encodeValidationConsent(signed),
          recordId: signed.recordId,
          author: signed.author,
          deadline: iso(signed.deadline),
        });
      }),
    );

  validation
    .command("submit <recordId>")
    .description("author: submit a record you wrote for peer validation, with the patient's consent text")
    .requiredOption("--consent <text>", "what the patient's `meridian validation consent` printed")
    .action(
      action(async (id: string, o: { consent: string }) => {
        const consent = decodeValidationConsent(o.consent);
        if (consent.recordId.toLowerCase() !== recordId(id).toLowerCase())
          throw new ConfigurationError("This consent is for another record.", { details: consent.recordId });
        const r = await submitForValidation(await h.context(), { consent });
        log(
          `submitted; validators are drawn from the hash of block ${r.seedBlock} ` +
            `(\`meridian validation draw ${id}\` after it)`,
        );
        out({ recordId: consent.recordId, ...r });
      }),
    );

  validation
    .command("draw <recordId>")
    .description(
      "anyone: draw the validators (or a replaced validator's successor) once the chain is past the seed block",
    )
    .action(
      action(async (id: string) => {
        const r = await drawValidators(await h.context(), { recordId: recordId(id) });
        if (r.renewedSeedBlock !== undefined)
          log(
            `the seed block was over 256 blocks old: drawn from block ${r.renewedSeedBlock} instead; ` +
              "draw again after it",
          );
        out({ ...r, chosen: r.chosen.map((c) => ({ ...c, deadline: iso(c.deadline) })) });
      }),
    );

  validation
    .command("share-keys <recordId>")
    .description("author: share the record's key (HPKE-wrapped) with each chosen validator that has none yet")
    .action(
      action(async (id: string) => {
        const c = await h.client();
        try {
          out(await shareValidationKeys(c, recordId(id)));
        } finally {
          await c.close();
        }
      }),
    );

  validation
    .command("read <recordId>")
    .description("validator: fetch, verify and decrypt a record you were chosen to validate")
    .requiredOption("--out <file>", "where to write the decrypted FHIR JSON")
    .action(
      action(async (id: string, o: { out: string }) => {
        const c = await h.client();
        try {
          const r = await readRecordAsValidator(c, recordId(id));
          const file = userPath(o.out);
          await writePrivateFile(file, r.plaintext);
          log(`verified and decrypted ${r.plaintext.length} bytes (via ${r.via}) into ${file}`);
        } finally {
          await c.close();
        }
      }),
    );

  validation
    .command("vote <recordId>")
    .description("validator: approve or reject a diagnosis; only the comment's hash goes on chain")
    .option("--approve", "the diagnosis is supported")
    .option("--reject", "the diagnosis is not supported")
    .option("--comment <text>", "your comment (kept off chain; its keccak256 hash is recorded)")
    .action(
      action(async (id: string, o: { approve?: boolean; reject?: boolean; comment?: string }) => {
        if (Boolean(o.approve) === Boolean(o.reject))
          throw new ConfigurationError("Give exactly one of --approve or --reject.");
        const r = await castValidationVote(await h.context(), {
          recordId: recordId(id),
          approve: Boolean(o.approve),
          ...(o.comment ? { comment: o.comment } : {}),
        });
        out({ ...r, status: validationStatusName(r.status) });
      }),
    );

  validation
    .command("replace <recordId> <validator>")
    .description("anyone: free the seat of a validator silent past its deadline (or no longer active); then draw")
    .action(
      action(async (id: string, validator: string) => {
        out(
          await replaceValidator(await h.context(), {
            recordId: recordId(id),
            validator: address(validator, "validator"),
          }),
        );
      }),
    );

  validation
    .command("status <recordId>")
    .description("a record's validation status, seats and votes")
    .action(
      action(async (id: string) => {
        const ctx = await h.context();
        const c = await getValidationCase(ctx, recordId(id));
        const votes = c.status === 0 ? [] : await listValidationVotes(ctx, c.recordId);
        out({
          recordId: c.recordId,
          status: c.statusName,
          author: c.author,
          patient: c.patient,
          approvals: c.approvals,
          rejections: c.rejections,
          submittedAt: iso(c.submittedAt),
          decidedAt: iso(c.decidedAt),
          vacancies: c.vacancies,
          ...(c.vacancies > 0 && c.status !== 0 ? { seedBlock: c.seedBlock } : {}),
          ...(c.status !== 0 ? { poolAtSubmission: c.poolSize } : {}),
          seats: c.seats.map((s) => ({ validator: s.validator, deadline: iso(s.deadline), vote: VOTE_NAMES[s.vote] })),
          votes: votes.map((v) => ({ validator: v.validator, vote: VOTE_NAMES[v.vote], commentHash: v.commentHash })),
        });
      }),
    );

  validation
    .command("assigned")
    .description("validator: the records you were drawn for, with their status")
    .action(
      action(async () => {
        const ctx = await h.context();
        const me = ctx.walletClient?.account.address;
        if (!me)
          throw new ConfigurationError("This command needs an account.", {
            hint: "Pass --dev-account, --key-file or MERIDIAN_MNEMONIC.",
          });
        const ids = await listValidatorAssignments(ctx, me);
        const statuses = await getValidationStatuses(ctx, ids);
        out(ids.map((recordId, i) => ({ recordId, status: validationStatusName(statuses[i] ?? 0) })));
      }),
    );
}

/**
 * The validation status name of each record (for `meridian list`); `"none"` for every record when
 * the deployment has no PeerValidation contract.
 */
export async function validationStatusNames(ctx: MeridianContext, recordIds: readonly Hex[]): Promise<string[]> {
  if (BigInt(ctx.deployment.peerValidation ?? "0x0") === 0n) return recordIds.map(() => "none");
  return (await getValidationStatuses(ctx, recordIds)).map(validationStatusName);
}
