/**
 * The story of one deployment as data: what the `mms report` HTML file and `mms status` draw, and what
 * hosts building their own views read from `DeploymentManager.report(id)`. Reads only the database
 * (deployment, audit trail, windowed arm counters, rollbacks, the two models), never the inference
 * history, so it answers quickly whatever the history holds. Verdicts are read as stored: the judge
 * may add fields, and metrics are read generically (name, value, boundary, decision).
 * @module
 */
import { Histogram } from '../internal/histogram.js';
import type { DeploymentStore } from './deployment-store.js';
import { type MetricWindow, sumWindows, type Variant } from './judge.js';
import { OutcomeAggregator } from './outcome-aggregator.js';
import type { DeploymentRegistry, Model } from './registry-port.js';
import type { Rollback } from './rollback-types.js';
import type { Deployment, DeploymentEvent } from './types.js';

/** Outcome counters of one arm, summed over replicas (one window, or the whole deployment). */
export interface ArmFigures {
  /** Requests served. */
  readonly requests: number;
  /** Share of requests that failed (0–1); null without requests. */
  readonly errorRate: number | null;
  /** Share of requests with at least one guardrail violation (0–1). */
  readonly violationRate: number | null;
  /** Share of requests with a critical guardrail violation (0–1). */
  readonly criticalViolationRate: number | null;
  /** Share of requests answered by a fallback (0–1). */
  readonly fallbackRate: number | null;
  /** p95 latency in ms (upper bound of its histogram bucket); null without requests. */
  readonly p95Ms: number | null;
}

/** One arm in one time window. */
export interface ArmWindow extends ArmFigures {
  /** Window start. */
  readonly at: Date;
  readonly variant: Variant;
}

/** What the candidate may reach in one window before the judge calls it worse (drawn as the threshold line). */
export interface ThresholdPoint {
  readonly at: Date;
  /** `errorRate`, `violationRate`, `criticalViolationRate`, `fallbackRate` or `latencyP95` (ms). */
  readonly metric: string;
  readonly value: number;
}

/** The judge's evidence on one metric, read generically from the stored verdict. */
export interface EvidenceFigure {
  /** Metric name as the judge stored it. */
  readonly metric: string;
  /** Candidate value (a rate 0–1, or ms for latency), when the verdict has one. */
  readonly candidate: number | null;
  /** Stable value, when the verdict has one. */
  readonly stable: number | null;
  /** Evidence against "candidate within thresholds" (an e-value), when the verdict has one. */
  readonly evidence: number | null;
  /** Evidence at which the metric fails (the decision boundary). */
  readonly boundary: number | null;
  /** `breached`, `within` or whatever decision word the verdict stored. */
  readonly decision: string;
}

/** One point of the traffic weight line. */
export interface WeightPoint {
  readonly at: Date;
  /** Candidate traffic weight in percent. */
  readonly weight: number;
  readonly status: string;
  /** True where a new step (or a status change) starts. */
  readonly boundary: boolean;
}

/** Exposure of players to the candidate up to a point in time. */
export interface ExposurePoint {
  readonly at: Date;
  /** Requests the candidate served so far (each is one player interaction). */
  readonly candidateRequests: number;
  /** Share of players routed to the candidate at that time (sticky bucketing: the weight), percent. */
  readonly playerShare: number;
}

/** The verdict in plain words. */
export interface ReportVerdict {
  /** The deployment's status when the report was made. */
  readonly status: string;
  /** `success`, `rolled back`, `failed`, `aborted` or `in progress`. */
  readonly outcome: 'success' | 'rolled back' | 'failed' | 'aborted' | 'in progress';
  /** One sentence a person reads first. */
  readonly headline: string;
  /** The last recorded reason (for a rollback, the judge's words). */
  readonly reason: string | null;
}

