import { describe, expect, it } from 'vitest';
import { OutcomeAggregator } from '../../../src/deployment/outcome-aggregator.js';
import { HISTOGRAM_BOUNDS_MS, Histogram } from '../../../src/internal/histogram.js';
import {
  FAST_BUCKETS_SECONDS,
  histogramSamples,
  REQUEST_BUCKETS_SECONDS,
} from '../../../src/observability/prometheus-metric.js';

describe('histogramSamples', () => {
  it('converts the fine millisecond histogram into cumulative second buckets exactly', () => {
    const h = new Histogram();
    const values = [0.5, 1, 1.2, 3, 9.9, 10, 47, 150, 999, 1000, 1001, 20_000, 400_000];
    for (const v of values) h.record(v);
    const samples = histogramSamples('x', { a: '1' }, h.summary(), REQUEST_BUCKETS_SECONDS);
    const buckets = samples.filter((s) => s.metricName === 'x_bucket');
    expect(buckets.map((s) => s.labels.le)).toEqual([...REQUEST_BUCKETS_SECONDS.map(String), '+Inf']);
    for (const b of buckets) {
      const le = b.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.labels.le) * 1000;
      // The fine bucket of a value is counted under `le` when its upper bound is at most `le`.
      const expected = values.filter((v) => {
        const bound = HISTOGRAM_BOUNDS_MS.find((x) => x >= v) ?? Number.POSITIVE_INFINITY;
        return bound <= le * (1 + 1e-9);
      }).length;
      expect(b.value, `le=${b.labels.le}`).toBe(expected);
      expect(b.labels.a).toBe('1');
    }
    expect(samples.find((s) => s.metricName === 'x_count')!.value).toBe(values.length);
    expect(samples.find((s) => s.metricName === 'x_sum')!.value).toBeCloseTo(
      values.reduce((a, b) => a + b) / 1000,
      9,
    );
  });

  it('gives an empty histogram for a summary without raw counts', () => {
    const samples = histogramSamples('y', {}, { count: 3 }, FAST_BUCKETS_SECONDS);
    expect(samples.every((s) => s.value === 0)).toBe(true);
    expect(samples.length).toBe(FAST_BUCKETS_SECONDS.length + 3);
  });

  it('uses bucket bounds that are a subset of the fine bounds, increasing', () => {
    for (const bounds of [REQUEST_BUCKETS_SECONDS, FAST_BUCKETS_SECONDS]) {
      for (let i = 1; i < bounds.length; i++) expect(bounds[i]!).toBeGreaterThan(bounds[i - 1]!);
      for (const le of bounds) {
        expect(HISTOGRAM_BOUNDS_MS.some((ms) => Math.abs(ms - le * 1000) <= ms * 1e-9)).toBe(true);
      }
    }
  });
});

describe('OutcomeAggregator arm totals', () => {
  it('stay cumulative after windows are written and forgotten', () => {
    const agg = new OutcomeAggregator('r1', 10_000);
    const d = 'd1';
    agg.record({ deploymentId: d, variant: 'candidate', ok: false, latencyMs: 5, criticalViolations: 1 }, 0);
    agg.record({ deploymentId: d, variant: 'candidate', ok: true, latencyMs: 7, violations: 2 }, 1);
    agg.record({ deploymentId: d, variant: 'stable', ok: true, latencyMs: 3, fallback: true }, 2);
    agg.written(agg.drain(), 20_000);
    expect(agg.pending).toBe(0);
    agg.record({ deploymentId: d, variant: 'candidate', ok: true, latencyMs: 9 }, 25_000);
    const c = agg.armTotals().find((t) => t.variant === 'candidate')!;
    expect(c).toMatchObject({ requests: 3, errors: 1, violations: 1, criticalViolations: 1, fallbacks: 0 });
    expect(c.latency.count).toBe(3);
    expect(agg.armTotals().find((t) => t.variant === 'stable')).toMatchObject({ requests: 1, fallbacks: 1 });
  });
});
