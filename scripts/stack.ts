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
 *
 * Accounts are Hardhat's well-known development accounts: local chains only. Ctrl-C stops
 * everything. Options: --port, --chain-port, --data-dir (default .meridian/stack), --no-seed,
 * --no-build.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { createPublicClient, createWalletClient, http, type Account, type Address } from "viem";
import { hardhat } from "viem/chains";
import { admitProvider, deployMeridian } from "../packages/sdk/src/chain/actions.ts";
import { ProviderKind, type MeridianContext } from "../packages/sdk/src/chain/types.ts";
import { createMeridianClient } from "../packages/sdk/src/client.ts";
import { RecordCategory } from "../packages/sdk/src/categories.ts";
import { recordDraftFromFile } from "../packages/sdk/src/fhir/index.ts";
import { createHeliaStore } from "../packages/sdk/src/storage/helia.ts";
import { devAccount, LOCAL_CHAIN_ID, saveDeployment } from "../packages/cli/src/env.ts";
import { writeFixtures } from "../packages/cli/src/fixtures.ts";

const root = path.resolve(import.meta.dirname, "..");
const program = new Command()
  .name("stack")
  .option("--port <n>", "web app port", "3000")
  .option("--chain-port <n>", "Hardhat node port", "8545")
  .option("--data-dir <dir>", "where the deployment and IPFS blocks go", ".meridian/stack")
  .option("--no-seed", "deploy only, seed no accounts or records")
  .option("--no-build", "serve the existing web build")
  .option("--fresh", "delete the data directory first", false)
  .parse();
const options = program.opts<{ port: string; chainPort: string; dataDir: string; seed: boolean; build: boolean; fresh: boolean }>();
const dataDir = path.resolve(root, options.dataDir);
const rpcUrl = `http://127.0.0.1:${options.chainPort}`;
const children: ChildProcess[] = [];
const log = (line: string) => process.stdout.write(`${line}\n`);

function stop(code = 0): never {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

async function waitFor(url: string, body: string | undefined, what: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const response = await fetch(url, body ? { method: "POST", body, headers: { "content-type": "application/json" } } : {});
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${seconds} s (${url}).`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, inherit = false): ChildProcess {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: inherit ? "inherit" : ["ignore", "pipe", "pipe"] });
  children.push(child);
  child.on("exit", (code) => {
    if (code !== 0 && code !== null) {
      log(`${command} ${args.join(" ")} exited with ${code}`);
      stop(1);
    }
  });
  return child;
}

if (options.fresh) await rm(dataDir, { recursive: true, force: true });
await mkdir(dataDir, { recursive: true });

// 1. chain
log(`Starting the Hardhat node on ${rpcUrl} …`);
run(path.join(root, "node_modules/.bin/hardhat"), ["node", "--port", options.chainPort], root);
await waitFor(rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }), "The Hardhat node", 60);

// 2. deployment
const account = (i: number): Account => devAccount(i, LOCAL_CHAIN_ID);
const chain = { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 });
const wallet = (i: number) => createWalletClient({ account: account(i), chain, transport: http(rpcUrl), pollingInterval: 50 });
const deployment = await deployMeridian({ publicClient, walletClient: wallet(0) }, { admin: account(0).address, regulator: account(1).address });
const deploymentFile = path.join(dataDir, "deployment.json");
await saveDeployment(deploymentFile, deployment);
log(`Deployed: RecordRegistry ${deployment.recordRegistry}, ProviderRegistry ${deployment.providerRegistry}`);

// 3. seed
const ipfsDir = path.join(dataDir, "ipfs");
if (options.seed) {
  const store = await createHeliaStore({ directory: ipfsDir });
  const ctx = (i: number): MeridianContext => ({ publicClient, walletClient: wallet(i), deployment });
  const client = (i: number) => createMeridianClient({ ...ctx(i), store });
  await admitProvider(ctx(1), { provider: account(2).address, kind: ProviderKind.Hospital, name: "St Mary's Hospital", department: "Cardiology" });
  await admitProvider(ctx(1), { provider: account(3).address, kind: ProviderKind.Lab, name: "Northside Laboratory", department: "Clinical chemistry" });
  const hospital = client(2);
  const lab = client(3);
  await hospital.publishProviderKey();
  await lab.publishProviderKey();
  const patient = client(4);
  await patient.registerAsPatient();
  const fixtures = await writeFixtures(path.join(dataDir, "fixtures"));
  let added = 0;
  for (const file of [path.join(fixtures, "fhir", "fixture-patient-1.json"), path.join(fixtures, "attachments", "fixture-report.pdf")]) {
    if (!existsSync(file)) continue;
    for (const draft of await recordDraftFromFile(new Uint8Array(await readFile(file)), { fileName: path.basename(file) })) {
      await patient.addRecord({ plaintext: new TextEncoder().encode(JSON.stringify(draft.resource)), category: draft.category });
      added++;
    }
  }
  await patient.grant({ grantee: account(3).address, scope: { kind: "category", category: RecordCategory.Lab }, expiresAt: Math.floor(Date.now() / 1000) + 30 * 86_400 });
  await hospital.requestAccess({ patient: account(4).address, scope: { kind: "all" }, durationSeconds: 14 * 86_400, purpose: "Cardiology referral" });
  await store.close();
  log(`Seeded: providers ${account(2).address} (hospital), ${account(3).address} (lab); patient ${account(4).address} with ${added} records, one lab grant and one pending request.`);
}

// 4. web app
const web = path.join(root, "web");
const nextBin = [path.join(web, "node_modules/.bin/next"), path.join(root, "node_modules/.bin/next")].find((p) => existsSync(p)) ?? "next";
const env = { MERIDIAN_DEPLOYMENT: deploymentFile, MERIDIAN_IPFS_DIR: ipfsDir, MERIDIAN_RPC_URL: rpcUrl, NEXT_PUBLIC_RPC_URL: rpcUrl, NEXT_TELEMETRY_DISABLED: "1" };
// the FHIR definitions the browser validates bundles with (served from web/public/medplum)
await new Promise<void>((resolve, reject) => {
  const child = spawn(process.execPath, [path.join(web, "scripts/copy-fhir-definitions.mjs")], { stdio: "inherit" });
  child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`copying the FHIR definitions exited with ${code}`))));
});
if (options.build || !existsSync(path.join(web, ".next", "BUILD_ID"))) {
  log("Building the web app …");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(nextBin, ["build"], { cwd: web, env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`next build exited with ${code}`))));
  });
}
run(nextBin, ["start", "--port", options.port, "--hostname", "127.0.0.1"], web, env);
await waitFor(`http://127.0.0.1:${options.port}/`, undefined, "The web app", 60);
log("");
log(`Meridian is running at http://127.0.0.1:${options.port}`);
log(`Chain: ${rpcUrl} (chain id 31337). Accounts are Hardhat's development accounts (from its public test mnemonic):`);
log(`  #1 regulator  ${account(1).address}`);
log(`  #2 hospital   ${account(2).address}`);
log(`  #3 lab        ${account(3).address}`);
log(`  #4 patient    ${account(4).address}`);
log("Import them into MetaMask as the README explains (local chains only). Ctrl-C stops everything.");
