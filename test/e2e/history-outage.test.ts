import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { historyKysely } from '../../src/history/log-store.js';
import { createDatabase, HistoricalLogProcessor } from '../../src/index.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const MODEL = '0190a6c2-7a3e-7cc1-8f00-0000000000aa';
const TOTAL = 20_000;
const OUTAGE_MS = 10_000;
const MODES = ['memory', 'spool'] as const;

describe.runIf(TEST_DATABASE_URL)(
  'HistoricalLogProcessor through a 10 s PostgreSQL outage (TCP proxy)',
  () => {
    it('20,000 entries per processor (in-memory retry and disk spool) logged during the outage are all stored exactly once; logInference p99 < 1 ms, none ≥ 50 ms', async () => {
      const direct = await openTestDatabase('postgres'); // migrated schema, dropped on close
      const proxy = await startTcpProxy({ targetPort: Number(new URL(TEST_DATABASE_URL!).port || 5432) });
      const url = new URL(TEST_DATABASE_URL!);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const viaProxy = await createDatabase({
        connectionString: url.toString(),
        schema: direct.schema,
        migrate: false,
      });
      const spoolDir = await mkdtemp(join(tmpdir(), 'mms-outage-'));
      // Two processors share the outage: one retries in memory, one spills to its spool.
      const processors = {
        memory: new HistoricalLogProcessor({ db: viaProxy }),
        spool: new HistoricalLogProcessor({ db: viaProxy, spoolDir }),
      };
      const alerts = { memory: 0, spool: 0 };
      for (const mode of MODES) processors[mode].on('history:failure_rate_alert', () => alerts[mode]++);
      try {
        // Warm up the path (JIT) with the database up.
        for (let i = 0; i < 200; i++) {
          for (const mode of MODES)
            await processors[mode].logInference({ modelId: MODEL, useCase: 'warmup', prompt: `w${i}` });
        }
        for (const mode of MODES) await processors[mode].flush();

        proxy.cut();
        const cutAt = Date.now();
        const ids = { memory: new Set<string>(), spool: new Set<string>() };
        const durations: number[] = [];
        // Full speed in bursts of 1,000 spread over the outage, so writes keep failing and retrying meanwhile.
        for (let burst = 0; burst < TOTAL / 1000; burst++) {
          for (const mode of MODES) {
            for (let i = 0; i < 1000; i++) {
              const t0 = performance.now();
              const promise = processors[mode].logInference({
                modelId: MODEL,
                useCase: `outage-${mode}`,
                prompt: `burst ${burst} entry ${i}`,
                generatedOutput: 'The innkeeper nods slowly.',
                context: { burst, i },
                latencyMs: i % 100,
              });
              durations.push(performance.now() - t0);
              ids[mode].add(await promise);
            }
          }
          await new Promise((r) => setTimeout(r, (OUTAGE_MS - 1000) / (TOTAL / 1000)));
        }
        const elapsed = Date.now() - cutAt;
        if (elapsed < OUTAGE_MS) await new Promise((r) => setTimeout(r, OUTAGE_MS - elapsed));
        for (const mode of MODES) {
          const m = processors[mode].metrics();
          expect(m.written).toBe(200); // nothing got through the cut
          expect(m.failedWrites).toBeGreaterThan(0);
          expect(alerts[mode]).toBeGreaterThanOrEqual(1);
        }
        expect(processors.spool.metrics().spooled).toBeGreaterThan(0);
        expect(processors.spool.health().mode).toBe('spooling');
        proxy.restore();

        for (const mode of MODES) await processors[mode].flush();
        for (let i = 0; i < 200 && (await readdir(spoolDir)).length > 0; i++)
          await new Promise((r) => setTimeout(r, 50));
        const k = historyKysely(direct);
        for (const mode of MODES) {
          const r = await sql<{ n: unknown; d: unknown }>`select count(*) as n, count(distinct id) as d
          from inference_logs where use_case = ${`outage-${mode}`}`.execute(k);
          expect(ids[mode].size).toBe(TOTAL);
          expect(Number(r.rows[0]!.n)).toBe(TOTAL);
          expect(Number(r.rows[0]!.d)).toBe(TOTAL);
          expect(processors[mode].metrics()).toMatchObject({ dropped: 0, rejected: 0 });
        }
        expect(processors.spool.metrics().replayed).toBe(processors.spool.metrics().spooled);
        // Wall-clock per call. On this shared 2-core machine (load average 4–6) a few calls are stretched
        // by young-generation GC pauses and descheduling (10–25 ms scavenges seen with a gc
        // PerformanceObserver), independent of the database. What the test proves: calls never wait for
        // the database (that would be ≥ a retry delay or the 10 s outage): p99 < 1 ms, every call < 50 ms.
        durations.sort((a, b) => a - b);
        const q = (x: number) => durations[Math.min(durations.length - 1, Math.floor(x * durations.length))]!;
        console.log(
          `[history outage] logInference p50=${(q(0.5) * 1000).toFixed(1)}µs p99=${(q(0.99) * 1000).toFixed(1)}µs ` +
            `p99.9=${q(0.999).toFixed(3)}ms max=${durations.at(-1)!.toFixed(2)}ms calls≥1ms=${durations.filter((d) => d >= 1).length}/${durations.length}`,
        );
        expect(q(0.99)).toBeLessThan(1);
        expect(durations.at(-1)!).toBeLessThan(50);
      } finally {
        for (const mode of MODES) await processors[mode].close();
        await proxy.close();
        await viaProxy.close();
        await direct.close();
        await rm(spoolDir, { recursive: true, force: true });
      }
    }, 60_000);
  },
);
