/**
 * The judge of paired comparisons: the shadow strategy and replay from history send the SAME prompt to
 * the previous model and the candidate, so each metric is compared pair by pair (a paired test cancels
 * the prompt-to-prompt variation an unpaired one has to out-wait).
 *
 * - Rates (errors, violations, critical violations, fallbacks): McNemar's test made sequential. Only
 *   discordant pairs carry information (one arm had the event, the other not). Under "the candidate's
 *   rate is at most `1 + relative` times the stable one" a discordant pair is candidate-only with
 *   probability ≤ r/(1+r); the e-value of `sequential-test.ts` runs on that Bernoulli stream.
 * - Latency: the same McNemar test on "slower than the previous model's p95" (its p95 on the shadowed
 *   prompts of earlier windows), with `exceedanceRelative`, plus the judge's gate: the candidate's p95
 *   past `relative` and `absoluteMs` with confidence (so +10 % passes and a heavier tail fails).
 * Pure: no I/O, no clock.
 * @module
 */
import { HISTOGRAM_BOUNDS_MS } from '../internal/histogram.js';
import type {
  AnalysisConfig,
  LowTrafficAction,
  MetricFigures,
  MetricName,
  MetricWindow,
  RateThreshold,
  Verdict,
} from './judge.js';
import { METRIC_LABELS, round, seconds } from './judge.js';
import { quantile, RATE_FIELDS } from './judge-metrics.js';
import { type BernoulliBatch, conditionalBatch, logEValue } from './sequential-test.js';

/** What one arm did with one prompt. */
export interface ArmOutcome {
  /** False when the call failed (provider error, timeout). */
  ok: boolean;
  latencyMs: number;
  /** Guardrail violations of its answer. */
  violations: number;
  criticalViolations: number;
  /** True when its answer was replaced by fallback content (or came from a fallback source). */
  fallback: boolean;
}

/** Paired event counts of one rate metric. */
export interface PairedCounts {
  /** Pairs in which the candidate had the event. */
  candidate: number;
  /** Pairs in which the previous model had the event. */
  stable: number;
  /** Discordant pairs: the candidate had it, the previous model did not. */
  candidateOnly: number;
  /** Discordant pairs: the previous model had it, the candidate did not. */
  stableOnly: number;
}

/** Paired outcomes of one time window (summed over replicas). */
export interface ShadowWindow {
  /** Window start, epoch ms. */
  windowStart: number;
  pairs: number;
  errors: PairedCounts;
  violations: PairedCounts;
  criticalViolations: PairedCounts;
  fallbacks: PairedCounts;
  /** Latency histograms over `HISTOGRAM_BOUNDS_MS` (one bucket more for overflow). */
  candidateLatency: number[];
  stableLatency: number[];
  /** Per histogram bound i: pairs whose candidate is slower than bound i and whose stable is not. */
  candidateAbove: number[];
  /** Per histogram bound i: pairs whose stable is slower than bound i and whose candidate is not. */
  stableAbove: number[];
}

/** Input of {@link judgeShadow}. */
export interface ShadowJudgeInput {
  windows: readonly ShadowWindow[];
  /** Epoch ms the comparison started. */
  startedAt: number;
  now: number;
  /** Pairs needed before it may pass. */
  minPairs: number;
  /** Time needed before it may pass. */
  minDurationMs: number;
  config: AnalysisConfig;
  /** The previous model, named in reasons. */
  baselineModelId: string | null;
  /** What the pairs are, for reasons. @default 'shadowed live requests' */
  source?: string;
  /**
   * The previous model's outcomes on ALL live requests of the same windows (the shadow deployment's
   * `stable` rows of `deployment_metrics`): rates are then also compared with this larger unpaired
   * baseline, and the two e-values are averaged (an average of e-values is an e-value). Rare events
   * (critical violations) need it: discordant pairs of a 0.01 % event are too few. None for replay.
   */
  stableWindows?: readonly MetricWindow[];
  /** Longest the comparison waits for `minPairs`; then `onLowTraffic` applies. @default Infinity */
  maxDurationMs?: number;
  /** @default 'hold' */
  onLowTraffic?: LowTrafficAction;
}

