/**
 * Sharing a patient's records: `meridian grant`, `revoke`, `request`, `requests`, `approve` and
 * `deny`. The patient grants and revokes; a provider requests, and the patient approves or denies.
 * A scope is one of `--record ID`, `--category NAME` or `--all`.
 *
 * @module
 */
import type { Command } from "commander";
import { out } from "../output.ts";
import { address, expiry, scopeOf, scopeOptions, wholeNumber, type ScopeOptions } from "./arguments.ts";
import { printWithClient, type CommandKit } from "./kit.ts";

/** A scope, `--write` and `--expires`, as commander parses them. */
type GrantOptions = ScopeOptions & { write?: boolean; expires?: string };

/** Registers `meridian grant`, `revoke`, `request`, `requests`, `approve` and `deny` on `program`. */
export function registerSharingCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  scopeOptions(
    program
      .command("grant <provider>")
      .description("patient: grant a provider read access (and optionally write consent)"),
  )
    .option("--write", "also consent to the provider adding records in this scope")
    .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
    .action(
      action((grantee: string, o: GrantOptions) =>
        printWithClient(kit, (c) =>
          c.grant({
            grantee: address(grantee, "provider"),
            scope: scopeOf(o),
            write: o.write ?? false,
            expiresAt: expiry(o),
          }),
        ),
      ),
    );

  scopeOptions(
    program.command("revoke <provider>").description("patient: revoke a grant (later records use new keys)"),
  ).action(
    action((grantee: string, o: ScopeOptions) =>
      printWithClient(kit, (c) => c.revoke({ grantee: address(grantee, "provider"), scope: scopeOf(o) })),
    ),
  );

  scopeOptions(program.command("request <patient>").description("provider: ask a patient for access"))
    .option("--write", "ask for write consent too")
    .option("--duration <days>", "days of access asked", "30")
    .option("--purpose <code>", "HL7 purpose-of-use code", "TREAT")
    .action(
      action(async (patient: string, o: ScopeOptions & { write?: boolean; duration: string; purpose: string }) => {
        const c = await kit.client();
        const durationSeconds = wholeNumber(o.duration, "--duration") * 86400;
        try {
          out(
            await c.requestAccess({
              patient: address(patient, "patient"),
              scope: scopeOf(o),
              write: o.write ?? false,
              durationSeconds,
              purpose: o.purpose,
            }),
          );
        } finally {
          await c.close();
        }
      }),
    );

  program
    .command("requests")
    .description("patient: list pending access requests")
    .action(action(() => printWithClient(kit, (c) => c.pendingRequests())));

  scopeOptions(program.command("approve <provider>").description("patient: approve a pending request"))
    .option("--write", "grant the write consent that was asked")
    .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
    .action(
      action((requester: string, o: GrantOptions) =>
        printWithClient(kit, (c) =>
          c.approveRequest({
            requester: address(requester, "provider"),
            scope: scopeOf(o),
            write: o.write ?? false,
            expiresAt: expiry(o),
          }),
        ),
      ),
    );

  scopeOptions(program.command("deny <provider>").description("patient: deny a pending request")).action(
    action((requester: string, o: ScopeOptions) =>
      printWithClient(kit, (c) => c.denyRequest({ requester: address(requester, "provider"), scope: scopeOf(o) })),
    ),
  );
}
