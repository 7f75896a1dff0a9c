/**
 * A small log-linear latency histogram: fixed bucket bounds so histograms from many replicas can be
 * added bucket by bucket (that is how deployment metrics and `metrics()` merge). Relative error of a
 * quantile is below ~5%.
 */
export const HISTOGRAM_BOUNDS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  // 0.001 ms … ~120 s, 12 buckets per decade.
  for (let e = -3; e <= 5; e++) {
    for (let i = 0; i < 12; i++) bounds.push(Number((10 ** (e + i / 12)).toPrecision(4)));
  }
  return bounds;
})();

/** Additive latency histogram with quantiles. */
export class Histogram {
  readonly counts: number[];
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  constructor(counts?: readonly number[]) {
    this.counts = counts ? [...counts] : new Array<number>(HISTOGRAM_BOUNDS_MS.length + 1).fill(0);
    if (counts) this.count = counts.reduce((a, b) => a + b, 0);
  }

  /** Records one observation in milliseconds (negative and non-finite values are ignored). */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.counts[bucketIndex(ms)]!++;
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** Adds another histogram's counts into this one. */
  merge(other: Pick<Histogram, 'counts'> & Partial<Pick<Histogram, 'sum' | 'min' | 'max'>>): void {
    for (let i = 0; i < this.counts.length; i++) {
      const n = other.counts[i] ?? 0;
      this.counts[i]! += n;
      this.count += n;
    }
    this.sum += other.sum ?? 0;
    if (other.min !== undefined && other.min < this.min) this.min = other.min;
    if (other.max !== undefined && other.max > this.max) this.max = other.max;
  }

  /** The q-quantile (0–1) in ms, as the upper bound of the bucket holding it; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i < HISTOGRAM_BOUNDS_MS.length ? HISTOGRAM_BOUNDS_MS[i]! : this.max;
    }
    return this.max;
  }

  /** Plain snapshot for `metrics()`. */
  summary(): HistogramSummary {
    return {
      count: this.count,
      mean: this.count ? this.sum / this.count : 0,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      max: this.max,
      sum: this.sum,
      buckets: [...this.counts],
    };
  }
}

/** Summary of a latency histogram, in milliseconds. */
export interface HistogramSummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Sum of every observation, ms (with `buckets`, what a Prometheus histogram needs). */
  sum?: number;
  /**
   * Raw counts per bucket over `HISTOGRAM_BOUNDS_MS` (the last one is above the highest bound), so
   * replicas and exporters can add them up; not cumulative.
   */
  buckets?: readonly number[];
}

function bucketIndex(ms: number): number {
  let lo = 0;
  let hi = HISTOGRAM_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (HISTOGRAM_BOUNDS_MS[mid]! >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
