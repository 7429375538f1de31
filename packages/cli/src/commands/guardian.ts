/**
 * `meridian guardian …`: a patient appoints and removes guardians; a guardian steps down, lists
 * its wards and, at SHARE AND VIEW, approves, denies, grants and revokes for a patient.
 *
 * @module
 */
import { Option, type Command } from "commander";
import { GuardianLevel } from "@meridian/sdk/chain";
import { address, expiry, scopeOf, scopeOptions, type ScopeOptions } from "./arguments.ts";
import { printWithClient, type CommandClient, type CommandKit } from "./kit.ts";
import { guardianView } from "./views.ts";

/** A scope, `--write` and `--expires`, as commander parses them. */
type GrantOptions = ScopeOptions & { write?: boolean; expires?: string };

/** Registers `meridian guardian` and its subcommands on `program`. */
export function registerGuardianCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  const withClient = (fn: (c: CommandClient) => Promise<unknown>) => printWithClient(kit, fn);

  const guardian = program.command("guardian").description("guardians: appoint, remove, act for a patient");
  guardian
    .command("appoint <address>")
    .description("patient: appoint a guardian (a registered account); again to change its level or re-key it")
    .addOption(
      new Option(
        "--level <level>",
        "view: reads what you can read; share: also grants, revokes and decides requests for you",
      )
        .choices(["view", "share"])
        .makeOptionMandatory(),
    )
    .action(
      action(async (addr: string, o: { level: "view" | "share" }) => {
        const level = o.level === "view" ? GuardianLevel.View : GuardianLevel.ShareAndView;
        await withClient((c) => c.appointGuardian({ guardian: address(addr, "guardian"), level }));
      }),
    );
  guardian
    .command("remove <address>")
    .description(
      "patient: remove a guardian (advances your key epoch; re-issues live grants and re-keys other guardians)",
    )
    .action(action((addr: string) => withClient((c) => c.removeGuardian(address(addr, "guardian")))));
  guardian
    .command("step-down <patient>")
    .description("guardian: stop being a patient's guardian")
    .action(action((patient: string) => withClient((c) => c.stepDownAsGuardian(address(patient, "patient")))));
  guardian
    .command("list [patient]")
    .description("a patient's guardians (default: yours)")
    .action(
      action((patient?: string) =>
        withClient(async (c) =>
          (await c.guardians(patient ? address(patient, "patient") : undefined)).map(guardianView),
        ),
      ),
    );
  guardian
    .command("wards")
    .description("guardian: the patients you are a guardian of")
    .action(action(() => withClient(async (c) => (await c.wards()).map(guardianView))));
  scopeOptions(
    guardian
      .command("approve <patient> <provider>")
      .description("SHARE AND VIEW guardian: approve a provider's pending request for the patient"),
  )
    .option("--write", "grant the write consent that was asked")
    .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
    .action(
      action((patient: string, requester: string, o: GrantOptions) =>
        withClient((c) =>
          c.approveRequest({
            patient: address(patient, "patient"),
            requester: address(requester, "provider"),
            scope: scopeOf(o),
            write: o.write ?? false,
            expiresAt: expiry(o),
          }),
        ),
      ),
    );
  scopeOptions(
    guardian
      .command("deny <patient> <provider>")
      .description("SHARE AND VIEW guardian: deny a provider's pending request for the patient"),
  ).action(
    action((patient: string, requester: string, o: ScopeOptions) =>
      withClient((c) =>
        c.denyRequest({
          patient: address(patient, "patient"),
          requester: address(requester, "provider"),
          scope: scopeOf(o),
        }),
      ),
    ),
  );
  scopeOptions(
    guardian
      .command("grant <patient> <provider>")
      .description("SHARE AND VIEW guardian: grant a provider access for the patient"),
  )
    .option("--write", "also consent to the provider adding records in this scope")
    .option("--expires <when>", "duration (30m, 12h, 7d) or date; default: no expiry")
    .action(
      action((patient: string, grantee: string, o: GrantOptions) =>
        withClient((c) =>
          c.grant({
            patient: address(patient, "patient"),
            grantee: address(grantee, "provider"),
            scope: scopeOf(o),
            write: o.write ?? false,
            expiresAt: expiry(o),
          }),
        ),
      ),
    );
  scopeOptions(
    guardian
      .command("revoke <patient> <provider>")
      .description("SHARE AND VIEW guardian: revoke a grant of the patient (the patient's app re-issues the others)"),
  ).action(
    action((patient: string, grantee: string, o: ScopeOptions) =>
      withClient((c) =>
        c.revoke({ patient: address(patient, "patient"), grantee: address(grantee, "provider"), scope: scopeOf(o) }),
      ),
    ),
  );
}
