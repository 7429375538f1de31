/**
 * `meridian audit` (a patient's timeline of events, emergency accesses first) and `meridian
 * verify` (a patient's record hash chain; anyone can, no keys needed).
 *
 * @module
 */
import type { Command } from "commander";
import { log, out } from "../output.ts";
import { address } from "./arguments.ts";
import type { CommandKit } from "./kit.ts";
import { emergencyView } from "./views.ts";

/** Registers `meridian audit` and `verify` on `program`. */
export function registerAuditCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  program
    .command("audit [patient]")
    .description("the timeline of a patient's events (default: yourself)")
    .action(
      action(async (patient?: string) => {
        const c = await kit.client();
        try {
          const who = patient ? address(patient, "patient") : undefined;
          const [entries, emergencies] = await Promise.all([c.audit(who), c.emergencyAccesses(who)]);
          // emergency accesses come first, so the patient and guardians see them before anything else
          for (const e of emergencies) {
            const until = e.active ? `, open until ${new Date(e.expiresAt * 1000).toISOString()}` : ", ended";
            const key = e.releasedBy ? `; key released by ${e.releasedBy}` : "; no key released";
            log(`EMERGENCY ACCESS by ${e.provider} (${e.reason})${until}${key}`);
          }
          out({
            emergencyAccesses: emergencies.map(emergencyView),
            events: entries.map((e) => ({ block: e.blockNumber, event: e.event, tx: e.transactionHash, ...e.args })),
          });
        } finally {
          await c.close();
        }
      }),
    );

  program
    .command("verify [patient]")
    .description("verify a patient's record hash chain (anyone can; no keys needed)")
    .action(
      action(async (patient?: string) => {
        const c = await kit.client();
        try {
          const v = await c.verifyChain(patient ? address(patient, "patient") : undefined);
          out(v);
          if (!v.valid) process.exitCode = 1;
        } finally {
          await c.close();
        }
      }),
    );
}
