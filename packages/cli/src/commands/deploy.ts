/**
 * `meridian deploy`: deploys the contracts (optionally governed by a timelock and council) and
 * writes the deployment file every other command reads.
 *
 * @module
 */
import type { Command } from "commander";
import { deployGovernedMeridian, deployMeridian, type MeridianDeployment } from "@meridian/sdk/chain";
import type { Address } from "viem";
import { ConfigurationError, connectChain, resolveAccount, saveDeployment, walletFor } from "../env.ts";
import { log, out } from "../output.ts";
import { address } from "./arguments.ts";
import { deploymentFile, type CommandKit } from "./kit.ts";

/** Registers `meridian deploy` on `program`. */
export function registerDeployCommand(program: Command, kit: CommandKit): void {
  program
    .command("deploy")
    .description(
      "deploy ProviderRegistry, RecordRegistry (with PeerValidation) and MonitoringRegistry; writes " +
        "<data-dir>/deployment.json",
    )
    .option("--regulator <address>", "holder of REGULATOR_ROLE (default: the deployer)")
    .option("--admin <address>", "holder of DEFAULT_ADMIN_ROLE (default: the deployer)")
    .option(
      "--council <address>",
      "governed network: a MeridianTimelock becomes regulator and admin, this council its proposer/executor and " +
        "the suspender (docs/governance.md)",
    )
    .option("--min-delay <seconds>", "with --council: the timelock's minimum delay", "172800")
    .action(
      kit.action(async (o: { regulator?: string; admin?: string; council?: string; minDelay: string }) => {
        const g = kit.globals();
        const clients = await connectChain({ url: g.rpcUrl! });
        const account = resolveAccount(g, clients.chain.id);
        const ctx = { publicClient: clients.publicClient, walletClient: walletFor(clients, account) };
        let deployment: MeridianDeployment;
        let timelock: Address | undefined;
        if (o.council) {
          if (o.admin || o.regulator) {
            throw new ConfigurationError(
              "--council deploys a timelock as admin and regulator; leave out --admin and --regulator.",
            );
          }
          const council = address(o.council, "--council");
          ({ deployment, timelock } = await deployGovernedMeridian(ctx, {
            council,
            minDelaySeconds: Number(o.minDelay),
          }));
        } else {
          deployment = await deployMeridian(ctx, {
            admin: o.admin ? address(o.admin, "--admin") : account.address,
            regulator: o.regulator ? address(o.regulator, "--regulator") : account.address,
          });
        }
        const file = deploymentFile(g);
        await saveDeployment(file, deployment);
        log(`deployed; wrote ${file}`);
        out(timelock ? { ...deployment, timelock } : deployment);
      }),
    );
}
