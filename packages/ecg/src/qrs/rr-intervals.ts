/**
 * Decision rule 5 of the Pan-Tompkins QRS detector (`pan-tompkins.ts`): the two RR-interval
 * averages. RR AVERAGE1 is the mean of the last 8 RR intervals; RR AVERAGE2 the mean of the last
 * 8 that fell within the RR limits (92-116 % of RR AVERAGE2). The rhythm is regular while all of
 * the last 8 intervals are within the limits; then RR AVERAGE2 becomes RR AVERAGE1, as in the
 * paper. Ours: after 8 beats without an in-range interval RR AVERAGE2 is re-seeded from RR
 * AVERAGE1, so that a lasting change of rate cannot freeze it.
 *
 * @module
 */

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The running RR AVERAGE1 / RR AVERAGE2 of one lead, in samples. */
export class RrAverages {
  readonly #limits: readonly [low: number, high: number];
  #rr1: number[] = [];
  #rr2: number[] = [];
  #sinceRr2 = 0;
  #average2: number;
  #irregular = false;

  /**
   * @param initialAverage2 - RR AVERAGE2 (samples) until two beats are seen.
   * @param limits - RR LOW LIMIT and RR HIGH LIMIT as fractions of RR AVERAGE2.
   */
  constructor(initialAverage2: number, limits: readonly [low: number, high: number]) {
    this.#average2 = initialAverage2;
    this.#limits = limits;
  }

  /** RR AVERAGE2 (samples): what search-back waits 166 % of. */
  get average2(): number {
    return this.#average2;
  }

  /** True while any of the last 8 RR intervals is outside the RR limits (THRESHOLD1 is then halved). */
  get irregular(): boolean {
    return this.#irregular;
  }

  /** Records the RR interval (samples) between the last two QRS complexes. */
  update(rr: number): void {
    const [low, high] = this.#limits;
    const rr1 = this.#rr1,
      rr2 = this.#rr2;
    rr1.push(rr);
    if (rr1.length > 8) rr1.shift();
    if (rr2.length === 0 || (rr >= low * this.#average2 && rr <= high * this.#average2)) {
      rr2.push(rr);
      if (rr2.length > 8) rr2.shift();
      this.#sinceRr2 = 0;
    } else {
      this.#sinceRr2++;
    }
    const average2 = mean(rr2);
    const regular = rr1.every((x) => x >= low * average2 && x <= high * average2);
    if (regular || this.#sinceRr2 >= 8) {
      // Regular rhythm: RR AVERAGE2 = RR AVERAGE1 (the paper); 8 beats without an in-range interval: re-seed (ours).
      this.#rr2 = rr1.slice();
      this.#sinceRr2 = 0;
    }
    this.#average2 = mean(this.#rr2);
    this.#irregular = !regular;
  }
}