type RateMetric = Exclude<MetricName, 'latencyP95'>;
/** Earlier-window stable pairs needed before the latency test starts (p95 of fewer is noise). */
const MIN_LATENCY_BASELINE = 200;
/** z of the latency gate (as in the unpaired judge). */
const GATE_Z = 1;
const BUCKETS = HISTOGRAM_BOUNDS_MS.length + 1;

/** An empty window starting at `windowStart`. */
export function emptyShadowWindow(windowStart: number): ShadowWindow {
  const counts = (): PairedCounts => ({ candidate: 0, stable: 0, candidateOnly: 0, stableOnly: 0 });
  const zeros = () => new Array<number>(BUCKETS).fill(0);
  return {
    windowStart,
    pairs: 0,
    errors: counts(),
    violations: counts(),
    criticalViolations: counts(),
    fallbacks: counts(),
    candidateLatency: zeros(),
    stableLatency: zeros(),
    candidateAbove: zeros(),
    stableAbove: zeros(),
  };
}

/** Adds one pair to a window (the aggregator and replay both count with this). */
export function addPair(w: ShadowWindow, stable: ArmOutcome, candidate: ArmOutcome): void {
  w.pairs++;
  count(w.errors, !stable.ok, !candidate.ok);
  count(w.violations, stable.violations > 0, candidate.violations > 0);
  count(w.criticalViolations, stable.criticalViolations > 0, candidate.criticalViolations > 0);
  count(w.fallbacks, stable.fallback, candidate.fallback);
  const s = bucketOf(stable.latencyMs);
  const c = bucketOf(candidate.latencyMs);
  w.stableLatency[s]!++;
  w.candidateLatency[c]!++;
  // Bound i separates the pair when one arm's bucket is above i and the other's is not.
  for (let i = Math.min(s, c); i < Math.max(s, c); i++) (c > s ? w.candidateAbove : w.stableAbove)[i]!++;
}

/** Sums windows with the same start (rows of several replicas). */
export function mergeShadowWindows(windows: readonly ShadowWindow[]): ShadowWindow[] {
  const byStart = new Map<number, ShadowWindow>();
  for (const w of windows) {
    const into = byStart.get(w.windowStart);
    if (!into) {
      byStart.set(w.windowStart, structuredClone(w));
      continue;
    }
    into.pairs += w.pairs;
    for (const f of Object.values(RATE_FIELDS)) {
      into[f].candidate += w[f].candidate;
      into[f].stable += w[f].stable;
      into[f].candidateOnly += w[f].candidateOnly;
      into[f].stableOnly += w[f].stableOnly;
    }
    for (const k of ['candidateLatency', 'stableLatency', 'candidateAbove', 'stableAbove'] as const)
      for (let i = 0; i < BUCKETS; i++) into[k][i]! += w[k][i] ?? 0;
  }
  return [...byStart.values()].sort((a, b) => a.windowStart - b.windowStart);
}

/**
 * Judges the candidate from paired windows: `fail` as soon as one metric's evidence reaches
 * `metrics / alpha` with its gate, `pass` after `minPairs` pairs and `minDurationMs`, else `inconclusive`.
 * @example
 * ```ts
 * const v = judgeShadow({ windows, startedAt, now, minPairs: 500, minDurationMs: 120_000, config: DEFAULT_ANALYSIS, baselineModelId });
 * ```
 */
