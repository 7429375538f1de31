/**
 * A node killed with SIGKILL in the middle of uploads (`meridian node` as a child process, a real
 * `hardhat node` for the chain) restarts on the same folder and serves every blob it acknowledged.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, it } from "node:test";
import type { Address } from "viem";
import { createMeridianClient } from "@meridian/sdk";
import { deployMeridian } from "@meridian/sdk/chain";
import {
  createHeliaStore,
  createNodeClient,
  createPinningAccessToken,
  createPinningClient,
  createUploadAuthorizer,
} from "@meridian/sdk/storage";
import {
  createTempDir,
  REPOSITORY_ROOT,
  startHardhatNode,
  testAccount,
  type HardhatNode,
  type TempDir,
} from "@meridian/sdk/testing";
import { envelope, PATIENT } from "./test-kit.ts";

let chain: HardhatNode;
let temp: TempDir;
let deploymentFile: string;
let recordRegistry: Address;
const children = new Set<ChildProcess>();

/** Starts `meridian node --json` on `<temp>/node` and returns its URL and the process. */
async function spawnNode(): Promise<{ url: string; child: ChildProcess }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MERIDIAN_")));
  const child = spawn(
    process.execPath,
    [
      path.join(REPOSITORY_ROOT, "packages/cli/src/main.ts"),
      ...["--rpc-url", chain.url, "--data-dir", path.join(temp.path, "node"), "--deployment", deploymentFile],
      ...["node", "--listen", "127.0.0.1:0", "--repair-interval", "0", "--json"],
    ],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  children.add(child);
  child.once("exit", () => children.delete(child));
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    child.once("exit", (code) => reject(new Error(`meridian node exited with ${code}: ${stderr}`)));
  });
  const summary = JSON.parse(line) as { url: string; peerId: string; multiaddrs: string[] };
  assert.match(summary.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(summary.peerId.length > 40 && summary.multiaddrs.length > 0);
  return { url: summary.url, child };
}

before(async () => {
  chain = await startHardhatNode();
  temp = await createTempDir("node-crash");
  const deployment = await deployMeridian(
    { publicClient: chain.publicClient, walletClient: chain.wallet(testAccount(0)) },
    { admin: testAccount(0).address, regulator: testAccount(1).address },
  );
  recordRegistry = deployment.recordRegistry;
  deploymentFile = path.join(temp.path, "deployment.json");
  await writeFile(
    deploymentFile,
    JSON.stringify({ ...deployment, deployedAtBlock: String(deployment.deployedAtBlock) }),
  );
  const scratch = await createHeliaStore({ directory: path.join(temp.path, "scratch") });
  await createMeridianClient({ ...chain.as(PATIENT, deployment), store: scratch }).registerAsPatient();
  await scratch.close();
});
after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await chain?.close();
  await temp?.remove();
});

it("a node killed with SIGKILL mid-upload restarts and serves every blob it acknowledged", async () => {
  const walletClient = chain.wallet(testAccount(PATIENT));
  const domain = { chainId: 31337, recordRegistry };
  const authorizer = createUploadAuthorizer({ walletClient, domain });
  const first = await spawnNode();
  const node = createNodeClient({ url: first.url, authorizer });
  const acknowledged = new Map<string, Uint8Array>();
  for (const size of [300_000, 1_200_000, 2_500_000]) {
    const bytes = await envelope(size);
    acknowledged.set((await node.upload(bytes)).cid, bytes);
  }
  // Uploads in flight when the node is killed: whatever it acknowledged must survive.
  const inFlight = await Promise.all([envelope(24_000_000), envelope(3_000_000), envelope(3_000_000)]);
  const uploads = inFlight.map((bytes) =>
    node.upload(bytes).then(
      ({ cid }) => acknowledged.set(cid, bytes),
      () => undefined,
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 150));
  const exited = new Promise((resolve) => first.child.once("exit", resolve));
  first.child.kill("SIGKILL");
  await exited;
  await Promise.all(uploads);
  assert.ok(acknowledged.size >= 3);

  const second = await spawnNode();
  try {
    const again = createNodeClient({ url: second.url });
    for (const [cid, bytes] of acknowledged) assert.deepEqual(await again.get(cid), bytes, `${cid} is served whole`);
    const pins = createPinningClient({
      url: second.url,
      accessToken: await createPinningAccessToken({ walletClient, domain }),
    });
    const { results } = await pins.listPins({ limit: 1000 });
    for (const cid of acknowledged.keys())
      assert.ok(
        results.some((r) => r.pin.cid === cid && r.status === "pinned"),
        `${cid} is still pinned`,
      );
    // The restarted node still takes uploads.
    const bytes = await envelope(100_000);
    assert.ok((await createNodeClient({ url: second.url, authorizer }).upload(bytes)).cid);
  } finally {
    const stopped = new Promise((resolve) => second.child.once("exit", resolve));
    second.child.kill("SIGTERM");
    assert.equal(await stopped, 0, "SIGTERM stops the node cleanly");
  }
});
