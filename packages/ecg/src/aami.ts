/**
 * AAMI beat classes (ANSI/AAMI EC57:2012, section 4.2): the five heartbeat classes arrhythmia
 * detectors are evaluated on, and the mapping from MIT-BIH beat annotation symbols to them.
 *
 * @module
 */

/** The AAMI heartbeat classes, in their standard order. */
export const AAMI_CLASSES = ["N", "S", "V", "F", "Q"] as const;
/** One AAMI class: N (normal and bundle-branch-block beats), S (supraventricular ectopic), V (ventricular ectopic), F (fusion), Q (paced or unclassifiable). */
export type AamiClass = (typeof AAMI_CLASSES)[number];

/** Names of the AAMI classes, as EC57 words them. */
export const AAMI_CLASS_NAMES: Readonly<Record<AamiClass, string>> = {
  N: "normal or bundle branch block beat",
  S: "supraventricular ectopic beat",
  V: "ventricular ectopic beat",
  F: "fusion of ventricular and normal beat",
  Q: "paced or unclassifiable beat",
};

const MAP: Readonly<Record<string, AamiClass>> = {
  N: "N",
  L: "N",
  R: "N",
  e: "N",
  j: "N",
  A: "S",
  a: "S",
  J: "S",
  S: "S",
  n: "S",
  V: "V",
  E: "V",
  F: "F",
  "/": "Q",
  f: "Q",
  Q: "Q",
};

/**
 * The AAMI class of an MIT-BIH beat annotation symbol (N L R e j → N; A a J S → S; V E → V;
 * F → F; / f Q → Q), or `null` for a non-beat annotation (rhythm, noise, comments).
 */
export function aamiClassOf(symbol: string): AamiClass | null {
  return MAP[symbol] ?? null;
}
