import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createDatabase,
  type Database,
  type DatabaseBackend,
  loadMigrations,
  migrate,
} from '../../src/db/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { GuardrailsMonitor, type ViolationRecord } from '../../src/guardrails/index.js';
import type { Tables } from '../../src/guardrails/violation-store.js';
import { ViolationStore } from '../../src/guardrails/violation-store.js';
import { HistoricalLogProcessor, type MaintenanceReport } from '../../src/history/index.js';
import { ManualClock } from '../../src/internal/clock.js';
import { hash32 } from '../../src/internal/hashing.js';
import { uuidv7 } from '../../src/internal/ids.js';

/** A model id (a UUID, as `check` requires) that names the day a violation was stored on. */
const dayModel = (day: number) => `00000000-0000-7000-8000-${String(day).padStart(12, '0')}`;

import {
  dropSchema,
  openTestDatabase,
  TEST_DATABASE_URL,
  testBackends,
  uniqueSchema,
} from '../helpers/backends.js';

const DAY = 86_400_000;
const T = 'guardrail_violations';

function record(at: number, i: number, over: Partial<ViolationRecord> = {}): ViolationRecord {
  return {
    id: uuidv7(at),
    createdAt: at,
    checkId: i % 3 ? 'terms' : 'pii',
    category: i % 3 ? 'self_harm' : 'pii',
    severity: i % 2 ? 'critical' : 'high',
    action: 'block',
    stage: i % 4 ? 'output' : 'input',
    useCase: i % 5 ? 'npc' : null,
    modelId: `m${i % 3}`,
    logId: i % 2 ? `log-${i}` : null,
    excerpt: `excerpt ${i}`,
    message: `message ${i}`,
    score: (i % 10) / 10,
    spanStart: i % 2 ? i : null,
    spanEnd: i % 2 ? i + 3 : null,
    context: i % 3 ? { npcId: `npc-${i}`, questProgress: ['act1'] } : null,
    reviewStatus: i % 2 ? 'pending' : 'not_required',
    verdict: null,
    reviewer: null,
    reviewNote: null,
    reviewedAt: null,
    ...over,
  };
}

