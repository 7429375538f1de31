/**
 * The multi-host scenario of issue 16 (`./run network`, and `network.test.ts` in `npm test`):
 * the chain, a regulator, two hospital nodes, a lab and a patient, each in its own network
 * namespace with its own address, as separate processes that share only the chain and the
 * deployment file.
 *
 * 1. The regulator deploys and admits hospitals A and B and the lab; A and B run `meridian node`
 *    and publish their node URLs on chain (`meridian provider set-node`).
 * 2. The patient registers and adds the project's fixture bundle with `--replicas 2` on A and B,
 *    and grants the lab; the lab, with an empty data folder, reads every record (each compared
 *    byte for byte with the source).
 * 3. A is SIGKILLed and its data folder deleted: the lab still reads everything, from B.
 * 4. A restarts empty; `meridian storage repair` brings every record back to two replicas.
 * 5. B's link is cut: reads succeed from A, and a record held only by B fails naming B's node;
 *    when the link returns, that record reads again.
 *
 * Each check is a row of the report ({@link NetworkReport}).
 *
 * @module
 */
import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { writeFixtures } from "../fixtures.ts";
import { createVirtualNetwork, ipBinary, type VirtualHost, type VirtualNetwork } from "./netns.ts";
import { cliParty, expectSuccess, startChain, startNode, type CliParty, type NodeParty } from "./parties.ts";
import {
  addedRecords,
  expectAllIdentical,
  expectedPlaintexts,
  firstObservation,
  parseStorageCheck,
  readAll,
  type AddedRecord,
} from "./reads.ts";
import { Checks, requireAll, round, StepFailed, type NetworkReport } from "./report.ts";

const exec = promisify(execFile);

/** Options of {@link runNetworkScenario}. */
export interface NetworkScenarioOptions {
  /**
   * A folder to keep the parties' data folders, the fixtures and the deployment file in (made if
   * missing, left in place). Default: a temporary folder removed at the end.
   */
  keepDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Seeds the names and the subnet (default: the process id). */
  seed?: number;
}

/** Development accounts of the parties. */
const ACCOUNTS = { regulator: 0, hospitalA: 2, hospitalB: 3, lab: 4, patient: 5 } as const;

/**
 * Runs the scenario and returns its report; never throws for a failed check (see `ok`). Every
 * namespace, link and process it made is gone when it returns, also when a step fails.
 */
export async function runNetworkScenario(options: NetworkScenarioOptions): Promise<NetworkReport> {
  const startedAt = new Date();
  const started = performance.now();
  const checks = new Checks(options.log ?? (() => {}));
  let net: VirtualNetwork | undefined;
  let stoppedAfter: string | undefined;
  try {
    await checks.require("namespaces: each party has its own network namespace and address", async () => {
      net = await createVirtualNetwork(options.seed === undefined ? {} : { seed: options.seed });
      for (const name of ["chain", "regulator", "hospital-a", "hospital-b", "lab", "patient"]) await net.addHost(name);
      return `${net.subnet} on bridge ${net.bridge}: ${net.hosts.map((h) => `${h.name} ${h.address}`).join(", ")}`;
    });
    const made = net!;
    let workDir = options.keepDir;
    if (workDir === undefined) workDir = await made.tempDir("network");
    else await mkdir(workDir, { recursive: true });
    await scenario(made, checks, workDir);
  } catch (error) {
    if (error instanceof StepFailed) stoppedAfter = error.message;
    else {
      stoppedAfter = "stopped by an unexpected error";
      const message = error instanceof Error ? error.message : String(error);
      await checks.run("scenario ran to the end", () => Promise.reject(new Error(message)));
    }
  } finally {
    const made = net;
    if (made) {
      await made.close();
      await checks.run("clean-up: no namespace or link of the run is left", () => leftovers(made));
    }
  }
  const list = checks.list;
  return {
    ok: list.length > 0 && list.every((c) => c.status === "pass"),
    startedAt: startedAt.toISOString(),
    wallSeconds: round((performance.now() - started) / 1000),
    subnet: net?.subnet ?? "",
    parties: (net?.hosts ?? []).map((h) => ({ name: h.name, namespace: h.namespace, address: h.address })),
    checks: list,
    ...(stoppedAfter ? { stoppedAfter } : {}),
  };
}

