/**
 * The summary `meridian demo` prints on stdout after its checks: what was imported, the round
 * trip, throughput, gas per operation, the privacy scan and the count of checks.
 *
 * @module
 */
import path from "node:path";
import type { DemoCheck, DemoReport } from "./report.ts";

/** The demo report as the lines `meridian demo` prints, each ending in a newline. */
export function formatDemoReport(r: DemoReport): string {
  const lines: string[] = ["", "Meridian demo report", "===================="];
  const imp = r.imported;
  lines.push(
    `Imported ${imp.records} records (${(imp.bytes / 1e6).toFixed(2)} MB of FHIR JSON) for ${imp.patients} patients ` +
      `and ${imp.attachments} attachments; ${imp.skipped.length} files skipped.`,
  );
  const byCategory = Object.entries(imp.byCategory);
  if (byCategory.length) lines.push(`By category: ${byCategory.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (r.roundTrip.read) {
    lines.push(
      `Round trip: ${r.roundTrip.identical}/${r.roundTrip.read} records byte-identical after provider decryption.`,
    );
  }
  const t = r.throughput;
  if (t) {
    const i = t.import;
    lines.push(
      `Import: ${i.recordsPerSecond.toFixed(1)} records/s, ${i.MBps.toFixed(2)} MB/s (encrypt ` +
        `${i.encryptSeconds.toFixed(1)} s, IPFS ${i.storeSeconds.toFixed(1)} s, total ${i.seconds.toFixed(1)} s)`,
    );
    lines.push(`Read:   ${t.read.recordsPerSecond.toFixed(1)} records/s, ${t.read.MBps.toFixed(2)} MB/s`);
  }
  const gas = Object.entries(r.gas);
  if (gas.length) {
    lines.push("", "Gas per operation (median / p95, count)");
    for (const [op, s] of gas) {
      lines.push(`  ${op.padEnd(34)} ${String(s.median).padStart(7)} / ${String(s.p95).padStart(7)}  (${s.count})`);
    }
  }
  const scan = r.privacyScan;
  if (scan.files) lines.push("", `Privacy scan: ${scan.strings} strings in ${scan.files} files: ${scan.hits} found.`);
  const count = (status: DemoCheck["status"]) => r.checks.filter((c) => c.status === status).length;
  const skipped = count("skip") ? `, ${count("skip")} skipped (nothing to check)` : "";
  const where = `Report: ${path.join(r.dataDir, "report.json")} (${r.seconds.toFixed(1)} s)`;
  lines.push(`Checks: ${count("pass")}/${r.checks.length} passed${skipped}. ${where}`);
  return lines.join("\n") + "\n";
}
