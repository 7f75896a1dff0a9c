/**
 * Shadow strategy benchmark (`npm run bench -- shadow`), printed, never asserted.
 *
 * Part 1 — detection: paired streams (both models answer the same prompts; latency shares a per-prompt
 * factor) at 50 req/s with the default `shadowRate` 0.1 (5 pairs/s), 10 s windows, judged after every
 * window by the real `judgeShadow` with the default plan and analysis, until it passes or fails (or
 * 40 min). RUNS (default 200) fresh seeds per scenario.
 *
 * Part 2 — the real request path: `LLMClient` + `TrafficRouter` + `DeploymentManager` on pg-mem, two
 * local HTTP provider stubs (stable 20 ms, candidate 30 ms with 5 % errors). Requests alternate between
 * a client that shadows (a `shadow` deployment at rate 1, the worst case) and one whose router hides the
 * deployment, in the same run: player latency p50/p99 with and without shadowing, and how many player
 * answers came from the candidate (must be 0).
 */
import { randomInt } from 'node:crypto';
import { createDatabase } from '../../src/db/index.js';
import {
  DEFAULT_ANALYSIS,
  DEFAULT_PLAN,
  DEFAULT_SHADOW_MIN_PAIRS,
  DEFAULT_SHADOW_RATE,
  DeploymentManager,
  judgeShadow,
  type MetricWindow,
  type ShadowWindow,
} from '../../src/deployment/index.js';
import { LLMClient, type RouterLike } from '../../src/llm/index.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { startProviderStub } from '../helpers/provider-stubs.js';
import {
  type ArmModel,
  BASE_ARM,
  extraSigmaForP95,
  seeded,
  shadowWindowOf,
} from '../helpers/shadow-pairs.js';

const RUNS = Number(process.env.RUNS ?? 200);
const RPS = Number(process.env.RPS ?? 50);
const WINDOW_MS = 10_000;
const MAX_MS = 40 * 60_000;
const SEED = Number(process.env.SEED ?? randomInt(2 ** 31));

const SCENARIOS: Array<{ name: string; bad: boolean; candidate: ArmModel }> = [
  { name: 'healthy', bad: false, candidate: BASE_ARM },
  { name: 'errors ×5 (1 → 5 %)', bad: true, candidate: { ...BASE_ARM, error: 0.05 } },
  { name: 'p95 +50 %', bad: true, candidate: { ...BASE_ARM, latencyScale: 1.5 } },
  {
    name: 'p95 +50 %, same median',
    bad: true,
    candidate: { ...BASE_ARM, extraSigma: extraSigmaForP95(1.5) },
  },
  { name: 'critical violations ×50 (0.01 → 0.5 %)', bad: true, candidate: { ...BASE_ARM, critical: 0.005 } },
  { name: 'healthy, +10 % latency (tolerated)', bad: false, candidate: { ...BASE_ARM, latencyScale: 1.1 } },
];

function simulate(candidate: ArmModel, seed: number): { verdict: string; atMs: number; pairs: number } {
  const rand = seeded(seed);
  const live = Math.round((RPS * WINDOW_MS) / 1000);
  const pairsPerWindow = Math.round(live * DEFAULT_SHADOW_RATE);
  const shadow: ShadowWindow[] = [];
  const stable: MetricWindow[] = [];
  for (let t = 0; t < MAX_MS; t += WINDOW_MS) {
    const w = shadowWindowOf(rand, BASE_ARM, candidate, t, live, pairsPerWindow);
    shadow.push(w.shadow);
    stable.push(w.live);
    const v = judgeShadow({
      windows: shadow,
      stableWindows: stable,
      startedAt: 0,
      now: t + WINDOW_MS,
      minPairs: DEFAULT_SHADOW_MIN_PAIRS,
      minDurationMs: DEFAULT_PLAN.stepMinDurationMs,
      config: DEFAULT_ANALYSIS,
      baselineModelId: 'stable',
    });
    if (v.verdict !== 'inconclusive')
      return { verdict: v.verdict, atMs: t + WINDOW_MS, pairs: v.candidateSamples };
  }
  return { verdict: 'undecided', atMs: MAX_MS, pairs: 0 };
}

function detection(): void {
  console.log(
    `Part 1: detection — ${RUNS} runs per scenario, ${RPS} req/s, shadowRate ${DEFAULT_SHADOW_RATE}, minimum ${DEFAULT_SHADOW_MIN_PAIRS} pairs and ${DEFAULT_PLAN.stepMinDurationMs / 1000} s, alpha ${DEFAULT_ANALYSIS.alpha}, seed ${SEED}`,
  );
  console.log('| scenario | rolled back | passed | undecided | median time to verdict |');
  console.log('|---|---|---|---|---|');
  for (const [si, s] of SCENARIOS.entries()) {
    const times: number[] = [];
    let failed = 0;
    let passed = 0;
    let undecided = 0;
    for (let r = 0; r < RUNS; r++) {
      const res = simulate(s.candidate, SEED + si * 100_003 + r * 7919);
      if (res.verdict === 'fail') failed++;
      else if (res.verdict === 'pass') passed++;
      else undecided++;
      times.push(res.atMs);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]! / 1000;
    const label = s.bad ? `**${pct(failed)} detected**` : `${pct(failed)} (false rollbacks)`;
    console.log(`| ${s.name} | ${label} | ${pct(passed)} | ${undecided} | ${median} s |`);
  }
}

