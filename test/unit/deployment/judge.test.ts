import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS, judge, type MetricWindow } from '../../../src/deployment/judge.js';
import { resolvePlan } from '../../../src/deployment/plan.js';
import { logEValue } from '../../../src/deployment/sequential-test.js';
import { canTransition } from '../../../src/deployment/types.js';
import { Histogram } from '../../../src/internal/histogram.js';

let seed = 7;
const rand = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};

function win(
  start: number,
  variant: 'stable' | 'candidate',
  n: number,
  p: { err?: number; lat?: number; crit?: number } = {},
): MetricWindow {
  const h = new Histogram();
  let errors = 0;
  let crit = 0;
  for (let i = 0; i < n; i++) {
    if (rand() < (p.err ?? 0.01)) errors++;
    if (rand() < (p.crit ?? 0)) crit++;
    h.record(
      200 *
        Math.exp(0.5 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())) *
        (p.lat ?? 1),
    );
  }
  return {
    windowStart: start,
    variant,
    requests: n,
    errors,
    violations: 0,
    criticalViolations: crit,
    fallbacks: 0,
    latency: h.counts,
  };
}

function run(cand: { err?: number; lat?: number; crit?: number }, windows: number, weight = 0.25) {
  const ws: MetricWindow[] = [];
  for (let i = 0; i < windows; i++) {
    ws.push(
      win(i * 10_000, 'candidate', Math.round(500 * weight), cand),
      win(i * 10_000, 'stable', Math.round(500 * (1 - weight))),
    );
  }
  return judge({
    windows: ws,
    stepStartedAt: 0,
    now: windows * 10_000,
    minDurationMs: 60_000,
    minSamples: 500,
    config: DEFAULT_ANALYSIS,
  });
}

describe('judge', () => {
  it('passes a healthy candidate once minimum samples and duration are met', () => {
    const v = run({}, 12);
    expect(v.verdict).toBe('pass');
    expect(v.reason).toMatch(/No metric is worse/);
    expect(v.metrics).toHaveLength(5);
  });

  it('is inconclusive before the minimums', () => {
    const v = run({}, 2);
    expect(v.verdict).toBe('inconclusive');
    expect(v.reason).toMatch(/Waiting for data/);
  });

  it('fails 5% errors against 1% with figures and a plain reason', () => {
    const v = run({ err: 0.05 }, 20);
    expect(v.verdict).toBe('fail');
    const m = v.metrics.find((x) => x.metric === 'errorRate')!;
    expect(m.breached).toBe(true);
    expect(m.candidate).toBeGreaterThan(0.03);
    expect(v.reason).toMatch(/Candidate error rate .* is worse than stable/);
  });

  it('fails +50% latency and critical violations', () => {
    expect(run({ lat: 1.5 }, 8).metrics.find((x) => x.metric === 'latencyP95')!.breached).toBe(true);
    expect(run({ crit: 0.02 }, 8).metrics.find((x) => x.metric === 'criticalViolationRate')!.breached).toBe(
      true,
    );
  });

  it('does not fail small absolute differences (absolute gate)', () => {
    // 0.3% vs 0.1%: 3× relative but below the 0.5-point absolute threshold.
    expect(run({ err: 0.003 }, 40).metrics.find((x) => x.metric === 'errorRate')!.breached).toBe(false);
  });

  it('keeps false alarms rare under repeated looks (100 healthy runs, looking after every window)', () => {
    let fails = 0;
    for (let r = 0; r < 100; r++) {
      const ws: MetricWindow[] = [];
      for (let i = 0; i < 20; i++) {
        ws.push(win(i * 10_000, 'candidate', 125), win(i * 10_000, 'stable', 375));
        const v = judge({
          windows: ws,
          stepStartedAt: 0,
          now: (i + 1) * 10_000,
          minDurationMs: 1e9,
          minSamples: 1e9,
          config: DEFAULT_ANALYSIS,
        });
        if (v.verdict === 'fail') {
          fails++;
          break;
        }
      }
    }
    expect(fails).toBeLessThanOrEqual(2);
  });

  it('uses ceilings when there is no stable traffic (blue-green window)', () => {
    const ws = Array.from({ length: 6 }, (_, i) => win(i * 10_000, 'candidate', 500, { err: 0.2 }));
    const v = judge({
      windows: ws,
      stepStartedAt: 0,
      now: 60_000,
      minDurationMs: 600_000,
      minSamples: 0,
      config: DEFAULT_ANALYSIS,
    });
    expect(v.verdict).toBe('fail');
    expect(v.reason).toMatch(/its ceiling/);
  });
});

describe('e-value', () => {
  it('is 1 with no data and grows with evidence', () => {
    expect(logEValue([])).toBeCloseTo(0);
    expect(logEValue([{ x: 30, n: 100, p0: 0.1 }])).toBeGreaterThan(Math.log(100));
    expect(logEValue([{ x: 10, n: 100, p0: 0.1 }])).toBeLessThan(Math.log(10));
  });
});

describe('plans and the state machine', () => {
  it('rejects bad steps and durations', () => {
    expect(() => resolvePlan({ steps: [5, 150] })).toThrow(/plan.steps\[1\]/);
    expect(() => resolvePlan({ steps: [50, 25] })).toThrow(/strictly increasing/);
    expect(() => resolvePlan({ steps: [-1] })).toThrow(/\(0, 100\]/);
    expect(() => resolvePlan({ stepMinDurationMs: Number.NaN })).toThrow(/stepMinDurationMs/);
    expect(() => resolvePlan({ stepMinSamples: -5 })).toThrow(/stepMinSamples/);
    expect(resolvePlan(undefined).steps).toEqual([5, 25, 50, 100]);
  });

  it('allows only legal transitions', () => {
    expect(canTransition('pending', 'validating')).toBe(true);
    expect(canTransition('progressing', 'paused')).toBe(true);
    expect(canTransition('paused', 'progressing')).toBe(true);
    expect(canTransition('rolling_back', 'rolled_back')).toBe(true);
    expect(canTransition('succeeded', 'rolling_back')).toBe(false);
    expect(canTransition('rolled_back', 'progressing')).toBe(false);
    expect(canTransition('validating', 'paused')).toBe(false);
  });
});
