/**
 * `meridian storage check [PATIENT]` and `meridian storage repair [PATIENT]`: how many Meridian
 * nodes hold each of a patient's anchored records, and re-pinning the under-replicated ones on
 * other nodes (with the nodes that still hold them as origins, or from this machine's copy).
 * The nodes are those named (--node, MERIDIAN_NODES) and those published in the registry.
 *
 * @module
 */
import type { Command } from "commander";
import type { Address } from "viem";
import { anchoredCidString, checkReplicas, repairReplicas, type BlobReplicas } from "@meridian/sdk/storage";
import { ConfigurationError } from "../env.ts";
import { openNodeDirectory } from "../nodes.ts";
import { log, out } from "../output.ts";
import { address } from "./arguments.ts";
import type { CommandClient, CommandKit } from "./kit.ts";

/** The records of `patient` (default: the account) with their CIDs, and the nodes to ask. */
async function recordsAndNodes(kit: CommandKit, c: CommandClient, patientArg: string | undefined) {
  const me = c.ctx.walletClient?.account.address;
  if (!patientArg && !me) {
    throw new ConfigurationError("Name the patient, or configure an account.", {
      hint: "Pass the patient's address (`meridian storage check 0x…`), or --dev-account N / --key-file FILE.",
    });
  }
  const patient: Address = patientArg ? address(patientArg, "patient") : me!;
  const records = await c.listRecords(patient);
  const directory = openNodeDirectory({ g: kit.globals(), ctx: c.ctx, log });
  const urls = await directory.urls(me ? [me] : []);
  if (urls.length === 0) {
    throw new ConfigurationError("No Meridian node is named or published in the registry.", {
      hint: "Name the nodes with --node URL (repeatable) or MERIDIAN_NODES, or have providers publish theirs with `meridian provider set-node URL`.",
    });
  }
  const cids = records.map((r) => anchoredCidString(r.cid));
  return { patient, records, cids, directory, nodes: urls.map((url) => directory.client(url)) };
}

/** One line per record: its id, CID and live replicas per node. */
function describe(recordId: string, blob: BlobReplicas, replicas: number): string {
  const nodes = blob.nodes.map((n) => `${n.url} ${n.state}`).join(", ");
  const flag = blob.live >= replicas ? "ok" : "UNDER-REPLICATED";
  return `${recordId} ${blob.cid}: ${blob.live}/${replicas} ${flag} (${nodes})`;
}

/** Registers `meridian storage check` and `meridian storage repair` on `program`. */
export function registerStorageCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  const storage = program
    .command("storage")
    .description("where records are kept: live replicas per Meridian node, and repair");

  storage
    .command("check [patient]")
    .description(
      "show each anchored record's live replicas on every known node (default patient: yourself); exits 1 when " +
        "a record has fewer than --replicas",
    )
    .option("--json", "print the result as JSON")
    .action(
      action(async (patientArg: string | undefined, o: { json?: boolean }) => {
        const c = await kit.client();
        try {
          const { patient, records, cids, directory, nodes } = await recordsAndNodes(kit, c, patientArg);
          const blobs = await checkReplicas({ cids, nodes });
          const rows = blobs.map((b, i) => ({ recordId: records[i]!.recordId, ...b }));
          const under = rows.filter((r) => r.live < directory.replicas).length;
          if (under) process.exitCode = 1; // a script can tell without parsing
          if (o.json) {
            out({ patient, replicas: directory.replicas, nodes: nodes.map((n) => n.url), records: rows, under });
            return;
          }
          for (const r of rows) log(describe(r.recordId, r, directory.replicas));
          log(
            `${rows.length} record(s) of ${patient}; ${under} with fewer than ${directory.replicas} replicas` +
              (under ? " (run `meridian storage repair`)" : ""),
          );
        } finally {
          await c.close();
        }
      }),
    );

  storage
    .command("repair [patient]")
    .description(
      "pin under-replicated records on other nodes until --replicas nodes hold each (default patient: yourself)",
    )
    .action(
      action(async (patientArg?: string) => {
        const c = await kit.client();
        try {
          if (!c.ctx.walletClient) {
            throw new ConfigurationError("Repair pins as an account: none is configured.", {
              hint: "Pass --dev-account N or --key-file FILE (a registered patient or an active provider).",
            });
          }
          const { records, cids, directory, nodes } = await recordsAndNodes(kit, c, patientArg);
          const blobs = await checkReplicas({ cids, nodes });
          const repairs = await repairReplicas({ blobs, nodes, replicas: directory.replicas, local: c.store });
          const ids = new Map(cids.map((cid, i) => [cid, records[i]!.recordId]));
          const rows = repairs.map((r) => ({ recordId: ids.get(r.cid), ...r }));
          for (const r of rows) {
            const to = r.pinned.map((p) => `${p.url} (${p.from})`).join(", ") || "nowhere";
            log(`${r.recordId} ${r.cid}: ${r.before} -> ${r.after} replicas; pinned on ${to}`);
            for (const f of r.failed) log(`  ${f.url}: ${f.reason}`);
          }
          const short = rows.filter((r) => r.after < directory.replicas);
          log(`${rows.length} record(s) needed repair; ${short.length} still under ${directory.replicas} replicas`);
          out(rows);
          if (short.length) process.exitCode = 1;
        } finally {
          await c.close();
        }
      }),
    );
}
