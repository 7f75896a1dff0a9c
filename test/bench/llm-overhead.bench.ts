/**
 * Overhead of `llm.generate()` (routing + retry/breaker wrapper + output guardrails + outcome +
 * logging) over a raw `fetch` to the same local stub, measured interleaved in the same run.
 * Target: p50 ≤ 0.3 ms and p99 ≤ 1 ms extra. Run: `npx tsx test/bench/llm-overhead.bench.ts`.
 */

import { loadavg } from 'node:os';
import {
  type GuardrailCheckResult,
  type InferenceLogEntry,
  LLMClient,
  type RouteOutcome,
} from '../../src/llm/index.js';
import type { Model, RouteDecision } from '../../src/llm/types.js';
import { startProviderStub } from '../helpers/provider-stubs.js';

const WARMUP = 200;
const N = Number(process.env['BENCH_N'] ?? 1_500);

const stub = await startProviderStub('ollama', {
  kind: 'ok',
  text: 'Well met, traveller. The road north is dangerous.',
});
const model: Model = {
  id: '0190a7e4-0000-7000-8000-000000000001',
  modelName: 'npc-7b',
  modelType: 'self_hosted',
  provider: 'ollama',
  useCase: 'interaction_layer',
  version: '1.0',
  status: 'current',
  configuration: { endpoint: stub.url },
};
let outcomes = 0;
let logged = 0;
const BAD = /\b(kill|murder)\b/i;
/** The client under test, wired to simple in-memory fakes of router, guardrails and log processor. */
function makeClient(m: Model): LLMClient {
  const decision: RouteDecision = { model: m, variant: 'stable', deploymentId: 'dep-bench', weight: 1 };
  return new LLMClient({
    providers: [
      {
        name: 'echo',
        generate: async (r) => ({ text: r.prompt ?? '', usage: { tokensIn: 1, tokensOut: 1 } }),
      },
    ],
    modelRegistry: { getCurrentModel: async () => m },
    router: {
      route: () => decision,
      recordOutcome: (o: RouteOutcome) => {
        if (o.ok) outcomes++;
      },
    },
    guardrails: {
      check: async ({ text }): Promise<GuardrailCheckResult> =>
        BAD.test(text)
          ? {
              allowed: false,
              action: 'block',
              text: '…',
              violations: [{ severity: 'critical', category: 'violence', checkId: 'x' }],
              fallbackUsed: true,
            }
          : { allowed: true, action: 'allow', text, violations: [], fallbackUsed: false },
    },
    logProcessor: {
      logInference: async (_e: InferenceLogEntry) => `log-${++logged}`,
    },
  });
}
const llm = makeClient(model);
const inProcess = makeClient({ ...model, provider: 'echo', configuration: { endpoint: 'echo://local' } });

const url = `${stub.url}/api/generate`;
async function raw(prompt: string, withTimeout = false): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ model: 'npc-7b', prompt, stream: false, options: {} }),
    ...(withTimeout ? { signal: AbortSignal.timeout(30_000) } : {}),
  });
  const json = (await res.json()) as { response: string };
  return json.response;
}

async function ours(prompt: string): Promise<string> {
  const r = await llm.generate({
    useCase: 'interaction_layer',
    prompt,
    stickyKey: 'player-42',
    conversationId: 'conv-1',
  });
  return r.text;
}

const rawMs: number[] = [];
const rawTimeoutMs: number[] = [];
const oursMs: number[] = [];
for (let i = 0; i < WARMUP; i++) {
  await raw(`warm ${i}`);
  await ours(`warm ${i}`);
}
for (let i = 0; i < N; i++) {
  // Interleave (rotating which goes first) so drift and GC hit both sides alike.
  const order = i % 3 === 0 ? [0, 1, 2] : i % 3 === 1 ? [1, 2, 0] : [2, 0, 1];
  for (const side of order) {
    const t0 = performance.now();
    if (side === 0) await raw(`hello ${i}`);
    else if (side === 1) await raw(`hello ${i}`, true);
    else await ours(`hello ${i}`);
    (side === 0 ? rawMs : side === 1 ? rawTimeoutMs : oursMs).push(performance.now() - t0);
  }
}
await stub.close();

// The pipeline alone (no transport): same client and fakes, provider answering in-process.
const pipelineMs: number[] = [];
for (let i = 0; i < WARMUP; i++)
  await inProcess.generate({ useCase: 'interaction_layer', prompt: `warm ${i}` });
for (let i = 0; i < N * 4; i++) {
  const t0 = performance.now();
  await inProcess.generate({ useCase: 'interaction_layer', prompt: `hello ${i}`, stickyKey: 'player-42' });
  pipelineMs.push(performance.now() - t0);
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const row = (name: string, xs: number[]) =>
  `${name.padEnd(28)} p50 ${q(xs, 0.5).toFixed(3)} ms   p99 ${q(xs, 0.99).toFixed(3)} ms   mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)} ms`;
console.log(
  `llm-overhead: ${N} calls each, interleaved, local ollama-format stub (keep-alive); load average ${loadavg()[0]!.toFixed(2)}`,
);
console.log(row('raw fetch (limit)', rawMs));
console.log(row('raw fetch + timeout signal', rawTimeoutMs));
console.log(row('llm.generate() (ours)', oursMs));
const d50 = q(oursMs, 0.5) - q(rawMs, 0.5);
const d99 = q(oursMs, 0.99) - q(rawMs, 0.99);
console.log(
  `overhead                     p50 +${d50.toFixed(3)} ms (target ≤ 0.3)   p99 +${d99.toFixed(3)} ms (target ≤ 1)   ratio p50 ${(q(oursMs, 0.5) / q(rawMs, 0.5)).toFixed(2)}x`,
);
console.log(row('pipeline only (in-process)', pipelineMs), '  ← overhead without transport noise');
console.log(`(outcomes recorded ${outcomes}, logs enqueued ${logged})`);
