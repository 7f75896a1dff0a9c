/**
 * Per-metric evidence of the judge. Each window of candidate traffic is compared with the best baseline
 * of the previous model it has, in this order:
 * 1. **concurrent**: the previous model's requests in the same window (the canary split, or the holdback
 *    of players kept on it after a switch). Both arms see the same incidents, load and time of day, so an
 *    incident that hits everything cancels out.
 * 2. **pre-switch**: the previous model's requests in earlier windows of this deployment (a canary's
 *    earlier steps, a blue-green validation period). Used only when a window has no concurrent control;
 *    its rate is taken at an upper confidence bound so its own noise cannot fail a healthy candidate.
 *    It cannot tell a regression from an incident that starts after the switch.
 * 3. **ceiling**: the fixed limits of the analysis settings (a use case's first model); rate limits are
 *    also checked beside 1 and 2 (see {@link rateFigures}).
 * The batch of every window depends on earlier windows only, so each stays a valid sequential test.
 * @module
 */
import { HISTOGRAM_BOUNDS_MS } from '../internal/histogram.js';
import type { AnalysisConfig, MetricFigures, MetricName, MetricWindow, RateThreshold } from './judge.js';
import { type BernoulliBatch, conditionalBatch, logEValue } from './sequential-test.js';

/**
 * Previous-model requests needed before they serve as a pre-switch baseline, or before they may show
 * that the previous model is clearly below a ceiling.
 */
export const MIN_PRE_SWITCH_REQUESTS = 1000;

/** z of the one-sided upper confidence bound put on a pre-switch baseline rate (≈ 99.9 %). */
const BASELINE_Z = 3;

/** z of the latency gate: the candidate's p95 is past the threshold by one standard error (≈ 84 %). */
const GATE_Z = 1;

/** z of "the previous model is clearly below its ceiling" (one-sided 95 %, and ≥ MIN_PRE_SWITCH_REQUESTS). */
const CLEARLY_BELOW_Z = 1.645;

/** Candidate and previous-model windows starting at the same time. @internal */
export interface Pair {
  windowStart: number;
  c: MetricWindow | undefined;
  s: MetricWindow | undefined;
}

type RateMetric = Exclude<MetricName, 'latencyP95'>;
/** Window field counted by each rate metric. @internal */
export const RATE_FIELDS: Record<RateMetric, 'errors' | 'violations' | 'criticalViolations' | 'fallbacks'> = {
  errorRate: 'errors',
  violationRate: 'violations',
  criticalViolationRate: 'criticalViolations',
  fallbackRate: 'fallbacks',
};

/**
 * Evidence and figures of one rate metric. Besides the comparison with the previous model, a metric
 * with a `limit` runs a second test against that ceiling (at half the alpha share when both run): a
 * candidate clearly above its ceiling fails even when the baseline is too small to show it (rare events
 * such as critical violations on a small holdback), provided the previous model is clearly below the
 * ceiling and below half the candidate's rate in the same windows (otherwise it is an incident that
 * hits everything, or too early to tell).
 * @internal
 */
