/**
 * `./run stack`: the whole local stack in one command, for a developer or a demo.
 *
 * 1. Starts a Hardhat node (chain 31337) on `--chain-port` (default 8545).
 * 2. Deploys ProviderRegistry and RecordRegistry (dev account 0 admin, 1 regulator) and writes
 *    `<data-dir>/deployment.json`, which the web app reads at request time.
 * 3. Seeds (unless `--no-seed`): two admitted providers with published keys (accounts 2 and 3),
 *    one patient (account 4) with a few records from the project's fixtures, an access request
 *    waiting in the patient's inbox, and one grant.
 * 4. Builds the web app when needed and serves it on `--port` (default 3000), with the
 *    embedded Helia node in `<data-dir>/ipfs`.
 * With `--nodes`, two Meridian nodes (`@meridian/node`: hospital A's and hospital B's) start on
 * 127.0.0.1 after the deployment, in `<data-dir>/node-a` and `<data-dir>/node-b`; the app names
 * both (`MERIDIAN_NODES`, its own first), so every upload is pinned on both before it is answered.
 * With `--second-port`, a second app (hospital B's) serves the same deployment on that port with
 * its own Helia folder `<data-dir>/hospital-b/ipfs` (and node B first when `--nodes`). The node and
 * app URLs are written to `<data-dir>/stack.json` for scripts and browser tests.
 *
 * Accounts are Hardhat's well-known development accounts: local chains only. Ctrl-C stops
 * everything. Options: --port, --chain-port, --data-dir (default .meridian/stack), --no-seed,
 * --no-build, --fresh, --nodes, --second-port. Every option is checked, and both ports must be free, before anything
 * starts: a busy port is refused by name instead of deploying onto whatever listens there.
 * `./run stack -- --port 3001` and `npm run stack -- --port 3001` pass options alike.
 * `--fresh` empties the data folder only when the stack created it (it holds `.meridian-state`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { createPublicClient, createWalletClient, http, type Account } from "viem";
import { hardhat } from "viem/chains";
import { admitProvider, deployMeridian } from "@meridian/sdk/chain";
import { ProviderKind, type MeridianContext } from "@meridian/sdk/chain";
import { createMeridianClient } from "@meridian/sdk";
import { RecordCategory } from "@meridian/sdk";
import { recordDraftFromFile } from "@meridian/sdk/fhir";
import { createHeliaStore } from "@meridian/sdk/storage";
import { devAccount, LOCAL_CHAIN_ID, saveDeployment } from "../packages/cli/src/env.ts";
import { writeFixtures } from "../packages/cli/src/fixtures.ts";
import { prepareStateDirectory } from "../packages/cli/src/files.ts";
import { startStackNodes, writeStackFile, type StackNodes } from "./stack-nodes.ts";

const root = path.resolve(import.meta.dirname, "..");
/** Refuses the stack's options with a message naming the option, and exits 1 before anything started. */
function refuse(message: string, hint: string): never {
  process.stderr.write(`stack: ${message}\n  what to do: ${hint}\n`);
  process.exit(1);
}

// `./run stack -- --port 3001` reaches this script as `-- --port 3001` (npm passes the `--` on):
// a leading `--` before the first option is dropped, as if the options came after it directly.
const argv = process.argv.slice(2);
if (argv[0] === "--") argv.shift();
const program = new Command()
  .name("stack")
  .description("Hardhat node, deployment, seeded accounts and records, and the web app on 127.0.0.1")
  .allowExcessArguments(false)
  .option("--port <n>", "web app port", "3000")
  .option("--chain-port <n>", "Hardhat node port", "8545")
  .option("--data-dir <dir>", "where the deployment and IPFS blocks go (relative to the repository)", ".meridian/stack")
  .option("--no-seed", "deploy only, seed no accounts or records")
  .option("--no-build", "serve the existing web build")
  .option("--fresh", "empty the data directory first (only one the stack created)", false)
  .option("--nodes", "start two Meridian nodes (hospital A's and B's) and pin every upload on both", false)
  .option("--second-port <n>", "also serve a second hospital's app on this port, with its own IPFS folder")
  .parse(argv, { from: "user" });
const options = program.opts<{
  port: string;
  chainPort: string;
  dataDir: string;
  seed: boolean;
  build: boolean;
  fresh: boolean;
  nodes: boolean;
  secondPort?: string;
}>();
// relative to the repository (as the web app's browser tests pass it), wherever the stack is started from
const dataDir = path.resolve(root, options.dataDir);

/** `value` as a TCP port (1-65535), or a refusal naming `option`. */
function port(value: string, option: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65_535)
    refuse(`${option} ${value} is not a TCP port.`, `Pass ${option} with a number from 1 to 65535.`);
  return Number(value);
}

