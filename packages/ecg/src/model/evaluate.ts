/**
 * Beat-classification statistics after ANSI/AAMI EC57:2012 (section 4.2 and annex): a 5×5
 * confusion matrix over the AAMI classes (rows: reference, columns: algorithm), per-class
 * sensitivity Se = TP/(TP+FN), positive predictivity +P = TP/(TP+FP), false-positive rate
 * FPR = FP/(FP+TN), and overall accuracy = Σ diagonal / total. These are *gross* statistics
 * (all test beats pooled), as de Chazal et al. (2004) report them.
 *
 * @module
 */
import { AAMI_CLASSES } from "../aami.ts";
import type { AamiClass } from "../aami.ts";

/** Confusion matrix: `matrix[reference][predicted]`, class order {@link AAMI_CLASSES}. */
export type ConfusionMatrix = number[][];

/** Statistics of one class; a ratio is `null` when its denominator is 0 (EC57: undefined). */
export interface ClassStatistics {
  /** Reference beats of the class (TP + FN). */
  support: number;
  /** Beats the algorithm put in the class (TP + FP). */
  predicted: number;
  /** True positives, false negatives, false positives, true negatives (beats). */
  tp: number;
  fn: number;
  fp: number;
  tn: number;
  /** Sensitivity, % (TP / (TP + FN)). */
  se: number | null;
  /** Positive predictivity, % (TP / (TP + FP)). */
  ppv: number | null;
  /** False-positive rate, % (FP / (FP + TN)). */
  fpr: number | null;
}

/** EC57 gross statistics of a confusion matrix. */
export interface Ec57Report {
  /** The confusion matrix the statistics come from. */
  matrix: ConfusionMatrix;
  /** Beats compared. */
  total: number;
  /** Overall accuracy, % (correct / total). */
  accuracy: number | null;
  /** Statistics per AAMI class. */
  perClass: Record<AamiClass, ClassStatistics>;
}

/**
 * Builds a confusion matrix from class indexes.
 *
 * @throws {RangeError} when the arrays differ in length or hold an index outside 0..4.
 */
export function confusionMatrix(reference: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionMatrix {
  if (reference.length !== predicted.length)
    throw new RangeError(`reference has ${reference.length} beats, predicted ${predicted.length}`);
  const k = AAMI_CLASSES.length;
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!,
      p = predicted[i]!;
    if (!(r >= 0 && r < k && p >= 0 && p < k))
      throw new RangeError(`beat ${i}: class index ${r}/${p} outside 0..${k - 1}`);
    m[r]![p]!++;
  }
  return m;
}

const pct = (num: number, den: number) => (den === 0 ? null : (100 * num) / den);

/** EC57 statistics of a confusion matrix (see the module comment). */
export function ec57Metrics(matrix: ConfusionMatrix): Ec57Report {
  const k = AAMI_CLASSES.length;
  let total = 0,
    correct = 0;
  for (let r = 0; r < k; r++)
    for (let p = 0; p < k; p++) {
      total += matrix[r]![p]!;
      if (r === p) correct += matrix[r]![p]!;
    }
  const perClass = {} as Record<AamiClass, ClassStatistics>;
  AAMI_CLASSES.forEach((c, i) => {
    const tp = matrix[i]![i]!;
    const support = matrix[i]!.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, row) => a + row[i]!, 0);
    const fn = support - tp,
      fp = predicted - tp,
      tn = total - tp - fn - fp;
    perClass[c] = {
      support,
      predicted,
      tp,
      fn,
      fp,
      tn,
      se: pct(tp, support),
      ppv: pct(tp, predicted),
      fpr: pct(fp, fp + tn),
    };
  });
  return { matrix, total, accuracy: pct(correct, total), perClass };
}

const fmt = (v: number | null) => (v === null ? "–" : v.toFixed(1));

/** Markdown: the confusion matrix, then a per-class Se / +P / FPR table and the accuracy. */
export function ec57Markdown(report: Ec57Report): string {
  const lines = [
    "| reference ＼ predicted | " + AAMI_CLASSES.join(" | ") + " | total |",
    "|---|" + AAMI_CLASSES.map(() => "---:").join("|") + "|---:|",
  ];
  AAMI_CLASSES.forEach((c, i) =>
    lines.push(`| **${c}** | ${report.matrix[i]!.join(" | ")} | ${report.perClass[c].support} |`),
  );
  lines.push("", "| class | beats | Se % | +P % | FPR % |", "|---|---:|---:|---:|---:|");
  for (const c of AAMI_CLASSES) {
    const s = report.perClass[c];
    lines.push(`| ${c} | ${s.support} | ${fmt(s.se)} | ${fmt(s.ppv)} | ${fmt(s.fpr)} |`);
  }
  lines.push("", `Overall accuracy: **${fmt(report.accuracy)} %** of ${report.total} beats.`);
  return lines.join("\n");
}

/**
 * Mean F1 score (%) over the classes with at least `minSupport` reference beats: the score
 * used to choose the training epoch on the record-wise validation set (it rewards S and V
 * detection, unlike accuracy, which N beats dominate).
 */
export function macroF1(reference: ArrayLike<number>, predicted: ArrayLike<number>, minSupport = 10): number {
  const report = ec57Metrics(confusionMatrix(reference, predicted));
  const scores = AAMI_CLASSES.map((c) => report.perClass[c])
    .filter((s) => s.support >= minSupport)
    .map((s) => (s.tp === 0 ? 0 : (200 * s.tp) / (2 * s.tp + s.fp + s.fn)));
  return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0;
}
