/**
 * WFDB reader tests: our own small records (format 212 round trip, corrupted and truncated
 * files) and the shared MIT-BIH records (counts from the data README, header checksums).
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { AAMI_CLASSES, aamiClassOf } from "../aami.ts";
import type { AamiClass } from "../aami.ts";
import { MITDB_DIR, MITDB_MISSING, mitdbPresent } from "./mitdb.ts";
import { syntheticRecord } from "./synthetic.ts";
import {
  BEAT_SYMBOLS,
  WfdbFormatError,
  checksum16,
  decodeAnnotations,
  decodeFormat212,
  encodeAnnotations,
  encodeFormat212,
  parseWfdbHeader,
  readWfdbRecord,
  toMillivolts,
} from "./index.ts";

/** Writes a 2-signal record `name` with the given samples and annotations into `dir`. */
async function writeRecord(
  dir: string,
  name: string,
  signals: Int16Array[],
  annotations: { sample: number; code: number; aux: string }[],
) {
  const lines = [`${name} 2 360 ${signals[0]!.length}`];
  signals.forEach((s, i) =>
    lines.push(`${name}.dat 212 200 11 1024 ${s[0]} ${checksum16(s)} 0 ${i === 0 ? "MLII" : "V1"}`),
  );
  lines.push("# 50 F test fixture");
  await writeFile(path.join(dir, `${name}.hea`), lines.join("\n") + "\n");
  await writeFile(path.join(dir, `${name}.dat`), encodeFormat212(signals));
  await writeFile(path.join(dir, `${name}.atr`), encodeAnnotations(annotations));
}