async function scenario(net: VirtualNetwork, checks: Checks, workDir: string): Promise<void> {
  const host = (name: string) => net.hosts.find((h) => h.name === name)!;
  const fixtures = await writeFixtures(path.join(workDir, "fixtures"));
  const bundleFile = path.join(fixtures, "fhir", "fixture-patient-1.json");
  const observationFile = path.join(workDir, "fixtures", "observation.json");
  await writeFile(observationFile, await firstObservation(bundleFile));
  const deployment = path.join(workDir, "deployment.json");

  let rpcUrl = "";
  await checks.require("chain: hardhat node serves on its namespace address", async () => {
    const chain = await startChain(host("chain"));
    rpcUrl = chain.rpcUrl;
    return `${rpcUrl} (pid ${chain.process.pid})`;
  });
  await checks.require("isolation: another namespace reaches the chain's address, not its loopback", () =>
    isolation(host("patient"), rpcUrl),
  );

  const party = (name: string, dev: number) =>
    cliParty({ host: host(name), dev, dataDir: path.join(workDir, name), rpcUrl, deployment });
  const regulator = party("regulator", ACCOUNTS.regulator);
  const hospitalA = party("hospital-a", ACCOUNTS.hospitalA);
  const hospitalB = party("hospital-b", ACCOUNTS.hospitalB);
  const lab = party("lab", ACCOUNTS.lab);
  const patient = party("patient", ACCOUNTS.patient);
  for (const p of [regulator, hospitalA, hospitalB, lab, patient]) await mkdir(p.dataDir, { recursive: true });

  await checks.require("regulator deploys the contracts over the network", async () => {
    expectSuccess("meridian deploy", await regulator.cli(["deploy"]));
    return `deployed from ${regulator.host.address} to ${rpcUrl}`;
  });
  // independent steps run side by side (each CLI call is a Node process that takes 1–3 s to start)
  const nodes: { a?: NodeParty; b?: NodeParty } = {};
  const nodeOptions = ["--repair-interval", "0"];
  await requireAll(checks, [
    [
      "regulator admits hospitals A and B and the lab",
      async () => {
        for (const [p, kind, name] of [
          [lab, "lab", "Lab"],
          [hospitalA, "hospital", "Hospital A"],
          [hospitalB, "hospital", "Hospital B"],
        ] as const) {
          const admitted = await regulator.cli(["provider", "admit", p.address, "--kind", kind, "--name", name]);
          expectSuccess(`provider admit ${name}`, admitted);
        }
        return `${lab.address}, ${hospitalA.address}, ${hospitalB.address} admitted`;
      },
    ],
    [
      "patient registers",
      async () => {
        expectSuccess("meridian register", await patient.cli(["register"]));
        return `${patient.address} from ${patient.host.address}`;
      },
    ],
    [
      "hospitals A and B run `meridian node` on their own addresses",
      async () => {
        [nodes.a, nodes.b] = await Promise.all([startNode(hospitalA, nodeOptions), startNode(hospitalB, nodeOptions)]);
        return `A ${nodes.a.url} (${nodes.a.peerId}), B ${nodes.b.url} (${nodes.b.peerId})`;
      },
    ],
  ]);
  const urlA = () => nodes.a!.url;
  const urlB = () => nodes.b!.url;
  await requireAll(checks, [
    [
      "A and B publish their node URLs on chain (provider set-node)",
      async () => {
        const [a, b] = await Promise.all([
          hospitalA.cli(["provider", "set-node", urlA()]),
          hospitalB.cli(["provider", "set-node", urlB()]),
        ]);
        expectSuccess("hospital A provider set-node", a);
        expectSuccess("hospital B provider set-node", b);
        return `A → ${urlA()}, B → ${urlB()}`;
      },
    ],
    [
      "the lab publishes its encryption key",
      async () => {
        expectSuccess("lab provider publish-key", await lab.cli(["provider", "publish-key"]));
        return `from ${lab.host.address}`;
      },
    ],
  ]);

  let records: AddedRecord[] = [];
  const onAandB = () => ["--node", urlA(), "--node", urlB(), "--replicas", "2"];
  await checks.require("patient adds the fixture's records with --replicas 2 on A and B", async () => {
    const added = await patient.cli(["add", bundleFile], { global: onAandB() });
    records = addedRecords(expectSuccess("meridian add", added), await expectedPlaintexts(bundleFile));
    return `${records.length} records from ${path.basename(bundleFile)}, each pinned on A and B before anchoring`;
  });
  const granting = "patient grants the lab all records";
  const [, granted] = await Promise.all([
    checks.run("storage check: every record has 2 live replicas", () => expectReplicas(patient, records, 2, onAandB())),
    checks.run(granting, async () => {
      expectSuccess("meridian grant", await patient.cli(["grant", lab.address, "--all"]));
      return `grant to ${lab.address}`;
    }),
  ]);
  if (!granted) throw new StepFailed(granting);

  const reads = path.join(workDir, "lab-reads");
  await checks.run("lab, with an empty data folder, reads every record (nodes found on chain)", async () =>
    expectAllIdentical(await readAll(lab, records, path.join(reads, "1-both-up"))),
  );

  await checks.require("hospital A's node is SIGKILLed and its data folder deleted", async () => {
    await nodes.a!.process.stop("SIGKILL");
    const { signal } = await nodes.a!.process.exited;
    await rm(hospitalA.dataDir, { recursive: true, force: true });
    await mkdir(hospitalA.dataDir, { recursive: true });
    return `pid ${nodes.a!.process.pid} ended by ${signal ?? "exit"}; ${hospitalA.dataDir} emptied`;
  });
  await checks.run("with A gone, the lab (empty folder) still reads every record, from B", async () => {
    const summary = expectAllIdentical(await readAll(lab, records, path.join(reads, "2-a-killed")));
    return `${summary}; B is the only node holding them`;
  });

  await checks.require("hospital A restarts with an empty data folder", async () => {
    nodes.a = await startNode(hospitalA, nodeOptions);
    return `A ${nodes.a.url} (${nodes.a.peerId})`;
  });
  await checks.run("storage repair restores 2 live replicas of every record", async () => {
    const repaired = await patient.cli(["storage", "repair"], { global: onAandB() });
    const rows = JSON.parse(expectSuccess("meridian storage repair", repaired)) as {
      pinned: { url: string; from: string }[];
    }[];
    const pins = rows.flatMap((r) => r.pinned);
    const how = [...new Set(pins.map((p) => `${p.url} from ${p.from}`))].join(", ");
    return `${pins.length} re-pinned (${how || "none"}); ${await expectReplicas(patient, records, 2, onAandB())}`;
  });

  let onlyOnB: AddedRecord | undefined;
  await checks.run("a record added with --replicas 1 on B only", async () => {
    const added = await patient.cli(["add", observationFile], { global: ["--node", urlB(), "--replicas", "1"] });
    [onlyOnB] = addedRecords(expectSuccess("meridian add", added), await expectedPlaintexts(observationFile));
    return `${onlyOnB!.recordId.slice(0, 10)}… on ${urlB()}`;
  });

  await checks.require("B's link is cut", async () => {
    await hospitalB.host.cut();
    return `ip link set ${hospitalB.host.hostLink} down`;
  });
  await checks.run("with B cut, the lab reads every record from A", async () => {
    return expectAllIdentical(await readAll(lab, records, path.join(reads, "3-b-cut")));
  });
  await checks.run("with B cut, reading the record only B holds fails and names B's node", async () => {
    if (onlyOnB === undefined) throw new Error("no record on B only (the step adding it failed)");
    const [r] = await readAll(lab, [onlyOnB], path.join(reads, "3-b-cut-only-b"));
    if (r!.ok) throw new Error(`the read succeeded in ${r!.seconds.toFixed(1)} s while B was cut`);
    if (!r!.stderr.includes(hospitalB.host.address)) {
      throw new Error(`the error does not name B (${hospitalB.host.address}): ${r!.stderr.trim().slice(-300)}`);
    }
    // the error lists every source tried and why; keep what it says about B, and what to do
    const aboutB = r!.stderr.slice(r!.stderr.indexOf(urlB())).split(/[;\n]/)[0];
    const hint =
      r!.stderr
        .split("\n")
        .find((l) => l.trim().startsWith("what to do:"))
        ?.trim() ?? "";
    return `failed in ${r!.seconds.toFixed(1)} s; ${aboutB}; ${hint}`;
  });

  await checks.require("B's link is restored", async () => {
    await hospitalB.host.restore();
    return `ip link set ${hospitalB.host.hostLink} up`;
  });
  await checks.run("with B back, the lab reads the record only B holds again", async () => {
    if (onlyOnB === undefined) throw new Error("no record on B only (the step adding it failed)");
    return expectAllIdentical(await readAll(lab, [onlyOnB], path.join(reads, "4-b-restored")));
  });
}

