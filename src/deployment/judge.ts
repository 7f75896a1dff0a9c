/**
 * The judge of every strategy: compares the candidate with a baseline of the previous model on error,
 * guardrail-violation, critical-violation and fallback rates and on tail latency, with anytime-valid
 * sequential tests (see `sequential-test.ts`), so repeated looks at a healthy candidate do not inflate
 * false rollbacks and a clearly bad one is stopped early. Which baseline each window is compared with
 * is explained in `judge-metrics.ts`. Pure: no I/O, no clock.
 * @module
 */
import { latencyFigures, type Pair, RATE_FIELDS, rateFigures } from './judge-metrics.js';

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
   * quantity the sequential test runs on; 0.1 = 1.1 times the stable share). The test only says the tail
   * is heavier; the failure also needs the candidate's p95 past `relative` and `absoluteMs` with
   * confidence, so +25 % on p95 with an unchanged median fails and +10 % does not.
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
  latencyP95: { relative: 0.2, absoluteMs: 20, exceedanceRelative: 0.1 },
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

/**
 * What a metric was compared with: the previous model in the same windows (`concurrent`: canary split
 * or holdback), the previous model in earlier windows (`pre_switch`), fixed limits (`ceiling`), or
 * nothing yet (`none`).
 */
export type BaselineKind = 'concurrent' | 'pre_switch' | 'ceiling' | 'none';

/** What to do when a step reaches its maximum duration without its minimum samples. */
export type LowTrafficAction = 'promote' | 'hold' | 'rollback';

/** Figures of one metric in a verdict. */
export interface MetricFigures {
  metric: MetricName;
  /** Candidate value (a rate 0–1, or ms for latency). */
  candidate: number;
  /** Baseline value, or null when judged against a ceiling. */
  stable: number | null;
  candidateSamples: number;
  /** Requests of the baseline the metric was compared with. */
  stableSamples: number;
  /** Current e-value against "candidate within thresholds". */
  evidence: number;
  /** e-value at which the metric fails (metrics / alpha). */
  evidenceNeeded: number;
  /** True when the evidence and the absolute gate both say the candidate is worse. */
  breached: boolean;
  /** What the candidate was compared with (absent in verdicts stored before it existed). */
  baseline?: BaselineKind;
}

/** The baseline a verdict compared the candidate with. */
export interface VerdictBaseline {
  /** The strongest kind used by any metric. */
  kind: BaselineKind;
  /** The previous model, when there is one. */
  modelId: string | null;
  /** Previous-model requests in the same windows as candidate requests. */
  concurrentRequests: number;
  /** Previous-model requests in windows without candidate traffic (before the switch or step). */
  preSwitchRequests: number;
  /** The same in plain words, as it appears in `reason`. */
  description: string;
}

/** A judgement with its figures and a reason in plain words. */
export interface Verdict {
  verdict: VerdictKind;
  /** Why, in plain words, naming the baseline compared against. */
  reason: string;
  metrics: MetricFigures[];
  candidateSamples: number;
  stableSamples: number;
  /** Candidate requests since the current step started. */
  stepSamples: number;
  stepElapsedMs: number;
  /** Epoch ms of the judgement. */
  at: number;
  /** What the candidate was compared with (absent in verdicts stored before it existed). */
  baseline?: VerdictBaseline;
  /** Set when the step reached its maximum duration without its minimum samples. */
  lowTraffic?: LowTrafficAction;
}

/** Input of {@link judge}. */
export interface JudgeInput {
  windows: readonly MetricWindow[];
  stepStartedAt: number;
  now: number;
  minDurationMs: number;
  minSamples: number;
  config: AnalysisConfig;
  /** The previous model's id, named in reasons. */
  baselineModelId?: string | null;
  /** Longest a step waits for `minSamples`; then `onLowTraffic` applies. @default Infinity */
  maxDurationMs?: number;
  /** @default 'hold' */
  onLowTraffic?: LowTrafficAction;
}

/** How each metric is named in verdict reasons. @internal */
export const METRIC_LABELS: Record<MetricName, string> = {
  errorRate: 'error rate',
  violationRate: 'guardrail violation rate',
  criticalViolationRate: 'critical violation rate',
  fallbackRate: 'fallback rate',
  latencyP95: 'p95 latency',
};

