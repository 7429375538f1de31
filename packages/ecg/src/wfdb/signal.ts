/**
 * WFDB signal format 212 (PhysioNet `signal(5)`): pairs of 12-bit two's-complement samples
 * packed into 3 bytes, frames of all signals interleaved. This is the format of the MIT-BIH
 * Arrhythmia Database.
 *
 * @module
 */
import { WfdbFormatError } from "./errors.ts";
import type { WfdbSignalSpec } from "./header.ts";

/**
 * Decodes a format-212 signal file into one `Int16Array` per signal (samples in adu).
 *
 * @param bytes - The `.dat` file's bytes.
 * @param signals - The header's signal lines for this file, in frame order (all format 212).
 * @param sampleCount - Samples per signal the header declares.
 * @param file - File name used in error messages.
 * @throws {@link WfdbFormatError} when a signal is not format 212, the file is shorter than
 *   the header declares, or a signal's first value or 16-bit checksum differs from the header
 *   (a corrupted or truncated file).
 */
export function decodeFormat212(
  bytes: Uint8Array,
  signals: readonly WfdbSignalSpec[],
  sampleCount: number,
  file = "signal file",
): Int16Array[] {
  const other = signals.find((s) => s.format !== 212);
  if (other) throw new WfdbFormatError(`${file}: signal format ${other.format} is not supported; only format 212 is.`);
  const n = signals.length;
  const total = sampleCount * n;
  const needed = Math.ceil(total / 2) * 3;
  if (bytes.length < needed)
    throw new WfdbFormatError(
      `${file}: ${bytes.length} bytes, but ${sampleCount} samples of ${n} signals in format 212 need ${needed} bytes (truncated file?).`,
    );
  const out = signals.map(() => new Int16Array(sampleCount));
  for (let k = 0, b = 0; k < total; k += 2, b += 3) {
    const b0 = bytes[b]!,
      b1 = bytes[b + 1]!,
      b2 = bytes[b + 2]!;
    const s0 = b0 | ((b1 & 0x0f) << 8);
    out[k % n]![Math.floor(k / n)] = s0 > 2047 ? s0 - 4096 : s0;
    if (k + 1 < total) {
      const s1 = b2 | ((b1 & 0xf0) << 4);
      out[(k + 1) % n]![Math.floor((k + 1) / n)] = s1 > 2047 ? s1 - 4096 : s1;
    }
  }
  signals.forEach((spec, i) => {
    const samples = out[i]!;
    if (sampleCount > 0 && samples[0] !== spec.initialValue) {
      throw new WfdbFormatError(
        `${file}: signal ${i + 1} (${spec.description}) starts at ${samples[0]} adu, the header says ${spec.initialValue}; the file is corrupted or belongs to another record.`,
      );
    }
    const sum = checksum16(samples);
    if (sum !== spec.checksum) {
      throw new WfdbFormatError(
        `${file}: signal ${i + 1} (${spec.description}) checksum is ${sum}, the header says ${spec.checksum}; the file is corrupted.`,
      );
    }
  });
  return out;
}

/** The 16-bit two's-complement sum of `samples`, as WFDB headers record it. */
export function checksum16(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum = (sum + samples[i]!) & 0xffff;
  return sum > 0x7fff ? sum - 0x10000 : sum;
}

/**
 * Encodes signals as format 212 (the inverse of {@link decodeFormat212}); used to write small
 * test records. Samples must lie in [-2048, 2047] adu.
 *
 * @throws {RangeError} when signals differ in length or a sample is out of the 12-bit range.
 */
export function encodeFormat212(signals: readonly ArrayLike<number>[]): Uint8Array {
  const n = signals.length;
  const count = signals[0]?.length ?? 0;
  if (signals.some((s) => s.length !== count)) throw new RangeError("all signals must have the same number of samples");
  const total = count * n;
  const out = new Uint8Array(Math.ceil(total / 2) * 3);
  const at = (k: number) => {
    const v = signals[k % n]![Math.floor(k / n)]!;
    if (!Number.isInteger(v) || v < -2048 || v > 2047) throw new RangeError(`sample ${v} is outside the 12-bit range`);
    return v & 0xfff;
  };
  for (let k = 0, b = 0; k < total; k += 2, b += 3) {
    const s0 = at(k);
    const s1 = k + 1 < total ? at(k + 1) : 0;
    out[b] = s0 & 0xff;
    out[b + 1] = ((s0 >> 8) & 0x0f) | ((s1 >> 4) & 0xf0);
    out[b + 2] = s1 & 0xff;
  }
  return out;
}