/** Everything the rollout report shows, as JSON-friendly data. */
export interface DeploymentReport {
  readonly generatedAt: Date;
  readonly deployment: Deployment;
  /** The models compared (null when unknown, e.g. a use case's first deployment has no stable). */
  readonly models: { readonly candidate: Model | null; readonly stable: Model | null };
  /** The audit trail, oldest first. */
  readonly events: readonly DeploymentEvent[];
  /** Rollbacks of this deployment, newest first. */
  readonly rollbacks: readonly Rollback[];
  /** Totals per arm over the whole deployment. */
  readonly arms: { readonly stable: ArmFigures; readonly candidate: ArmFigures };
  /** Per-window figures of each arm, oldest first. */
  readonly series: readonly ArmWindow[];
  /** Per-window thresholds the candidate is held to, oldest first. */
  readonly thresholds: readonly ThresholdPoint[];
  readonly weight: readonly WeightPoint[];
  readonly exposure: readonly ExposurePoint[];
  /** The judge's evidence per metric, from the decisive (else the latest) verdict. */
  readonly evidence: readonly EvidenceFigure[];
  readonly verdict: ReportVerdict;
  /** What a reader should do next, in plain words. */
  readonly nextSteps: readonly string[];
}

/** What {@link buildDeploymentReport} reads. @internal */
export interface ReportSources {
  store: Pick<DeploymentStore, 'get' | 'events' | 'metrics'>;
  registry: Pick<DeploymentRegistry, 'getModel'>;
  listRollbacks(filter: { deploymentId: string; limit: number }): Promise<Rollback[]>;
  now: number;
}

type Counter = 'errors' | 'violations' | 'criticalViolations' | 'fallbacks';
const RATES: ReadonlyArray<[metric: string, field: Counter]> = [
  ['errorRate', 'errors'],
  ['violationRate', 'violations'],
  ['criticalViolationRate', 'criticalViolations'],
  ['fallbackRate', 'fallbacks'],
];

/**
 * Builds the report of deployment `d` (already read by the caller).
 * @internal
 */
export async function buildDeploymentReport(
  sources: ReportSources,
  d: Deployment,
): Promise<DeploymentReport> {
  const [events, windows, rollbacks, candidate, stable] = await Promise.all([
    sources.store.events(d.id),
    sources.store.metrics(d.id, OutcomeAggregator.bucketCount),
    sources.listRollbacks({ deploymentId: d.id, limit: 20 }),
    sources.registry.getModel(d.candidateModelId).catch(() => null),
    d.stableModelId ? sources.registry.getModel(d.stableModelId).catch(() => null) : null,
  ]);
  const merged = mergeWindows(windows);
  const series = merged.map((w) => ({ at: new Date(w.windowStart), variant: w.variant, ...figures([w]) }));
  const arms = {
    stable: figures(merged.filter((w) => w.variant === 'stable')),
    candidate: figures(merged.filter((w) => w.variant === 'candidate')),
  };
  const weight = weightLine(d, events, sources.now);
  const verdict = describeVerdict(d, rollbacks);
  return {
    generatedAt: new Date(sources.now),
    deployment: d,
    models: { candidate, stable },
    events,
    rollbacks,
    arms,
    series,
    thresholds: thresholdLine(d, series),
    weight,
    exposure: exposureLine(merged, weight),
    evidence: evidenceOf(decisiveVerdict(d, events)),
    verdict,
    nextSteps: nextSteps(d, verdict, candidate),
  };
}

/** Sums replicas' rows of the same window and arm; oldest first, stable before candidate. */
function mergeWindows(windows: readonly MetricWindow[]): MetricWindow[] {
  const byKey = new Map<string, MetricWindow>();
  for (const w of windows) {
    const key = `${w.windowStart}|${w.variant}`;
    const prev = byKey.get(key);
    byKey.set(key, prev ? sumWindows(prev, w) : w);
  }
  return [...byKey.values()].sort(
    (a, b) => a.windowStart - b.windowStart || a.variant.localeCompare(b.variant) * -1,
  );
}

