/**
 * `meridian provider …`: the regulator admits, suspends, reinstates and removes providers
 * (directly, or on a governed network through the timelock); a provider publishes and rotates its
 * encryption key and publishes its Meridian node's URLs (`set-node`); anyone shows a provider's
 * registry entry.
 *
 * @module
 */
import { Option, type Command } from "commander";
import {
  admitProvider,
  getNodeEndpoints,
  getProvider,
  ProviderKind,
  setNodeEndpoints,
  setProviderStatus,
} from "@meridian/sdk/chain";
import { normalizeNodeUrl } from "@meridian/sdk/storage";
import { executeMembershipChange, scheduleMembershipChange } from "@meridian/sdk/chain";
import type { MembershipChange, MeridianContext } from "@meridian/sdk/chain";
import { ConfigurationError } from "../env.ts";
import { log, out } from "../output.ts";
import { address } from "./arguments.ts";
import { printWithClient, type CommandKit } from "./kit.ts";

/** `--timelock ADDRESS [--execute]`, as commander parses them. */
interface TimelockOptions {
  timelock?: string;
  execute?: boolean;
}

/** `--timelock ADDRESS [--execute]`: on a governed network, schedule (or execute) through the timelock. */
function timelockOptions(cmd: Command): Command {
  return cmd
    .option(
      "--timelock <address>",
      "governed network: schedule the change on this MeridianTimelock (council account) instead of sending it",
    )
    .option("--execute", "with --timelock: execute the change scheduled earlier, once its delay has passed");
}

/** Registers `meridian provider` and its subcommands on `program`. */
export function registerProviderCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;

  /** Sends `change` directly, or schedules/executes it through `--timelock`. */
  async function membershipChange(
    change: MembershipChange,
    o: TimelockOptions,
    direct: (ctx: MeridianContext) => Promise<unknown>,
  ): Promise<void> {
    const ctx = await kit.context();
    if (!o.timelock) {
      if (o.execute) throw new ConfigurationError("--execute needs --timelock.");
      out(await direct(ctx));
      return;
    }
    const timelock = address(o.timelock, "--timelock");
    if (o.execute) {
      out(await executeMembershipChange(ctx, { timelock, change }));
      return;
    }
    const scheduled = await scheduleMembershipChange(ctx, { timelock, change });
    log(`scheduled; run the same command with --execute after ${new Date(scheduled.readyAt * 1000).toISOString()}`);
    out(scheduled);
  }

  const provider = program.command("provider").description("regulator and provider commands");
  timelockOptions(
    provider
      .command("admit <address>")
      .description("regulator: admit a provider (governed network: schedule it through the timelock)")
      .addOption(
        new Option("--kind <kind>", "provider kind")
          .choices(["hospital", "clinic", "lab", "practitioner"])
          .makeOptionMandatory(),
      )
      .requiredOption("--name <name>", "public name")
      .option("--department <department>", "department or specialty", ""),
  ).action(
    action(
      async (
        addr: string,
        o: { kind: "hospital" | "clinic" | "lab" | "practitioner"; name: string; department: string } & TimelockOptions,
      ) => {
        const kinds = {
          hospital: ProviderKind.Hospital,
          clinic: ProviderKind.Clinic,
          lab: ProviderKind.Lab,
          practitioner: ProviderKind.Practitioner,
        };
        const admission = {
          provider: address(addr, "provider"),
          kind: kinds[o.kind],
          name: o.name,
          department: o.department,
        };
        await membershipChange({ action: "admit", ...admission }, o, (ctx) => admitProvider(ctx, admission));
      },
    ),
  );
  provider
    .command("suspend <address>")
    .description("regulator or council (SUSPENDER_ROLE): suspend a provider at once")
    .action(
      action(async (addr: string) => {
        out(await setProviderStatus(await kit.context(), { provider: address(addr, "provider"), action: "suspend" }));
      }),
    );
  for (const verb of ["reinstate", "remove"] as const) {
    timelockOptions(
      provider
        .command(`${verb} <address>`)
        .description(`regulator: ${verb} a provider (governed network: schedule it through the timelock)`),
    ).action(
      action(async (addr: string, o: TimelockOptions) => {
        const p = address(addr, "provider");
        await membershipChange({ action: verb, provider: p }, o, (ctx) =>
          setProviderStatus(ctx, { provider: p, action: verb }),
        );
      }),
    );
  }
  provider
    .command("publish-key")
    .description("provider: derive your first encryption key from your wallet and publish it")
    .action(action(() => printWithClient(kit, (c) => c.publishProviderKey())));
  provider
    .command("rotate-key")
    .description(
      "provider: derive your next encryption key version and publish it (grants issued before stay readable)",
    )
    .action(action(() => printWithClient(kit, (c) => c.rotateProviderKey())));
  provider
    .command("set-node [urls...]")
    .description(
      "provider: publish your Meridian node's base URL(s) in the registry (at most 4), so patients' and other " +
        "providers' clients pin records there and read from it",
    )
    .option("--clear", "remove the URLs you published")
    .action(
      action(async (urls: string[], o: { clear?: boolean }) => {
        if (o.clear ? urls.length > 0 : urls.length === 0) {
          throw new ConfigurationError("Pass the node's URL(s), or --clear alone.", {
            hint: "For example: meridian provider set-node https://node.hospital.example:4100",
          });
        }
        const endpoints = urls.map((url) => {
          const normal = normalizeNodeUrl(url);
          if ("reason" in normal) {
            throw new ConfigurationError(`${JSON.stringify(url)} is not a node URL: ${normal.reason}.`, {
              hint: "Pass the http(s) base URL other machines reach your node at, e.g. https://node.hospital.example:4100.",
            });
          }
          return normal.url;
        });
        const ctx = await kit.context();
        const tx = await setNodeEndpoints(ctx, { endpoints });
        const provider = ctx.walletClient!.account.address;
        out({ ...tx, provider, endpoints: await getNodeEndpoints(ctx, { provider }) });
      }),
    );
  provider
    .command("show <address>")
    .description("show a provider's registry entry")
    .action(
      action(async (addr: string) => {
        const ctx = await kit.context();
        const p = await getProvider(ctx, address(addr, "provider"));
        const nodeEndpoints = await getNodeEndpoints(ctx, { provider: p.address });
        const kind = ["none", "hospital", "clinic", "lab", "practitioner"][p.kind];
        out({ ...p, kind, status: ["never admitted", "active", "suspended", "removed"][p.status], nodeEndpoints });
      }),
    );
}
