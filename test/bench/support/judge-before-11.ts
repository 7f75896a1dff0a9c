/**
 * Frozen copy of the judge as it was before issue #11 (ceilings only after a switch, p95 from bucket
 * bounds, exceedance ratio 2), kept so the rollout simulator prints today's figures beside the new ones.
 * Not used by the SDK.
 * @module
 */

import { type BernoulliBatch, conditionalBatch, logEValue } from '../../../src/deployment/sequential-test.js';
import { HISTOGRAM_BOUNDS_MS, Histogram } from '../../../src/internal/histogram.js';

/** Which arm of a deployment served a request. */
export type Variant = 'stable' | 'candidate';

/** Aggregated outcomes of one arm in one time window (summed over replicas). */
export interface MetricWindow {
  /** Window start, epoch ms. */
  windowStart: number;
  variant: Variant;
  requests: number;
  errors: number;
  /** Requests with at least one guardrail violation. */
  violations: number;
  /** Requests with at least one critical guardrail violation. */
  criticalViolations: number;
  fallbacks: number;
  /** Latency histogram counts over `HISTOGRAM_BOUNDS_MS`. */
  latency: readonly number[];
}

/** Thresholds of a rate metric: how much worse the candidate may be before it fails. */
export interface RateThreshold {
  /** Allowed relative increase over stable (0.5 = 50% more). */
  relative: number;
  /** The observed difference must also exceed this many rate points (0.005 = 0.5 points) to fail. */
  absolute: number;
  /** Ceiling used when there is no stable traffic to compare with (blue-green, all-at-once, step 100). */
  limit?: number | undefined;
}

/** Thresholds of p95 latency. */
export interface LatencyThreshold {
  /** Candidate p95 must exceed stable p95 by this fraction (0.2 = 20%) to fail. */
  relative: number;
  /** …and by this many milliseconds. */
  absoluteMs: number;
  /**
   * Allowed relative increase of the share of candidate requests slower than the stable p95 (the
   * quantity the sequential test runs on; 1 = twice the stable share).
   */
  exceedanceRelative: number;
  /** p95 ceiling in ms used when there is no stable traffic; none by default. */
  limitMs?: number | undefined;
}

/** Analysis settings of a deployment. */
export interface AnalysisConfig {
  /** Overall false-rollback budget, split evenly across the five metrics. @default 0.01 */
  alpha: number;
  errorRate: RateThreshold;
  violationRate: RateThreshold;
  criticalViolationRate: RateThreshold;
  fallbackRate: RateThreshold;
  latencyP95: LatencyThreshold;
  /** Stable requests needed before the latency comparison starts. @default 200 */
  minStableLatencySamples: number;
}

/** Default analysis thresholds. */
export const DEFAULT_ANALYSIS: AnalysisConfig = {
  alpha: 0.01,
  errorRate: { relative: 0.5, absolute: 0.005, limit: 0.05 },
  violationRate: { relative: 0.5, absolute: 0.005, limit: 0.05 },
  criticalViolationRate: { relative: 0, absolute: 0.001, limit: 0.002 },
  fallbackRate: { relative: 0.5, absolute: 0.01, limit: 0.1 },
  latencyP95: { relative: 0.2, absoluteMs: 20, exceedanceRelative: 1 },
  minStableLatencySamples: 200,
};

/** Names of the judged metrics. */
export type MetricName =
  | 'errorRate'
  | 'violationRate'
  | 'criticalViolationRate'
  | 'fallbackRate'
  | 'latencyP95';

/** Outcome of a judgement. */
export type VerdictKind = 'pass' | 'fail' | 'inconclusive';

/** Figures of one metric in a verdict. */
export interface MetricFigures {
  metric: MetricName;
  /** Candidate value (a rate 0–1, or ms for latency). */
  candidate: number;
  /** Stable value, or null when stable had no traffic. */
  stable: number | null;
  candidateSamples: number;
  stableSamples: number;
  /** Current e-value against "candidate within thresholds". */
  evidence: number;
  /** e-value at which the metric fails (metrics / alpha). */
  evidenceNeeded: number;
  /** True when the evidence and the absolute gate both say the candidate is worse. */
  breached: boolean;
}

/** A judgement with its figures and a reason in plain words. */
export interface Verdict {
  verdict: VerdictKind;
  reason: string;
  metrics: MetricFigures[];
  candidateSamples: number;
  stableSamples: number;
  /** Candidate requests since the current step started. */
  stepSamples: number;
  stepElapsedMs: number;
  /** Epoch ms of the judgement. */
  at: number;
}

