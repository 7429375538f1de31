/**
 * WFDB annotation files in the MIT format (PhysioNet `annot(5)`): a stream of 16-bit
 * little-endian words, each a 6-bit annotation code and a 10-bit sample increment, with
 * SKIP (59), NUM (60), SUB (61), CHN (62) and AUX (63) escapes. This is the format of the
 * MIT-BIH reference annotations (`.atr`).
 *
 * @module
 */
import { WfdbFormatError } from "./errors.ts";

/** One annotation. */
export interface WfdbAnnotation {
  /** Sample index (at the record's sampling frequency) the annotation points at. */
  sample: number;
  /** Annotation code (WFDB `ecgcodes.h`, 1 to 49). */
  code: number;
  /** The code's mnemonic symbol (e.g. `N`, `V`, `+`); `?` for codes without one. */
  symbol: string;
  /** Annotation subtype (`subtyp`), 0 unless a SUB escape set it. */
  subtype: number;
  /** Signal number (`chan`) the annotation refers to. */
  channel: number;
  /** Annotator number (`num`). */
  num: number;
  /** Auxiliary text (rhythm labels such as `(AFIB`), or `""`. */
  aux: string;
}

/** Mnemonics of WFDB annotation codes (`ecgcodes.h`, index = code). */
export const ANNOTATION_SYMBOLS: readonly string[] = [
  " ",
  "N",
  "L",
  "R",
  "a",
  "V",
  "F",
  "J",
  "A",
  "S",
  "E",
  "j",
  "/",
  "Q",
  "~",
  "?",
  "|",
  "?",
  "s",
  "T",
  "*",
  "D",
  '"',
  "=",
  "p",
  "B",
  "^",
  "t",
  "+",
  "u",
  "?",
  "!",
  "[",
  "]",
  "e",
  "n",
  "@",
  "x",
  "f",
  "(",
  ")",
  "r",
  "?",
  "?",
  "?",
  "?",
  "?",
  "?",
  "?",
  "?",
];

/** Codes of beat annotations (WFDB `isqrs`): N L R a V F J A S E j / Q e n f. */
export const BEAT_SYMBOLS: ReadonlySet<string> = new Set([
  "N",
  "L",
  "R",
  "a",
  "V",
  "F",
  "J",
  "A",
  "S",
  "E",
  "j",
  "/",
  "Q",
  "e",
  "n",
  "f",
]);

const SKIP = 59,
  NUM = 60,
  SUB = 61,
  CHN = 62,
  AUX = 63;

/**
 * Decodes an MIT-format annotation file.
 *
 * @param bytes - The `.atr` (or other annotator) file's bytes.
 * @param file - File name used in error messages.
 * @returns The annotations in file order (sample indexes non-decreasing).
 * @throws {@link WfdbFormatError} when the stream ends in the middle of a word, a SKIP or an
 *   AUX field.
 */
export function decodeAnnotations(bytes: Uint8Array, file = "annotation file"): WfdbAnnotation[] {
  const out: WfdbAnnotation[] = [];
  const word = (i: number) => {
    if (i + 1 >= bytes.length)
      throw new WfdbFormatError(
        `${file}: ends inside an annotation word at byte ${i}; the file is truncated or corrupted.`,
      );
    return bytes[i]! | (bytes[i + 1]! << 8);
  };
  let sample = 0,
    subtype = 0,
    channel = 0,
    num = 0;
  let i = 0;
  while (i < bytes.length) {
    const w = word(i);
    i += 2;
    const code = w >> 10;
    const value = w & 0x3ff;
    if (code === 0 && value === 0) break; // end of file
    if (code === SKIP) {
      // A 32-bit interval follows, high 16-bit word first (PDP-11 order).
      const interval = (word(i) << 16) | word(i + 2) | 0;
      i += 4;
      sample += interval;
      continue;
    }
    if (code === NUM) {
      num = value;
      continue;
    }
    if (code === SUB) {
      subtype = value;
      continue;
    }
    if (code === CHN) {
      channel = value;
      continue;
    }
    if (code === AUX) {
      if (i + value > bytes.length)
        throw new WfdbFormatError(`${file}: an AUX field of ${value} bytes runs past the end of the file.`);
      const last = out.at(-1);
      const text = new TextDecoder("latin1").decode(bytes.subarray(i, i + value)).replace(/\0+$/, "");
      if (last) last.aux = text;
      i += value + (value & 1);
      continue;
    }
    sample += value;
    out.push({ sample, code, symbol: ANNOTATION_SYMBOLS[code] ?? "?", subtype, channel, num, aux: "" });
    subtype = 0;
  }
  return out;
}

/**
 * Encodes annotations in the MIT format (the inverse of {@link decodeAnnotations} for
 * `sample`, `code` and `aux`); used to write small test records.
 *
 * @throws {RangeError} when annotations are out of order or a code is not 1 to 49.
 */
export function encodeAnnotations(annotations: readonly Pick<WfdbAnnotation, "sample" | "code" | "aux">[]): Uint8Array {
  const bytesOut: number[] = [];
  const push = (w: number) => bytesOut.push(w & 0xff, (w >> 8) & 0xff);
  let last = 0;
  for (const a of annotations) {
    if (a.code < 1 || a.code > 49) throw new RangeError(`annotation code ${a.code} is not 1 to 49`);
    let delta = a.sample - last;
    if (delta < 0) throw new RangeError("annotations must be in sample order");
    if (delta > 0x3ff) {
      push(SKIP << 10);
      push((delta >>> 16) & 0xffff);
      push(delta & 0xffff);
      delta = 0;
    }
    push((a.code << 10) | delta);
    last = a.sample;
    if (a.aux) {
      const text = new TextEncoder().encode(a.aux);
      push((AUX << 10) | text.length);
      bytesOut.push(...text);
      if (text.length & 1) bytesOut.push(0);
    }
  }
  push(0);
  return Uint8Array.from(bytesOut);
}