export function judgeShadow(input: ShadowJudgeInput): Verdict {
  const windows = mergeShadowWindows(input.windows);
  const needed = 5 / input.config.alpha;
  const stableByStart = new Map<number, MetricWindow>();
  for (const w of input.stableWindows ?? []) {
    if (w.variant !== 'stable') continue;
    const into = stableByStart.get(w.windowStart);
    stableByStart.set(w.windowStart, into ? { ...into, ...sumCounts(into, w) } : { ...w });
  }
  const metrics: MetricFigures[] = [
    ...(Object.keys(RATE_FIELDS) as RateMetric[]).map((m) =>
      pairedRate(m, windows, input.config[m], needed, stableByStart),
    ),
    pairedLatency(windows, input.config, needed),
  ];
  const pairs = windows.reduce((n, w) => n + w.pairs, 0);
  const model = input.baselineModelId ? `previous model ${input.baselineModelId}` : 'the previous model';
  const description = `${model} on the same ${pairs} prompts (paired: ${input.source ?? 'shadowed live requests'})`;
  const elapsed = Math.max(0, input.now - input.startedAt);
  const base = {
    metrics,
    candidateSamples: pairs,
    stableSamples: pairs,
    stepSamples: pairs,
    stepElapsedMs: elapsed,
    at: input.now,
    baseline: {
      kind: 'concurrent' as const,
      modelId: input.baselineModelId,
      concurrentRequests: pairs,
      preSwitchRequests: 0,
      description,
    },
  };
  const against = `Baseline: ${description}.`;
  const breached = metrics.filter((m) => m.breached);
  if (breached.length > 0)
    return { ...base, verdict: 'fail', reason: `${breached.map(describeBreach).join('; ')}. ${against}` };
  if (pairs >= input.minPairs && elapsed >= input.minDurationMs) {
    return {
      ...base,
      verdict: 'pass',
      reason: `No metric is worse on the candidate over ${pairs} paired prompts in ${seconds(elapsed)} (minimum ${input.minPairs} pairs, ${seconds(input.minDurationMs)}). ${against}`,
    };
  }
  const max = input.maxDurationMs ?? Number.POSITIVE_INFINITY;
  if (elapsed >= max && elapsed >= input.minDurationMs) {
    const action = input.onLowTraffic ?? 'hold';
    const then =
      action === 'promote'
        ? "plan.onLowTraffic is 'promote': it passes on the pairs it has"
        : action === 'rollback'
          ? "plan.onLowTraffic is 'rollback': the candidate is rolled back"
          : "plan.onLowTraffic is 'hold': it keeps waiting for its minimum pairs";
    return {
      ...base,
      verdict: action === 'promote' ? 'pass' : action === 'rollback' ? 'fail' : 'inconclusive',
      lowTraffic: action,
      reason: `Low traffic: ${pairs} of ${input.minPairs} pairs after ${seconds(elapsed)}, past the maximum duration of ${seconds(max)}; no metric shows harm; ${then}. ${against}`,
    };
  }
  const strongest = metrics.reduce((a, b) => (b.evidence > a.evidence ? b : a));
  return {
    ...base,
    verdict: 'inconclusive',
    reason: `Waiting for data: ${pairs} of ${input.minPairs} pairs and ${seconds(elapsed)} of ${seconds(input.minDurationMs)}; no metric shows harm yet (strongest evidence: ${METRIC_LABELS[strongest.metric]} ${round(strongest.evidence)} of ${round(needed)} needed). ${against}`,
  };
}

function pairedRate(
  metric: RateMetric,
  windows: readonly ShadowWindow[],
  t: RateThreshold,
  needed: number,
  stableByStart: ReadonlyMap<number, MetricWindow>,
): MetricFigures {
  const f = RATE_FIELDS[metric];
  const ratio = 1 + t.relative;
  const p0 = ratio / (1 + ratio);
  const batches: BernoulliBatch[] = [];
  const unpaired: BernoulliBatch[] = [];
  let c = 0;
  let s = 0;
  let n = 0;
  for (const w of windows) {
    const k = w[f];
    c += k.candidate;
    s += k.stable;
    n += w.pairs;
    if (k.candidateOnly + k.stableOnly > 0)
      batches.push({ x: k.candidateOnly, n: k.candidateOnly + k.stableOnly, p0 });
    const all = stableByStart.get(w.windowStart);
    if (all && all.requests > 0 && w.pairs > 0 && k.candidate + all[f] > 0)
      unpaired.push(conditionalBatch(k.candidate, w.pairs, all[f], all.requests, ratio));
  }
  const paired = Math.exp(Math.min(700, logEValue(batches)));
  const evidence =
    stableByStart.size > 0 ? (paired + Math.exp(Math.min(700, logEValue(unpaired)))) / 2 : paired;
  const candidate = n > 0 ? c / n : 0;
  const stable = n > 0 ? s / n : 0;
  return {
    metric,
    candidate,
    stable,
    candidateSamples: n,
    stableSamples: n,
    evidence,
    evidenceNeeded: needed,
    breached: evidence >= needed && candidate - stable > t.absolute,
    baseline: 'concurrent',
  };
}