/** Input of {@link judge}. */
export interface JudgeInput {
  windows: readonly MetricWindow[];
  stepStartedAt: number;
  now: number;
  minDurationMs: number;
  minSamples: number;
  config: AnalysisConfig;
}

type RateMetric = Exclude<MetricName, 'latencyP95'>;
const RATE_FIELDS: Record<RateMetric, 'errors' | 'violations' | 'criticalViolations' | 'fallbacks'> = {
  errorRate: 'errors',
  violationRate: 'violations',
  criticalViolationRate: 'criticalViolations',
  fallbackRate: 'fallbacks',
};
const LABELS: Record<MetricName, string> = {
  errorRate: 'error rate',
  violationRate: 'guardrail violation rate',
  criticalViolationRate: 'critical violation rate',
  fallbackRate: 'fallback rate',
  latencyP95: 'p95 latency',
};

interface Pair {
  windowStart: number;
  c: MetricWindow | undefined;
  s: MetricWindow | undefined;
}

/**
 * Judges a candidate against stable from windowed counts.
 * @example
 * ```ts
 * const v = judge({ windows, stepStartedAt, now, minDurationMs: 120_000, minSamples: 500, config: DEFAULT_ANALYSIS });
 * if (v.verdict === 'fail') console.log(v.reason);
 * ```
 */
export function judge(input: JudgeInput): Verdict {
  const pairs = pairWindows(input.windows);
  const needed = 5 / input.config.alpha;
  const metrics: MetricFigures[] = [
    ...(Object.keys(RATE_FIELDS) as RateMetric[]).map((m) => rateFigures(m, pairs, input.config[m], needed)),
    latencyFigures(pairs, input.config, needed),
  ];
  let candidateSamples = 0;
  let stableSamples = 0;
  let stepSamples = 0;
  for (const p of pairs) {
    candidateSamples += p.c?.requests ?? 0;
    stableSamples += p.s?.requests ?? 0;
    if (p.windowStart >= input.stepStartedAt) stepSamples += p.c?.requests ?? 0;
  }
  const stepElapsedMs = Math.max(0, input.now - input.stepStartedAt);
  const base = { metrics, candidateSamples, stableSamples, stepSamples, stepElapsedMs, at: input.now };
  const breached = metrics.filter((m) => m.breached);
  if (breached.length > 0) {
    return { ...base, verdict: 'fail', reason: breached.map(describeBreach).join('; ') };
  }
  if (stepSamples >= input.minSamples && stepElapsedMs >= input.minDurationMs) {
    return {
      ...base,
      verdict: 'pass',
      reason: `No metric is worse on the candidate after ${stepSamples} requests over ${seconds(stepElapsedMs)} in this step (minimum ${input.minSamples} requests, ${seconds(input.minDurationMs)}).`,
    };
  }
  const strongest = metrics.reduce((a, b) => (b.evidence > a.evidence ? b : a));
  return {
    ...base,
    verdict: 'inconclusive',
    reason: `Waiting for data: ${stepSamples} of ${input.minSamples} candidate requests and ${seconds(stepElapsedMs)} of ${seconds(input.minDurationMs)} in this step; no metric shows harm yet (strongest evidence: ${LABELS[strongest.metric]} ${round(strongest.evidence)} of ${round(needed)} needed).`,
  };
}

function pairWindows(windows: readonly MetricWindow[]): Pair[] {
  const byStart = new Map<number, Pair>();
  for (const w of windows) {
    let p = byStart.get(w.windowStart);
    if (!p) {
      p = { windowStart: w.windowStart, c: undefined, s: undefined };
      byStart.set(w.windowStart, p);
    }
    const key = w.variant === 'candidate' ? 'c' : 's';
    p[key] = p[key] ? sumWindows(p[key], w) : w;
  }
  return [...byStart.values()].sort((a, b) => a.windowStart - b.windowStart);
}

function sumWindows(a: MetricWindow, b: MetricWindow): MetricWindow {
  return {
    windowStart: a.windowStart,
    variant: a.variant,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    violations: a.violations + b.violations,
    criticalViolations: a.criticalViolations + b.criticalViolations,
    fallbacks: a.fallbacks + b.fallbacks,
    latency: a.latency.map((n, i) => n + (b.latency[i] ?? 0)),
  };
}