async function count(db: Database, table: string): Promise<number> {
  const r = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(table)}`.execute(db.kysely);
  return Number(r.rows[0]!.n);
}

describe.each(testBackends())('stored guardrail violations partitioned by time on %s', (backend) => {
  it('insert (idempotent, never failing), review, resolve by id and retention by whole partitions', async () => {
    const db = await openTestDatabase(backend);
    const clock = new ManualClock(Date.UTC(2026, 4, 10, 12));
    const g = new GuardrailsMonitor({ db, clock, retention: '3d', autoMaintenance: false });
    try {
      const partitioned = db.capabilities.partitioning;
      expect(partitioned).toBe(backend !== 'pg-mem');
      const first = await g.maintain();
      expect(first.leaseAcquired).toBe(true);
      expect(first.created).toEqual(
        partitioned ? ['p20260510', 'p20260511', 'p20260512', 'p20260513'].map((p) => `${T}_${p}`) : [],
      );
      // One critical (pending review) violation per day for six days.
      for (let day = 0; day < 6; day++) {
        await g.check({ text: `kys d${day}`, stage: 'output', useCase: 'npc', modelId: dayModel(day) });
        await g.flush();
        clock.advance(DAY);
      }
      // A retried batch stores nothing twice. Rows beyond the partitions made ahead (May 14 and 15: no
      // pass since May 10; Aug 1) land in DEFAULT: no insert fails.
      const store = new ViolationStore(db);
      const far = record(Date.UTC(2026, 7, 1), 1, { useCase: 'far' });
      await store.insert([far]);
      await store.insert([far]);
      expect(await count(db, T)).toBe(7);
      if (partitioned) expect(await count(db, `${T}_default`)).toBe(3);

      const pending = await g.reviews.list({ status: 'pending', useCase: 'npc' });
      expect(pending.items.map((x) => x.modelId)).toEqual([0, 1, 2, 3, 4, 5].map((d) => dayModel(5 - d)));
      const byDay = (d: number) => pending.items.find((x) => x.modelId === dayModel(d))!;
      // Resolve by id alone finds the row in whichever partition holds it.
      const resolved = await g.reviews.resolve(byDay(5).id, { verdict: 'false_positive', reviewer: 'ana' });
      expect(resolved).toMatchObject({
        reviewStatus: 'resolved',
        verdict: 'false_positive',
        reviewer: 'ana',
      });
      await g.reviews.resolve(byDay(0).id, { verdict: 'confirmed', reviewer: 'ben', note: 'old one' });
      await expect(g.reviews.resolve(byDay(5).id, { verdict: 'confirmed', reviewer: 'x' })).rejects.toThrow(
        ConflictError,
      );
      await expect(
        g.reviews.resolve(uuidv7(Date.UTC(2026, 4, 12)), { verdict: 'confirmed', reviewer: 'x' }),
      ).rejects.toThrow(NotFoundError);
      expect(await g.reviews.falsePositives()).toEqual({ terms: 1 });
      expect((await g.reviews.pendingBySeverity()).critical).toBe(5);
      const paged = await g.reviews.list({ limit: 4 });
      const rest = await g.reviews.list({ limit: 4, cursor: paged.nextCursor! });
      expect([...paged.items, ...rest.items].map((x) => x.id)).toEqual(
        (await g.reviews.list({ limit: 50 })).items.map((x) => x.id),
      );

      // now = May 16 12:00; cutoff = May 13 12:00: May 10–12 go whole; May 13 stays until it expires whole.
      const second = await g.maintain();
      if (partitioned) {
        expect(second.dropped).toEqual(['p20260510', 'p20260511', 'p20260512'].map((p) => `${T}_${p}`));
        expect(second.created).toEqual(
          ['p20260514', 'p20260515', 'p20260516', 'p20260517', 'p20260518', 'p20260519', 'p20260801'].map(
            (p) => `${T}_${p}`,
          ),
        );
        expect(second.movedRows).toBe(3);
        expect(second.deletedRows).toBe(0);
        expect(await count(db, `${T}_default`)).toBe(0);
        expect(await count(db, `${T}_p20260801`)).toBe(1);
      } else {
        expect(second.deletedRows).toBe(3); // pg-mem deletes rows: those before May 13 12:00
      }
      const left = await g.reviews.list({ limit: 50 });
      expect(left.items.map((x) => x.modelId)).toEqual(['m1', dayModel(5), dayModel(4), dayModel(3)]);
      expect(left.items[1]).toMatchObject({ reviewStatus: 'resolved', verdict: 'false_positive' });
      // A row moved out of DEFAULT is still resolved by id, with its review state.
      const moved = await g.reviews.resolve(far.id, { verdict: 'confirmed', reviewer: 'cy' });
      expect(moved).toMatchObject({ id: far.id, createdAt: far.createdAt, excerpt: 'excerpt 1' });
      expect(await g.reviews.confirmed()).toEqual({ terms: 1 }); // ben's (May 10) went with its partition
    } finally {
      await g.close();
      await db.close();
    }
  });

  it('maintenance starts at first use and reports what it changed', async () => {
    const db = await openTestDatabase(backend);
    const clock = new ManualClock(Date.UTC(2026, 8, 1, 9));
    const g = new GuardrailsMonitor({ db, clock, partitionsAhead: 1, maintenanceIntervalMs: DAY });
    const reports: MaintenanceReport[] = [];
    g.on('guardrails:maintained', (r) => reports.push(r));
    try {
      await g.check({ text: 'kys', stage: 'output' });
      await g.flush();
      expect((await g.reviews.list()).items).toHaveLength(1);
      if (db.capabilities.partitioning) {
        expect(reports.map((r) => r.created)).toEqual([[`${T}_p20260901`, `${T}_p20260902`]]);
        expect(await count(db, `${T}_p20260901`)).toBe(1);
        clock.advance(DAY); // the timer's pass (shared by this call) makes the partition a day further
        expect((await g.maintain()).created).toEqual([`${T}_p20260903`]);
        expect(reports.at(-1)?.created).toEqual([`${T}_p20260903`]);
        expect(reports).toHaveLength(2);
      } else {
        expect(reports).toEqual([]); // nothing to do on a plain table without retention
      }
    } finally {
      await g.close();
      await db.close();
    }
    await expect(g.maintain()).rejects.toThrow(/closed/);
  });

  it.runIf(backend === 'postgres')(
    'only the replica holding the lease maintains; the history lease is a different one',
    async () => {
      const db = await openTestDatabase(backend);
      const clock = new ManualClock(Date.UTC(2026, 9, 1));
      const g = new GuardrailsMonitor({ db, clock, autoMaintenance: false });
      const h = new HistoricalLogProcessor({ db, clock, autoMaintenance: false });
      const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await holder.connect();
      try {
        await holder.query('select pg_advisory_lock($1, $2)', [0x4d4d5356, hash32(db.schema) | 0]);
        expect(await g.maintain()).toMatchObject({ leaseAcquired: false, created: [] });
        expect((await h.maintain()).leaseAcquired).toBe(true);
        await holder.query('select pg_advisory_unlock_all()');
        expect((await g.maintain()).created).toHaveLength(4);
      } finally {
        await holder.end();
        await h.close();
        await g.close();
        await db.close();
      }
    },
  );
});

/** A database at the schema before 0010 (0001 … 0009). */
async function openBefore0010(
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
  const schema = uniqueSchema('vmig');
  const db = await createDatabase({ connectionString: TEST_DATABASE_URL!, schema, migrate: false });
  return {
    db,
    drop: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
}

describe.each(testBackends())('migration 0010 on %s', (backend) => {
  it('converts stored violations in place: every row there, review state kept', async () => {
    const { db, drop } = await openBefore0010(backend);
    try {
      await migrate(
        db,
        loadMigrations().filter((m) => m.name < '0010'),
      );
      const k = db.kysely.withTables<Tables>();
      const base = Date.UTC(2025, 11, 30, 22);
      const rows = Array.from({ length: 240 }, (_, i) => {
        const at = base + ((i * 7_919_000) % (4 * DAY));
        const reviewed = i % 6 === 1;
        return record(at, i, {
          ...(reviewed && {
            reviewStatus: 'resolved' as const,
            verdict: i % 12 === 1 ? ('false_positive' as const) : ('confirmed' as const),
            reviewer: `r${i}`,
            reviewNote: i % 4 ? null : `note ${i}`,
            reviewedAt: at + 60_000,
          }),
        });
      });
      // Written as the released store wrote them (ON CONFLICT (id): the only unique key before 0010).
      await k
        .insertInto(T)
        .values(
          rows.map((r) => ({
            id: r.id,
            created_at: new Date(r.createdAt),
            check_id: r.checkId,
            category: r.category,
            severity: r.severity,
            action: r.action,
            stage: r.stage,
            use_case: r.useCase,
            model_id: r.modelId,
            log_id: r.logId,
            excerpt: r.excerpt,
            message: r.message,
            score: r.score,
            span_start: r.spanStart,
            span_end: r.spanEnd,
            context: r.context === null ? null : JSON.stringify(r.context),
            review_status: r.reviewStatus,
            verdict: r.verdict,
            reviewer: r.reviewer,
            review_note: r.reviewNote,
            reviewed_at: r.reviewedAt === null ? null : new Date(r.reviewedAt),
          })),
        )
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const all = () => sql`select * from guardrail_violations order by id`.execute(db.kysely);
      const before = (await all()).rows;
      expect(before).toHaveLength(240);

      const { applied } = await migrate(db);
      expect(applied).toContain('0010_violation_partitions.sql');
      expect((await all()).rows).toEqual(before);

      const clock = new ManualClock(Date.UTC(2026, 0, 2, 6));
      const g = new GuardrailsMonitor({ db, clock, autoMaintenance: false });
      try {
        const m = await g.maintain();
        if (db.capabilities.partitioning) {
          expect(m.movedRows).toBe(240);
          expect(m.created).toEqual(
            ['p20251230', 'p20251231', 'p20260101', 'p20260102', 'p20260103', 'p20260104', 'p20260105'].map(
              (p) => `${T}_${p}`,
            ),
          );
          expect(await count(db, `${T}_default`)).toBe(0);
        }
        expect((await all()).rows).toEqual(before);
        const resolvedBefore = rows.filter((r) => r.reviewStatus === 'resolved');
        const listed = await g.reviews.list({ status: 'resolved', limit: 500 });
        expect(listed.items.map((x) => x.id).sort()).toEqual(resolvedBefore.map((r) => r.id).sort());
        expect(listed.items.find((x) => x.id === resolvedBefore[0]!.id)).toEqual(resolvedBefore[0]);
        // Pending ones are resolved by id after the move; an already resolved one is a conflict.
        const pending = rows.find((r) => r.reviewStatus === 'pending')!;
        expect(await g.reviews.resolve(pending.id, { verdict: 'confirmed', reviewer: 'z' })).toMatchObject({
          id: pending.id,
          reviewStatus: 'resolved',
        });
        await expect(
          g.reviews.resolve(resolvedBefore[0]!.id, { verdict: 'confirmed', reviewer: 'z' }),
        ).rejects.toThrow(ConflictError);
        // The store writes with the new conflict target (id, created_at) on every backend.
        const fresh = record(clock.now(), 3);
        await new ViolationStore(db).insert([fresh, fresh]);
        expect(await count(db, T)).toBe(241);
      } finally {
        await g.close();
      }
    } finally {
      await drop();
    }
  });
});

describe('violation partition options', () => {
  it('refuse invalid values with the field named; maintain() needs a database', async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ retention: 'forever' }, /`retention` to be a duration such as '30d'/],
      [{ retention: -5 }, /`retention`/],
      [{ partitionInterval: 'hour' }, /`partitionInterval` to be 'day', 'week' or 'month', got "hour"/],
      [{ partitionsAhead: -1 }, /`partitionsAhead` to be an integer from 0 to 366, got -1/],
      [{ maintenanceIntervalMs: 0 }, /`maintenanceIntervalMs` to be a positive number, got 0/],
      [{ autoMaintenance: 'yes' }, /`autoMaintenance` to be a boolean/],
    ];
    for (const [options, message] of bad) {
      expect(() => new GuardrailsMonitor(options as never), JSON.stringify(options)).toThrow(ValidationError);
      expect(() => new GuardrailsMonitor(options as never)).toThrow(message);
    }
    const g = new GuardrailsMonitor({ retention: '90d', partitionInterval: 'week', partitionsAhead: 0 });
    await expect(g.maintain()).rejects.toThrow(/needs a database/);
    await g.close();
  });
});