/** Resolves when nothing listens on 127.0.0.1:`p` (it binds the port for a moment); refuses otherwise. */
async function requireFree(p: number, option: string, what: string): Promise<void> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer();
    server.once("error", (e: NodeJS.ErrnoException) => resolve(e));
    server.listen({ port: p, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(undefined)));
  });
  if (!error) return;
  if (error.code === "EADDRINUSE")
    refuse(
      `port ${p} is already in use, so the ${what} cannot listen there (another stack, a \`hardhat node\` or another program).`,
      `Stop what listens there, or pass another port: ${option} <port>.`,
    );
  refuse(
    `port ${p} cannot be used for the ${what} (${error.code ?? error.message}).`,
    `Pass another port: ${option} <port>.`,
  );
}

const webPort = port(options.port, "--port");
const chainPort = port(options.chainPort, "--chain-port");
const secondPort = options.secondPort === undefined ? undefined : port(options.secondPort, "--second-port");
if (webPort === chainPort)
  refuse(`--port and --chain-port are both ${webPort}.`, "Give the web app and the chain different ports.");
if (secondPort === webPort || secondPort === chainPort)
  refuse(`--second-port ${secondPort} is already taken by --port or --chain-port.`, "Give each server its own port.");
await requireFree(chainPort, "--chain-port", "Hardhat node");
await requireFree(webPort, "--port", "web app");
if (secondPort !== undefined) await requireFree(secondPort, "--second-port", "second web app");
const rpcUrl = `http://127.0.0.1:${chainPort}`;
const children: ChildProcess[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);