function rateFigures(metric: RateMetric, pairs: Pair[], t: RateThreshold, needed: number): MetricFigures {
  const field = RATE_FIELDS[metric];
  const batches: BernoulliBatch[] = [];
  let xC = 0;
  let nC = 0;
  let xS = 0;
  let nS = 0;
  let xC1 = 0;
  let nC1 = 0;
  for (const p of pairs) {
    const c = p.c;
    if (!c || c.requests === 0) continue;
    const s = p.s;
    if (s && s.requests > 0) {
      xC += c[field];
      nC += c.requests;
      xS += s[field];
      nS += s.requests;
      if (c[field] + s[field] > 0)
        batches.push(conditionalBatch(c[field], c.requests, s[field], s.requests, 1 + t.relative));
    } else if (t.limit !== undefined) {
      xC1 += c[field];
      nC1 += c.requests;
      batches.push({ x: c[field], n: c.requests, p0: t.limit });
    }
  }
  const evidence = Math.exp(Math.min(700, logEValue(batches)));
  const twoArm = nC > 0 && nS > 0;
  const candidate = twoArm ? xC / nC : nC1 > 0 ? xC1 / nC1 : 0;
  const stable = nS > 0 ? xS / nS : null;
  const gate = twoArm ? candidate - (stable ?? 0) > t.absolute : t.limit !== undefined && candidate > t.limit;
  return {
    metric,
    candidate,
    stable,
    candidateSamples: twoArm ? nC : nC1,
    stableSamples: nS,
    evidence,
    evidenceNeeded: needed,
    breached: evidence >= needed && gate,
  };
}

function latencyFigures(pairs: Pair[], config: AnalysisConfig, needed: number): MetricFigures {
  const t = config.latencyP95;
  const batches: BernoulliBatch[] = [];
  const stableSoFar = new Histogram();
  const cand2 = new Histogram();
  const cand1 = new Histogram();
  const limitIdx = t.limitMs === undefined ? -1 : bucketAtOrAbove(t.limitMs);
  for (const p of pairs) {
    const c = p.c;
    const s = p.s;
    if (c && c.requests > 0 && s && s.requests > 0) {
      cand2.merge({ counts: c.latency as number[] });
      // The bound comes from earlier windows only (predictable), so each batch stays a valid test.
      if (stableSoFar.count >= config.minStableLatencySamples) {
        const idx = bucketAtOrAbove(stableSoFar.quantile(0.95));
        const xc = countAbove(c.latency, idx);
        const xs = countAbove(s.latency, idx);
        if (xc + xs > 0)
          batches.push(conditionalBatch(xc, sum(c.latency), xs, sum(s.latency), 1 + t.exceedanceRelative));
      }
      stableSoFar.merge({ counts: s.latency as number[] });
    } else if (c && c.requests > 0 && limitIdx >= 0) {
      cand1.merge({ counts: c.latency as number[] });
      batches.push({ x: countAbove(c.latency, limitIdx), n: sum(c.latency), p0: 0.05 });
    }
  }
  const evidence = Math.exp(Math.min(700, logEValue(batches)));
  const twoArm = cand2.count > 0 && stableSoFar.count > 0;
  const candidate = twoArm ? cand2.quantile(0.95) : cand1.quantile(0.95);
  const stable = stableSoFar.count > 0 ? stableSoFar.quantile(0.95) : null;
  const gate = twoArm
    ? candidate > (stable ?? 0) * (1 + t.relative) && candidate - (stable ?? 0) > t.absoluteMs
    : t.limitMs !== undefined && candidate > t.limitMs;
  return {
    metric: 'latencyP95',
    candidate,
    stable,
    candidateSamples: twoArm ? cand2.count : cand1.count,
    stableSamples: stableSoFar.count,
    evidence,
    evidenceNeeded: needed,
    breached: evidence >= needed && gate,
  };
}

function bucketAtOrAbove(ms: number): number {
  const i = HISTOGRAM_BOUNDS_MS.findIndex((b) => b >= ms);
  return i < 0 ? HISTOGRAM_BOUNDS_MS.length : i;
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

function describeBreach(m: MetricFigures): string {
  const fmt = (v: number) => (m.metric === 'latencyP95' ? `${round(v)} ms` : `${round(v * 100)}%`);
  const against = m.stable === null ? 'its ceiling' : `stable ${fmt(m.stable)} (${m.stableSamples} requests)`;
  return `Candidate ${LABELS[m.metric]} ${fmt(m.candidate)} (${m.candidateSamples} requests) is worse than ${against}: evidence ${round(m.evidence)} ≥ ${round(m.evidenceNeeded)} needed`;
}

function seconds(ms: number): string {
  return `${round(ms / 1000)} s`;
}

function round(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v >= 1e6) return v.toExponential(2);
  return String(Math.round(v * 100) / 100);
}
