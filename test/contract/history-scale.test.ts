import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bulkCopier,
  createDatabase,
  type Database,
  type DatabaseBackend,
  loadMigrations,
  migrate,
} from '../../src/db/index.js';
import {
  HistoricalLogProcessor,
  type InferenceLogInput,
  type LogStats,
  type LogStatsResult,
  ROLLUP_PERCENTILE_RELATIVE_ERROR,
  type StatsQuery,
} from '../../src/history/index.js';
import { rawStats, validateFilter } from '../../src/history/log-reader.js';
import { historyKysely, insertRows } from '../../src/history/log-store.js';
import { compactRollupDeltas } from '../../src/history/rollups.js';
import type { LogRow } from '../../src/history/types.js';
import { ManualClock } from '../../src/internal/clock.js';
import { uuidv7 } from '../../src/internal/ids.js';
import {
  dropSchema,
  openTestDatabase,
  TEST_DATABASE_URL,
  testBackends,
  uniqueSchema,
} from '../helpers/backends.js';

const DAY = 86_400_000;

async function clearRollups(db: Database): Promise<void> {
  const k = historyKysely(db);
  await sql`delete from inference_log_rollups`.execute(k);
  await sql`delete from inference_log_rollup_deltas`.execute(k);
}
/** pg-mem inserts ~2k rows/s and computes both sides from raw rows: fewer rows there. */
const ROWS_PER_BACKEND: Record<DatabaseBackend, number> = { 'pg-mem': 400, pglite: 1500, postgres: 1500 };
const MODELS = ['0190a6c2-7a3e-7cc1-8f00-000000000001', '0190a6c2-7a3e-7cc1-8f00-000000000002', null];
const STATUSES = ['ok', 'ok', 'ok', 'error', 'fallback', 'blocked'] as const;
const SEVERITIES = ['low', 'medium', 'high', 'critical', 'info'];