function pct(n: number): string {
  return `${n}/${RUNS} (${((100 * n) / RUNS).toFixed(1)} %)`;
}

async function playerLatency(): Promise<void> {
  const N = Number(process.env.REQUESTS ?? 2000);
  const CONCURRENCY = 8;
  const stableStub = await startProviderStub('openai', { kind: 'ok', text: 'STABLE', delayMs: 20 });
  const candStub = await startProviderStub('openai', { kind: 'ok', text: 'CANDIDATE', delayMs: 30 });
  const db = await createDatabase({ memory: true });
  const registry = new ModelRegistry({ db });
  await registry.ready();
  const reg = async (v: string, url: string) =>
    (
      await registry.registerModel({
        modelName: `npc-${v}`,
        modelType: 'self_hosted',
        provider: 'openai',
        useCase: 'interaction_layer',
        version: v,
        configuration: { endpoint: `${url}/v1` },
      })
    ).id;
  const stableId = await reg('1', stableStub.url);
  await registry.updateModelStatus(stableId, 'current');
  const candId = await reg('2', candStub.url);
  const manager = new DeploymentManager({ db, registry, drive: false });
  await manager.ready();
  const d = await manager.startDeployment({
    useCase: 'interaction_layer',
    newModelId: candId,
    strategy: 'shadow',
    plan: { shadowRate: 1 },
  });
  await manager.tick();
  await manager.router.refresh();
  // 5 % candidate errors: one in twenty candidate requests answers 500.
  let k = 0;
  const origDefault = { kind: 'ok' as const, text: 'CANDIDATE', delayMs: 30 };
  const refill = () => {
    for (let i = 0; i < 100; i++)
      candStub.enqueue(++k % 20 === 0 ? { kind: 'status', status: 500, body: 'boom' } : origDefault);
  };
  refill();
  const shadowing = new LLMClient({ modelRegistry: registry, router: manager.router, retry: { retries: 0 } });
  const hidden: RouterLike = {
    route: (u, o) => manager.router.route(u, o),
    recordOutcome: (o) => manager.router.recordOutcome(o),
  };
  const plain = new LLMClient({ modelRegistry: registry, router: hidden, retry: { retries: 0 } });
  const lat = { on: [] as number[], off: [] as number[] };
  let candidateAnswers = 0;
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      if (i % 50 === 0) refill();
      const on = i % 2 === 0;
      const t0 = performance.now();
      const r = await (on ? shadowing : plain).generate({
        useCase: 'interaction_layer',
        prompt: `line ${i}`,
      });
      (on ? lat.on : lat.off).push(performance.now() - t0);
      if (r.text.includes('CANDIDATE') || r.modelId !== stableId) candidateAnswers++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wall = performance.now() - t0;
  for (let t = 0; t < 300 && shadowing.shadowStats().inFlight > 0; t++)
    await new Promise((r) => setTimeout(r, 10));
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
  };
  const st = shadowing.shadowStats();
  console.log(
    `\nPart 2: player latency through the real LLMClient (pg-mem, HTTP stubs: stable 20 ms, candidate 30 ms + 5 % errors), ${N} requests, concurrency ${CONCURRENCY}, alternating, ${(wall / 1000).toFixed(1)} s`,
  );
  console.log('| requests | n | p50 ms | p99 ms |');
  console.log('|---|---|---|---|');
  console.log(`| with shadowing (rate 1) | ${lat.on.length} | ${q(lat.on, 0.5)} | ${q(lat.on, 0.99)} |`);
  console.log(`| without shadowing | ${lat.off.length} | ${q(lat.off, 0.5)} | ${q(lat.off, 0.99)} |`);
  console.log(
    `player answers from the candidate: ${candidateAnswers} · shadow calls started ${st.started}, paired ${st.paired}, failed ${st.failed}, skipped (concurrency bound) ${st.skipped}`,
  );
  await manager.tick();
  const after = await manager.getDeployment(d.id);
  console.log(`deployment after judging ${st.paired} pairs: ${after.status} — ${after.reason}`);
  await shadowing.close();
  await plain.close();
  await manager.close();
  await registry.close();
  await db.close();
  await stableStub.close();
  await candStub.close();
}

const started = performance.now();
if (!process.env.ONLY || process.env.ONLY === 'detection') detection();
if (!process.env.ONLY || process.env.ONLY === 'latency') await playerLatency();
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
