/**
 * `meridian emergency …`: break-glass access to a patient's International Patient Summary. The
 * patient names a summary; a provider opens time-boxed access (on chain first, so the patient and
 * guardians see it first); the patient or a guardian releases the key; anyone involved closes it.
 *
 * @module
 */
import type { Bundle } from "@medplum/fhirtypes";
import { Option, type Command } from "commander";
import { closeEmergencyAccess, EMERGENCY_REASONS } from "@meridian/sdk/chain";
import { summarizeInternationalPatientSummary } from "@meridian/sdk/fhir";
import { ConfigurationError } from "../env.ts";
import { userPath, writePrivateFile } from "../files.ts";
import { createProgress, log, out } from "../output.ts";
import { address } from "./arguments.ts";
import { printWithClient, type CommandKit } from "./kit.ts";
import { emergencyView } from "./views.ts";

/** Registers `meridian emergency` and its subcommands on `program`. */
export function registerEmergencyCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  const emergency = program
    .command("emergency")
    .description("emergency (break-glass) access to a patient's International Patient Summary");
  emergency
    .command("create-summary")
    .description(
      "patient: build your International Patient Summary from your FHIR records and name it your emergency summary",
    )
    .action(
      action(async () => {
        const c = await kit.client();
        try {
          let bar: ReturnType<typeof createProgress> | undefined;
          const r = await c.createEmergencySummary({
            onProgress: (done, total) => {
              bar ??= createProgress("read", total);
              if (done > 0) bar.increment();
            },
          });
          bar?.stop();
          const view = summarizeInternationalPatientSummary(r.summary);
          out({
            recordId: r.recordId,
            cid: r.cid,
            allergies: view.allergies.length,
            medications: view.medications.length,
            problems: view.problems.length,
            bloodGroup: view.bloodGroup !== undefined,
          });
        } finally {
          await c.close();
        }
      }),
    );
  emergency
    .command("open <patient>")
    .description(
      "provider: open time-boxed emergency access to a patient's summary (logged on chain first; the patient and " +
        "guardians see it first)",
    )
    .addOption(
      new Option("--reason <code>", "HL7 v3 ActReason code")
        .choices(Object.keys(EMERGENCY_REASONS))
        .makeOptionMandatory(),
    )
    .option("--hours <n>", "how long, 1-24 hours", "4")
    .action(
      action(async (patient: string, o: { reason: string; hours: string }) => {
        const hours = Number(o.hours);
        if (!(hours > 0 && hours <= 24)) {
          throw new ConfigurationError("--hours must be more than 0 and at most 24.", { details: o.hours });
        }
        const c = await kit.client();
        try {
          const r = await c.openEmergencyAccess({
            patient: address(patient, "patient"),
            reason: o.reason,
            durationSeconds: Math.round(hours * 3600),
          });
          log(
            "emergency access opened; the summary's key comes from the patient or a guardian " +
              "(`meridian emergency release`)",
          );
          out({ ...r, expiresAt: new Date(r.expiresAt * 1000).toISOString() });
        } finally {
          await c.close();
        }
      }),
    );
  emergency
    .command("release <provider>")
    .description(
      "patient or SHARE AND VIEW guardian: release the emergency summary's key to a provider whose emergency " +
        "access is open",
    )
    .option("--patient <address>", "as a guardian: the patient (default: yourself)")
    .action(
      action((providerAddress: string, o: { patient?: string }) =>
        printWithClient(kit, (c) =>
          c.releaseEmergencyKey({
            provider: address(providerAddress, "provider"),
            ...(o.patient ? { patient: address(o.patient, "--patient") } : {}),
          }),
        ),
      ),
    );
  emergency
    .command("close <patient> <provider>")
    .description("end an emergency access early (patient, guardian or the provider)")
    .action(
      action(async (patient: string, providerAddress: string) => {
        out(
          await closeEmergencyAccess(await kit.context(), {
            patient: address(patient, "patient"),
            provider: address(providerAddress, "provider"),
          }),
        );
      }),
    );
  emergency
    .command("list [patient]")
    .description("emergency accesses to a patient (default: yourself), newest first")
    .action(
      action((patient?: string) =>
        printWithClient(kit, async (c) =>
          (await c.emergencyAccesses(patient ? address(patient, "patient") : undefined)).map(emergencyView),
        ),
      ),
    );
  emergency
    .command("show <patient>")
    .description(
      "provider: open a patient's emergency summary (after the key was released) and print allergies, " +
        "medications, problems and blood group",
    )
    .option("--out <file>", "also write the decrypted IPS Bundle to this file")
    .action(
      action(async (patient: string, o: { out?: string }) => {
        const c = await kit.client();
        try {
          const id = await c.emergencySummary(address(patient, "patient"));
          if (!id) {
            throw new ConfigurationError("This patient has no emergency summary.", {
              hint: "The patient creates one with `meridian emergency create-summary`.",
            });
          }
          const r = await c.readRecord(id);
          if (o.out) await writePrivateFile(userPath(o.out), r.plaintext);
          const summary = JSON.parse(new TextDecoder().decode(r.plaintext)) as Bundle;
          out(summarizeInternationalPatientSummary(summary));
        } finally {
          await c.close();
        }
      }),
    );
}