/** A small seeded generator (mulberry32), so a failing case can be replayed from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEntry(r: () => number): InferenceLogInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const violations =
    r() < 0.3 ? Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({ severity: pick(SEVERITIES) })) : [];
  return {
    modelId: pick(MODELS),
    useCase: pick(['npc', 'story', 'custom']),
    prompt: 'p',
    generatedOutput: 'o',
    status: pick(STATUSES),
    variant: pick(['stable', 'candidate', null] as const),
    deploymentId: pick(['dep-1', 'dep-2', null]),
    latencyMs: r() < 0.1 ? null : r() < 0.02 ? r() * 0.1 : Math.exp(r() * 9),
    tokensIn: r() < 0.2 ? null : Math.floor(r() * 500),
    tokensOut: Math.floor(r() * 800),
    guardrails: violations,
    playerId: pick(['a', 'b']),
  };
}

function expectSameStats(actual: LogStats, exact: LogStats, where: string): void {
  expect(actual.count, where).toBe(exact.count);
  for (const f of ['errorRate', 'fallbackRate', 'blockedRate', 'violationRate'] as const) {
    expect(actual[f], `${where} ${f}`).toBeCloseTo(exact[f], 12);
  }
  for (const s of ['low', 'medium', 'high', 'critical'] as const) {
    expect(actual.violationRateBySeverity[s], `${where} ${s}`).toBeCloseTo(
      exact.violationRateBySeverity[s],
      12,
    );
  }
  expect(actual.tokensIn, where).toBe(exact.tokensIn);
  expect(actual.tokensOut, where).toBe(exact.tokensOut);
  if (exact.latencyMs.mean === null) expect(actual.latencyMs.mean, where).toBeNull();
  else expect(actual.latencyMs.mean! / exact.latencyMs.mean, `${where} mean`).toBeCloseTo(1, 9);
  for (const q of ['p50', 'p95', 'p99'] as const) {
    const want = exact.latencyMs[q];
    const got = actual.latencyMs[q];
    if (want === null) {
      expect(got, `${where} ${q}`).toBeNull();
      continue;
    }
    // The documented bound: relative error ≤ ROLLUP_PERCENTILE_RELATIVE_ERROR, ≤ 0.05 ms below 0.1 ms.
    const bound = want * ROLLUP_PERCENTILE_RELATIVE_ERROR + 0.05 + 1e-9;
    expect(Math.abs(got! - want), `${where} ${q}: ${got} vs exact ${want}`).toBeLessThanOrEqual(bound);
  }
}

function expectSameResult(actual: LogStatsResult, exact: LogStatsResult, where: string): void {
  expectSameStats(actual, exact, where);
  expect(
    actual.groups?.map((g) => g.key),
    where,
  ).toEqual(exact.groups?.map((g) => g.key));
  for (const [i, g] of (exact.groups ?? []).entries())
    expectSameStats(actual.groups![i]!, g, `${where} [${g.key}]`);
}

describe.each(testBackends())('history at scale on %s', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());

  it('stats from rollups equal a raw computation on random data (property, 6 seeds)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 10, 17, 23, 400));
    const p = new HistoricalLogProcessor({
      db,
      clock,
      exactStatsUpTo: 0,
      autoMaintenance: false,
      batchSize: 97,
    });
    await p.maintain();
    const r = rng(20260301);
    const start = clock.now();
    for (let i = 0; i < ROWS_PER_BACKEND[backend]; i++) {
      clock.advance(Math.floor(r() * 400_000)); // ~3.5 days in all, several rows per minute at times
      p.logSync(randomEntry(r));
    }
    await p.flush();
    const end = clock.now();
    await p.maintain(); // partitions for every day the rows span; rows leave the default partition
    const span = end - start;
    for (let seed = 1; seed <= 6; seed++) {
      const q = rng(seed);
      const from = new Date(start + Math.floor(q() * span * 0.6) - DAY / 3);
      const to = new Date(from.getTime() + Math.floor(q() * span));
      const queries: StatsQuery[] = [
        {},
        { from },
        { to },
        { from, to, groupBy: 'modelId' },
        { from, to, useCase: 'npc', groupBy: 'status' },
        { variant: 'candidate', groupBy: 'deploymentId' },
        { from, status: 'error', groupBy: 'variant' },
        { from, to, groupBy: 'useCase', modelId: MODELS[0]! },
      ];
      for (const query of queries) {
        const exact = await rawStats(db, validateFilter(query, ['groupBy']), query.groupBy);
        expectSameResult(await p.stats(query), exact, `seed ${seed} ${JSON.stringify(query)}`);
      }
    }
    // Precise purge keeps rollups equal to the remaining rows.
    const cut = new Date(start + span / 2 + 12_345);
    const { deleted } = await p.purge({ olderThan: cut, batchSize: 100 });
    expect(deleted).toBeGreaterThan(0);
    const exact = await rawStats(db, {}, 'status');
    expectSameResult(await p.stats({ groupBy: 'status' }), exact, 'after purge');
    expect(exact.count).toBe(ROWS_PER_BACKEND[backend] - deleted);
    await p.close();
    await sql`delete from inference_logs`.execute(historyKysely(db));
    if (db.capabilities.partitioning) await clearRollups(db);
  });

  it('purge with a signal: aborted before start deletes nothing; aborted between batches keeps stats exact', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 10, 17, 23, 400));
    const p = new HistoricalLogProcessor({ db, clock, exactStatsUpTo: 0, autoMaintenance: false });
    await p.maintain();
    const r = rng(19);
    for (let i = 0; i < 60; i++) {
      clock.advance(Math.floor(r() * 60_000));
      p.logSync(randomEntry(r));
    }
    await p.flush();
    await p.maintain();
    const olderThan = new Date(clock.now() + 1);
    await expect(p.purge({ olderThan, signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect((await rawStats(db, {}, undefined)).count).toBe(60);
    await expect(p.purge({ olderThan, signal: 'stop' as never })).rejects.toThrow(
      /`signal` to be an AbortSignal/,
    );
    // Aborts on the third check, i.e. after two batches of 10 rows.
    const controller = new AbortController();
    let checks = 0;
    Object.defineProperty(controller.signal, 'aborted', {
      get() {
        if (++checks === 3) controller.abort();
        return Reflect.get(AbortSignal.prototype, 'aborted', controller.signal) as boolean;
      },
    });
    await expect(p.purge({ olderThan, batchSize: 10, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const exact = await rawStats(db, {}, 'status');
    expect(exact.count).toBe(40);
    expectSameResult(await p.stats({ groupBy: 'status' }), exact, 'after an aborted purge');
    await p.close();
    await sql`delete from inference_logs`.execute(historyKysely(db));
    if (db.capabilities.partitioning) await clearRollups(db);
  });

  it.runIf(backend !== 'pg-mem')(
    'rollups stay exact when a batch is retried whole or replayed mixed with stored rows',
    async () => {
      const clock = new ManualClock(Date.UTC(2026, 6, 1, 8, 30));
      const p = new HistoricalLogProcessor({ db, clock, exactStatsUpTo: 0, autoMaintenance: false });
      const r = rng(99);
      const rows: LogRow[] = Array.from({ length: 300 }, (_, i) => {
        const at = clock.now() + i * 1_000;
        const e = randomEntry(r);
        return {
          id: uuidv7(at),
          createdAt: at,
          modelId: e.modelId,
          useCase: e.useCase,
          status: e.status!,
          variant: e.variant ?? null,
          deploymentId: e.deploymentId ?? null,
          prompt: 'p',
          generatedOutput: null,
          context: null,
          metadata: null,
          error: null,
          latencyMs: e.latencyMs ?? null,
          tokensIn: e.tokensIn ?? null,
          tokensOut: e.tokensOut ?? null,
          playerId: null,
          sessionId: null,
          conversationId: null,
          guardrails: null,
          violationCount: (e.guardrails as unknown[]).length,
          maxSeverity: (e.guardrails as Array<{ severity: string }>)[0]?.severity ?? null,
          truncated: false,
        };
      });
      const k = historyKysely(db);
      const copier = bulkCopier(db);
      // COPY (PostgreSQL from a connection string) falls back to the idempotent insert on duplicates.
      for (const method of copier ? (['unnest', 'copy'] as const) : (['unnest'] as const)) {
        await insertRows(k, rows.slice(0, 200), method, true, copier);
        await insertRows(k, rows.slice(0, 200), method, true, copier); // a retry of a stored batch
        await insertRows(k, rows.slice(100), method, true, copier); // half stored, half new
        await insertRows(k, rows.slice(250), 'multi-row', true);
        const exact = await rawStats(db, {}, 'status');
        expect(exact.count).toBe(300);
        expectSameResult(
          await p.stats({ groupBy: 'status' }),
          exact,
          `retried and mixed batches (${method})`,
        );
        // Writes append deltas; compaction merges them into the rollups without changing any figure.
        const deltas = sql<{ n: string }>`select count(*) as n from inference_log_rollup_deltas`;
        expect(Number((await deltas.execute(k)).rows[0]!.n)).toBeGreaterThan(0);
        await compactRollupDeltas().execute(k);
        expect(Number((await deltas.execute(k)).rows[0]!.n)).toBe(0);
        expectSameResult(await p.stats({ groupBy: 'status' }), exact, `after compaction (${method})`);
        await sql`delete from inference_logs`.execute(k);
        await clearRollups(db);
      }
      await p.close();
    },
  );

  it('maintenance creates partitions ahead; retention drops whole partitions and their rollups', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 10, 12));
    const p = new HistoricalLogProcessor({
      db,
      clock,
      retention: '3d',
      autoMaintenance: false,
      exactStatsUpTo: 0,
    });
    const first = await p.maintain();
    expect(first.leaseAcquired).toBe(true);
    if (db.capabilities.partitioning) {
      expect(first.created).toEqual(
        expect.arrayContaining(['inference_logs_p20260510', 'inference_logs_p20260513']),
      );
    } else {
      expect(first.created).toEqual([]); // pg-mem: one plain table, declared by capabilities.partitioning
    }
    for (let day = 0; day < 6; day++) {
      for (let i = 0; i < 10; i++)
        p.logSync({ modelId: null, useCase: 'npc', prompt: `d${day}`, latencyMs: 5 + i });
      await p.flush();
      clock.advance(DAY);
    }
    // now = May 16 12:00; cutoff = May 13 12:00: May 10–12 go whole; May 13 stays until it expires whole.
    const second = await p.maintain();
    const left = await rawStats(db, {}, undefined);
    if (db.capabilities.partitioning) {
      expect(second.dropped).toEqual(
        ['inference_logs', 'inference_log_rollups'].flatMap((t) => [
          `${t}_p20260510`,
          `${t}_p20260511`,
          `${t}_p20260512`,
        ]),
      );
      expect(second.deletedRows).toBe(0);
      expect(left.count).toBe(30);
    } else {
      expect(second.deletedRows).toBe(30); // pg-mem deletes rows: those before May 13 12:00
      expect(left.count).toBe(30);
    }
    expectSameResult(await p.stats({}), left, 'after retention');
    const storage = await p.storage();
    expect(storage.parts.filter((x) => x.table === 'inference_logs').reduce((s, x) => s + x.rows, 0)).toBe(
      left.count,
    );
    const oldest = storage.parts
      .map((x) => x.oldestAt?.getTime() ?? Infinity)
      .reduce((a, b) => Math.min(a, b));
    expect(new Date(oldest).toISOString()).toBe('2026-05-13T12:00:00.000Z');
    if (db.capabilities.partitioning) {
      expect(storage.totalBytes).toBeGreaterThan(0);
      expect(storage.parts.map((x) => x.partition)).toContain('inference_logs_p20260513');
    }
    expect(p.metrics().storage).toEqual(storage);
    await p.close();
    await sql`delete from inference_logs`.execute(historyKysely(db));
    if (db.capabilities.partitioning) await clearRollups(db);
  });
});

/** A database at today's released schema (0001–0004), not yet at 0005. */
async function openAtReleasedSchema(
  backend: DatabaseBackend,
): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (backend === 'pg-mem') {
    const db = await createDatabase({ memory: true, migrate: false });
    return { db, drop: () => db.close() };
  }
  if (backend === 'pglite') {
    const db = await createDatabase({ embedded: {}, migrate: false });
    return { db, drop: () => db.close() };
  }
  const schema = uniqueSchema('mig');
  const db = await createDatabase({ connectionString: TEST_DATABASE_URL!, schema, migrate: false });
  return {
    db,
    drop: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
}

