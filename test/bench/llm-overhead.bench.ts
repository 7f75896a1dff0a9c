/**
 * Overhead of `llm.generate()` over bare `undici.request` to the same local OpenAI-format stub, beside
 * global `fetch` and the Portkey gateway (`@portkey-ai/gateway`, run from npm in a child process bound
 * to 127.0.0.1), at concurrency 1 and 16, with 0 ms and 20 ms stub delay, all in one run.
 * Ours runs with the REAL parts: `ModelRegistry` on PGlite, `GuardrailsMonitor` (teen policy, every
 * built-in check), `HistoricalLogProcessor` on the same PGlite.
 * Targets (issue #14): c1 p50 ≤ +0.10 ms and p99 ≤ +1 ms over `undici.request`; c16 ≥ 50 % of its
 * req/s; ≤ 1/5 of Portkey's overhead. Run: `npm run bench -- llm-overhead` (BENCH_QUICK=1 for a smoke run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { createDatabase } from '../../src/db/index.js';
import { GuardrailsMonitor } from '../../src/guardrails/index.js';
import { HistoricalLogProcessor } from '../../src/history/index.js';
import { LLMClient } from '../../src/llm/index.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';

const QUICK = process.env['BENCH_QUICK'] === '1';
const C1_N = QUICK ? 150 : 700;
const C1_SLOW_N = QUICK ? 15 : 50;
const C16_MS = QUICK ? 700 : 2_000;
const ANSWER =
  'Well met, traveller. The road north is dangerous after dark; keep to the river and the lanterns.';

// ---- the stub: OpenAI chat completions, optional delay ----
let delayMs = 0;
const body = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'npc-7b',
  choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 },
});
const stub = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const send = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  });
});
stub.keepAliveTimeout = 60_000;
await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
const payload = (prompt: string) =>
  JSON.stringify({ model: 'npc-7b', messages: [{ role: 'user', content: prompt }], stream: false });

// ---- peers ----
const pool = new Pool(stubUrl, { connections: 64, keepAliveTimeout: 60_000 });
async function bareUndici(prompt: string): Promise<string> {
  const res = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: payload(prompt),
  });
  const json = (await res.body.json()) as { choices: Array<{ message: { content: string } }> };
  return json.choices[0]!.message.content;
}
async function globalFetch(prompt: string): Promise<string> {
  const res = await fetch(`${stubUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: payload(prompt),
  });
  const json = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  return json.choices[0]!.message.content;
}

// Portkey: its published server, forced onto the loopback interface by a preload (it listens on all
// interfaces otherwise), routing to our stub as a custom OpenAI host.
const preload = join(tmpdir(), `mms-bind-loopback-${process.pid}.mjs`);
writeFileSync(
  preload,
  `import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...a) {
  if (typeof a[0] === 'number') return listen.call(this, a[0], '127.0.0.1', ...a.slice(1).filter((x) => typeof x === 'function'));
  if (a[0] && typeof a[0] === 'object' && 'port' in a[0]) return listen.call(this, { ...a[0], host: '127.0.0.1' }, ...a.slice(1));
  return listen.apply(this, a);
};`,
);
const portkeyPort = 20_000 + (process.pid % 20_000);
let portkey: ChildProcess | null = null;
let portkeyWhyNot: string | null = null;
const portkeyPool = new Pool(`http://127.0.0.1:${portkeyPort}`, {
  connections: 64,
  keepAliveTimeout: 60_000,
});
try {
  const entry = new URL(import.meta.resolve('@portkey-ai/gateway/build/start-server.js')).pathname;
  portkey = spawn(process.execPath, ['--import', preload, entry, `--port=${portkeyPort}`, '--headless'], {
    stdio: 'ignore',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const ok = await fetch(`http://127.0.0.1:${portkeyPort}/`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (i === 99) throw new Error('did not answer on / within 10 s');
  }
  await viaPortkey('probe');
} catch (error) {
  portkeyWhyNot = error instanceof Error ? error.message : String(error);
  portkey?.kill();
  portkey = null;
}
async function viaPortkey(prompt: string): Promise<string> {
  const res = await portkeyPool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-bench',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${stubUrl}/v1`,
    },
    body: payload(prompt),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`Portkey answered ${res.statusCode}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message
    .content;
}

// ---- ours, with the real parts ----
const db = await createDatabase({ embedded: {} });
const registry = new ModelRegistry({ db });
const model = await registry.registerModel({
  modelName: 'npc-7b',
  modelType: 'self_hosted',
  provider: 'openai',
  useCase: 'interaction_layer',
  version: '1.0',
  configuration: { endpoint: `${stubUrl}/v1`, model: 'npc-7b' },
});
await registry.updateModelStatus(model.id, 'current');
const guardrails = new GuardrailsMonitor({ policy: 'teen', db });
const history = new HistoricalLogProcessor({ db });
const llm = new LLMClient({ modelRegistry: registry, guardrails, logProcessor: history });
// Attribution: the same client without the history part (whose PGlite writes run on this thread).
const noHistory = new LLMClient({ modelRegistry: registry, guardrails });
async function ours(prompt: string): Promise<string> {
  const r = await llm.generate({ useCase: 'interaction_layer', prompt, playerId: 'player-42' });
  if (r.source !== 'model') throw new Error(`unexpected source ${r.source}`);
  return r.text;
}

async function oursNoHistory(prompt: string): Promise<string> {
  return (await noHistory.generate({ useCase: 'interaction_layer', prompt, playerId: 'player-42' })).text;
}

type Side = { name: string; run: (prompt: string) => Promise<string> };
const sides: Side[] = [
  { name: 'undici.request (limit)', run: bareUndici },
  { name: 'global fetch', run: globalFetch },
  ...(portkey ? [{ name: 'Portkey gateway', run: viaPortkey }] : []),
  { name: 'llm.generate (ours)', run: ours },
  { name: 'ours without history', run: oursNoHistory },
];

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};

/** Concurrency 1: the sides interleaved call by call (rotating who goes first), latency per call. */
async function c1(n: number): Promise<Map<string, { ms: number[]; rps: number }>> {
  const out = new Map(sides.map((s) => [s.name, { ms: [] as number[], rps: 0 }]));
  for (let i = 0; i < Math.min(100, n); i++) for (const s of sides) await s.run(`warm ${i}`);
  const busy = new Map(sides.map((s) => [s.name, 0]));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(i + k) % sides.length]!;
      const t0 = performance.now();
      await s.run(`Tell me about the road north, ${i}`);
      const dt = performance.now() - t0;
      out.get(s.name)!.ms.push(dt);
      busy.set(s.name, busy.get(s.name)! + dt);
    }
  }
  for (const s of sides) out.get(s.name)!.rps = (n / busy.get(s.name)!) * 1000;
  return out;
}

