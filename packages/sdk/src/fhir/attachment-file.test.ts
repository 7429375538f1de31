/**
 * An attachment written out as a file can never be one the operating system runs or the browser
 * renders as active content: the extension and type come only from the allow-list of MIME types,
 * never from the name the record gives.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MAX_ATTACHMENT_BASE_NAME_BYTES,
  SAFE_ATTACHMENT_TYPES,
  safeAttachmentContentType,
  safeAttachmentFileName,
} from "./attachment.ts";

/** Extensions that run code, install something or render active content when opened. */
const DANGEROUS =
  /\.(hta|exe|com|scr|bat|cmd|ps1|vbs|vbe|js|jse|wsf|wsh|msi|msc|lnk|jar|html?|svg|xml|xhtml|url|reg|cpl|dll|sh|app)$/i;

/** The safe name of a file recorded as `fileName` with `contentType`. */
const named = (fileName: string, contentType?: string): string => safeAttachmentFileName({ fileName, contentType });

describe("safeAttachmentFileName: the extension comes from the MIME type, never from the recorded name", () => {
  test("an HTML application (.hta) and an executable (.exe) are saved as .bin", () => {
    assert.equal(named("results.hta", "application/hta"), "results.bin");
    assert.equal(named("viewer.exe", "application/x-msdownload"), "viewer.bin");
    assert.equal(named("viewer.exe", "application/octet-stream"), "viewer.bin");
  });

  test("a double extension (x.pdf.exe) keeps no inner extension and ends in the type's own", () => {
    assert.equal(named("x.pdf.exe", "application/pdf"), "x_pdf.pdf");
    assert.equal(named("x.pdf.exe", "application/x-dosexec"), "x_pdf.bin");
    assert.equal(named("scan.exe", "application/pdf"), "scan.pdf");
    assert.equal(named("invoice.pdf.hta"), "invoice_pdf.bin");
  });

  test("a missing or empty contentType gives .bin", () => {
    assert.equal(named("scan.pdf"), "scan.bin");
    assert.equal(named("scan.pdf", ""), "scan.bin");
    assert.equal(named("scan.pdf", " ; charset=utf-8"), "scan.bin");
  });

  test("text/html, SVG, XML and JavaScript are active content: .bin", () => {
    const active = ["text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml", "application/xhtml+xml", "text/xml"];
    for (const contentType of [...active, "application/javascript", "text/javascript"]) {
      assert.equal(safeAttachmentFileName({ fileName: "page.html", contentType }), "page.bin", contentType);
      assert.equal(safeAttachmentContentType(contentType), "application/octet-stream", contentType);
    }
  });

  test("the allow-listed types keep their one extension, whatever the record calls the file", () => {
    const cases: [string, string][] = [
      ["application/pdf", "report.pdf"],
      ["application/dicom", "report.dcm"],
      ["image/png", "report.png"],
      ["image/jpeg", "report.jpg"],
      ["text/plain; charset=utf-8", "report.txt"],
      ["application/fhir+json", "report.json"],
      ["Application/PDF; name=evil.exe", "report.pdf"],
    ];
    for (const [contentType, expected] of cases) {
      assert.equal(safeAttachmentFileName({ fileName: "report.hta", contentType }), expected, contentType);
    }
    assert.equal(safeAttachmentContentType("text/plain; charset=utf-8"), "text/plain");
    assert.equal(safeAttachmentContentType("Application/PDF"), "application/pdf");
    for (const extension of Object.values(SAFE_ATTACHMENT_TYPES)) assert.doesNotMatch(`x${extension}`, DANGEROUS);
  });

  test("no path separators, control or bidirectional characters, leading dots or Windows device names", () => {
    assert.equal(named("../../../etc/passwd", "text/plain"), "passwd.txt");
    assert.equal(named("C:\\Users\\Public\\run.bat", "text/plain"), "run.txt");
    assert.equal(named(".bashrc", "text/plain"), "bashrc.txt");
    assert.equal(named("..", "text/plain"), "attachment.txt");
    assert.equal(named("a\u0000b\nc\u001f.pdf", "application/pdf"), "a_b_c_.pdf");
    // U+202E RIGHT-TO-LEFT OVERRIDE would show "report\u202Efdp.exe" as "reportexe.pdf"
    const rtlo = named("report\u202Efdp.exe", "application/x-msdownload");
    assert.equal(rtlo, "report_fdp.bin");
    assert.equal(named('a<b>c:d"e|f?g*h.pdf', "application/pdf"), "a_b_c_d_e_f_g_h.pdf");
    for (const reserved of ["CON", "con.txt", "NUL", "aux.pdf", "COM1", "lpt9.exe", "prn "]) {
      const name = safeAttachmentFileName({ fileName: reserved, contentType: "text/plain" });
      assert.match(name, /^_/, `${reserved} → ${name}`);
    }
    assert.equal(named("console.txt", "text/plain"), "console.txt");
  });

  test("the name is bounded in UTF-8 bytes, without splitting a character, and never empty", () => {
    const long = safeAttachmentFileName({ fileName: `${"é".repeat(500)}.pdf`, contentType: "application/pdf" });
    assert.ok(new TextEncoder().encode(long).length <= MAX_ATTACHMENT_BASE_NAME_BYTES + ".pdf".length);
    assert.equal(long, `${"é".repeat(MAX_ATTACHMENT_BASE_NAME_BYTES / 2)}.pdf`);
    const emoji = safeAttachmentFileName({ fileName: "🩺".repeat(100), contentType: "image/png" });
    assert.equal(emoji, `${"🩺".repeat(MAX_ATTACHMENT_BASE_NAME_BYTES / 4)}.png`);
    assert.equal(safeAttachmentFileName({}), "attachment.bin");
    // no file name: the title is the base name, and its dots are not an extension
    const letter = safeAttachmentFileName({ fileName: " ", title: "Discharge letter", contentType: "application/pdf" });
    assert.equal(letter, "Discharge letter.pdf");
    const xray = safeAttachmentFileName({ title: "Chest X-ray 2024.01.02", contentType: "application/dicom" });
    assert.equal(xray, "Chest X-ray 2024_01_02.dcm");
  });

  test("a fuzz of hostile names never yields a dangerous extension, a separator or a control character", () => {
    const pieces = [".", "..", "/", "\\", ".exe", ".hta", ".pdf", " ", "\u202e", "\u0000", "CON", "a", "é", ":", "\t"];
    const types = [undefined, "", "text/html", "application/pdf", "application/hta", "image/svg+xml", "text/plain"];
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 2000; i++) {
      const fileName = Array.from({ length: 1 + next(8) }, () => pieces[next(pieces.length)]).join("");
      const name = safeAttachmentFileName({ fileName, contentType: types[next(types.length)] });
      assert.doesNotMatch(name, DANGEROUS, JSON.stringify(fileName));
      assert.doesNotMatch(name, /[/\\\p{Cc}\p{Cf}<>:"|?*]/u, JSON.stringify(fileName));
      assert.match(name, /^[^.\s][^.]*\.(pdf|dcm|png|jpg|gif|webp|txt|csv|json|bin)$/u, JSON.stringify(fileName));
    }
  });
});
