/**
 * `./run network` (`npm run network`): runs the multi-host scenario ({@link runNetworkScenario})
 * in network namespaces, prints one row per check, writes the JSON report and exits with status 1
 * when a check failed, or when this machine cannot make network namespaces (not root, no `ip`).
 *
 * Options: `--report FILE` (default `<data-dir>/report.json`), `--data-dir DIR` (default
 * `.meridian/network`), `--keep` (keep the parties' data folders in `<data-dir>/parties` instead
 * of a temporary folder). Paths typed are taken from the folder `./run` was started in.
 *
 * @module
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { userPath } from "../files.ts";
import { checkNetnsSupport } from "./netns.ts";
import { formatReport, writeReport } from "./report.ts";
import { runNetworkScenario } from "./scenario.ts";

const USAGE = `usage: ./run network [--report FILE] [--data-dir DIR] [--keep]

Runs the chain, a regulator, hospitals A and B (each a meridian node), a lab and a patient, each in
its own network namespace, and checks that records replicated on A and B survive A's loss, are
repaired, and stay readable while B's link is cut. Needs root and iproute2 (ip netns).

  --report FILE   where to write the JSON report (default <data-dir>/report.json)
  --data-dir DIR  folder for the report (default .meridian/network)
  --keep          keep the parties' data folders in <data-dir>/parties`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      report: { type: "string" },
      "data-dir": { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const support = await checkNetnsSupport();
  if (!support.ok) {
    console.error(`network: cannot run the multi-host scenario: ${support.reason}.`);
    return 1;
  }
  // like the CLI's --data-dir: a typed path is the user's, the default sits in the working directory
  const dataDir = values["data-dir"] ? userPath(values["data-dir"]) : path.resolve(".meridian/network");
  const reportFile = values.report ? userPath(values.report) : path.join(dataDir, "report.json");
  const report = await runNetworkScenario({
    log: (line) => console.error(line),
    ...(values.keep ? { keepDir: path.join(dataDir, "parties") } : {}),
  });
  await writeReport(reportFile, report);
  console.log(formatReport(report));
  console.log(`Report: ${reportFile}`);
  return report.ok ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`network: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
