/**
 * `@meridian/ecg/model`: the AAMI beat classifier (Node only). The committed 1-D CNN in
 * `packages/ecg/model/` (TensorFlow.js on its WebAssembly backend) and the LDA baseline beside
 * it, their beat dataset (de Chazal et al. 2004 windows and RR features) and the EC57
 * beat-classification statistics. `npm run ecg:train` (`train.ts`) retrains them.
 *
 * @module
 */
export * from "./baseline.ts";
export * from "./classifier.ts";
export * from "./cnn.ts";
export * from "./dataset.ts";
export * from "./evaluate.ts";
