/**
 * `meridian demo`: the whole network in one process on FHIR data, and its report (the main job;
 * see `demo.ts`).
 *
 * @module
 */
import type { Command } from "commander";
import { formatDemoReport } from "../demo/print.ts";
import { userPath } from "../files.ts";
import { replicasOption } from "../nodes.ts";
import { log } from "../output.ts";
import { wholeNumber } from "./arguments.ts";
import type { CommandKit } from "./kit.ts";

/** Registers `meridian demo` on `program`. */
export function registerDemoCommand(program: Command, kit: CommandKit): void {
  program
    .command("demo")
    .description("run the whole network in one process on FHIR data and print a report (the main job)")
    .option(
      "--input <dir>",
      "folder of FHIR bundles and DICOM/PDF files (default ../shared/data, else built-in fixtures)",
    )
    .option("--max-patients <n>", "import at most N patient bundles (N >= 1)")
    .option(
      "--nodes <n>",
      "start N Meridian nodes in this process and pin every record on --replicas of them before anchoring " +
        "(default 0: records stay in <data-dir>/ipfs)",
      "0",
    )
    .addHelpText(
      "after",
      "\nState (chain export, IPFS blocks, report.json) goes to --data-dir, default .meridian/demo. A folder the " +
        "demo created (it holds a .meridian-state marker) is emptied first; an empty one is used; any other is " +
        "refused, never emptied.",
    )
    .action(
      kit.action(async (o: { input?: string; maxPatients?: string; nodes: string }) => {
        const { runDemo } = await import("../demo.ts");
        const maxPatients = o.maxPatients === undefined ? undefined : wholeNumber(o.maxPatients, "--max-patients");
        const input = o.input === undefined ? undefined : userPath(o.input);
        const nodes = wholeNumber(o.nodes, "--nodes", 0);
        const replicas = nodes ? replicasOption(kit.globals()) : undefined;
        const report = await runDemo({ input, dataDir: kit.jobDataDir("demo"), maxPatients, nodes, replicas });
        process.stdout.write(formatDemoReport(report));
        if (!report.ok) {
          process.exitCode = 1;
          log(
            report.failure
              ? `\nerror: ${report.failure.message}\n  what to do: ${report.failure.hint}`
              : "\nSome checks FAILED (see above).",
          );
        }
      }),
    );
}