function stop(code = 0): never {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
/** Stops the Meridian nodes (in this process) and then the child processes. */
let nodes: StackNodes | undefined;
async function shutdown(code: number): Promise<never> {
  await nodes?.stop().catch(() => undefined);
  return stop(code);
}

async function waitFor(url: string, body: string | undefined, what: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const response = await fetch(
        url,
        body ? { method: "POST", body, headers: { "content-type": "application/json" } } : {},
      );
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${seconds} s (${url}).`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, inherit = false): ChildProcess {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  // keep the last lines each child wrote, to say why it stopped
  let tail = "";
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("exit", (code) => {
    if (code !== 0 && code !== null) {
      log(
        `${path.basename(command)} ${args.join(" ")} exited with ${code}${tail.trim() ? `; its last output:\n${tail.trim().split("\n").slice(-15).join("\n")}` : ""}`,
      );
      stop(1);
    }
  });
  return child;
}

try {
  await prepareStateDirectory(dataDir, {
    option: "--data-dir",
    owner: "the stack (scripts/stack.ts)",
    clear: options.fresh,
  });
} catch (error) {
  refuse(
    error instanceof Error ? error.message.split("\n")[0]! : String(error),
    "Pass --data-dir with a new or empty folder, or one the stack created.",
  );
}

// 1. chain
log(`Starting the Hardhat node on ${rpcUrl} …`);
run(
  path.join(root, "node_modules/.bin/hardhat"),
  ["node", "--port", String(chainPort), "--hostname", "127.0.0.1"],
  root,
);
await waitFor(
  rpcUrl,
  JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  "The Hardhat node",
  60,
);

// 2. deployment
const account = (i: number): Account => devAccount(i, LOCAL_CHAIN_ID);
const chain = { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 });
const wallet = (i: number) =>
  createWalletClient({ account: account(i), chain, transport: http(rpcUrl), pollingInterval: 50 });
const deployment = await deployMeridian(
  { publicClient, walletClient: wallet(0) },
  { admin: account(0).address, regulator: account(1).address },
);
const deploymentFile = path.join(dataDir, "deployment.json");
await saveDeployment(deploymentFile, deployment);
log(`Deployed: RecordRegistry ${deployment.recordRegistry}, ProviderRegistry ${deployment.providerRegistry}`);

// 2b. the hospitals' Meridian nodes
if (options.nodes) {
  nodes = await startStackNodes({ dataDir, publicClient, deployment });
  log(`Meridian nodes: hospital A ${nodes.urls[0]}, hospital B ${nodes.urls[1]} (each upload is pinned on both).`);
}

// 3. seed
const ipfsDir = path.join(dataDir, "ipfs");
if (options.seed) {
  const store = await createHeliaStore({ directory: ipfsDir });
  const ctx = (i: number): MeridianContext => ({ publicClient, walletClient: wallet(i), deployment });
  const client = (i: number) => createMeridianClient({ ...ctx(i), store });
  await admitProvider(ctx(1), {
    provider: account(2).address,
    kind: ProviderKind.Hospital,
    name: "St Mary's Hospital",
    department: "Cardiology",
  });
  await admitProvider(ctx(1), {
    provider: account(3).address,
    kind: ProviderKind.Lab,
    name: "Northside Laboratory",
    department: "Clinical chemistry",
  });
  const hospital = client(2);
  const lab = client(3);
  await hospital.publishProviderKey();
  await lab.publishProviderKey();
  const patient = client(4);
  await patient.registerAsPatient();
  const fixtures = await writeFixtures(path.join(dataDir, "fixtures"));
  let added = 0;
  for (const file of [
    path.join(fixtures, "fhir", "fixture-patient-1.json"),
    path.join(fixtures, "attachments", "fixture-report.pdf"),
  ]) {
    if (!existsSync(file)) continue;
    for (const draft of await recordDraftFromFile(new Uint8Array(await readFile(file)), {
      fileName: path.basename(file),
    })) {
      await patient.addRecord({
        plaintext: new TextEncoder().encode(JSON.stringify(draft.resource)),
        category: draft.category,
      });
      added++;
    }
  }
  await patient.grant({
    grantee: account(3).address,
    scope: { kind: "category", category: RecordCategory.Lab },
    expiresAt: Math.floor(Date.now() / 1000) + 30 * 86_400,
  });
  await hospital.requestAccess({
    patient: account(4).address,
    scope: { kind: "all" },
    durationSeconds: 14 * 86_400,
    purpose: "Cardiology referral",
  });
  await store.close();
  log(
    `Seeded: providers ${account(2).address} (hospital), ${account(3).address} (lab); patient ${account(4).address} with ${added} records, one lab grant and one pending request.`,
  );
}

// 4. web app
const web = path.join(root, "web");
const nextBin =
  [path.join(web, "node_modules/.bin/next"), path.join(root, "node_modules/.bin/next")].find((p) => existsSync(p)) ??
  "next";
const env = {
  MERIDIAN_DEPLOYMENT: deploymentFile,
  MERIDIAN_IPFS_DIR: ipfsDir,
  MERIDIAN_RPC_URL: rpcUrl,
  NEXT_PUBLIC_RPC_URL: rpcUrl,
  NEXT_TELEMETRY_DISABLED: "1",
};
// the FHIR definitions the browser validates bundles with (served from web/public/medplum)
await new Promise<void>((resolve, reject) => {
  const child = spawn(process.execPath, [path.join(web, "scripts/copy-fhir-definitions.mjs")], { stdio: "inherit" });
  child.on("exit", (code) =>
    code === 0 ? resolve() : reject(new Error(`copying the FHIR definitions exited with ${code}`)),
  );
});
if (options.build || !existsSync(path.join(web, ".next", "BUILD_ID"))) {
  log("Building the web app …");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(nextBin, ["build"], { cwd: web, env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`next build exited with ${code}`))));
  });
}
// hospital A's app (and B's, with --second-port): each its own Helia folder, its own node first
const apps: { port: number; ipfsDir: string; nodes: string[] }[] = [
  { port: webPort, ipfsDir, nodes: nodes?.urls ?? [] },
];
if (secondPort !== undefined)
  apps.push({
    port: secondPort,
    ipfsDir: path.join(dataDir, "hospital-b", "ipfs"),
    nodes: [...apps[0]!.nodes].reverse(),
  });
for (const app of apps) {
  const appEnv = {
    ...env,
    MERIDIAN_IPFS_DIR: app.ipfsDir,
    ...(app.nodes.length > 0 ? { MERIDIAN_NODES: app.nodes.join(",") } : {}),
  };
  run(nextBin, ["start", "--port", String(app.port), "--hostname", "127.0.0.1"], web, appEnv);
}
await Promise.all(apps.map((app) => waitFor(`http://127.0.0.1:${app.port}/`, undefined, "The web app", 60)));
await writeStackFile(path.join(dataDir, "stack.json"), {
  rpcUrl,
  apps: apps.map((app) => ({ url: `http://127.0.0.1:${app.port}`, ipfsDir: app.ipfsDir, nodes: app.nodes })),
  nodes: nodes?.urls ?? [],
});
log("");
log(`Meridian is running at http://127.0.0.1:${webPort}`);
if (secondPort !== undefined) log(`A second hospital's app is at http://127.0.0.1:${secondPort}`);
log(`Chain: ${rpcUrl} (chain id 31337). Accounts are Hardhat's development accounts (from its public test mnemonic):`);
log(`  #1 regulator  ${account(1).address}`);
log(`  #2 hospital   ${account(2).address}`);
log(`  #3 lab        ${account(3).address}`);
log(`  #4 patient    ${account(4).address}`);
log("Import them into MetaMask as the README explains (local chains only). Ctrl-C stops everything.");
