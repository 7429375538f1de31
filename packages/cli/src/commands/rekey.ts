/**
 * `meridian rekey`: the patient moves to new keys when someone whose access ended still holds the
 * current ones, and re-issues live grants and re-keys guardians still at an older key epoch.
 *
 * @module
 */
import type { Command } from "commander";
import { describeKeyHolderEnd } from "@meridian/sdk/chain";
import { out } from "../output.ts";
import type { CommandKit } from "./kit.ts";
import { guardianView } from "./views.ts";

/** Registers `meridian rekey` on `program`. */
export function registerRekeyCommand(program: Command, kit: CommandKit): void {
  program
    .command("rekey")
    .description(
      "patient: move to new keys when a grantee whose access ended (expired, suspended, removed), or a consent " +
        "code made here that was never redeemed or was cancelled, holds the current ones, and re-issue live grants " +
        "and re-key guardians still at an older key epoch",
    )
    .option("--dry-run", "only list who holds stale keys and whose access to the current keys ended")
    .option(
      "--new-epoch",
      "move to a new key epoch even if nobody's access ended (e.g. after an unused consent code made on another " +
        "device)",
    )
    .action(
      kit.action(async (o: { dryRun?: boolean; newEpoch?: boolean }) => {
        const c = await kit.client();
        try {
          const [stale, ended] = await Promise.all([c.staleKeyHolders(), c.retiredKeyHolders()]);
          const holders = {
            keyEpoch: stale.keyEpoch,
            grants: stale.grants.map((g) => ({
              grantee: g.grantee,
              scope: g.scope,
              write: g.write,
              keyEpoch: g.keyEpoch,
            })),
            guardians: stale.guardians.map(guardianView),
            retired: ended.retired.map((r) => ({
              ...(r.kind === "guardian" ? { guardian: r.guardian } : { grantee: r.grantee, scope: r.scope }),
              ...(r.kind === "consent-code" ? { consentCodeNonce: r.nonce, deadline: r.deadline } : {}),
              reason: r.reason,
              what: describeKeyHolderEnd(r),
            })),
          };
          const rotate = ended.retired.length > 0 || (o.newEpoch ?? false);
          if (o.dryRun || (!rotate && holders.grants.length === 0 && holders.guardians.length === 0)) {
            out(holders);
            return;
          }
          if (rotate) {
            const { advance, reissued } = await c.rotateKeyEpoch();
            const transactions = [advance, ...reissued].map((t) => ({ hash: t.hash, gasUsed: t.gasUsed }));
            out({ ...holders, newKeyEpoch: advance.keyEpoch, transactions });
            return;
          }
          const sent = await c.reissueAfterEpochChange();
          out({ ...holders, transactions: sent.map((t) => ({ hash: t.hash, gasUsed: t.gasUsed })) });
        } finally {
          await c.close();
        }
      }),
    );
}
