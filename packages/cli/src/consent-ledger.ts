/**
 * The CLI's consent-code ledger: `<data-dir>/consent-codes.json`, readable and writable by its
 * owner only (0600), shared by every `meridian` process that uses the same data folder. It holds
 * grantee, nonce, scope, key epoch and deadline of each consent code `meridian consent create`
 * made (never key material), so `add` and `rekey` see a code that was never redeemed
 * (`@meridian/sdk/consent-code-ledger.ts`, docs/keys.md section 4).
 *
 * @module
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createTextConsentCodeLedger, type ConsentCodeLedger } from "@meridian/sdk";
import { toFileAccessError, writePrivateFile } from "./files.ts";

/** File name of the ledger inside the data folder. */
export const CONSENT_CODE_LEDGER_FILE = "consent-codes.json";

/**
 * The ledger kept in `<dataDir>/consent-codes.json` (created 0600 on the first code; a missing
 * file is an empty ledger). Throws `FileAccessError` when the file cannot be read or written.
 */
export function fileConsentCodeLedger(dataDir: string): ConsentCodeLedger {
  const file = path.join(dataDir, CONSENT_CODE_LEDGER_FILE);
  return createTextConsentCodeLedger({
    read: async () => {
      try {
        return await readFile(file, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw toFileAccessError(error, { purpose: "read", what: "consent-code ledger", path: file }) ?? error;
      }
    },
    write: async (text) => {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await writePrivateFile(file, text);
    },
  });
}
