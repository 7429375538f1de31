/**
 * `meridian ecg pairing-offer | register-device | revoke-device`: pairing ECG devices (sensor,
 * edge, fog relay) with a patient. The device signs an offer; the patient registers or revokes it.
 *
 * @module
 */
import type { Command } from "commander";
import { monitoringDomainOf, numberOption } from "../ecg-options.ts";
import { ConfigurationError, deviceAccount, NoAccountError } from "../env.ts";
import { readUserFile } from "../files.ts";
import { log, out } from "../output.ts";
import { address } from "./arguments.ts";
import { deploymentFile, type CommandKit } from "./kit.ts";

/** Device roles by name, as the MonitoringRegistry numbers them. */
const ROLES = { sensor: 1, edge: 2, fog: 3 } as const;

/** Registers the device pairing subcommands on `ecg`. */
export function registerEcgDeviceCommands(ecg: Command, kit: CommandKit): void {
  const { action } = kit;
  ecg
    .command("pairing-offer")
    .description(
      "the device's pairing offer for a patient (JSON on stdout, no secret): its address, role and EIP-712 " +
        "DeviceBinding signature",
    )
    .requiredOption("--patient <address>", "the patient who will register this device")
    .requiredOption("--role <role>", "sensor, edge or fog")
    .option("--valid-hours <n>", "how long the offer stays usable", "24")
    .addHelpText(
      "after",
      "\nThe device key comes from --key-file FILE (chmod 600) or MERIDIAN_DEVICE_KEY; the network from " +
        "--deployment. The patient registers it with `meridian ecg register-device` or in the web app.",
    )
    .action(
      action(async (o: { patient: string; role: string; validHours: string }) => {
        const { createDevicePairingOffer } = await import("@meridian/sdk/chain");
        const g = kit.globals();
        const role = ROLES[o.role as keyof typeof ROLES];
        if (!role)
          throw new ConfigurationError(`--role "${o.role}" is not a device role.`, {
            hint: "Use sensor, edge or fog.",
          });
        const domain = await monitoringDomainOf(deploymentFile(g));
        out(
          await createDevicePairingOffer(domain, deviceAccount(g), {
            patient: address(o.patient, "--patient"),
            role,
            validForSeconds: Math.round(numberOption(o.validHours, "--valid-hours") * 3600),
          }),
        );
      }),
    );

  ecg
    .command("register-device")
    .description("patient: registers a device from its pairing offer (checked before any gas is spent)")
    .requiredOption("--offer <file>", "the device's pairing offer (JSON file, or - for stdin)")
    .action(
      action(async (o: { offer: string }) => {
        const { parseDevicePairingOffer } = await import("@meridian/sdk/chain");
        const { registerDevice } = await import("@meridian/sdk/chain");
        const ctx = await kit.context();
        const patient = ctx.walletClient?.account?.address;
        if (!patient) {
          throw new NoAccountError("Registering a device needs the patient's account.", {
            hint: "Pass --key-file, MERIDIAN_PRIVATE_KEY, MERIDIAN_MNEMONIC or --dev-account.",
          });
        }
        const text =
          o.offer === "-"
            ? await new Response(process.stdin as unknown as ReadableStream).text()
            : (await readUserFile(o.offer, "pairing offer")).toString("utf8");
        const offer = await parseDevicePairingOffer(text, { deployment: ctx.deployment, patient });
        const r = await registerDevice(ctx, offer);
        log(`Registered ${Object.keys(ROLES)[offer.role - 1]} ${offer.device} for ${patient} (${r.gasUsed} gas).`);
      }),
    );

  ecg
    .command("revoke-device")
    .description("patient: revokes a device for good (the medical server refuses what it signs from then on)")
    .requiredOption("--device <address>", "the device to revoke")
    .action(
      action(async (o: { device: string }) => {
        const { revokeDevice } = await import("@meridian/sdk/chain");
        const r = await revokeDevice(await kit.context(), { device: address(o.device, "--device") });
        log(`Revoked ${o.device} (${r.gasUsed} gas).`);
      }),
    );
}
