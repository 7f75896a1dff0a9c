/**
 * Building blocks of the Prometheus exporter: a prom-client-compatible metric whose samples are read
 * at scrape time from counts the parts already keep, and the conversion of the SDK's fine latency
 * histograms (milliseconds) into Prometheus histograms (seconds).
 * @module
 */
import type { Metric, Registry } from 'prom-client';
import { HISTOGRAM_BOUNDS_MS, type HistogramSummary } from '../internal/histogram.js';

/** Label values of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** One sample as prom-client's registry renders it. */
export interface Sample {
  readonly value: number;
  readonly labels: Labels;
  /** For histograms: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  readonly metricName?: string;
}

/** Prometheus metric types the exporter writes. */
export type CollectedType = 'counter' | 'gauge' | 'histogram';

/**
 * A metric whose samples come from a callback run at every scrape (prom-client calls `get()`), so the
 * hot path is not instrumented twice: counters are the parts' own cumulative counts. Registered into
 * any prom-client `Registry`.
 * @internal
 */
export class CollectedMetric {
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: CollectedType,
    private readonly read: () => readonly Sample[] | Promise<readonly Sample[]>,
  ) {}

  /** The samples of this scrape. */
  async get(): Promise<{
    name: string;
    help: string;
    type: CollectedType;
    aggregator: 'sum';
    values: Sample[];
  }> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...(await this.read())],
    };
  }

  /** Nothing to reset: the values belong to the parts. */
  reset(): void {}

  /** Registers this metric into `registry` (works with the host's prom-client copy too). */
  registerInto(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/**
 * Histogram bounds in seconds, taken from the SDK's own bounds (`HISTOGRAM_BOUNDS_MS`) between
 * `fromMs` and `toMs`, every `every`-th one (12 per decade / `every`). Because they are a subset of
 * the fine bounds, a fine histogram converts into them exactly.
 */
export function secondsBuckets(fromMs: number, toMs: number, every: number): number[] {
  const out: number[] = [];
  const first = HISTOGRAM_BOUNDS_MS.findIndex((b) => b >= fromMs);
  for (let i = first; i >= 0 && i < HISTOGRAM_BOUNDS_MS.length; i += every) {
    const ms = HISTOGRAM_BOUNDS_MS[i]!;
    if (ms > toMs) break;
    out.push(Number((ms / 1000).toPrecision(4)));
  }
  return out;
}

/** Request latencies (LLM calls, deployment arms, history writes): 1 ms … 100 s, 6 buckets per decade. */
export const REQUEST_BUCKETS_SECONDS: readonly number[] = secondsBuckets(1, 100_000, 2);
/** Fast in-process work (guardrail checks, registry lookups): 1 µs … 1 s, 4 buckets per decade. */
export const FAST_BUCKETS_SECONDS: readonly number[] = secondsBuckets(0.001, 1000, 3);

/**
 * The `_bucket`, `_sum` and `_count` samples of a Prometheus histogram from a fine summary (raw
 * counts over `HISTOGRAM_BOUNDS_MS`). A summary without raw counts gives an empty histogram.
 */
export function histogramSamples(
  name: string,
  labels: Labels,
  summary: Pick<HistogramSummary, 'count' | 'sum' | 'buckets'> | undefined,
  bucketsSeconds: readonly number[],
): Sample[] {
  const raw = summary?.buckets ?? [];
  const out: Sample[] = [];
  let i = 0;
  let cumulative = 0;
  for (const le of bucketsSeconds) {
    const boundMs = le * 1000;
    // Fine bound i is at most boundMs (up to rounding): its bucket lies wholly below `le`.
    while (i < HISTOGRAM_BOUNDS_MS.length && HISTOGRAM_BOUNDS_MS[i]! <= boundMs * (1 + 1e-9)) {
      cumulative += raw[i] ?? 0;
      i++;
    }
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative });
  }
  let total = 0;
  for (const n of raw) total += n;
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: total });
  out.push({ metricName: `${name}_sum`, labels, value: (summary?.sum ?? 0) / 1000 });
  out.push({ metricName: `${name}_count`, labels, value: total });
  return out;
}

/** How long a database-backed figure (the review backlog) is reused between scrapes, ms. */
export const PROMETHEUS_DB_CACHE_MS = 30_000;

/** A finite number or 0 (Prometheus accepts NaN, but a dashboard sum over it is NaN too). */
export function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