function pairedLatency(
  windows: readonly ShadowWindow[],
  config: AnalysisConfig,
  needed: number,
): MetricFigures {
  const t = config.latencyP95;
  const ratio = 1 + t.exceedanceRelative;
  const p0 = ratio / (1 + ratio);
  const batches: BernoulliBatch[] = [];
  const stableSoFar = new Array<number>(BUCKETS).fill(0);
  const cand = new Array<number>(BUCKETS).fill(0);
  const stab = new Array<number>(BUCKETS).fill(0);
  let seen = 0;
  for (const w of windows) {
    if (seen >= MIN_LATENCY_BASELINE && w.pairs > 0) {
      // Threshold from earlier windows only, so each batch stays a valid sequential step.
      const i = Math.min(HISTOGRAM_BOUNDS_MS.length - 1, bucketOf(quantile(stableSoFar, 0.95)));
      const x = w.candidateAbove[i] ?? 0;
      const y = w.stableAbove[i] ?? 0;
      if (x + y > 0) batches.push({ x, n: x + y, p0 });
    }
    add(stableSoFar, w.stableLatency);
    add(cand, w.candidateLatency);
    add(stab, w.stableLatency);
    seen += w.pairs;
  }
  const evidence = Math.exp(Math.min(700, logEValue(batches)));
  const n = sum(cand);
  const candidate = quantile(cand, 0.95);
  const stable = quantile(stab, 0.95);
  const threshold = Math.max(stable * (1 + t.relative), stable + t.absoluteMs);
  const gate = n > 0 && shareAbove(cand, threshold) > 0.05 + GATE_Z * Math.sqrt((0.05 * 0.95) / n);
  return {
    metric: 'latencyP95',
    candidate,
    stable,
    candidateSamples: n,
    stableSamples: n,
    evidence,
    evidenceNeeded: needed,
    breached: evidence >= needed && gate,
    baseline: 'concurrent',
  };
}

function sumCounts(a: MetricWindow, b: MetricWindow): Partial<MetricWindow> {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    violations: a.violations + b.violations,
    criticalViolations: a.criticalViolations + b.criticalViolations,
    fallbacks: a.fallbacks + b.fallbacks,
  };
}

function count(k: PairedCounts, stable: boolean, candidate: boolean): void {
  if (stable) k.stable++;
  if (candidate) k.candidate++;
  if (candidate && !stable) k.candidateOnly++;
  if (stable && !candidate) k.stableOnly++;
}

/** Histogram bucket of `ms` (the last bucket is overflow). */
function bucketOf(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  const i = HISTOGRAM_BOUNDS_MS.findIndex((b) => b >= ms);
  return i < 0 ? HISTOGRAM_BOUNDS_MS.length : i;
}

/** Share of the counts above `ms`, interpolating geometrically inside the bucket holding it. */
function shareAbove(counts: readonly number[], ms: number): number {
  const total = sum(counts);
  if (total === 0) return 0;
  const i = bucketOf(ms);
  let above = 0;
  for (let j = i + 1; j < counts.length; j++) above += counts[j] ?? 0;
  const hi = HISTOGRAM_BOUNDS_MS[i];
  const lo = i > 0 ? HISTOGRAM_BOUNDS_MS[i - 1]! : 0;
  if (hi !== undefined && lo > 0 && ms > lo)
    above += (counts[i] ?? 0) * (1 - Math.log(ms / lo) / Math.log(hi / lo));
  return above / total;
}

function add(into: number[], counts: readonly number[]): void {
  for (let i = 0; i < into.length; i++) into[i]! += counts[i] ?? 0;
}

function sum(counts: readonly number[]): number {
  let n = 0;
  for (const c of counts) n += c;
  return n;
}

function describeBreach(m: MetricFigures): string {
  const fmt = (v: number) => (m.metric === 'latencyP95' ? `${round(v)} ms` : `${round(v * 100)}%`);
  return `Candidate ${METRIC_LABELS[m.metric]} ${fmt(m.candidate)} is worse than the previous model's ${fmt(m.stable ?? 0)} on the same ${m.candidateSamples} prompts: evidence ${round(m.evidence)} ≥ ${round(m.evidenceNeeded)} needed`;
}