/** Checks that a process in `host` reaches `rpcUrl` (the chain's namespace address) but not 127.0.0.1 on its port. */
async function isolation(host: VirtualHost, rpcUrl: string): Promise<string> {
  const probe = async (url: string) => {
    const script =
      "fetch(process.argv[1],{method:'POST',headers:{'content-type':'application/json'}," +
      "body:JSON.stringify({jsonrpc:'2.0',id:1,method:'eth_chainId',params:[]})," +
      "signal:AbortSignal.timeout(3000)}).then(r=>r.json()).then(j=>j.result,()=>'unreachable')" +
      ".then(t=>{console.log(t);process.exit(0)})";
    const r = await host.run(process.execPath, ["-e", script, url], { timeoutMs: 10_000 });
    return r.stdout.trim();
  };
  const port = new URL(rpcUrl).port;
  const [remote, local] = await Promise.all([probe(rpcUrl), probe(`http://127.0.0.1:${port}`)]);
  if (remote !== "0x7a69") throw new Error(`${host.name} got ${remote || "nothing"} from ${rpcUrl}`);
  if (local !== "unreachable") throw new Error(`${host.name} reached a chain on its own loopback (${local})`);
  return `${host.name} (${host.address}): chain id 31337 from ${rpcUrl}; 127.0.0.1:${port} unreachable`;
}

