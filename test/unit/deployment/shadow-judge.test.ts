import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ANALYSIS,
  DEFAULT_SHADOW_MIN_PAIRS,
  judgeShadow,
  type MetricWindow,
  type ShadowWindow,
} from '../../../src/deployment/index.js';
import { addPair, emptyShadowWindow, mergeShadowWindows } from '../../../src/deployment/shadow-judge.js';
import {
  type ArmModel,
  BASE_ARM,
  extraSigmaForP95,
  seeded,
  shadowWindowOf,
} from '../../helpers/shadow-pairs.js';

const WINDOW_MS = 10_000;

/** `n` windows of `perWindow` pairs; the verdict of the judge after each window, until it decides. */
function run(candidate: ArmModel, seed: number, windows = 90, perWindow = 50) {
  const rand = seeded(seed);
  const ws: ShadowWindow[] = [];
  const live: MetricWindow[] = [];
  for (let i = 0; i < windows; i++) {
    // 50 req/s, 10 % shadowed.
    const w = shadowWindowOf(rand, BASE_ARM, candidate, i * WINDOW_MS, perWindow * 10, perWindow);
    ws.push(w.shadow);
    live.push(w.live);
    const v = judgeShadow({
      windows: ws,
      stableWindows: live,
      startedAt: 0,
      now: (i + 1) * WINDOW_MS,
      minPairs: DEFAULT_SHADOW_MIN_PAIRS,
      minDurationMs: 120_000,
      config: DEFAULT_ANALYSIS,
      baselineModelId: 'm1',
    });
    if (v.verdict !== 'inconclusive') return v;
  }
  throw new Error('undecided');
}

describe('judgeShadow (paired)', () => {
  it('passes a healthy candidate after the minimum pairs and time, naming the paired baseline', () => {
    const v = run(BASE_ARM, 1);
    expect(v.verdict).toBe('pass');
    expect(v.candidateSamples).toBeGreaterThanOrEqual(DEFAULT_SHADOW_MIN_PAIRS);
    expect(v.reason).toMatch(/previous model m1 on the same \d+ prompts \(paired/);
  });

  it.each([
    ['errors ×5', { ...BASE_ARM, error: 0.05 }, 'errorRate'],
    ['critical violations ×50', { ...BASE_ARM, critical: 0.005 }, 'criticalViolationRate'],
    ['p95 +50 %', { ...BASE_ARM, latencyScale: 1.5 }, 'latencyP95'],
    ['p95 +50 %, same median', { ...BASE_ARM, extraSigma: extraSigmaForP95(1.5) }, 'latencyP95'],
  ])('fails %s on the metric that moved', (_name, candidate, metric) => {
    const v = run(candidate as ArmModel, 7);
    expect(v.verdict).toBe('fail');
    expect(v.metrics.find((m) => m.metric === metric)?.breached).toBe(true);
  });

  it('passes +10 % latency (inside the +20 % threshold)', () => {
    expect(run({ ...BASE_ARM, latencyScale: 1.1 }, 3).verdict).toBe('pass');
  });

  it('counts only discordant pairs as evidence', () => {
    const w = emptyShadowWindow(0);
    const ok = { ok: true, latencyMs: 100, violations: 0, criticalViolations: 0, fallback: false };
    const err = { ...ok, ok: false };
    addPair(w, err, err);
    addPair(w, ok, err);
    addPair(w, err, ok);
    expect(w.errors).toEqual({ candidate: 2, stable: 2, candidateOnly: 1, stableOnly: 1 });
    addPair(w, ok, { ...ok, latencyMs: 1000 });
    expect(w.candidateAbove.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(w.stableAbove.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('sums the rows of several replicas for the same window', () => {
    const a = emptyShadowWindow(0);
    const b = emptyShadowWindow(0);
    const ok = { ok: true, latencyMs: 100, violations: 0, criticalViolations: 0, fallback: false };
    addPair(a, ok, { ...ok, ok: false });
    addPair(b, ok, { ...ok, ok: false });
    const [m] = mergeShadowWindows([a, b]);
    expect(m!.pairs).toBe(2);
    expect(m!.errors.candidateOnly).toBe(2);
    expect(a.pairs).toBe(1);
  });
});