describe("WFDB: own fixtures", () => {
  const a = Int16Array.from({ length: 3601 }, (_, i) => Math.round(1024 + 300 * Math.sin(i / 20)) - 1024);
  const b = Int16Array.from({ length: 3601 }, (_, i) => ((i * 37) % 4096) - 2048);
  const annotations = [
    { sample: 10, code: 28, aux: "(N" },
    { sample: 100, code: 1, aux: "" },
    { sample: 400, code: 5, aux: "" },
    { sample: 2000, code: 8, aux: "" }, // needs a SKIP escape (gap > 1023)
    { sample: 3600, code: 12, aux: "" },
  ];

  test("format 212 round-trips odd sample counts and the full 12-bit range", () => {
    const bytes = encodeFormat212([a, b]);
    assert.equal(bytes.length, Math.ceil((3601 * 2) / 2) * 3);
    const spec = (s: Int16Array) => ({
      fileName: "x.dat",
      format: 212,
      gain: 200,
      baseline: 0,
      units: "mV",
      adcResolution: 12,
      adcZero: 0,
      initialValue: s[0]!,
      checksum: checksum16(s),
      description: "",
    });
    const [a2, b2] = decodeFormat212(bytes, [spec(a), spec(b)], 3601);
    assert.deepEqual(a2, a);
    assert.deepEqual(b2, b);
    const odd = Int16Array.of(-2048, 2047, 5);
    assert.deepEqual(decodeFormat212(encodeFormat212([odd]), [spec(odd)], 3)[0], odd);
  });

  test("annotations round-trip with SKIP and AUX escapes", () => {
    const decoded = decodeAnnotations(encodeAnnotations(annotations));
    assert.deepEqual(
      decoded.map((x) => [x.sample, x.symbol, x.aux]),
      [
        [10, "+", "(N"],
        [100, "N", ""],
        [400, "V", ""],
        [2000, "A", ""],
        [3600, "/", ""],
      ],
    );
  });

  test("a record on disk reads back; corrupted and truncated signal files are refused", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "meridian-wfdb-"));
    try {
      await writeRecord(dir, "t1", [a, b], annotations);
      const record = await readWfdbRecord(dir, "t1");
      assert.equal(record.header.samplingFrequency, 360);
      assert.deepEqual(record.header.comments, ["50 F test fixture"]);
      assert.deepEqual(record.signals[0], a);
      assert.equal(record.annotations.length, 5);
      const mv = toMillivolts(Int16Array.of(1224), { gain: 200, baseline: 1024 });
      assert.equal(mv[0], 1);

      const dat = encodeFormat212([a, b]);
      dat[3000] = dat[3000]! ^ 0x01; // one flipped bit
      await writeFile(path.join(dir, "t1.dat"), dat);
      await assert.rejects(
        readWfdbRecord(dir, "t1"),
        (e: unknown) => e instanceof WfdbFormatError && /checksum/.test(e.shortMessage),
      );
      await writeFile(path.join(dir, "t1.dat"), encodeFormat212([a, b]).subarray(0, 5000));
      await assert.rejects(
        readWfdbRecord(dir, "t1"),
        (e: unknown) => e instanceof WfdbFormatError && /truncated/.test(e.shortMessage),
      );
      await writeFile(path.join(dir, "t1.atr"), encodeAnnotations(annotations).subarray(0, 9));
      await writeFile(path.join(dir, "t1.dat"), encodeFormat212([a, b]));
      await assert.rejects(readWfdbRecord(dir, "t1"), WfdbFormatError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("malformed headers are refused with the reason", () => {
    assert.throws(() => parseWfdbHeader(""), /no record line/);
    assert.throws(
      () => parseWfdbHeader("100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n"),
      /declares 2 signals but 1/,
    );
    assert.throws(() => parseWfdbHeader("100/2 2 360"), /multi-segment/);
    assert.throws(
      () =>
        decodeFormat212(
          new Uint8Array(3),
          [
            {
              fileName: "",
              format: 16,
              gain: 200,
              baseline: 0,
              units: "mV",
              adcResolution: 16,
              adcZero: 0,
              initialValue: 0,
              checksum: 0,
              description: "",
            },
          ],
          1,
        ),
      /format 16 is not supported/,
    );
  });
});

/**
 * Per-record counts from ../shared/data/README.md (section 3): beats, then N S V F Q. The README's
 * counts leave out `f` (fusion of paced and normal beats, only in the paced records); PhysioNet's
 * MIT-BIH directory lists 56 of them in 102, 666 in 104 and 260 in 217, checked separately below.
 */
const PACED_FUSION = { "102": 56, "104": 666, "217": 260 } as Record<string, number>;
const README_COUNTS: Record<string, [number, number, number, number, number, number]> = {
  "100": [2273, 2239, 33, 1, 0, 0],
  "101": [1865, 1860, 3, 0, 0, 2],
  "102": [2131, 99, 0, 4, 0, 2028],
  "103": [2084, 2082, 2, 0, 0, 0],
  "104": [1563, 163, 0, 2, 0, 1398],
  "106": [2027, 1507, 0, 520, 0, 0],
  "108": [1763, 1740, 4, 17, 2, 0],
  "109": [2532, 2492, 0, 38, 2, 0],
  "111": [2124, 2123, 0, 1, 0, 0],
  "112": [2539, 2537, 2, 0, 0, 0],
  "113": [1795, 1789, 6, 0, 0, 0],
  "114": [1879, 1820, 12, 43, 4, 0],
  "115": [1953, 1953, 0, 0, 0, 0],
  "116": [2412, 2302, 1, 109, 0, 0],
  "117": [1535, 1534, 1, 0, 0, 0],
  "118": [2278, 2166, 96, 16, 0, 0],
  "121": [1863, 1861, 1, 1, 0, 0],
  "122": [2476, 2476, 0, 0, 0, 0],
  "123": [1518, 1515, 0, 3, 0, 0],
  "124": [1619, 1536, 31, 47, 5, 0],
  "200": [2601, 1743, 30, 826, 2, 0],
  "203": [2980, 2529, 2, 444, 1, 4],
  "205": [2656, 2571, 3, 71, 11, 0],
  "207": [1860, 1543, 107, 210, 0, 0],
  "208": [2955, 1586, 2, 992, 373, 2],
  "209": [3005, 2621, 383, 1, 0, 0],
  "210": [2650, 2423, 22, 195, 10, 0],
  "212": [2748, 2748, 0, 0, 0, 0],
  "214": [2262, 2003, 0, 256, 1, 2],
  "215": [3363, 3195, 3, 164, 1, 0],
  "217": [1948, 244, 0, 162, 0, 1542],
  "219": [2154, 2082, 7, 64, 1, 0],
  "220": [2048, 1954, 94, 0, 0, 0],
  "222": [2483, 2274, 209, 0, 0, 0],
  "223": [2605, 2045, 73, 473, 14, 0],
  "228": [2053, 1688, 3, 362, 0, 0],
  "230": [2256, 2255, 0, 1, 0, 0],
  "231": [1571, 1568, 1, 2, 0, 0],
  "233": [3079, 2230, 7, 831, 11, 0],
  "234": [2753, 2700, 50, 3, 0, 0],
};

describe("WFDB: shared MIT-BIH records", { skip: mitdbPresent() ? false : MITDB_MISSING }, () => {
  test("all 40 records read with matching header checksums, and beat and AAMI counts match the data README", async () => {
    const totals: Record<AamiClass, number> = { N: 0, S: 0, V: 0, F: 0, Q: 0 };
    for (const [name, [beats, ...perClass]] of Object.entries(README_COUNTS)) {
      const record = await readWfdbRecord(MITDB_DIR, name); // checks first values and checksums
      assert.equal(record.header.samplingFrequency, 360);
      assert.equal(record.signals[0]!.length, 650_000);
      assert.equal(
        record.annotations.filter((x) => x.symbol === "f").length,
        PACED_FUSION[name] ?? 0,
        `record ${name} paced fusion beats`,
      );
      const beatAnnotations = record.annotations.filter((x) => BEAT_SYMBOLS.has(x.symbol) && x.symbol !== "f");
      assert.equal(beatAnnotations.length, beats, `record ${name} beats`);
      const counts = AAMI_CLASSES.map((c) => beatAnnotations.filter((x) => aamiClassOf(x.symbol) === c).length);
      assert.deepEqual(counts, perClass, `record ${name} N/S/V/F/Q`);
      AAMI_CLASSES.forEach((c, i) => (totals[c] += counts[i]!));
    }
    assert.deepEqual(totals, { N: 77_796, S: 1_188, V: 5_859, F: 438, Q: 4_978 }); // "Shared totals" line
  });

  test("rhythm labels are read from AUX fields", async () => {
    const record = await readWfdbRecord(MITDB_DIR, "203");
    const rhythms = new Set(record.annotations.filter((x) => x.symbol === "+").map((x) => x.aux));
    for (const r of ["(AFIB", "(AFL", "(T", "(VT"]) assert.ok(rhythms.has(r), `203 has ${r}`);
  });
});

describe("the synthetic record", () => {
  test("has MIT-BIH conventions, N and V reference beats at its R peaks, and a heart rate near 72/min", () => {
    const r = syntheticRecord({ durationSeconds: 60 });
    assert.equal(r.header.samplingFrequency, 360);
    assert.equal(r.signals[0]!.length, 21_600);
    assert.equal(r.header.signals[0]!.description, "MLII");
    const v = r.annotations.filter((a) => a.symbol === "V").length,
      n = r.annotations.filter((a) => a.symbol === "N").length;
    assert.ok(v >= 7 && v <= 10 && n > 55, `${n} N, ${v} V`);
    assert.ok(r.annotations.length > 66 && r.annotations.length < 80);
    assert.deepEqual(syntheticRecord({ durationSeconds: 60 }).signals[0], r.signals[0], "deterministic");
  });
});
