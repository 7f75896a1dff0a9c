import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/index.js';
import { ValidationError } from '../errors.js';
import { hash32 } from '../internal/hashing.js';
import { describe } from '../internal/validate.js';
import { rollupUpsert } from './rollups.js';

/**
 * Time partitions of `inference_logs` (PostgreSQL declarative partitioning, no extension): range
 * partitions created ahead of time, rows that landed in the DEFAULT partition moved into their range
 * partition, and retention by detaching and dropping whole partitions (no dead tuples, no vacuum debt).
 * On PostgreSQL only the replica holding the maintenance lease (a transaction-level advisory lock)
 * works; the others skip.
 */

/** Length of one partition. */
export type PartitionInterval = 'day' | 'week' | 'month';

/** What one maintenance pass did. */
export interface MaintenanceReport {
  /** False when another replica held the maintenance lease (nothing was done here). */
  leaseAcquired: boolean;
  /** Partitions created (names). */
  created: string[];
  /** Partitions detached and dropped by retention (names). */
  dropped: string[];
  /** Rows moved out of the default partition into range partitions. */
  movedRows: number;
  /** Rows deleted one by one by retention (default partition, or pg-mem's plain table). */
  deletedRows: number;
  /** How long the retention transaction (detach, drop, delete) took, ms; absent without `retention`. */
  retentionMs?: number;
}

/** Settings of partition maintenance. @internal */
export interface PartitionSettings {
  interval: PartitionInterval;
  /** Partitions kept ready beyond the current one. */
  ahead: number;
  /** Rows older than this many ms are dropped; undefined keeps everything. */
  retentionMs: number | undefined;
}