/** Concurrency 16: each side alone for a fixed time, 16 callers in a loop; latency and throughput. */
async function c16(
  ms: number,
): Promise<Map<string, { ms: number[]; rps: number; cpuUsPerReq: number | null }>> {
  const out = new Map<string, { ms: number[]; rps: number; cpuUsPerReq: number | null }>();
  for (const s of sides) {
    const lat: number[] = [];
    const cpu0 = process.cpuUsage();
    const end = performance.now() + ms;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; performance.now() < end; i++) {
          const a = performance.now();
          await s.run(`Tell me about the road north, ${w}/${i}`);
          lat.push(performance.now() - a);
        }
      }),
    );
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // CPU of this process per request (the stub runs here too; Portkey's own process is not counted).
    out.set(s.name, {
      ms: lat,
      rps: (lat.length / elapsed) * 1000,
      cpuUsPerReq: s.name === 'Portkey gateway' ? null : (cpu.user + cpu.system) / lat.length,
    });
  }
  return out;
}

function table(
  title: string,
  rows: Map<string, { ms: number[]; rps: number; cpuUsPerReq?: number | null }>,
): void {
  const base = rows.get('undici.request (limit)')!;
  const b50 = q(base.ms, 0.5);
  const b99 = q(base.ms, 0.99);
  const pk = rows.get('Portkey gateway');
  const ourRow = rows.get('llm.generate (ours)')!;
  console.log(`\n${title}`);
  console.log(
    `${'side'.padEnd(24)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'+p50 ms'.padStart(9)} ${'+p99 ms'.padStart(9)} ${'req/s'.padStart(8)} ${'vs undici'.padStart(9)} ${'CPU µs/req'.padStart(10)}`,
  );
  for (const [name, r] of rows) {
    const p50 = q(r.ms, 0.5);
    const p99 = q(r.ms, 0.99);
    console.log(
      `${name.padEnd(24)} ${p50.toFixed(3).padStart(8)} ${p99.toFixed(3).padStart(8)} ${`+${(p50 - b50).toFixed(3)}`.padStart(9)} ${`+${(p99 - b99).toFixed(3)}`.padStart(9)} ${r.rps.toFixed(0).padStart(8)} ${`${((r.rps / base.rps) * 100).toFixed(0)} %`.padStart(9)} ${(r.cpuUsPerReq == null ? '' : r.cpuUsPerReq.toFixed(0)).padStart(10)}`,
    );
  }
  const o50 = q(ourRow.ms, 0.5) - b50;
  const o99 = q(ourRow.ms, 0.99) - b99;
  if (pk) {
    const p50 = q(pk.ms, 0.5) - b50;
    const p99 = q(pk.ms, 0.99) - b99;
    console.log(
      `ours / Portkey overhead: p50 ${(o50 / p50).toFixed(2)}×, p99 ${(o99 / p99).toFixed(2)}× (target ≤ 0.20); throughput ours ${(ourRow.rps / pk.rps).toFixed(1)}× Portkey`,
    );
  }
}

console.log(
  `llm-overhead: OpenAI-format stub on 127.0.0.1, keep-alive everywhere; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; Node ${process.version}`,
);
if (!portkey) console.log(`Portkey gateway NOT measured: ${portkeyWhyNot}`);
for (const d of [0, 20]) {
  delayMs = d;
  table(
    `c1, stub delay ${d} ms (${d === 0 ? C1_N : C1_SLOW_N} calls per side, interleaved)`,
    await c1(d === 0 ? C1_N : C1_SLOW_N),
  );
  table(`c16, stub delay ${d} ms (${C16_MS} ms per side)`, await c16(C16_MS));
}
console.log(
  '\ntargets: c1 ours p50 ≤ +0.10 ms and p99 ≤ +1 ms over undici.request; c16 ours ≥ 50 % of undici req/s',
);
await history.flush();
const m = history.metrics();
console.log(`(history: logged ${m.logged}, written ${m.written}, dropped ${m.dropped})`);

portkey?.kill();
await llm.close();
await noHistory.close();
await history.close();
await guardrails.close();
await registry.close();
await db.close();
await pool.close();
await portkeyPool.close();
stub.closeAllConnections();
stub.close();
