/**
 * Event-loop stalls while the database is down (issue 14): `logInference` at full speed for 10 s
 * while a TCP proxy we control refuses PostgreSQL, so the buffer fills to `maxBufferedBytes` (64 MiB)
 * and stays full. Printed side by side from the same run: today's in-heap buffer
 * (`offHeapBuffer: false`) and batches waiting off the JS heap (`offHeapBuffer: true`, the default):
 * event-loop delay max/p99 (perf_hooks.monitorEventLoopDelay, 1 ms resolution), the worst single
 * `logSync` call, and the heap used. Each mode runs in a fresh process (the in-heap run's 64 MiB of
 * garbage must not be collected during the off-heap run). `MMS_OUTAGE_RUNS=3` repeats the pair,
 * interleaved, and prints min/median of the max delay; `MMS_OUTAGE_GC_FIRST=1` collects the warm-up's
 * garbage before the cut. Needs MMS_TEST_DATABASE_URL.
 * Run: `npm run bench -- history-outage`.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HistoricalLogProcessor, type InferenceLogInput } from '../../src/history/index.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

if (!TEST_DATABASE_URL) {
  console.log('history-outage: set MMS_TEST_DATABASE_URL (local PostgreSQL) to run this benchmark');
  process.exit(0);
}
const OUTAGE_MS = Number(process.env.MMS_OUTAGE_MS ?? 10_000);
const RUNS = Math.max(1, Number(process.env.MMS_OUTAGE_RUNS ?? 1));
/** `MMS_OUTAGE_GC_FIRST=1`: a full GC between the warm-up and the cut (default: none, as in production). */
const GC_FIRST = process.env.MMS_OUTAGE_GC_FIRST === '1';
/** Set in the child process that runs one mode. */
const MODE = process.env.MMS_OUTAGE_MODE;
const PROMPT = 'The player asks the innkeeper about the rumours of a dragon near the northern pass. '.repeat(
  8,
);
const OUTPUT =
  'The innkeeper lowers his voice: "Three caravans gone since the thaw, and no bodies found." '.repeat(8);
const input = (i: number): InferenceLogInput => ({
  modelId: '0190a6c2-7a3e-7cc1-8f00-0000000000b0',
  useCase: 'interaction_layer',
  prompt: PROMPT,
  generatedOutput: OUTPUT,
  context: { npc: 'innkeeper', turn: i },
  latencyMs: 120 + (i % 50),
  tokensIn: 180,
  tokensOut: 190,
  playerId: `player-${i % 1000}`,
});
const fmt = (n: number, d = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function run(offHeapBuffer: boolean): Promise<{ line: string; maxDelayMs: number }> {
  const url = new URL(TEST_DATABASE_URL!);
  const proxy = await startTcpProxy({ targetPort: Number(url.port || 5432) });
  const db = await openTestDatabase('postgres', { viaPort: proxy.port });
  const p = new HistoricalLogProcessor({ db, offHeapBuffer, autoMaintenance: false });
  p.on('history:write_failed', () => {});
  p.on('history:dropped', () => {});
  let i = 0;
  // Warm up with the database reachable.
  for (const end = Date.now() + 1000; Date.now() < end; ) {
    for (let j = 0; j < 100; j++) p.logSync(input(i++));
    await yieldToLoop();
  }
  await p.flush();
  // Optionally collect the warm-up's garbage (rows written at full speed) so only the outage is measured.
  if (GC_FIRST) (globalThis as { gc?: () => void }).gc?.();
  proxy.cut();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // GC pauses themselves (CPU starvation on a loaded machine also shows up as event-loop delay).
  const gc = { major: 0, minor: 0, total: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      const major =
        kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL;
      if (major) gc.major = Math.max(gc.major, e.duration);
      else gc.minor = Math.max(gc.minor, e.duration);
      gc.total += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let worstCall = 0;
  const started = Date.now();
  while (Date.now() - started < OUTAGE_MS) {
    for (let j = 0; j < 100; j++) {
      const t0 = performance.now();
      p.logSync(input(i++));
      const dt = performance.now() - t0;
      if (dt > worstCall) worstCall = dt;
    }
    await yieldToLoop();
  }
  delay.disable();
  await yieldToLoop();
  observer.disconnect();
  const m = p.metrics();
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  proxy.restore();
  await p.close();
  await db.close();
  await proxy.close();
  const line = `${offHeapBuffer ? 'off-heap (default)' : 'in-heap (today)   '}  event-loop delay max ${fmt(delay.max / 1e6)} ms  p99 ${fmt(
    delay.percentile(99) / 1e6,
  )} ms  worst logSync ${fmt(worstCall, 2)} ms  GC pause max major ${fmt(gc.major)} ms / minor ${fmt(gc.minor)} ms, total ${fmt(gc.total, 0)} ms  buffered ${fmt(m.bufferedBytes / 2 ** 20, 0)} MiB (${m.queueDepth} entries), heap used ${fmt(
    heapMiB,
    0,
  )} MiB, accepted ${i.toLocaleString('en-US')}, dropped ${m.dropped.toLocaleString('en-US')}`;
  return { line, maxDelayMs: delay.max / 1e6 };
}

/** Runs one mode in a fresh process; returns its line and max delay. */
function runChild(mode: 'in' | 'off'): { line: string; maxDelayMs: number } {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url)],
    {
      env: { ...process.env, MMS_OUTAGE_MODE: mode },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`history-outage (${mode}) exited with ${child.status}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { line: string; maxDelayMs: number };
}

if (MODE) {
  console.log(JSON.stringify(await run(MODE === 'off')));
} else {
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${OUTAGE_MS / 1000} s outage at full speed${GC_FIRST ? ', full GC before the cut' : ''}`,
  );
  const max: Record<'in' | 'off', number[]> = { in: [], off: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const mode of ['in', 'off'] as const) {
      const result = runChild(mode);
      max[mode].push(result.maxDelayMs);
      console.log(result.line);
    }
  }
  if (RUNS > 1) {
    for (const mode of ['in', 'off'] as const) {
      const sorted = max[mode].sort((a, b) => a - b);
      console.log(
        `${mode === 'off' ? 'off-heap' : 'in-heap '} max event-loop delay over ${RUNS} runs: min ${fmt(sorted[0]!)} ms, median ${fmt(sorted[sorted.length >> 1]!)} ms`,
      );
    }
  }
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}
