import { describe, expect, it } from 'vitest';
import { percentileCont } from '../../../src/history/log-reader.js';
import { grainRanges } from '../../../src/history/rollup-stats.js';
import {
  addLatency,
  emptyLatency,
  histogramPercentile,
  latencyBucket,
  ROLLUP_PERCENTILE_RELATIVE_ERROR,
  rollupDeltas,
} from '../../../src/history/rollups.js';

const H = 3_600_000;
const D = 24 * H;

describe('rollup histogram', () => {
  it('buckets latencies 24 per decade from 0.1 ms', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.099)).toBe(0);
    expect(latencyBucket(0.1)).toBe(1);
    expect(latencyBucket(1)).toBe(25);
    expect(latencyBucket(1e12)).toBe(193);
  });

  it('percentiles stay within the stated bound of percentile_cont on skewed data', () => {
    let seed = 1;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let trial = 0; trial < 50; trial++) {
      const values = Array.from({ length: 1 + Math.floor(rnd() * 500) }, () =>
        rnd() < 0.05 ? rnd() * 0.1 : Math.exp(rnd() * 10),
      );
      const acc = emptyLatency();
      for (const v of values) addLatency(acc, v);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0, 0.5, 0.95, 0.99, 1]) {
        const exact = percentileCont(sorted, q)!;
        const got = histogramPercentile(acc, q)!;
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(
          exact * ROLLUP_PERCENTILE_RELATIVE_ERROR + 0.05 + 1e-9,
        );
      }
    }
  });

  it('is exact for a single value (clamped to min and max) and null when empty', () => {
    const acc = emptyLatency();
    expect(histogramPercentile(acc, 0.5)).toBeNull();
    addLatency(acc, 123.456);
    expect(histogramPercentile(acc, 0.99)).toBe(123.456);
  });
});

describe('grainRanges', () => {
  it('covers a minute-aligned range with whole days, then hours, then minutes, without overlap', () => {
    const lo = 2 * D + 5 * H + 7 * 60_000;
    const hi = 5 * D + 3 * H + 2 * 60_000;
    const ranges = grainRanges(lo, hi);
    expect(ranges.map((r) => r.grain)).toEqual(['minute', 'hour', 'day', 'hour', 'minute']);
    let at = lo;
    for (const r of ranges) {
      expect(r.lo).toBe(at);
      at = r.hi;
    }
    expect(at).toBe(hi);
  });

  it('handles open ends', () => {
    expect(grainRanges(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)).toEqual([
      { grain: 'day', lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY },
    ]);
    expect(grainRanges(D + 60_000, Number.POSITIVE_INFINITY).map((r) => r.grain)).toEqual([
      'minute',
      'hour',
      'day',
    ]);
  });
});

describe('rollupDeltas', () => {
  it('aggregates a batch per grain and dimensions, sorted by key', () => {
    const base = Date.UTC(2026, 0, 1, 10, 0, 30);
    const row = (over: Partial<Parameters<typeof rollupDeltas>[0][number]>) => ({
      createdAt: base,
      useCase: 'npc',
      modelId: null,
      variant: null,
      status: 'ok',
      deploymentId: null,
      latencyMs: 10,
      tokensIn: 1,
      tokensOut: 2,
      violationCount: 0,
      maxSeverity: null,
      ...over,
    });
    const d = rollupDeltas([
      row({}),
      row({ createdAt: base + 60_000, latencyMs: null, violationCount: 2, maxSeverity: 'high' }),
      row({ status: 'error', tokensIn: null }),
    ]);
    // day and hour: one key per status; minute: ok at 10:00, ok at 10:01, error at 10:00.
    expect(d.count).toBe(2 + 2 + 3);
    const dayOk = d.grain.findIndex((g, i) => g === 'day' && d.status[i] === 'ok');
    expect(d.n[dayOk]).toBe(2);
    expect(d.violated[dayOk]).toBe(1);
    expect(d.sevHigh[dayOk]).toBe(1);
    expect(d.latencyN[dayOk]).toBe(1);
    expect(d.buckets[dayOk]).toBe(`{${latencyBucket(10)}}`);
    expect(d.counts[dayOk]).toBe('{1}');
    expect(d.bucketStart[dayOk]).toBe('2026-01-01T00:00:00.000Z');
    const keys = d.grain.map((g, i) => `${g}|${d.bucketStart[i]}|${d.status[i]}`);
    expect(keys).toEqual([...keys].sort());
  });
});
