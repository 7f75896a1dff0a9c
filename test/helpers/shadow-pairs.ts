/**
 * Seeded paired streams for the shadow judge: both models answer the same prompts, so latency shares a
 * per-prompt factor (long prompts are slow on both); events are independent per arm.
 */
import type { ArmOutcome, MetricWindow, ShadowWindow } from '../../src/deployment/index.js';
import { addPair, emptyShadowWindow } from '../../src/deployment/shadow-judge.js';

/** Rates and latency shape of one arm. */
export interface ArmModel {
  error: number;
  violation: number;
  critical: number;
  fallback: number;
  /** Multiplies every latency (median and p95 move together). */
  latencyScale: number;
  /** Extra lognormal sigma of this arm's own noise (a longer tail with about the same median). */
  extraSigma: number;
}

/** The previous model in every scenario: 1 % errors and violations, 0.01 % critical, 2 % fallbacks, median 200 ms. */
export const BASE_ARM: ArmModel = {
  error: 0.01,
  violation: 0.01,
  critical: 0.0001,
  fallback: 0.02,
  latencyScale: 1,
  extraSigma: 0,
};

/** Lognormal sigma shared by both arms (the prompt) and of each arm's own noise: 0.4² + 0.3² = 0.5². */
export const PROMPT_SIGMA = 0.4;
export const NOISE_SIGMA = 0.3;

/** Extra noise sigma that makes an arm's p95 `ratio` times higher with the same median. */
export function extraSigmaForP95(ratio: number): number {
  const total = 0.5 + Math.log(ratio) / 1.6449;
  return Math.sqrt(total * total - PROMPT_SIGMA * PROMPT_SIGMA) - NOISE_SIGMA;
}

/** mulberry32. */
export function seeded(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One paired prompt. */
export function pairOf(
  rand: () => number,
  stable: ArmModel,
  candidate: ArmModel,
): { stable: ArmOutcome; candidate: ArmOutcome } {
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const prompt = PROMPT_SIGMA * normal();
  const arm = (m: ArmModel): ArmOutcome => {
    const ok = rand() >= m.error;
    const critical = ok && rand() < m.critical;
    const violated = ok && (critical || rand() < m.violation);
    return {
      ok,
      latencyMs: 200 * m.latencyScale * Math.exp(prompt + (NOISE_SIGMA + m.extraSigma) * normal()),
      violations: violated ? 1 : 0,
      criticalViolations: critical ? 1 : 0,
      fallback: !ok || critical || rand() < m.fallback,
    };
  };
  return { stable: arm(stable), candidate: arm(candidate) };
}

/**
 * One window of a shadow deployment: `live` requests served by the previous model (its `stable` row
 * of deployment_metrics), `pairs` of them also sent to the candidate (the shadow window).
 */
export function shadowWindowOf(
  rand: () => number,
  stable: ArmModel,
  candidate: ArmModel,
  windowStart: number,
  live: number,
  pairs: number,
): { shadow: ShadowWindow; live: MetricWindow } {
  const shadow = emptyShadowWindow(windowStart);
  const w: MetricWindow = {
    windowStart,
    variant: 'stable',
    requests: 0,
    errors: 0,
    violations: 0,
    criticalViolations: 0,
    fallbacks: 0,
    latency: [],
  };
  const count = (o: ArmOutcome) => {
    w.requests++;
    if (!o.ok) w.errors++;
    if (o.violations > 0) w.violations++;
    if (o.criticalViolations > 0) w.criticalViolations++;
    if (o.fallback) w.fallbacks++;
  };
  for (let i = 0; i < live; i++) {
    const p = pairOf(rand, stable, candidate);
    count(p.stable);
    if (i < pairs) addPair(shadow, p.stable, p.candidate);
  }
  return { shadow, live: w };
}
