#!/usr/bin/env node
/**
 * `meridian`: the command-line tool of the Meridian medical-records network, for patients,
 * providers, regulators and deployers. Run `meridian --help` or `meridian <command> --help`.
 *
 * Every error is printed as what went wrong and what to do, and exits with status 1; keys and
 * record contents are never printed (records go to files with `get --out`).
 *
 * This file holds the program, its global options, error handling and the wiring; each command
 * group is a module under `commands/` that registers its subcommands.
 *
 * @module
 */
import "./warnings.ts";
import path from "node:path";
import { Command } from "commander";
import { MeridianError } from "@meridian/sdk";
import type { GlobalOptions } from "./env.ts";
import { toFileAccessError, userPath } from "./files.ts";
import { registerAuditCommands } from "./commands/audit.ts";
import { registerConsentCommands } from "./commands/consent.ts";
import { registerDemoCommand } from "./commands/demo.ts";
import { registerDeployCommand } from "./commands/deploy.ts";
import { registerEcgCommands } from "./commands/ecg.ts";
import { registerEmergencyCommands } from "./commands/emergency.ts";
import { registerGuardianCommands } from "./commands/guardian.ts";
import { registerNodeCommand } from "./commands/node.ts";
import { openClient, openContext, type CommandKit } from "./commands/kit.ts";
import { registerProviderCommands } from "./commands/provider.ts";
import { registerRecordCommands } from "./commands/records.ts";
import { registerRekeyCommand } from "./commands/rekey.ts";
import { registerSharingCommands } from "./commands/sharing.ts";
import { registerStorageCommands } from "./commands/storage.ts";
import { registerValidationCommands } from "./commands/validation.ts";

/**
 * The `meridian` program: every command and option, as commander sees them. Exported so tests can
 * check that each command a hint names exists; running it is `program.parseAsync(process.argv)`.
 */
export const program = new Command()
  .name("meridian")
  .description(
    "Patient-controlled medical records on Ethereum: encrypted FHIR R4 on IPFS, HPKE key sharing, on-chain grants " +
      "and audit.",
  )
  .option(
    "--rpc-url <url>",
    "JSON-RPC endpoint (env MERIDIAN_RPC_URL)",
    process.env.MERIDIAN_RPC_URL ?? "http://127.0.0.1:8545",
  )
  .option(
    "--data-dir <dir>",
    "where deployment.json and the embedded IPFS blocks live",
    process.env.MERIDIAN_DATA_DIR ?? ".meridian",
  )
  .option("--deployment <file>", "deployment JSON (default <data-dir>/deployment.json)")
  .option(
    "--log-range <blocks>",
    "blocks per eth_getLogs query to start at, for an RPC that caps log ranges (env MERIDIAN_LOG_RANGE; " +
      "default: the whole range, narrowed on the RPC's first refusal)",
    process.env.MERIDIAN_LOG_RANGE,
  )
  .option("--ipfs-url <url>", "Kubo RPC endpoint instead of the embedded Helia node (env MERIDIAN_IPFS_URL)")
  .option(
    "--node <url>",
    "a Meridian node to pin records on and read them from, before the registry's (repeatable; env MERIDIAN_NODES, " +
      "comma-separated)",
    (url: string, previous: string[]) => [...previous, url],
    [] as string[],
  )
  .option("--replicas <n>", "how many nodes must confirm each record before it is anchored", "2")
  .option("--account-index <n>", "account index for MERIDIAN_MNEMONIC")
  .option("--dev-account <n>", "use Hardhat's test account N (local chain 31337 only)")
  .option(
    "--key-file <file>",
    "the account's (or an ECG device's) private key, in a file only its owner may read (chmod 600)",
  )
  .showHelpAfterError()
  .hook("preAction", (root, command) => {
    // `meridian node --replicas N`: the program's --replicas takes the value wherever it is typed
    const own = command.options.some((o) => o.attributeName() === "replicas");
    if (own && command !== root && command.getOptionValueSource("replicas") !== "cli") {
      const source = root.getOptionValueSource("replicas");
      if (source === "cli" || source === "env") command.setOptionValue("replicas", root.opts<GlobalOptions>().replicas);
    }
  });

/**
 * The global options, with the paths the user typed (on the command line or in MERIDIAN_DATA_DIR)
 * resolved against the folder they typed them in (npm's INIT_CWD under `npm run meridian`);
 * the default data folder stays relative to the working directory.
 */
function globals(): GlobalOptions {
  const g = { ...program.opts<GlobalOptions>() };
  if (program.getOptionValueSource("dataDir") !== "default") g.dataDir = userPath(g.dataDir);
  if (g.deployment !== undefined) g.deployment = userPath(g.deployment);
  if (g.keyFile !== undefined) g.keyFile = userPath(g.keyFile);
  return g;
}

/**
 * Prints an error as what went wrong, details and what to do; never a stack trace (set
 * MERIDIAN_DEBUG=1 for one). Node's file-system errors (ENOENT, EISDIR, ENOTDIR, EACCES, …) are
 * turned into messages that name the path; anything else unexpected is reported as a bug.
 */
function printError(error: unknown): void {
  const known = error instanceof MeridianError ? error : toFileAccessError(error);
  if (known) {
    process.stderr.write(`error: ${known.shortMessage}\n`);
    if (known.details) process.stderr.write(`  details: ${known.details}\n`);
    if (known.hint) process.stderr.write(`  what to do: ${known.hint}\n`);
  } else {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`error: meridian failed unexpectedly (${what.split("\n")[0]}).\n`);
    process.stderr.write(
      "  what to do: this is a bug in meridian, not in what you typed; run it again with MERIDIAN_DEBUG=1 and " +
        "report the output (it shows no keys or records).\n",
    );
  }
  if (process.env.MERIDIAN_DEBUG) console.error(error);
}

/** Wraps a command's action: a thrown error is printed by {@link printError} and the exit status becomes 1. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      printError(error);
      process.exitCode = 1;
    }
  };
}

const kit: CommandKit = {
  globals,
  jobDataDir: (job) =>
    program.getOptionValueSource("dataDir") === "default" ? path.join(globals().dataDir, job) : globals().dataDir,
  context: () => openContext(globals()),
  client: () => openClient(globals()),
  action,
};

// In the order `meridian --help` lists them.
registerDemoCommand(program, kit);
registerEcgCommands(program, kit);
registerDeployCommand(program, kit);
registerProviderCommands(program, kit);
registerRecordCommands(program, kit);
registerStorageCommands(program, kit);
registerSharingCommands(program, kit);
registerAuditCommands(program, kit);
registerConsentCommands(program, kit);
registerGuardianCommands(program, kit);
registerRekeyCommand(program, kit);
registerEmergencyCommands(program, kit);
registerValidationCommands(program, kit);
registerNodeCommand(program, kit);

if (import.meta.main) await program.parseAsync(process.argv);
