/**
 * WFDB header (`.hea`) parsing, after PhysioNet's `header(5)` specification
 * (https://physionet.org/physiotools/wag/header-5.htm). Single-segment records only.
 *
 * @module
 */
import { WfdbFormatError } from "./errors.ts";

/** One signal line of a WFDB header. */
export interface WfdbSignalSpec {
  /** Signal file name (e.g. `100.dat`), relative to the header's directory. */
  fileName: string;
  /** Storage format code (only 212 is read: two 12-bit two's-complement samples per 3 bytes). */
  format: number;
  /** ADC gain in analog-to-digital units (adu) per physical unit (200 adu/mV in MIT-BIH). */
  gain: number;
  /** Sample value (adu) that corresponds to 0 physical units. Defaults to `adcZero`. */
  baseline: number;
  /** Physical units (`mV` when the header gives none). */
  units: string;
  /** ADC resolution in bits (11 in MIT-BIH). */
  adcResolution: number;
  /** ADC value of 0 V input (adu). */
  adcZero: number;
  /** Value of the first sample (adu), used as a read check. */
  initialValue: number;
  /** 16-bit signed sum of all samples of the signal, used as a read check. */
  checksum: number;
  /** Lead or signal description (e.g. `MLII`, `V5`). */
  description: string;
}

/** A parsed WFDB header. */
export interface WfdbHeader {
  /** Record name (e.g. `100`). */
  recordName: string;
  /** Sampling frequency per signal (Hz). */
  samplingFrequency: number;
  /** Samples per signal. */
  sampleCount: number;
  /** Signal specifications, in frame order. */
  signals: WfdbSignalSpec[];
  /** `#` comment lines without the `#` (MIT-BIH: age, sex, medications). */
  comments: string[];
}

const integer = (text: string | undefined, what: string, file: string): number => {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value))
    throw new WfdbFormatError(`${file}: ${what} is "${text ?? ""}", not an integer.`);
  return value;
};

/**
 * Parses the text of a `.hea` file.
 *
 * @param text - The header file's contents (ASCII).
 * @param file - File name used in error messages.
 * @returns The record line, one {@link WfdbSignalSpec} per signal line, and the comments.
 * @throws {@link WfdbFormatError} when a field is missing or malformed, the record is
 *   multi-segment, or the signal count differs from the number of signal lines.
 */
export function parseWfdbHeader(text: string, file = "header"): WfdbHeader {
  const lines = text.split(/\r?\n/);
  const comments = lines.filter((l) => l.trimStart().startsWith("#")).map((l) => l.trimStart().slice(1).trim());
  const fields = lines
    .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))
    .map((l) => l.trim().split(/\s+/));
  const [record, ...signalLines] = fields;
  if (!record) throw new WfdbFormatError(`${file}: no record line.`);
  const [nameField, nsigField, freqField, countField] = record;
  if (!nameField || nameField.includes("/"))
    throw new WfdbFormatError(`${file}: multi-segment records are not supported (record line "${record.join(" ")}").`);
  const signalCount = integer(nsigField, "the number of signals", file);
  const samplingFrequency = Number((freqField ?? "250").split("/")[0]);
  if (!(samplingFrequency > 0))
    throw new WfdbFormatError(`${file}: sampling frequency "${freqField}" is not a positive number.`);
  const sampleCount = integer(countField, "the number of samples", file);
  if (signalLines.length !== signalCount)
    throw new WfdbFormatError(
      `${file}: record line declares ${signalCount} signals but ${signalLines.length} signal lines follow.`,
    );
  const signals = signalLines.map((f, i): WfdbSignalSpec => {
    const what = (name: string) => `signal ${i + 1} ${name}`;
    const [fileName, formatField, gainField, resField, zeroField, initField, sumField, _block, ...description] = f;
    const format = integer(formatField?.split(/[x:+]/)[0], what("format"), file);
    const gainMatch = /^([-+0-9.eE]+)(?:\(([-0-9]+)\))?(?:\/(.+))?$/.exec(gainField ?? "200");
    if (!gainMatch) throw new WfdbFormatError(`${file}: ${what("gain")} "${gainField}" is malformed.`);
    const adcZero = zeroField === undefined ? 0 : integer(zeroField, what("ADC zero"), file);
    const gain = Number(gainMatch[1]) || 200;
    return {
      fileName: fileName ?? "",
      format,
      gain,
      baseline: gainMatch[2] === undefined ? adcZero : Number(gainMatch[2]),
      units: gainMatch[3] ?? "mV",
      adcResolution: resField === undefined ? 12 : integer(resField, what("ADC resolution"), file),
      adcZero,
      initialValue: initField === undefined ? adcZero : integer(initField, what("initial value"), file),
      checksum: sumField === undefined ? 0 : integer(sumField, what("checksum"), file),
      description: description.join(" "),
    };
  });
  return { recordName: nameField, samplingFrequency, sampleCount, signals, comments };
}
