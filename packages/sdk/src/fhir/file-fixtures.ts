/**
 * The smallest complete DICOM and PDF files, written by the project itself, for tests, the
 * demo's fixtures and the web app's browser tests. Both pass {@link checkAttachmentStructure}
 * (see `attachment-check.ts`). All content is made up. Browser-safe.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * A one-page PDF 1.4 file (about 700 bytes) showing `text` in Helvetica, with a classic
 * cross-reference table whose offsets are computed, a trailer with `/Root`, `startxref` and
 * `%%EOF` (ISO 32000-1 §7.5).
 *
 * @param text - Printable ASCII shown on the page (parentheses and backslashes are escaped).
 * @returns The file's bytes.
 */
export function minimalPdf(text = "Fixture lab report"): Uint8Array {
  const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
  const stream = `BT /F1 12 Tf 20 50 Td (${escaped}) Tj ET`;
  const objects = [
    "<</Type/Catalog/Pages 2 0 R>>",
    "<</Type/Pages/Kids[3 0 R]/Count 1>>",
    "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
    `<</Length ${stream.length}>>\nstream\n${stream}\nendstream`,
    "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<</Size ${objects.length + 1}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return encoder.encode(body);
}

/**
 * A DICOM PS3.10 file (about 400 bytes): 128-byte preamble, `DICM`, a file meta group with its
 * group length, Media Storage SOP Class (Secondary Capture, 1.2.840.10008.5.1.4.1.1.7) and
 * Instance UIDs and Transfer Syntax (Explicit VR Little Endian, 1.2.840.10008.1.2.1), then a
 * data set with SOP Class/Instance UIDs, modality OT and a 4 x 4, 16-bit image.
 *
 * @param options - `instance`: a suffix that makes the SOP Instance UID unique (digits only,
 *   default `"1"`); `sopClass`: another SOP Class UID; `pixels: false` leaves out Pixel Data.
 * @returns The file's bytes.
 */
export function minimalDicom(options: { instance?: string; sopClass?: string; pixels?: boolean } = {}): Uint8Array {
  const sopClass = options.sopClass ?? "1.2.840.10008.5.1.4.1.1.7";
  const sopInstance = `2.25.1234567890.${options.instance ?? "1"}`;
  const element = (group: number, elem: number, vr: string, value: Uint8Array): number[] => {
    const padded = value.length % 2 ? [...value, vr === "UI" || vr === "OB" ? 0 : 0x20] : [...value];
    const out = [group & 0xff, group >> 8, elem & 0xff, elem >> 8, vr.charCodeAt(0), vr.charCodeAt(1)];
    const n = padded.length;
    if (["OB", "OW", "SQ", "UN", "UT"].includes(vr))
      out.push(0, 0, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
    else out.push(n & 0xff, n >> 8);
    return [...out, ...padded];
  };
  const text = (s: string): Uint8Array => encoder.encode(s);
  const u16 = (n: number): Uint8Array => new Uint8Array([n & 0xff, n >> 8]);
  const u32 = (n: number): Uint8Array => new Uint8Array([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]);
  const meta = [
    ...element(0x0002, 0x0001, "OB", new Uint8Array([0, 1])),
    ...element(0x0002, 0x0002, "UI", text(sopClass)),
    ...element(0x0002, 0x0003, "UI", text(sopInstance)),
    ...element(0x0002, 0x0010, "UI", text("1.2.840.10008.1.2.1")),
  ];
  const pixels = new Uint8Array(32).map((_, i) => i * 8);
  const dataSet = [
    ...element(0x0008, 0x0016, "UI", text(sopClass)),
    ...element(0x0008, 0x0018, "UI", text(sopInstance)),
    ...element(0x0008, 0x0060, "CS", text("OT")),
    ...element(0x0028, 0x0002, "US", u16(1)),
    ...element(0x0028, 0x0004, "CS", text("MONOCHROME2")),
    ...element(0x0028, 0x0010, "US", u16(4)),
    ...element(0x0028, 0x0011, "US", u16(4)),
    ...element(0x0028, 0x0100, "US", u16(16)),
    ...element(0x0028, 0x0101, "US", u16(12)),
    ...element(0x0028, 0x0102, "US", u16(11)),
    ...element(0x0028, 0x0103, "US", u16(0)),
    ...(options.pixels === false ? [] : element(0x7fe0, 0x0010, "OW", pixels)),
  ];
  const groupLength = element(0x0002, 0x0000, "UL", u32(meta.length));
  return new Uint8Array([...new Uint8Array(128), ...text("DICM"), ...groupLength, ...meta, ...dataSet]);
}
