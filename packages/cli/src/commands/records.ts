/**
 * Patient records: `meridian register`, `add`, `list` and `get`. A patient registers once, adds
 * FHIR, DICOM or PDF files as encrypted records (checked for duplicates and for another person's
 * data first), lists them with their validation status, and fetches one into a private file.
 *
 * @module
 */
import path from "node:path";
import type { Command } from "commander";
import { categoryName, checkImport, DuplicateRecordError, PatientMismatchError } from "@meridian/sdk";
import { recordDraftFromFile } from "@meridian/sdk/fhir";
import { readUserFile, userPath, writePrivateFile } from "../files.ts";
import { createProgress, log, out } from "../output.ts";
import { address, category, recordId } from "./arguments.ts";
import { printWithClient, type CommandKit } from "./kit.ts";
import { validationStatusNames } from "./validation.ts";

/** The options of `meridian add`. */
interface AddOptions {
  patient?: string;
  category?: string;
  allowDuplicate?: boolean;
  force?: boolean;
}

/** Registers `meridian register`, `add`, `list` and `get` on `program`. */
export function registerRecordCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  program
    .command("register")
    .description("patient: derive your encryption key from your wallet and register")
    .action(action(() => printWithClient(kit, (c) => c.registerAsPatient())));

  program
    .command("add <files...>")
    .description("add records from FHIR JSON files (Synthea bundles are split per encounter) or DICOM/PDF files")
    .option("--patient <address>", "add for this patient (needs their write consent); default: yourself")
    .option("--category <name>", "override the category detected from the FHIR content")
    .option("--allow-duplicate", "store content that is already stored for this patient")
    .option("--force", "store a file whose Patient does not match the patient's earlier records")
    .addHelpText(
      "after",
      "\nBefore storing, your earlier records are read (in memory) to refuse a file already stored and a file " +
        "about another person.",
    )
    .action(
      action(async (files: string[], o: AddOptions) => {
        const c = await kit.client();
        try {
          const patient = o.patient ? address(o.patient, "--patient") : undefined;
          const drafts = [];
          for (const f of files) {
            drafts.push(
              ...(await recordDraftFromFile(new Uint8Array(await readUserFile(f)), { fileName: path.basename(f) })),
            );
          }
          const source = files.length === 1 ? path.basename(files[0]!) : `${files.length} files`;
          const check = await checkImport(c, drafts, patient ? { patient } : {});
          if (check.mismatches.length > 0 && !o.force)
            throw new PatientMismatchError({ mismatches: check.mismatches, source });
          if (check.duplicates.length > 0 && !o.allowDuplicate) {
            throw new DuplicateRecordError({ duplicates: check.duplicates, source });
          }
          if (check.unreadable > 0) {
            log(`note: ${check.unreadable} earlier records are not readable with your keys and were not compared`);
          }
          const bar = createProgress("add", drafts.length);
          const results = [];
          for (const d of drafts) {
            const plaintext = new TextEncoder().encode(JSON.stringify(d.resource));
            const r = await c.addRecord({
              plaintext,
              category: o.category ? category(o.category) : d.category,
              ...(patient ? { patient } : {}),
            });
            results.push({
              recordId: r.recordId,
              cid: r.cid,
              category: categoryName(o.category ? category(o.category) : d.category),
              bytes: r.bytes,
              gasUsed: r.gasUsed,
            });
            bar.increment();
          }
          bar.stop();
          out(results);
        } finally {
          await c.close();
        }
      }),
    );

  program
    .command("list [patient]")
    .description("list a patient's records (default: yourself)")
    .action(
      action(async (patient?: string) => {
        const c = await kit.client();
        try {
          const records = await c.listRecords(patient ? address(patient, "patient") : undefined);
          const validation = await validationStatusNames(
            c.ctx,
            records.map((r) => r.recordId),
          );
          out(
            records.map((r, i) => ({
              recordId: r.recordId,
              category: categoryName(r.category),
              author: r.author,
              anchoredAt: new Date(r.anchoredAt * 1000).toISOString(),
              keyEpoch: r.keyEpoch,
              validation: validation[i],
            })),
          );
        } finally {
          await c.close();
        }
      }),
    );

  program
    .command("get <recordId>")
    .description(
      "fetch, verify (CID and anchored hash) and decrypt a record into a file (readable by you only, mode 0600)",
    )
    .requiredOption(
      "--out <file>",
      "where to write the decrypted FHIR JSON (with --attachment: the original file, or a folder to put it in)",
    )
    .option(
      "--attachment",
      "write the original file (DICOM, PDF) the record holds, byte for byte, instead of its FHIR JSON",
    )
    .action(
      action(async (id: string, o: { out: string; attachment?: boolean }) => {
        const c = await kit.client();
        try {
          const r = await c.readRecord(recordId(id));
          if (!o.attachment) {
            const file = userPath(o.out);
            await writePrivateFile(file, r.plaintext);
            log(`verified and decrypted ${r.plaintext.length} bytes (via ${r.via}) into ${file}`);
            return;
          }
          const { writeAttachment } = await import("../attachment-file.ts");
          const written = await writeAttachment(r.plaintext, userPath(o.out), id);
          log(
            `verified and decrypted ${written.bytes} bytes of ${written.contentType} (via ${r.via}) ` +
              `into ${written.file}`,
          );
        } finally {
          await c.close();
        }
      }),
    );
}