const PARENT = 'inference_logs';
const LEASE_NAMESPACE = 0x4d4d5350; // "MMSP"
const DURATION = /^(\d+)\s*(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** Parses a retention such as `'30d'`, `'12h'`, `'2w'` (or ms as a number) into ms. @internal */
export function parseRetention(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  const m = typeof value === 'string' ? DURATION.exec(value.trim()) : null;
  if (!m || Number(m[1]) <= 0) {
    throw new ValidationError(
      `Expected \`retention\` to be a duration such as '30d', '12h' or '2w' (or ms > 0), got ${describe(value)}`,
      { field: 'retention' },
    );
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Start of the UTC interval holding `t`. @internal */
export function intervalStart(t: number, interval: PartitionInterval): number {
  const d = new Date(t);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (interval === 'day') return day;
  if (interval === 'week') return day - ((d.getUTCDay() + 6) % 7) * 86_400_000; // Monday
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the interval after the one starting at `start`. @internal */
export function nextStart(start: number, interval: PartitionInterval): number {
  if (interval === 'day') return start + 86_400_000;
  if (interval === 'week') return start + 7 * 86_400_000;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** A range partition and its bounds. @internal */
export interface RangePartition {
  name: string;
  from: number;
  to: number;
}

/** A time-partitioned table of the history and its partition key. @internal */
export interface PartitionedTable {
  parent: string;
  column: string;
}

/** Raw entries and their rollups are partitioned alike, so retention drops both by whole partitions. @internal */
export const PARTITIONED_TABLES: readonly PartitionedTable[] = [
  { parent: 'inference_logs', column: 'created_at' },
  { parent: 'inference_log_rollups', column: 'bucket_start' },
];

/** The range partitions of `parent` in the current schema, oldest first. @internal */
export async function listPartitions(k: Kysely<object>, parent = PARENT): Promise<RangePartition[]> {
  const r = await sql<{ name: string; lo: Date | string; hi: Date | string }>`
    select c.relname as name, (m[1])::timestamptz as lo, (m[2])::timestamptz as hi
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent
    join pg_namespace ns on ns.oid = p.relnamespace
    cross join lateral regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') m
    where p.relname = ${parent} and ns.nspname = current_schema() and m is not null
    order by 2`.execute(k);
  return r.rows.map((x) => ({ name: x.name, from: new Date(x.lo).getTime(), to: new Date(x.hi).getTime() }));
}

/**
 * One maintenance pass: under the lease, creates the partitions (of the entries and of their
 * rollups) from the current interval to `ahead` intervals ahead, moves rows out of the default
 * partitions into range partitions (creating the ones needed), and applies retention: partitions whose
 * whole interval is older than the retention are detached and dropped, entries and rollups alike.
 * Each step is its own short transaction. @internal
 */
export async function maintainPartitions(
  db: Database,
  settings: PartitionSettings,
  now: number,
): Promise<MaintenanceReport> {
  const report: MaintenanceReport = {
    leaseAcquired: true,
    created: [],
    dropped: [],
    movedRows: 0,
    deletedRows: 0,
  };
  const cutoff = settings.retentionMs === undefined ? undefined : now - settings.retentionMs;
  if (!db.capabilities.partitioning) {
    if (cutoff !== undefined) report.deletedRows = await deleteRowsBefore(db, cutoff, { rollups: false });
    return report;
  }
  // Whole intervals before this are expired (intervals are aligned, so a partition ends at or before it).
  const horizon = cutoff === undefined ? undefined : intervalStart(cutoff, settings.interval);
  const leaseKey = hash32(db.schema) | 0;
  const underLease = async <T>(fn: (trx: Kysely<object>) => Promise<T>): Promise<T | undefined> =>
    db.transaction(async (trx) => {
      if (db.capabilities.advisoryLocks) {
        const got = await sql<{
          ok: boolean;
        }>`select pg_try_advisory_xact_lock(${LEASE_NAMESPACE}, ${leaseKey}) as ok`.execute(trx);
        if (!got.rows[0]?.ok) return undefined;
      }
      return fn(trx);
    });

  const expired = new Map<PartitionedTable, RangePartition[]>();
  for (const table of PARTITIONED_TABLES) {
    const existing = await listPartitions(db.kysely, table.parent);
    const fallback = `${table.parent}_default`;
    // Intervals wanted: now … ahead, plus every interval the default partition holds rows of.
    const wanted = new Set<number>();
    let start = intervalStart(now, settings.interval);
    for (let i = 0; i <= settings.ahead; i++, start = nextStart(start, settings.interval)) wanted.add(start);
    const stray = await sql<{
      t: Date | string;
    }>`select distinct date_trunc('day', ${sql.ref(table.column)}, 'UTC') as t
      from ${sql.id(fallback)}`.execute(db.kysely);
    for (const row of stray.rows) wanted.add(intervalStart(new Date(row.t).getTime(), settings.interval));

    for (const from of [...wanted].sort((a, b) => a - b)) {
      const to = nextStart(from, settings.interval);
      if (horizon !== undefined && to <= horizon) continue; // expired: deleted below
      // Covered, or overlapping a partition of another interval (the setting changed): rows stay in default.
      if (existing.some((p) => p.from < to && from < p.to)) continue;
      const name = `${table.parent}_p${new Date(from).toISOString().slice(0, 10).replaceAll('-', '')}`;
      const moved = await underLease((trx) => createPartition(trx, table, name, from, to));
      if (moved === undefined) return { ...report, leaseAcquired: false };
      existing.push({ name, from, to });
      report.created.push(name);
      if (table.parent === PARENT) report.movedRows += moved;
    }

    expired.set(
      table,
      existing.filter((x) => horizon !== undefined && x.to <= horizon),
    );
  }

  if (horizon === undefined) return report;
  // Entries and rollups of the same whole intervals go in one transaction, so stats never see one
  // without the other. Expired rows waiting in a default partition (rare) are deleted with them.
  const started = performance.now();
  const done = await underLease(async (trx) => {
    for (const [table, partitions] of expired) {
      for (const p of partitions) {
        await sql`alter table ${sql.id(table.parent)} detach partition ${sql.id(p.name)}`.execute(trx);
        await sql`drop table ${sql.id(p.name)}`.execute(trx);
        report.dropped.push(p.name);
      }
      const deleted = await sql`delete from ${sql.id(`${table.parent}_default`)}
        where ${sql.ref(table.column)} < ${new Date(horizon)}`.execute(trx);
      if (table.parent === PARENT) report.deletedRows += Number(deleted.numAffectedRows ?? 0);
    }
    return true;
  });
  if (done === undefined) return { ...report, dropped: [], deletedRows: 0, leaseAcquired: false };
  report.retentionMs = performance.now() - started;
  return report;
}

/** Creates one range partition; rows of its range waiting in the default partition move into it. */
async function createPartition(
  trx: Kysely<object>,
  table: PartitionedTable,
  name: string,
  from: number,
  to: number,
): Promise<number> {
  const lo = sql.lit(new Date(from).toISOString());
  const hi = sql.lit(new Date(to).toISOString());
  const parent = sql.id(table.parent);
  const fallback = sql.id(`${table.parent}_default`);
  const inRange = sql`${sql.ref(table.column)} >= ${lo}::timestamptz and ${sql.ref(table.column)} < ${hi}::timestamptz`;
  // Nothing new lands in the default partition while its rows of this range move out.
  await sql`lock table ${fallback} in share row exclusive mode`.execute(trx);
  const waiting = await sql<{ n: unknown }>`select count(*) as n from ${fallback} where ${inRange}`.execute(
    trx,
  );
  const n = Number(waiting.rows[0]?.n ?? 0);
  if (n === 0) {
    await sql`create table ${sql.id(name)} partition of ${parent} for values from (${lo}) to (${hi})`.execute(
      trx,
    );
    return 0;
  }
  await sql`create table ${sql.id(name)} (like ${parent} including defaults)`.execute(trx);
  await sql`with moved as (delete from ${fallback} where ${inRange} returning *)
    insert into ${sql.id(name)} select * from moved`.execute(trx);
  await sql`alter table ${parent} attach partition ${sql.id(name)} for values from (${lo}) to (${hi})`.execute(
    trx,
  );
  return n;
}

/**
 * Deletes rows created before `cutoff` in batches (keeping rollups equal to the raw rows); returns
 * how many. Used by `purge` for precise deletes and by retention for the default partition. @internal
 */
export async function deleteRowsBefore(
  db: Database,
  cutoff: number,
  o: { rollups: boolean; table?: string; batchSize?: number },
): Promise<number> {
  const k = db.kysely;
  const { rollups, batchSize = 1000 } = o;
  const table = sql.id(o.table ?? PARENT);
  const before = new Date(cutoff);
  let deleted = 0;
  for (;;) {
    const ids = (
      await sql<{ id: string }>`select id from ${table} where created_at < ${before}
        order by id limit ${batchSize}`.execute(k)
    ).rows.map((r) => r.id);
    if (ids.length === 0) break;
    if (rollups) {
      await sql`with del as (delete from ${table} where id = any(${ids}::uuid[]) and created_at < ${before}
        returning *) ${rollupUpsert(sql`del`, -1)}`.execute(k);
    } else {
      await sql`delete from ${table} where id in (${sql.join(ids)})`.execute(k);
    }
    deleted += ids.length;
    if (ids.length < batchSize) break;
  }
  if (rollups && deleted > 0) await sql`delete from inference_log_rollups where n <= 0`.execute(k);
  return deleted;
}