/** Rates and p95 of the given windows taken together. */
export function figures(windows: readonly MetricWindow[]): ArmFigures {
  let requests = 0;
  const sums: Record<Counter, number> = { errors: 0, violations: 0, criticalViolations: 0, fallbacks: 0 };
  const h = new Histogram();
  for (const w of windows) {
    requests += w.requests;
    for (const [, field] of RATES) sums[field] += w[field];
    h.merge({ counts: w.latency as number[] });
  }
  const rate = (n: number) => (requests > 0 ? n / requests : null);
  return {
    requests,
    errorRate: rate(sums.errors),
    violationRate: rate(sums.violations),
    criticalViolationRate: rate(sums.criticalViolations),
    fallbackRate: rate(sums.fallbacks),
    p95Ms: h.count > 0 ? h.quantile(0.95) : null,
  };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The value the candidate may reach per window: both the relative and the absolute margin over stable
 * must be exceeded to fail, so the line is the larger of the two; without stable traffic, the ceiling.
 */
function thresholdLine(d: Deployment, series: readonly ArmWindow[]): ThresholdPoint[] {
  const analysis = (d.analysis ?? {}) as unknown as Record<string, Record<string, unknown> | undefined>;
  const stableAt = new Map(series.filter((s) => s.variant === 'stable').map((s) => [s.at.getTime(), s]));
  const out: ThresholdPoint[] = [];
  for (const c of series.filter((s) => s.variant === 'candidate')) {
    const s = stableAt.get(c.at.getTime());
    for (const [metric] of RATES) {
      const t = analysis[metric];
      const base = s?.[metric as keyof ArmFigures] as number | null | undefined;
      const relative = num(t?.relative);
      const absolute = num(t?.absolute);
      let value: number | undefined;
      if (s && s.requests > 0 && base !== null && base !== undefined) {
        value = Math.max(base * (1 + (relative ?? 0)), base + (absolute ?? 0));
      } else value = num(t?.limit);
      if (value !== undefined) out.push({ at: c.at, metric, value });
    }
    const lt = analysis.latencyP95;
    if (s?.p95Ms != null) {
      const value = Math.max(s.p95Ms * (1 + (num(lt?.relative) ?? 0)), s.p95Ms + (num(lt?.absoluteMs) ?? 0));
      out.push({ at: c.at, metric: 'latencyP95', value });
    } else if (num(lt?.limitMs) !== undefined) {
      out.push({ at: c.at, metric: 'latencyP95', value: num(lt?.limitMs) as number });
    }
  }
  return out;
}

function weightLine(d: Deployment, events: readonly DeploymentEvent[], now: number): WeightPoint[] {
  const points: WeightPoint[] = [];
  let last: { weight: number; status: string } | null = null;
  for (const e of events) {
    const boundary = !last || last.weight !== e.weight || last.status !== e.toStatus;
    points.push({ at: e.at, weight: e.weight, status: e.toStatus, boundary });
    last = { weight: e.weight, status: e.toStatus };
  }
  // The line runs to the end (or to now while active).
  const end = d.finishedAt ?? new Date(Math.max(now, d.updatedAt.getTime()));
  if (last) points.push({ at: end, weight: last.weight, status: last.status, boundary: false });
  return points;
}

function exposureLine(merged: readonly MetricWindow[], weight: readonly WeightPoint[]): ExposurePoint[] {
  let total = 0;
  const weightAt = (t: number) => {
    let w = 0;
    for (const p of weight) if (p.at.getTime() <= t) w = p.weight;
    return w;
  };
  return merged
    .filter((w) => w.variant === 'candidate')
    .map((w) => {
      total += w.requests;
      return { at: new Date(w.windowStart), candidateRequests: total, playerShare: weightAt(w.windowStart) };
    });
}

/** The verdict that decided the outcome: a failed one if any, else the last recorded, else the latest. */
function decisiveVerdict(d: Deployment, events: readonly DeploymentEvent[]): unknown {
  const withVerdict = events.filter((e) => e.verdict);
  const failed = withVerdict.find((e) => (e.verdict as { verdict?: unknown }).verdict === 'fail');
  return failed?.verdict ?? d.lastVerdict ?? withVerdict.at(-1)?.verdict ?? null;
}

/** Reads a stored verdict's metrics without assuming more than a name per metric. */
export function evidenceOf(verdict: unknown): EvidenceFigure[] {
  const metrics = (verdict as { metrics?: unknown } | null)?.metrics;
  if (!Array.isArray(metrics)) return [];
  return metrics
    .filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null)
    .map((m) => {
      const name = String(m.metric ?? m.name ?? 'metric');
      const evidence = num(m.evidence) ?? num(m.eValue) ?? null;
      const boundary = num(m.evidenceNeeded) ?? num(m.boundary) ?? num(m.threshold) ?? null;
      const decision =
        typeof m.decision === 'string'
          ? m.decision
          : typeof m.breached === 'boolean'
            ? m.breached
              ? 'breached'
              : 'within'
            : 'unknown';
      return {
        metric: name,
        candidate: num(m.candidate) ?? num(m.value) ?? null,
        stable: num(m.stable) ?? null,
        evidence,
        boundary,
        decision,
      };
    });
}

