/**
 * `meridian consent create | redeem | cancel`: one-time consent codes. The patient signs a code
 * (no gas) and shows it as a QR code or text; the provider checks it against the chain and
 * submits it; the patient can cancel an unused one.
 *
 * @module
 */
import type { Command } from "commander";
import QRCode from "qrcode";
import { cancelConsentCode } from "@meridian/sdk/chain";
import { ConfigurationError } from "../env.ts";
import { readUserFile, userPath, writePrivateFile } from "../files.ts";
import { log, out } from "../output.ts";
import { address, expiry, scopeOf, scopeOptions, type ScopeOptions } from "./arguments.ts";
import type { CommandKit } from "./kit.ts";

/** The options of `meridian consent create`. */
type CreateOptions = ScopeOptions & { write?: boolean; expires?: string; valid: string; out?: string; qr: boolean };

/** Registers `meridian consent` and its subcommands on `program`. */
export function registerConsentCommands(program: Command, kit: CommandKit): void {
  const { action } = kit;
  const consent = program
    .command("consent")
    .description("one-time consent codes: the patient signs, the provider submits");
  scopeOptions(
    consent
      .command("create <provider>")
      .description("patient: sign a one-time consent code for a provider (no gas); shows it as a QR code and text"),
  )
    .option("--write", "also consent to the provider adding records in this scope")
    .option("--expires <when>", "when the grant ends: duration (30m, 12h, 7d) or date; default: no expiry")
    .option("--valid <seconds>", "how long the code can be submitted, in seconds", "300")
    .option("--out <file>", "also write the code's text to this file")
    .option("--no-qr", "do not draw the QR code")
    .action(
      action(async (grantee: string, o: CreateOptions) => {
        const validForSeconds = Number(o.valid);
        if (!Number.isInteger(validForSeconds) || validForSeconds < 30 || validForSeconds > 86_400) {
          throw new ConfigurationError("--valid must be a whole number of seconds from 30 to 86400.", {
            details: o.valid,
          });
        }
        const c = await kit.client();
        try {
          const code = await c.createConsentCode({
            grantee: address(grantee, "provider"),
            scope: scopeOf(o),
            write: o.write ?? false,
            expiresAt: expiry(o),
            validForSeconds,
          });
          if (o.out) await writePrivateFile(userPath(o.out), code.text + "\n");
          if (o.qr && process.stderr.isTTY) {
            process.stderr.write(
              await QRCode.toString(code.text, { type: "terminal", small: true, errorCorrectionLevel: "L" }),
            );
          }
          const deadline = new Date(code.code.deadline * 1000).toISOString();
          log(
            `consent code ${code.shortCode}: valid until ${deadline}; ` +
              "the provider submits it with `meridian consent redeem`",
          );
          out({
            shortCode: code.shortCode,
            deadline: code.code.deadline,
            nonce: code.code.nonce,
            digest: code.digest,
            text: code.text,
          });
        } finally {
          await c.close();
        }
      }),
    );
  consent
    .command("redeem <code>")
    .description(
      "provider: check a consent code against the chain and submit it (you pay the gas); <code> is the text or @file",
    )
    .action(
      action(async (code: string) => {
        const text = code.startsWith("@")
          ? (await readUserFile(code.slice(1), "consent code file")).toString("utf8")
          : code;
        const c = await kit.client();
        try {
          const r = await c.redeemConsentCode(text.trim());
          out({
            hash: r.hash,
            gasUsed: r.gasUsed,
            grantId: r.grantId,
            consentHash: r.consentHash,
            patient: r.code.patient,
            scope: r.code.scope,
            write: r.code.write,
            expiresAt: r.code.expiresAt,
          });
        } finally {
          await c.close();
        }
      }),
    );
  consent
    .command("cancel <nonce>")
    .description("patient: cancel an unused consent code (by the nonce `consent create` printed)")
    .action(
      action(async (nonce: string) => {
        if (!/^\d{1,78}$/.test(nonce)) {
          throw new ConfigurationError("The nonce is the decimal number `consent create` printed.", { details: nonce });
        }
        out(await cancelConsentCode(await kit.context(), BigInt(nonce)));
      }),
    );
}
