import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ANALYSIS,
  type JudgeInput,
  judge,
  type MetricWindow,
} from '../../../src/deployment/judge.js';
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
  p: { err?: number; lat?: number; crit?: number; sigma?: number } = {},
): MetricWindow {
  const h = new Histogram();
  let errors = 0;
  let crit = 0;
  for (let i = 0; i < n; i++) {
    if (rand() < (p.err ?? 0.01)) errors++;
    if (rand() < (p.crit ?? 0)) crit++;
    h.record(
      200 *
        Math.exp((p.sigma ?? 0.5) * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())) *
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

type Arm = { err?: number; lat?: number; crit?: number; sigma?: number };

/** `windows` 10-s windows of `perWindow` requests, `share` of them on the candidate. */
function split(cand: Arm, stable: Arm, windows: number, share: number, perWindow = 500, from = 0) {
  const ws: MetricWindow[] = [];
  for (let i = 0; i < windows; i++) {
    const t = from + i * 10_000;
    if (share > 0) ws.push(win(t, 'candidate', Math.round(perWindow * share), cand));
    if (share < 1) ws.push(win(t, 'stable', Math.round(perWindow * (1 - share)), stable));
  }
  return ws;
}

function look(windows: MetricWindow[], over: Partial<JudgeInput> = {}) {
  const now = Math.max(...windows.map((w) => w.windowStart)) + 10_000;
  return judge({
    windows,
    stepStartedAt: 0,
    now,
    minDurationMs: 600_000,
    minSamples: 0,
    config: DEFAULT_ANALYSIS,
    baselineModelId: 'model-prev',
    ...over,
  });
}

describe('judge baselines (#11)', () => {
  it('fails a switched candidate with 5% errors against the 1% of a 10% holdback, naming the baseline', () => {
    const v = look(split({ err: 0.05 }, { err: 0.01 }, 60, 0.9));
    expect(v.verdict).toBe('fail');
    expect(v.baseline).toMatchObject({ kind: 'concurrent', modelId: 'model-prev' });
    expect(v.reason).toMatch(
      /Candidate error rate .* is worse than stable .*Baseline: previous model model-prev, \d+ requests served beside the candidate/,
    );
    expect(v.metrics.find((m) => m.metric === 'errorRate')).toMatchObject({
      breached: true,
      baseline: 'concurrent',
    });
  });

  it('passes a healthy candidate through an incident that hits both models (errors 6%, latency ×1.5)', () => {
    const incident = { err: 0.06, lat: 1.5 };
    const v = look(split(incident, incident, 60, 0.9));
    expect(v.verdict).toBe('pass');
    expect(v.reason).toMatch(/Baseline: previous model model-prev/);
    // The same candidate judged on ceilings alone (no holdback) is rolled back: the holdback is what saves it.
    expect(look(split(incident, incident, 60, 1)).verdict).toBe('fail');
  });

  it('detects +25% p95 with an unchanged median, and lets +10% through', () => {
    const sigma25 = 0.5 + Math.log(1.25) / 1.6449;
    const bad = look(split({ sigma: sigma25 }, {}, 60, 0.5, 1000));
    expect(bad.verdict).toBe('fail');
    const p95 = bad.metrics.find((m) => m.metric === 'latencyP95')!;
    expect(p95.breached).toBe(true);
    expect(p95.candidate / p95.stable!).toBeGreaterThan(1.2);
    expect(p95.candidate / p95.stable!).toBeLessThan(1.32);
    const mild = look(split({ sigma: 0.5 + Math.log(1.1) / 1.6449 }, {}, 60, 0.5, 1000));
    expect(mild.verdict).toBe('pass');
  });

  it('judges latency after a blue-green switch (+50% p95 against the holdback)', () => {
    const v = look(split({ lat: 1.5 }, {}, 30, 0.9));
    expect(v.verdict).toBe('fail');
    expect(v.metrics.find((m) => m.metric === 'latencyP95')).toMatchObject({
      breached: true,
      baseline: 'concurrent',
    });
  });

  it('without a holdback, compares with the previous model before the switch', () => {
    const before = split({}, { err: 0.01 }, 30, 0);
    const bad = look([...before, ...split({ err: 0.05, lat: 1.5 }, {}, 30, 1, 500, 300_000)], {
      stepStartedAt: 300_000,
    });
    expect(bad.verdict).toBe('fail');
    expect(bad.baseline?.kind).toBe('pre_switch');
    expect(bad.reason).toMatch(
      /pre-switch baseline .*Baseline: previous model model-prev, 15000 requests before the switch/,
    );
    const good = look([...before, ...split({}, {}, 60, 1, 500, 300_000)], { stepStartedAt: 300_000 });
    expect(good.verdict).toBe('pass');
  });

  it('checks ceilings beside the comparison: rare critical violations beyond a small holdback', () => {
    // 1% holdback: too few previous-model requests for the comparison to see it, enough to show the
    // previous model is clearly below the 0.2% ceiling.
    const v = look(split({ crit: 0.005 }, { crit: 0 }, 150, 0.99, 1000));
    expect(v.verdict).toBe('fail');
    expect(v.metrics.find((m) => m.metric === 'criticalViolationRate')).toMatchObject({
      breached: true,
      baseline: 'ceiling',
    });
    // Over the ceiling on both models: an incident, not the candidate.
    expect(look(split({ crit: 0.005 }, { crit: 0.005 }, 60, 0.9)).verdict).toBe('pass');
  });

  it('low traffic: after maxDurationMs without minSamples, promotes, holds or rolls back as told', () => {
    const ws = split({}, {}, 40, 0.05, 20);
    const base = { minDurationMs: 60_000, minSamples: 500, maxDurationMs: 300_000 };
    expect(look(ws, { ...base, maxDurationMs: 600_000 })).toMatchObject({ verdict: 'inconclusive' });
    expect(look(ws, { ...base, maxDurationMs: 600_000 }).lowTraffic).toBeUndefined();
    const hold = look(ws, base);
    expect(hold).toMatchObject({ verdict: 'inconclusive', lowTraffic: 'hold' });
    expect(hold.reason).toMatch(/Low traffic: \d+ of 500 candidate requests .*'hold'.*Baseline:/);
    expect(look(ws, { ...base, onLowTraffic: 'promote' })).toMatchObject({
      verdict: 'pass',
      lowTraffic: 'promote',
    });
    expect(look(ws, { ...base, onLowTraffic: 'rollback' })).toMatchObject({
      verdict: 'fail',
      lowTraffic: 'rollback',
    });
  });

  it('names the baseline in every verdict, ceilings included', () => {
    expect(look(split({}, {}, 3, 0.9)).reason).toMatch(
      /Waiting for data.*Baseline: previous model model-prev/,
    );
    const first = look(split({ err: 0.2 }, {}, 6, 1), { baselineModelId: null });
    expect(first.reason).toMatch(/its ceiling.*Baseline: fixed ceilings/);
    expect(first.baseline?.kind).toBe('ceiling');
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

  it('validates the holdback and the low-traffic options', () => {
    expect(resolvePlan(undefined)).toMatchObject({
      holdbackPercent: 10,
      stepMaxDurationMs: 1_800_000,
      onLowTraffic: 'hold',
    });
    expect(() => resolvePlan({ holdbackPercent: 60 })).toThrow(/plan.holdbackPercent.*\[0, 50\)/);
    expect(() => resolvePlan({ holdbackPercent: Number.NaN })).toThrow(/plan.holdbackPercent/);
    expect(() => resolvePlan({ stepMaxDurationMs: 1000 })).toThrow(/plan.stepMaxDurationMs.*at least/);
    expect(() => resolvePlan({ onLowTraffic: 'wait' as never })).toThrow(/'promote', 'hold', 'rollback'/);
    expect(resolvePlan({ holdbackPercent: 0, onLowTraffic: 'rollback' })).toMatchObject({
      holdbackPercent: 0,
    });
  });

  it('derives the default stepMaxDurationMs from stepMinDurationMs; only an explicit one is checked', () => {
    // A plan that only raises the minimum stays valid: the default maximum is never below it.
    expect(resolvePlan({ stepMinDurationMs: 3_600_000 }).stepMaxDurationMs).toBe(7_200_000);
    expect(resolvePlan({ stepMinDurationMs: 60_000 }).stepMaxDurationMs).toBe(1_800_000);
    // The manager's plan option counts as explicit, for its minimum as for its maximum.
    expect(resolvePlan({}, { stepMinDurationMs: 3_600_000 }).stepMaxDurationMs).toBe(7_200_000);
    expect(resolvePlan({ stepMinDurationMs: 3_600_000 }, { stepMinDurationMs: 60_000 })).toMatchObject({
      stepMinDurationMs: 3_600_000,
      stepMaxDurationMs: 7_200_000,
    });
    expect(resolvePlan({ stepMinDurationMs: 3_600_000, stepMaxDurationMs: 3_600_000 })).toMatchObject({
      stepMaxDurationMs: 3_600_000,
    });
    expect(() => resolvePlan({ stepMinDurationMs: 3_600_000, stepMaxDurationMs: 1_800_000 })).toThrow(
      /plan.stepMaxDurationMs.*at least.*\(3600000\), got 1800000/,
    );
    expect(() => resolvePlan({ stepMinDurationMs: 3_600_000 }, { stepMaxDurationMs: 1_800_000 })).toThrow(
      /plan.stepMaxDurationMs.*at least/,
    );
    expect(() => resolvePlan({ stepMaxDurationMs: -1 })).toThrow(/plan.stepMaxDurationMs.*non-negative/);
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