function describeVerdict(d: Deployment, rollbacks: readonly Rollback[]): ReportVerdict {
  const who = d.strategy.replace(/_/g, '-');
  const rb = rollbacks[0];
  switch (d.status) {
    case 'succeeded':
      return {
        status: d.status,
        outcome: 'success',
        headline: `The ${who} rollout succeeded: the candidate is now the current model of ${d.useCase}.`,
        reason: d.reason,
      };
    case 'rolled_back':
    case 'rolling_back':
      return {
        status: d.status,
        outcome: 'rolled back',
        headline: `The ${who} rollout was rolled back${rb ? ` (${rb.trigger})` : ''}: traffic is back on the previous model of ${d.useCase}.`,
        reason: rb?.reason ?? d.reason,
      };
    case 'failed':
      return {
        status: d.status,
        outcome: 'failed',
        headline: `The ${who} rollout failed and needs a person: check which model is current for ${d.useCase}.`,
        reason: rb?.error ?? d.reason,
      };
    case 'aborted':
      return {
        status: d.status,
        outcome: 'aborted',
        headline: `The ${who} rollout was aborted by ${d.actor === 'sdk' ? 'an operator' : d.actor}; the previous model serves.`,
        reason: d.reason,
      };
    default:
      return {
        status: d.status,
        outcome: 'in progress',
        headline: `The ${who} rollout is ${d.status.replace(/_/g, ' ')} at ${d.weight}% candidate traffic.`,
        reason: d.reason,
      };
  }
}

function nextSteps(d: Deployment, v: ReportVerdict, candidate: Model | null): string[] {
  const name = candidate ? `${candidate.modelName} ${candidate.version}` : 'the candidate';
  switch (v.outcome) {
    case 'success':
      return [
        `Keep an eye on ${d.useCase} for the next hours (\`mms status ${d.useCase}\`).`,
        `Retire the previous model once you no longer need a way back (\`mms models retire <id>\`).`,
      ];
    case 'rolled back':
      return [
        `Do not redeploy ${name} as is: it is marked failed.`,
        'Read the reason and the charts above: the metric whose evidence crossed its boundary is what to fix.',
        `Compare the two models' answers in the history (\`mms history query --deployment ${d.id}\`).`,
        'Register a fixed version and start a new canary.',
      ];
    case 'failed':
      return [
        `Check which model is current (\`mms status ${d.useCase}\`) and roll back by hand if needed (\`mms rollback ${d.useCase} --reason …\`).`,
        'Run `mms doctor` to see whether the database or a replica is at fault.',
      ];
    case 'aborted':
      return [`Start a new deployment when ready (\`mms deploy start --use-case ${d.useCase} …\`).`];
    default:
      return [
        `Watch it live: \`mms deploy watch ${d.id}\` (exits 0 on success, 1 on rollback).`,
        `Stop it if players complain: \`mms deploy abort ${d.id}\` or \`mms rollback ${d.useCase} --reason …\`.`,
      ];
  }
}