describe.each(testBackends())('migration 0005 on %s', (backend) => {
  it('converts an existing history in place without losing a row, and builds its rollups', async () => {
    const { db, drop } = await openAtReleasedSchema(backend);
    try {
      const released = loadMigrations().filter((m) => m.name < '0005');
      expect(released.map((m) => m.name)).toEqual([
        '0001_registry.sql',
        '0002_history.sql',
        '0003_guardrails.sql',
        '0004_deployments.sql',
      ]);
      await migrate(db, released);
      const r = rng(7);
      const base = Date.UTC(2025, 11, 30, 22);
      const rows: LogRow[] = Array.from({ length: 700 }, (_, i) => {
        const at = base + Math.floor(r() * 4 * DAY);
        const e = randomEntry(r);
        return {
          id: uuidv7(at),
          createdAt: at,
          modelId: e.modelId,
          useCase: e.useCase,
          status: e.status!,
          variant: e.variant ?? null,
          deploymentId: e.deploymentId ?? null,
          prompt: `prompt ${i} ${randomBytes(4).toString('hex')}`,
          generatedOutput: i % 5 ? 'out' : null,
          context: i % 3 ? JSON.stringify({ i }) : null,
          metadata: null,
          error: e.status === 'error' ? 'Error: x' : null,
          latencyMs: e.latencyMs ?? null,
          tokensIn: e.tokensIn ?? null,
          tokensOut: e.tokensOut ?? null,
          playerId: e.playerId ?? null,
          sessionId: null,
          conversationId: null,
          guardrails: null,
          violationCount: (e.guardrails as unknown[]).length,
          maxSeverity: (e.guardrails as Array<{ severity: string }>)[0]?.severity ?? null,
          truncated: false,
        };
      });
      const k = historyKysely(db);
      await insertRows(k, rows, 'multi-row');
      const before = (await sql`select * from inference_logs order by id`.execute(k)).rows;
      expect(before).toHaveLength(700);

      const { applied } = await migrate(db);
      expect(applied).toContain('0005_history_partitions.sql');
      const after = (await sql`select * from inference_logs order by id`.execute(k)).rows;
      expect(after).toEqual(before);

      const clock = new ManualClock(Date.UTC(2026, 0, 2, 6));
      const p = new HistoricalLogProcessor({ db, clock, autoMaintenance: false, exactStatsUpTo: 0 });
      const exact = await rawStats(db, {}, 'useCase');
      // Rollups built by the migration itself.
      expectSameResult(await p.stats({ groupBy: 'useCase' }), exact, 'after migration');
      const m = await p.maintain();
      if (db.capabilities.partitioning) {
        expect(m.movedRows).toBe(700);
        expect(m.created).toEqual(
          expect.arrayContaining([
            'inference_logs_p20251230',
            'inference_logs_p20260102',
            'inference_logs_p20260105',
          ]),
        );
        const inDefault = await sql<{ n: unknown }>`select count(*) as n from inference_logs_default`.execute(
          k,
        );
        expect(Number(inDefault.rows[0]!.n)).toBe(0);
      }
      expect((await sql`select * from inference_logs order by id`.execute(k)).rows).toEqual(before);
      expectSameResult(await p.stats({ groupBy: 'useCase' }), exact, 'after maintenance');
      // New writes after the migration keep the rollups in step.
      p.logSync({ modelId: null, useCase: 'npc', prompt: 'new', latencyMs: 3 });
      await p.flush();
      expectSameResult(await p.stats({}), await rawStats(db, {}, undefined), 'after a new write');
      await p.close();
    } finally {
      await drop();
    }
  });
});
