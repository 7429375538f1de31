/**
 * Reading a whole WFDB record (header, format-212 signals, optional annotations) from disk.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { decodeAnnotations } from "./annotations.ts";
import type { WfdbAnnotation } from "./annotations.ts";
import { WfdbFormatError } from "./errors.ts";
import { parseWfdbHeader } from "./header.ts";
import type { WfdbHeader } from "./header.ts";
import { decodeFormat212 } from "./signal.ts";

/** A WFDB record in memory. */
export interface WfdbRecord {
  /** The parsed header. */
  header: WfdbHeader;
  /** One array per signal, samples in adu (convert with {@link toMillivolts}). */
  signals: Int16Array[];
  /** The annotations of the requested annotator, or `[]` when none was read. */
  annotations: WfdbAnnotation[];
}

/** Options of {@link readWfdbRecord}. */
export interface ReadWfdbRecordOptions {
  /** Annotator extension to read (default `"atr"`); `null` reads none. A missing file is an error. */
  annotator?: string | null;
}

/**
 * Reads record `name` from `directory` (`name.hea`, its signal file, `name.<annotator>`).
 *
 * @param directory - Folder holding the record's files.
 * @param name - Record name (e.g. `"100"`).
 * @throws {@link WfdbFormatError} on a malformed or inconsistent file (see
 *   {@link parseWfdbHeader}, {@link decodeFormat212}, {@link decodeAnnotations}); the Node
 *   `ENOENT` error when a file is missing.
 */
export async function readWfdbRecord(
  directory: string,
  name: string,
  options: ReadWfdbRecordOptions = {},
): Promise<WfdbRecord> {
  const headerFile = path.join(directory, `${name}.hea`);
  const header = parseWfdbHeader(await readFile(headerFile, "latin1"), headerFile);
  const files = [...new Set(header.signals.map((s) => s.fileName))];
  if (files.length !== 1)
    throw new WfdbFormatError(
      `${headerFile}: signals are spread over ${files.length} files; only single-file records are supported.`,
    );
  const datFile = path.join(directory, files[0]!);
  const signals = decodeFormat212(new Uint8Array(await readFile(datFile)), header.signals, header.sampleCount, datFile);
  const annotator = options.annotator === undefined ? "atr" : options.annotator;
  let annotations: WfdbAnnotation[] = [];
  if (annotator !== null) {
    const atrFile = path.join(directory, `${name}.${annotator}`);
    annotations = decodeAnnotations(new Uint8Array(await readFile(atrFile)), atrFile);
  }
  return { header, signals, annotations };
}

/**
 * Converts adu samples to physical units (mV for MIT-BIH): `(adu - baseline) / gain`.
 *
 * @param samples - Samples in adu.
 * @param spec - The signal's gain (adu per unit) and baseline (adu).
 */
export function toMillivolts(samples: ArrayLike<number>, spec: { gain: number; baseline: number }): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i]! - spec.baseline) / spec.gain;
  return out;
}
