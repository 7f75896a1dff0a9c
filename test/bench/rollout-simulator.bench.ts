/**
 * Rollout simulator: 200 canary rollouts per scenario at 50 requests/s on a fake clock, judged by the
 * real judge on 10-second windows with the default plan and thresholds. Prints false-rollback rate,
 * detection rate and median requests until the verdict, beside a Flagger-style fixed-threshold judge
 * (fail when the candidate's error rate in one interval exceeds a fixed threshold, N intervals in a row)
 * run on the same traffic.
 * Run: npx tsx test/bench/rollout-simulator.bench.ts
 */
import { DEFAULT_ANALYSIS, judge, type MetricWindow } from '../../src/deployment/judge.js';
import { DEFAULT_PLAN } from '../../src/deployment/plan.js';
import { Histogram } from '../../src/internal/histogram.js';

const ROLLOUTS = Number(process.env.ROLLOUTS ?? 200);
const RPS = 50;
const WINDOW_MS = 10_000;

interface Arm {
  error: number;
  violation: number;
  critical: number;
  fallback: number;
  latencyScale: number;
}
const BASE: Arm = { error: 0.01, violation: 0.01, critical: 0.0001, fallback: 0.02, latencyScale: 1 };
const SCENARIOS: Array<{ name: string; bad: boolean; candidate: Arm }> = [
  { name: 'healthy (1% errors, same latency)', bad: false, candidate: BASE },
  { name: 'errors 5% vs 1%', bad: true, candidate: { ...BASE, error: 0.05 } },
  { name: 'p95 latency +50%', bad: true, candidate: { ...BASE, latencyScale: 1.5 } },
  { name: 'critical 0.5% vs 0.01%', bad: true, candidate: { ...BASE, critical: 0.005 } },
];

// Seeded PRNG (mulberry32) so runs are reproducible.
let seed = 0x9e3779b9;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function latency(scale: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return 200 * Math.exp(0.5 * z) * scale; // lognormal, median 200 ms
}

function windowFor(start: number, variant: 'stable' | 'candidate', arm: Arm, n: number): MetricWindow {
  const h = new Histogram();
  let errors = 0;
  let violations = 0;
  let critical = 0;
  let fallbacks = 0;
  for (let i = 0; i < n; i++) {
    if (rand() < arm.error) errors++;
    if (rand() < arm.violation) violations++;
    if (rand() < arm.critical) critical++;
    if (rand() < arm.fallback) fallbacks++;
    h.record(latency(arm.latencyScale));
  }
  return {
    windowStart: start,
    variant,
    requests: n,
    errors,
    violations,
    criticalViolations: critical,
    fallbacks,
    latency: h.counts,
  };
}

interface Outcome {
  failed: boolean;
  requests: number;
  flaggerFailed: boolean;
}

function rollout(candidate: Arm): Outcome {
  const plan = DEFAULT_PLAN;
  const windows: MetricWindow[] = [];
  let now = 0;
  let step = 0;
  let stepStartedAt = 0;
  let requests = 0;
  let flaggerStreak = 0;
  let flaggerFailed = false;
  for (;;) {
    const weight = plan.steps[step]!;
    let nC = 0;
    for (let i = 0; i < RPS * (WINDOW_MS / 1000); i++) if (rand() * 100 < weight) nC++;
    const nS = RPS * (WINDOW_MS / 1000) - nC;
    const c = windowFor(now, 'candidate', candidate, nC);
    windows.push(c);
    if (nS > 0) windows.push(windowFor(now, 'stable', BASE, nS));
    requests += nC + nS;
    // Flagger-style: candidate error rate above 1%+1 point threshold in 5 consecutive intervals.
    flaggerStreak = nC > 0 && c.errors / nC > 0.02 ? flaggerStreak + 1 : 0;
    if (flaggerStreak >= 5) flaggerFailed = true;
    now += WINDOW_MS;
    const v = judge({
      windows,
      stepStartedAt,
      now,
      minDurationMs: plan.stepMinDurationMs,
      minSamples: plan.stepMinSamples,
      config: DEFAULT_ANALYSIS,
    });
    if (v.verdict === 'fail') return { failed: true, requests, flaggerFailed };
    if (v.verdict === 'pass') {
      if (step === plan.steps.length - 1) return { failed: false, requests, flaggerFailed };
      step++;
      stepStartedAt = now;
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
}

const t0 = performance.now();
console.log(
  `rollout simulator: ${ROLLOUTS} canary rollouts per scenario, ${RPS} req/s, steps ${DEFAULT_PLAN.steps.join('→')}`,
);
console.log(
  'scenario                              | ours: rolled back | median req to verdict | flagger-style (errors >2% × 5 intervals) rolled back',
);
for (const s of SCENARIOS) {
  const outcomes = Array.from({ length: ROLLOUTS }, () => rollout(s.candidate));
  const failed = outcomes.filter((o) => o.failed).length / ROLLOUTS;
  const flagger = outcomes.filter((o) => o.flaggerFailed).length / ROLLOUTS;
  const med = median(outcomes.map((o) => o.requests));
  const label = s.bad
    ? `detection ${(failed * 100).toFixed(1)}%`
    : `false rollback ${(failed * 100).toFixed(1)}%`;
  console.log(
    `${s.name.padEnd(38)}| ${label.padEnd(18)}| ${String(med).padEnd(22)}| ${(flagger * 100).toFixed(1)}%`,
  );
}
console.log(
  `targets: false rollback ≤ 1%, detection ≥ 99% · ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
