/**
 * The Pan-Tompkins detector's constants: the paper's (Pan J, Tompkins WJ, IEEE Trans Biomed Eng
 * 32(3):230-236, 1985) and the few this implementation adds, marked "ours". Units in each name
 * or comment (Hz, seconds, fractions).
 *
 * @module
 */

/** Pass band of the QRS filter (Hz): Pan & Tompkins' 5-15 Hz. */
export const BAND_PASS_HZ: readonly [low: number, high: number] = [5, 15];
/** Width of the moving-window integrator (s): 150 ms, Pan & Tompkins. */
export const INTEGRATION_WINDOW_SECONDS = 0.15;
/** Refractory period (s): no two QRS complexes closer than 200 ms, Pan & Tompkins. */
export const REFRACTORY_SECONDS = 0.2;
/** Peaks closer than this (s) to the previous QRS are checked for being a T wave: 360 ms, Pan & Tompkins. */
export const T_WAVE_WINDOW_SECONDS = 0.36;
/** Learning phase 1 (s) that initialises the thresholds: 2 s, Pan & Tompkins. */
export const LEARNING_SECONDS = 2;
/** RR MISSED LIMIT as a fraction of RR AVERAGE2: 166 %, Pan & Tompkins. */
export const SEARCH_BACK_RR_FACTOR = 1.66;
/** RR LOW LIMIT and RR HIGH LIMIT as fractions of RR AVERAGE2: 92 % and 116 %, Pan & Tompkins. */
export const RR_LIMITS: readonly [low: number, high: number] = [0.92, 1.16];
/**
 * Longest wait (s) before search-back, whatever RR AVERAGE2 is (ours, not the paper's): it
 * bounds the reporting delay and only shortens the 166 % limit below 33 bpm.
 */
export const MAX_SEARCH_BACK_SECONDS = 3;
/** Half-width (s) of the window of the original signal searched for the R-wave extreme (ours). */
export const R_SEARCH_HALF_WIDTH_SECONDS = 0.08;
/**
 * A complex is reported at its nadir instead of its R-wave maximum when its depth below the
 * local median level exceeds this multiple of its height above it (ours; the margin keeps
 * beats of one shape from flipping between R and S).
 */
export const NEGATIVE_QRS_RATIO = 2;
/** Lowest sampling frequency accepted (Hz): the 15 Hz corner needs margin below Nyquist. */
export const MIN_SAMPLING_FREQUENCY = 50;
