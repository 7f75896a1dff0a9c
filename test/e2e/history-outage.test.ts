import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { HistoricalLogProcessor } from '../../src/history/index.js';
import { historyKysely } from '../../src/history/log-store.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { openResilientDatabase } from '../fixtures/history/resilient-db.js';

const MODEL = '0190a6c2-7a3e-7cc1-8f00-0000000000aa';
const TOTAL = 20_000;
const OUTAGE_MS = 10_000;

describe.runIf(TEST_DATABASE_URL)(
  'HistoricalLogProcessor through a 10 s PostgreSQL outage (TCP proxy)',
  () => {
    it.each(['memory', 'spool'] as const)(
      '%s: 20,000 entries logged during the outage are all stored exactly once; logInference p99 < 1 ms, none ≥ 50 ms',
      async (mode) => {
        const direct = await openTestDatabase('postgres'); // migrated schema, dropped on close
        const proxy = await startTcpProxy({ targetPort: Number(new URL(TEST_DATABASE_URL!).port || 5432) });
        const url = new URL(TEST_DATABASE_URL!);
        url.hostname = '127.0.0.1';
        url.port = String(proxy.port);
        const viaProxy = await openResilientDatabase(url.toString(), direct.schema);
        const spoolDir = mode === 'spool' ? await mkdtemp(join(tmpdir(), 'mms-outage-')) : undefined;
        const p = new HistoricalLogProcessor({ db: viaProxy, spoolDir });
        const alerts: number[] = [];
        p.on('history:failure_rate_alert', (e) => alerts.push(e.failureRate));
        try {
          // Warm up the path (JIT) with the database up.
          for (let i = 0; i < 200; i++)
            await p.logInference({ modelId: MODEL, useCase: 'warmup', prompt: `w${i}` });
          await p.flush();

          proxy.cut();
          const cutAt = Date.now();
          const ids = new Set<string>();
          const durations: number[] = [];
          // Full speed in bursts of 1,000 spread over the outage, so writes keep failing and retrying meanwhile.
          for (let burst = 0; burst < TOTAL / 1000; burst++) {
            for (let i = 0; i < 1000; i++) {
              const t0 = performance.now();
              const promise = p.logInference({
                modelId: MODEL,
                useCase: 'outage',
                prompt: `burst ${burst} entry ${i}`,
                generatedOutput: 'The innkeeper nods slowly.',
                context: { burst, i },
                latencyMs: i % 100,
              });
              durations.push(performance.now() - t0);
              ids.add(await promise);
            }
            await new Promise((r) => setTimeout(r, (OUTAGE_MS - 500) / (TOTAL / 1000)));
          }
          const elapsed = Date.now() - cutAt;
          if (elapsed < OUTAGE_MS) await new Promise((r) => setTimeout(r, OUTAGE_MS - elapsed));
          expect(p.metrics().written).toBe(200); // nothing got through the cut
          expect(p.metrics().failedWrites).toBeGreaterThan(0);
          expect(alerts.length).toBeGreaterThanOrEqual(1);
          if (mode === 'spool') expect(p.metrics().spooled).toBeGreaterThan(0);
          proxy.restore();

          await p.flush();
          if (spoolDir) {
            for (let i = 0; i < 200 && (await readdir(spoolDir)).length > 0; i++)
              await new Promise((r) => setTimeout(r, 50));
          }
          const k = historyKysely(direct);
          const r = await sql<{ n: unknown; d: unknown }>`select count(*) as n, count(distinct id) as d
          from inference_logs where use_case = 'outage'`.execute(k);
          expect(ids.size).toBe(TOTAL);
          expect(Number(r.rows[0]!.n)).toBe(TOTAL);
          expect(Number(r.rows[0]!.d)).toBe(TOTAL);
          expect(p.metrics()).toMatchObject({ dropped: 0, rejected: 0 });
          // Wall-clock per call. On this shared 2-core machine (load average ~6) a few calls are stretched
          // by young-generation GC pauses and descheduling (10–25 ms scavenges measured with a gc
          // PerformanceObserver), independent of the database. What the test proves: calls never wait for
          // the database (that would be ≥ the 10 s outage or a retry delay): p99 < 1 ms, every call < 50 ms.
          durations.sort((a, b) => a - b);
          const q = (x: number) =>
            durations[Math.min(durations.length - 1, Math.floor(x * durations.length))]!;
          const over1ms = durations.filter((d) => d >= 1).length;
          console.log(
            `[history outage ${mode}] logInference p50=${(q(0.5) * 1000).toFixed(1)}µs p99=${(q(0.99) * 1000).toFixed(1)}µs ` +
              `p99.9=${q(0.999).toFixed(3)}ms max=${durations.at(-1)!.toFixed(2)}ms calls≥1ms=${over1ms}/${TOTAL}`,
          );
          expect(q(0.99)).toBeLessThan(1);
          expect(durations.at(-1)!).toBeLessThan(50);
        } finally {
          await p.close();
          await proxy.close();
          await viaProxy.close();
          await direct.close();
          if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
        }
      },
      60_000,
    );
  },
);