export function rateFigures(
  metric: RateMetric,
  pairs: Pair[],
  t: RateThreshold,
  needed: number,
): MetricFigures {
  const field = RATE_FIELDS[metric];
  const batches: BernoulliBatch[] = [];
  const ceilingBatches: BernoulliBatch[] = [];
  const conc = { xC: 0, nC: 0, xS: 0, nS: 0 };
  const pre = { xC: 0, nC: 0 };
  const all = { xC: 0, nC: 0 };
  let xB = 0; // previous model, earlier windows (the pre-switch baseline so far)
  let nB = 0;
  let preBaseline = 0;
  for (const p of pairs) {
    const c = p.c;
    const s = p.s;
    if (c && c.requests > 0) {
      all.xC += c[field];
      all.nC += c.requests;
      if (t.limit !== undefined) ceilingBatches.push({ x: c[field], n: c.requests, p0: t.limit });
      if (s && s.requests > 0) {
        conc.xC += c[field];
        conc.nC += c.requests;
        conc.xS += s[field];
        conc.nS += s.requests;
        if (c[field] + s[field] > 0)
          batches.push(conditionalBatch(c[field], c.requests, s[field], s.requests, 1 + t.relative));
      } else if (nB >= MIN_PRE_SWITCH_REQUESTS) {
        pre.xC += c[field];
        pre.nC += c.requests;
        preBaseline = nB;
        batches.push({ x: c[field], n: c.requests, p0: scaledRate(upperBound(xB, nB), 1 + t.relative) });
      }
    }
    if (s) {
      xB += s[field];
      nB += s.requests;
    }
  }
  const rate = (x: number, n: number) => (n > 0 ? x / n : 0);
  const comparative = conc.nC > 0 || pre.nC > 0;
  const ceilingEvidence = Math.exp(Math.min(700, logEValue(ceilingBatches)));
  const ceilingNeeded = comparative ? needed * 2 : needed;
  const ceiling: MetricFigures = {
    metric,
    candidate: rate(all.xC, all.nC),
    stable: null,
    candidateSamples: all.nC,
    stableSamples: 0,
    evidence: ceilingEvidence,
    evidenceNeeded: ceilingNeeded,
    breached:
      t.limit !== undefined &&
      ceilingEvidence >= ceilingNeeded &&
      rate(all.xC, all.nC) > t.limit &&
      // The candidate's own breach only when the previous model beside it is clearly below the ceiling
      // and below half the candidate's rate (else it is an incident that hits both, or too early to tell).
      !(
        conc.nS > 0 &&
        (conc.nS < MIN_PRE_SWITCH_REQUESTS ||
          upperBound(conc.xS, conc.nS, CLEARLY_BELOW_Z) > Math.min(t.limit, rate(all.xC, all.nC) / 2))
      ),
    baseline: 'ceiling',
  };
  if (!comparative) return t.limit !== undefined && all.nC > 0 ? ceiling : { ...ceiling, baseline: 'none' };
  const evidence = Math.exp(Math.min(700, logEValue(batches)));
  let figures: MetricFigures;
  if (conc.nC > 0) {
    const candidate = rate(conc.xC, conc.nC);
    const stable = rate(conc.xS, conc.nS);
    // Windows judged against the pre-switch baseline count too (their excess is gated the same way).
    const gate =
      candidate - stable > t.absolute || (pre.nC > 0 && rate(pre.xC, pre.nC) - xB / nB > t.absolute);
    figures = {
      metric,
      candidate,
      stable,
      candidateSamples: conc.nC,
      stableSamples: conc.nS,
      evidence,
      evidenceNeeded: needed,
      breached: evidence >= needed && gate,
      baseline: 'concurrent',
    };
  } else {
    const candidate = rate(pre.xC, pre.nC);
    const stable = xB / nB;
    figures = {
      metric,
      candidate,
      stable,
      candidateSamples: pre.nC,
      stableSamples: preBaseline,
      evidence,
      evidenceNeeded: needed,
      breached: evidence >= needed && candidate - stable > t.absolute,
      baseline: 'pre_switch',
    };
  }
  return !figures.breached && ceiling.breached ? ceiling : figures;
}

/**
 * Latency: a sequential test on the tail directly. The threshold is the histogram bound nearest the
 * previous model's p95 (from earlier windows); the test asks whether the share of candidate requests
 * above it exceeds the previous model's share by more than `exceedanceRelative`. That share reacts to a
 * longer tail even when the median does not move, and needs no finer buckets. Reported p95 values are
 * interpolated inside their bucket.
 * @internal
 */
