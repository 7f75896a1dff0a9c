/**
 * Anytime-valid evidence against "the candidate is no worse than allowed", as an e-value (a test
 * martingale): the product, over observation batches, of likelihood ratios of a Bernoulli success
 * probability `p0` (the null boundary) against alternatives whose odds are `k` times higher, averaged
 * over a fixed grid of `k`. Under the null each factor has expectation ≤ 1 whatever `p0` each batch
 * uses, so by Ville's inequality P(sup e ≥ 1/α) ≤ α: the judge may look after every window and the
 * false-alarm rate stays below α.
 * @module
 */

/** One batch: `x` successes in `n` Bernoulli trials whose success probability is ≤ `p0` under the null. */
export interface BernoulliBatch {
  x: number;
  n: number;
  p0: number;
}

/** Odds multipliers mixed over (uniform prior). Covers mild (×1.25) to gross (×100) harm. */
export const ODDS_ALTERNATIVES: readonly number[] = [1.25, 1.5, 2, 3, 5, 10, 30, 100];

const EPS = 1e-12;

/** Natural log of the mixture e-value of `batches` (0 when there is no data). */
export function logEValue(batches: readonly BernoulliBatch[]): number {
  const logs = ODDS_ALTERNATIVES.map((k) => {
    let s = 0;
    for (const b of batches) {
      if (b.n <= 0) continue;
      const p0 = Math.min(1 - EPS, Math.max(EPS, b.p0));
      const p1 = (k * p0) / (k * p0 + 1 - p0);
      s += b.x * Math.log(p1 / p0) + (b.n - b.x) * Math.log((1 - p1) / (1 - p0));
    }
    return s;
  });
  const max = Math.max(...logs);
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - max);
  return max + Math.log(sum / logs.length);
}

/**
 * Batch for a two-arm comparison of event rates, conditional on the number of events in the window:
 * an event comes from the candidate with probability `nC·r/(nC·r + nS)` when the candidate's rate is
 * exactly `r` times the stable one (`r = 1 + relative threshold`). Exact for Poisson counts and very
 * close for binomial counts at the rates the judge watches.
 */
export function conditionalBatch(
  xC: number,
  nC: number,
  xS: number,
  nS: number,
  ratio: number,
): BernoulliBatch {
  const a = nC * ratio;
  return { x: xC, n: xC + xS, p0: a / (a + nS) };
}