/** Runs `storage check --json` as `party`; throws unless each of `records` has `live` replicas. */
async function expectReplicas(party: CliParty, records: AddedRecord[], live: number, global: string[]) {
  const r = await party.cli(["storage", "check", "--json"], { global });
  // it exits 1 when a record is under-replicated, and still prints the JSON
  if (r.code !== 0 && !r.stdout.trim().startsWith("{")) expectSuccess("meridian storage check --json", r);
  const counts = parseStorageCheck(r.stdout);
  const wrong = records.filter((rec) => counts.find((c) => c.recordId === rec.recordId)?.live !== live);
  if (wrong.length > 0) {
    const first = counts.find((c) => c.recordId === wrong[0]!.recordId);
    throw new Error(
      `${wrong.length}/${records.length} records without ${live} live replicas; ` +
        `${wrong[0]!.recordId.slice(0, 10)}… has ${first?.live ?? "no entry"} (${first?.nodes.join(", ") ?? ""})`,
    );
  }
  const nodes = [...new Set(counts.flatMap((c) => c.nodes))].join(", ");
  return `${records.length}/${records.length} records with ${live} live replicas${nodes ? ` (${nodes})` : ""}`;
}

/** Throws when a namespace, link or bridge of `net` is still there. */
async function leftovers(net: VirtualNetwork): Promise<string> {
  const ip = ipBinary()!;
  const namespaces = (await exec(ip, ["netns", "list"])).stdout;
  const links = (await exec(ip, ["-o", "link", "show"])).stdout;
  const ours = [
    ...net.hosts.filter((h) => namespaces.includes(h.namespace)).map((h) => h.namespace),
    ...[net.bridge, ...net.hosts.map((h) => h.hostLink)].filter(
      (l) => links.includes(`${l}:`) || links.includes(`${l}@`),
    ),
  ];
  if (ours.length > 0) throw new Error(`left behind: ${ours.join(", ")}`);
  return `${net.hosts.length} namespaces, ${net.hosts.length} veth pairs and bridge ${net.bridge} removed`;
}
