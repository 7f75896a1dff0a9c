/**
 * Rollout simulator (issue #11): ROLLOUTS rollouts per scenario and strategy (default 200, fresh seeds
 * each run; SEED=n reproduces one), 50 requests/s on 10-second windows, default plan and thresholds.
 * Each rollout generates the traffic of one deployment and hands the same windows to:
 * - today's judge (frozen copy in `support/judge-before-11.ts`) on today's routing (blue-green,
 *   all-at-once and the canary's 100 % step send everything to the candidate: ceilings only);
 * - the new judge on the new routing (holdback on the previous model while a switched candidate is
 *   analysed);
 * - a Kayenta-style judge (Mann-Whitney U on per-window values, candidate vs baseline, every 60 s,
 *   score = share of metrics not significantly worse, fail below 75, or below 95 at the end) and a fixed
 *   threshold rule (fail when a cumulative candidate rate or p95 exceeds 1.5× the baseline's, after
 *   100 requests per arm), both on the new routing's streams.
 * Canary steps advance when the step has its minimum duration and samples (what the judge passes on);
 * blue-green and all-at-once are judged over the rollback window. Detection counts only failures inside
 * the rollout (within the rollback window for blue-green and all-at-once). Figures printed, never asserted.
 * Run: npm run bench -- rollout-simulator   (ROLLOUTS=40 for a quick look; ONLY=critical,canary for one row)
 */
import { randomInt } from 'node:crypto';
import { DEFAULT_ANALYSIS, judge, type MetricWindow } from '../../src/deployment/judge.js';
import { DEFAULT_PLAN } from '../../src/deployment/plan.js';
import { Histogram } from '../../src/internal/histogram.js';
import * as before from './support/judge-before-11.js';

const ROLLOUTS = Number(process.env.ROLLOUTS ?? 200);
const RPS = Number(process.env.RPS ?? 50);
const WINDOW_MS = 10_000;
const PLAN = DEFAULT_PLAN;
const HOLDBACK = PLAN.holdbackPercent ?? 0;
const SIGMA = 0.5; // lognormal latency, median 200 ms

interface Arm {
  error: number;
  violation: number;
  critical: number;
  fallback: number;
  /** Multiplies every latency (median and p95 move together). */
  latencyScale: number;
  /** Lognormal sigma (a longer tail with the same median). */
  sigma: number;
}
const BASE: Arm = {
  error: 0.01,
  violation: 0.01,
  critical: 0.0001,
  fallback: 0.02,
  latencyScale: 1,
  sigma: SIGMA,
};
/** Sigma that makes p95 `ratio` times higher with the same median. */
const sigmaForP95 = (ratio: number) => SIGMA + Math.log(ratio) / 1.6449;

interface Scenario {
  name: string;
  bad: boolean;
  candidate: Arm;
  /** Extra error rate and slower answers on both arms between these times (ms from the start). */
  incident?: { from: number; to: number; extraError: number; latencyScale?: number };
}
const SCENARIOS: Scenario[] = [
  { name: 'healthy', bad: false, candidate: BASE },
  { name: 'errors 5% vs 1%', bad: true, candidate: { ...BASE, error: 0.05 } },
  { name: 'p95 +50%', bad: true, candidate: { ...BASE, latencyScale: 1.5 } },
  { name: 'p95 +25%, same median', bad: true, candidate: { ...BASE, sigma: sigmaForP95(1.25) } },
  {
    name: 'p95 +10%, same median (within the +20% threshold)',
    bad: false,
    candidate: { ...BASE, sigma: sigmaForP95(1.1) },
  },
  { name: 'critical 0.5% vs 0.01%', bad: true, candidate: { ...BASE, critical: 0.005 } },
  {
    name: 'healthy, both-arms incident 1→6% errors',
    bad: false,
    candidate: BASE,
    incident: { from: 60_000, to: 360_000, extraError: 0.05 },
  },
  {
    name: 'healthy, both-arms incident 1→6% errors and ×1.5 latency, whole window',
    bad: false,
    candidate: BASE,
    incident: { from: 0, to: Number.POSITIVE_INFINITY, extraError: 0.05, latencyScale: 1.5 },
  },
];
type Strategy = 'canary' | 'blue_green' | 'all_at_once';
const STRATEGIES: Strategy[] = ['canary', 'blue_green', 'all_at_once'];