export function latencyFigures(pairs: Pair[], config: AnalysisConfig, needed: number): MetricFigures {
  const t = config.latencyP95;
  const batches: BernoulliBatch[] = [];
  const buckets = HISTOGRAM_BOUNDS_MS.length + 1;
  const stableSoFar = new Array<number>(buckets).fill(0);
  const candConc = new Array<number>(buckets).fill(0);
  const stableConc = new Array<number>(buckets).fill(0);
  const candPre = new Array<number>(buckets).fill(0);
  const candCeil = new Array<number>(buckets).fill(0);
  const limitIdx = t.limitMs === undefined ? -1 : bucketAtOrAbove(t.limitMs);
  let stableTotal = 0;
  let preBaseline = 0;
  let preThreshold = 0;
  for (const p of pairs) {
    const c = p.c;
    const s = p.s;
    if (c && c.requests > 0) {
      const enough = stableTotal >= config.minStableLatencySamples;
      const idx = enough ? nearestBound(quantile(stableSoFar, 0.95)) : -1;
      if (s && s.requests > 0) {
        add(candConc, c.latency);
        add(stableConc, s.latency);
        if (idx >= 0) {
          const xc = countAbove(c.latency, idx);
          const xs = countAbove(s.latency, idx);
          if (xc + xs > 0)
            batches.push(conditionalBatch(xc, sum(c.latency), xs, sum(s.latency), 1 + t.exceedanceRelative));
        }
      } else if (idx >= 0) {
        add(candPre, c.latency);
        preBaseline = stableTotal;
        preThreshold = HISTOGRAM_BOUNDS_MS[idx] ?? 0;
        const share = upperBound(countAbove(stableSoFar, idx), stableTotal);
        batches.push({
          x: countAbove(c.latency, idx),
          n: sum(c.latency),
          p0: scaledRate(share, 1 + t.exceedanceRelative),
        });
      } else if (limitIdx >= 0) {
        add(candCeil, c.latency);
        batches.push({ x: countAbove(c.latency, limitIdx), n: sum(c.latency), p0: 0.05 });
      }
    }
    if (s) {
      add(stableSoFar, s.latency);
      stableTotal += sum(s.latency);
    }
  }
  const evidence = Math.exp(Math.min(700, logEValue(batches)));
  // The gate: the candidate's p95 is past the threshold with confidence, i.e. clearly more than 5 % of
  // its requests are slower than max(base × (1 + relative), base + absoluteMs). A point estimate alone
  // would fail a tolerated +10 % change whenever a small early sample happens to look worse.
  const worse = (counts: readonly number[], base: number) => {
    const n = sum(counts);
    const threshold = Math.max(base * (1 + t.relative), base + t.absoluteMs);
    return n > 0 && shareAbove(counts, threshold) > 0.05 + GATE_Z * Math.sqrt((0.05 * 0.95) / n);
  };
  const stableP95 = stableTotal > 0 ? quantile(stableSoFar, 0.95) : null;
  const base = { metric: 'latencyP95' as const, evidence, evidenceNeeded: needed };
  if (sum(candConc) > 0 && sum(stableConc) > 0) {
    const candidate = quantile(candConc, 0.95);
    const stable = quantile(stableConc, 0.95);
    let gate = worse(candConc, stable);
    if (sum(candPre) > 0 && preThreshold > 0) gate ||= worse(candPre, stableP95 ?? 0);
    return {
      ...base,
      candidate,
      stable,
      candidateSamples: sum(candConc),
      stableSamples: sum(stableConc),
      breached: evidence >= needed && gate,
      baseline: 'concurrent',
    };
  }
  if (sum(candPre) > 0) {
    const candidate = quantile(candPre, 0.95);
    return {
      ...base,
      candidate,
      stable: stableP95,
      candidateSamples: sum(candPre),
      stableSamples: preBaseline,
      breached: evidence >= needed && worse(candPre, stableP95 ?? 0),
      baseline: 'pre_switch',
    };
  }
  const ceiling = sum(candCeil) > 0;
  const candidate = quantile(ceiling ? candCeil : candConc, 0.95);
  return {
    ...base,
    candidate,
    stable: ceiling ? null : stableP95,
    candidateSamples: ceiling ? sum(candCeil) : sum(candConc),
    stableSamples: ceiling ? 0 : stableTotal,
    breached: ceiling && evidence >= needed && t.limitMs !== undefined && candidate > t.limitMs,
    baseline: ceiling ? 'ceiling' : 'none',
  };
}

