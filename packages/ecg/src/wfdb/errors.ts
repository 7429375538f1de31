/**
 * Errors raised while reading WFDB records (PhysioNet's WaveForm DataBase format).
 *
 * @module
 */
import { MeridianError } from "@meridian/sdk";
import type { MeridianErrorParameters } from "@meridian/sdk";

/**
 * A WFDB file that does not parse or does not match its header: a malformed `.hea` line, a
 * signal format other than 212, a `.dat` of the wrong length, a checksum mismatch, or an
 * annotation stream that ends mid-word. The message names the file and what is wrong.
 */
export class WfdbFormatError extends MeridianError {
  override name = "WfdbFormatError" as const;
  constructor(shortMessage: string, parameters: MeridianErrorParameters = {}) {
    super(shortMessage, {
      hint: "Check that the .hea, .dat and .atr files are an unmodified PhysioNet download of the same record (compare them with the database's SHA256SUMS.txt).",
      ...parameters,
    });
  }
}