/**
 * Judges a candidate against the previous model from windowed counts.
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
    ...(Object.keys(RATE_FIELDS) as (keyof typeof RATE_FIELDS)[]).map((m) =>
      rateFigures(m, pairs, input.config[m], needed),
    ),
    latencyFigures(pairs, input.config, needed),
  ];
  let candidateSamples = 0;
  let stableSamples = 0;
  let stepSamples = 0;
  let concurrentRequests = 0;
  let preSwitchRequests = 0;
  for (const p of pairs) {
    const c = p.c?.requests ?? 0;
    const s = p.s?.requests ?? 0;
    candidateSamples += c;
    stableSamples += s;
    if (c > 0) concurrentRequests += s;
    else preSwitchRequests += s;
    if (p.windowStart >= input.stepStartedAt) stepSamples += c;
  }
  const baseline = describeBaseline(
    metrics,
    input.baselineModelId ?? null,
    concurrentRequests,
    preSwitchRequests,
  );
  const stepElapsedMs = Math.max(0, input.now - input.stepStartedAt);
  const base = {
    metrics,
    candidateSamples,
    stableSamples,
    stepSamples,
    stepElapsedMs,
    at: input.now,
    baseline,
  };
  const against = `Baseline: ${baseline.description}.`;
  const breached = metrics.filter((m) => m.breached);
  if (breached.length > 0) {
    return { ...base, verdict: 'fail', reason: `${breached.map(describeBreach).join('; ')}. ${against}` };
  }
  const minimums = `(minimum ${input.minSamples} requests, ${seconds(input.minDurationMs)})`;
  if (stepSamples >= input.minSamples && stepElapsedMs >= input.minDurationMs) {
    return {
      ...base,
      verdict: 'pass',
      reason: `No metric is worse on the candidate after ${stepSamples} requests over ${seconds(stepElapsedMs)} in this step ${minimums}. ${against}`,
    };
  }
  const max = input.maxDurationMs ?? Number.POSITIVE_INFINITY;
  if (stepElapsedMs >= max && stepElapsedMs >= input.minDurationMs) {
    const action = input.onLowTraffic ?? 'hold';
    const low = `Low traffic: ${stepSamples} of ${input.minSamples} candidate requests after ${seconds(stepElapsedMs)}, past the maximum step duration of ${seconds(max)}; no metric shows harm`;
    const then =
      action === 'promote'
        ? "plan.onLowTraffic is 'promote': the step passes on the data it has"
        : action === 'rollback'
          ? "plan.onLowTraffic is 'rollback': the candidate is rolled back"
          : "plan.onLowTraffic is 'hold': the step keeps waiting for its minimum samples";
    const verdict: VerdictKind =
      action === 'promote' ? 'pass' : action === 'rollback' ? 'fail' : 'inconclusive';
    return { ...base, verdict, lowTraffic: action, reason: `${low}; ${then}. ${against}` };
  }
  const strongest = metrics.reduce((a, b) => (b.evidence > a.evidence ? b : a));
  return {
    ...base,
    verdict: 'inconclusive',
    reason: `Waiting for data: ${stepSamples} of ${input.minSamples} candidate requests and ${seconds(stepElapsedMs)} of ${seconds(input.minDurationMs)} in this step; no metric shows harm yet (strongest evidence: ${METRIC_LABELS[strongest.metric]} ${round(strongest.evidence)} of ${round(needed)} needed). ${against}`,
  };
}

function describeBaseline(
  metrics: MetricFigures[],
  modelId: string | null,
  concurrentRequests: number,
  preSwitchRequests: number,
): VerdictBaseline {
  const kinds = new Set(metrics.map((m) => m.baseline));
  const kind: BaselineKind = kinds.has('concurrent')
    ? 'concurrent'
    : kinds.has('pre_switch')
      ? 'pre_switch'
      : kinds.has('ceiling')
        ? 'ceiling'
        : 'none';
  const model = modelId ? `previous model ${modelId}` : 'the previous model';
  const description =
    kind === 'concurrent'
      ? `${model}, ${concurrentRequests} requests served beside the candidate in the same windows${preSwitchRequests > 0 ? ` (plus ${preSwitchRequests} before them)` : ''}`
      : kind === 'pre_switch'
        ? `${model}, ${preSwitchRequests} requests before the switch (no concurrent control: an incident after the switch is not told apart)`
        : kind === 'ceiling'
          ? 'fixed ceilings of the analysis settings (no previous model traffic to compare with)'
          : `${model}, no comparable traffic yet`;
  return { kind, modelId, concurrentRequests, preSwitchRequests, description };
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

/** Two rows of one window and arm (e.g. two replicas') added up. @internal */
export function sumWindows(a: MetricWindow, b: MetricWindow): MetricWindow {
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

function describeBreach(m: MetricFigures): string {
  const fmt = (v: number) => (m.metric === 'latencyP95' ? `${round(v)} ms` : `${round(v * 100)}%`);
  const against =
    m.stable === null
      ? 'its ceiling'
      : `${m.baseline === 'pre_switch' ? 'the pre-switch baseline' : 'stable'} ${fmt(m.stable)} (${m.stableSamples} requests)`;
  return `Candidate ${METRIC_LABELS[m.metric]} ${fmt(m.candidate)} (${m.candidateSamples} requests) is worse than ${against}: evidence ${round(m.evidence)} ≥ ${round(m.evidenceNeeded)} needed`;
}

/** `ms` as seconds for verdict reasons. @internal */
export function seconds(ms: number): string {
  return `${round(ms / 1000)} s`;
}

/** A figure rounded to two decimals for verdict reasons (exponent form from a million). @internal */
export function round(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v >= 1e6) return v.toExponential(2);
  return String(Math.round(v * 100) / 100);
}