/**
 * The q-quantile of histogram counts in ms, interpolated geometrically inside its bucket (the buckets
 * are ~1.21× apart, so the bucket's upper bound alone would hide a +20 % change). 0 when empty.
 * @internal
 */
export function quantile(counts: readonly number[], q: number): number {
  const total = sum(counts);
  if (total === 0) return 0;
  const rank = Math.max(1, q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && seen + n >= rank) {
      const hi = HISTOGRAM_BOUNDS_MS[i];
      const lo = i > 0 ? HISTOGRAM_BOUNDS_MS[i - 1]! : 0;
      if (hi === undefined) return lo; // overflow bucket
      const f = Math.min(1, Math.max(0, (rank - seen) / n));
      return lo > 0 ? lo * (hi / lo) ** f : hi * f;
    }
    seen += n;
  }
  return HISTOGRAM_BOUNDS_MS.at(-1)!;
}

/** Share of the counts above `ms`, interpolating geometrically inside the bucket holding it. */
function shareAbove(counts: readonly number[], ms: number): number {
  const total = sum(counts);
  if (total === 0) return 0;
  const i = bucketAtOrAbove(ms);
  let above = countAbove(counts, i);
  const hi = HISTOGRAM_BOUNDS_MS[i];
  const lo = i > 0 ? HISTOGRAM_BOUNDS_MS[i - 1]! : 0;
  if (hi !== undefined && lo > 0 && ms > lo)
    above += (counts[i] ?? 0) * (1 - Math.log(ms / lo) / Math.log(hi / lo));
  return above / total;
}

/** Index of the bound nearest `ms` (log scale), so about 5 % of the baseline lies above it. */
function nearestBound(ms: number): number {
  const i = bucketAtOrAbove(ms);
  if (i <= 0 || i >= HISTOGRAM_BOUNDS_MS.length) return Math.min(i, HISTOGRAM_BOUNDS_MS.length - 1);
  const hi = HISTOGRAM_BOUNDS_MS[i]!;
  const lo = HISTOGRAM_BOUNDS_MS[i - 1]!;
  return hi / ms <= ms / lo ? i : i - 1;
}

function bucketAtOrAbove(ms: number): number {
  const i = HISTOGRAM_BOUNDS_MS.findIndex((b) => b >= ms);
  return i < 0 ? HISTOGRAM_BOUNDS_MS.length : i;
}

/** Upper confidence bound of a rate x/n (Wilson score). */
function upperBound(x: number, n: number, z = BASELINE_Z): number {
  if (n <= 0) return 1;
  const z2 = z * z;
  const p = x / n;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + spread) / (1 + z2 / n));
}

/** `rate` with its odds multiplied by `ratio` (stays below 1, equals rate·ratio for small rates). */
function scaledRate(rate: number, ratio: number): number {
  if (rate >= 1) return 1;
  const odds = (rate / (1 - rate)) * ratio;
  return odds / (1 + odds);
}

function add(into: number[], counts: readonly number[]): void {
  for (let i = 0; i < into.length; i++) into[i]! += counts[i] ?? 0;
}

function countAbove(counts: readonly number[], idx: number): number {
  let n = 0;
  for (let i = idx + 1; i < counts.length; i++) n += counts[i] ?? 0;
  return n;
}

function sum(counts: readonly number[]): number {
  let n = 0;
  for (const c of counts) n += c;
  return n;
}