// Seeded PRNG (mulberry32); a fresh seed per run unless SEED is set.
const SEED = Number(process.env.SEED ?? randomInt(2 ** 31));
let state = SEED;
function rand(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function latency(arm: Arm): number {
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return 200 * Math.exp(arm.sigma * z) * arm.latencyScale;
}

function windowFor(start: number, variant: 'stable' | 'candidate', arm: Arm, n: number, extraError: number) {
  const h = new Histogram();
  let errors = 0;
  let violations = 0;
  let critical = 0;
  let fallbacks = 0;
  for (let i = 0; i < n; i++) {
    if (rand() < arm.error + extraError) errors++;
    if (rand() < arm.violation) violations++;
    if (rand() < arm.critical) critical++;
    if (rand() < arm.fallback) fallbacks++;
    h.record(latency(arm));
  }
  const w: MetricWindow = {
    windowStart: start,
    variant,
    requests: n,
    errors,
    violations,
    criticalViolations: critical,
    fallbacks,
    latency: h.counts,
  };
  return w;
}

/** One look of a judge: the windows so far and the step the deployment is in. */
interface Look {
  windows: MetricWindow[];
  now: number;
  stepStartedAt: number;
  minDurationMs: number;
  minSamples: number;
}

/** Generates one rollout's looks (one per window) for a strategy, with or without the holdback. */
function generate(strategy: Strategy, s: Scenario, holdback: number): Look[] {
  const looks: Look[] = [];
  const windows: MetricWindow[] = [];
  const perWindow = RPS * (WINDOW_MS / 1000);
  let now = 0;
  let step = 0;
  let stepStartedAt = 0;
  let stepSamples = 0;
  const canary = strategy === 'canary';
  for (;;) {
    const weight = canary ? PLAN.steps[step]! : 100;
    const routed = weight >= 100 ? 100 - holdback : weight;
    let nC = 0;
    for (let i = 0; i < perWindow; i++) if (rand() * 100 < routed) nC++;
    const hit = s.incident && now >= s.incident.from && now < s.incident.to ? s.incident : undefined;
    const extra = hit?.extraError ?? 0;
    const slow = (arm: Arm): Arm =>
      hit ? { ...arm, latencyScale: arm.latencyScale * (hit.latencyScale ?? 1) } : arm;
    windows.push(windowFor(now, 'candidate', slow(s.candidate), nC, extra));
    if (perWindow - nC > 0) windows.push(windowFor(now, 'stable', slow(BASE), perWindow - nC, extra));
    stepSamples += nC;
    now += WINDOW_MS;
    const minDurationMs = canary ? PLAN.stepMinDurationMs : PLAN.rollbackWindowMs;
    const minSamples = canary ? PLAN.stepMinSamples : 0;
    looks.push({ windows: [...windows], now, stepStartedAt, minDurationMs, minSamples });
    if (now - stepStartedAt >= minDurationMs && stepSamples >= minSamples) {
      if (!canary || step === PLAN.steps.length - 1) return looks;
      step++;
      stepStartedAt = now;
      stepSamples = 0;
    }
  }
}

/** true = fail; `final` is the last look of the rollout (the step or window is over). */
type Judge = (look: Look, final: boolean) => boolean;

const newJudge: Judge = (l) =>
  judge({ ...l, config: DEFAULT_ANALYSIS, baselineModelId: 'previous' }).verdict === 'fail';
const todayJudge: Judge = (l) => before.judge({ ...l, config: before.DEFAULT_ANALYSIS }).verdict === 'fail';

/** Fixed rule: cumulative candidate rate (or p95) above 1.5× the baseline's, after 100 requests per arm. */
const fixedJudge: Judge = (l) => {
  const c = total(l.windows, 'candidate');
  const s = total(l.windows, 'stable');
  if (c.requests < 100 || s.requests < 100) return false;
  for (const f of ['errors', 'violations', 'criticalViolations', 'fallbacks'] as const) {
    if (c[f] / c.requests > (1.5 * s[f]) / s.requests) return true;
  }
  return c.latency.quantile(0.95) > 1.5 * s.latency.quantile(0.95);
};

/**
 * Kayenta-style: every 6th look (60 s), Mann-Whitney U per metric on per-window values of candidate vs
 * baseline windows so far (two-sided, 98 % confidence, as Kayenta's NetflixACAJudge); a metric fails when
 * significantly higher; score = 100 × passing / metrics; fail below the marginal 75 at any interval
 * (two metrics worse) or below the pass threshold 95 at the end (Spinnaker's default score thresholds).
 */
const kayentaJudge: Judge = (l, final) => {
  if (!final && (l.now / WINDOW_MS) % 6 !== 0) return false;
  const byStart = new Map<number, { c?: MetricWindow; s?: MetricWindow }>();
  for (const w of l.windows) {
    const p = byStart.get(w.windowStart) ?? {};
    p[w.variant === 'candidate' ? 'c' : 's'] = w;
    byStart.set(w.windowStart, p);
  }
  const cand: MetricWindow[] = [];
  const base: MetricWindow[] = [];
  for (const p of byStart.values()) {
    if (p.c && p.c.requests > 0) cand.push(p.c);
    if (p.s && p.s.requests > 0) base.push(p.s);
  }
  if (cand.length < 3 || base.length < 3) return false;
  const metrics: Array<(w: MetricWindow) => number> = [
    (w) => w.errors / w.requests,
    (w) => w.violations / w.requests,
    (w) => w.criticalViolations / w.requests,
    (w) => w.fallbacks / w.requests,
    (w) => new Histogram(w.latency).quantile(0.95),
  ];
  let passing = 0;
  for (const value of metrics) if (!mannWhitneyHigher(cand.map(value), base.map(value))) passing++;
  return (100 * passing) / metrics.length < (final ? 95 : 75);
};

function mannWhitneyHigher(a: number[], b: number[]): boolean {
  const all = [...a.map((v) => ({ v, a: true })), ...b.map((v) => ({ v, a: false }))].sort(
    (x, y) => x.v - y.v,
  );
  const ranks = new Array<number>(all.length);
  let tie = 0;
  for (let i = 0; i < all.length; i = tie) {
    tie = i;
    while (tie < all.length && all[tie]!.v === all[i]!.v) tie++;
    for (let k = i; k < tie; k++) ranks[k] = (i + tie + 1) / 2;
  }
  let rA = 0;
  all.forEach((x, i) => {
    if (x.a) rA += ranks[i]!;
  });
  const n1 = a.length;
  const n2 = b.length;
  const u = rA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  if (sd === 0) return false;
  return (u - mean) / sd > 2.326; // two-sided 98 %: the upper tail
}

function total(windows: MetricWindow[], variant: 'stable' | 'candidate') {
  const t = {
    requests: 0,
    errors: 0,
    violations: 0,
    criticalViolations: 0,
    fallbacks: 0,
    latency: new Histogram(),
  };
  for (const w of windows) {
    if (w.variant !== variant) continue;
    t.requests += w.requests;
    t.errors += w.errors;
    t.violations += w.violations;
    t.criticalViolations += w.criticalViolations;
    t.fallbacks += w.fallbacks;
    t.latency.merge({ counts: w.latency as number[] });
  }
  return t;
}

/** Seconds from the start to the first failing look, or null. */
function firstFail(looks: Look[], j: Judge): number | null {
  for (const [i, l] of looks.entries()) if (j(l, i === looks.length - 1)) return l.now / 1000;
  return null;
}

function pct(n: number, of: number): string {
  return `${((100 * n) / of).toFixed(1)}%`;
}
function median(xs: number[]): string {
  if (xs.length === 0) return '—';
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]} s`;
}

const t0 = performance.now();
console.log(
  `rollout simulator: ${ROLLOUTS} rollouts per scenario and strategy, ${RPS} req/s, ${WINDOW_MS / 1000}-s windows, seed ${SEED}` +
    ` · canary ${PLAN.steps.join('→')} (≥ ${PLAN.stepMinDurationMs / 1000} s and ≥ ${PLAN.stepMinSamples} requests per step)` +
    ` · rollback window ${PLAN.rollbackWindowMs / 1000} s · holdback ${HOLDBACK}% (new routing only)`,
);
console.log(
  '(rolled back = detection for a bad candidate, false rollback for a healthy one; "s" = median seconds to the rollback, new judge)',
);
console.log(
  `| scenario | strategy | today's judge | new judge | new: median s | Kayenta-style MW | fixed 1.5× |\n|---|---|---|---|---|---|---|`,
);
// ONLY=critical,canary narrows the run to scenarios and strategies whose names contain every word.
const only = (process.env.ONLY ?? '').split(',').filter(Boolean);
for (const s of SCENARIOS) {
  for (const strategy of STRATEGIES) {
    if (!only.every((w) => s.name.includes(w) || strategy.includes(w))) continue;
    let today = 0;
    let ours = 0;
    let kayenta = 0;
    let fixed = 0;
    const times: number[] = [];
    for (let r = 0; r < ROLLOUTS; r++) {
      if (firstFail(generate(strategy, s, 0), todayJudge) !== null) today++;
      const looks = generate(strategy, s, HOLDBACK);
      const t = firstFail(looks, newJudge);
      if (t !== null) {
        ours++;
        times.push(t);
      }
      if (firstFail(looks, kayentaJudge) !== null) kayenta++;
      if (firstFail(looks, fixedJudge) !== null) fixed++;
    }
    console.log(
      `| ${s.name} | ${strategy} | ${pct(today, ROLLOUTS)} | ${pct(ours, ROLLOUTS)} | ${median(times)} | ${pct(kayenta, ROLLOUTS)} | ${pct(fixed, ROLLOUTS)} |`,
    );
  }
}
console.log(
  `targets: blue-green and all-at-once detect 5% vs 1% errors and +50% p95 in ≥ 99%, ≤ 1% false rollbacks (healthy, incident); canary no worse than today · ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
