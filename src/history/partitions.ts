import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/index.js';
import { ValidationError } from '../errors.js';
import { hash32 } from '../internal/hashing.js';
import { rollupUpsert } from './rollups.js';
import { describe } from './sanitize.js';

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
const DEFAULT_PARTITION = 'inference_logs_default';
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

/** `inference_logs_p20261130` (the interval's first UTC day). @internal */
export function partitionName(start: number): string {
  return `${PARENT}_p${new Date(start).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** A range partition and its bounds. @internal */
export interface RangePartition {
  name: string;
  from: number;
  to: number;
}

/** The range partitions of `inference_logs` in the current schema, oldest first. @internal */
export async function listPartitions(k: Kysely<object>): Promise<RangePartition[]> {
  const r = await sql<{ name: string; lo: Date | string; hi: Date | string }>`
    select c.relname as name, (m[1])::timestamptz as lo, (m[2])::timestamptz as hi
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent
    join pg_namespace ns on ns.oid = p.relnamespace
    cross join lateral regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') m
    where p.relname = ${PARENT} and ns.nspname = current_schema() and m is not null
    order by 2`.execute(k);
  return r.rows.map((x) => ({ name: x.name, from: new Date(x.lo).getTime(), to: new Date(x.hi).getTime() }));
}

/**
 * One maintenance pass: under the lease, creates the partitions from the current interval to
 * `ahead` intervals ahead, moves rows out of the default partition into range partitions (creating
 * the ones needed), and applies retention. Each step is its own short transaction. @internal
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

  const existing = await listPartitions(db.kysely);
  const covered = (t: number) => existing.some((p) => p.from <= t && t < p.to);
  // Intervals wanted: now … ahead, plus every interval the default partition holds rows of.
  const wanted = new Set<number>();
  let start = intervalStart(now, settings.interval);
  for (let i = 0; i <= settings.ahead; i++, start = nextStart(start, settings.interval)) wanted.add(start);
  const stray = await sql<{ t: Date | string }>`
    select distinct date_trunc('day', created_at, 'UTC') as t from inference_logs_default`.execute(db.kysely);
  for (const row of stray.rows) wanted.add(intervalStart(new Date(row.t).getTime(), settings.interval));

  for (const from of [...wanted].sort((a, b) => a - b)) {
    const to = nextStart(from, settings.interval);
    if (cutoff !== undefined && to <= cutoff) continue; // retention deletes these rows below
    if (covered(from)) continue;
    // A partition of another interval (the setting changed) may overlap: leave those rows in default.
    if (existing.some((p) => p.from < to && from < p.to)) continue;
    const name = partitionName(from);
    const moved = await underLease((trx) => createPartition(trx, name, from, to));
    if (moved === undefined) return { ...report, leaseAcquired: false };
    existing.push({ name, from, to });
    report.created.push(name);
    report.movedRows += moved;
  }

  if (cutoff !== undefined) {
    for (const p of existing.filter((x) => x.to <= cutoff)) {
      const done = await underLease((trx) => dropPartition(trx, p));
      if (done === undefined) return { ...report, leaseAcquired: false };
      report.dropped.push(p.name);
    }
    // Rows of a partly expired partition stay until the whole partition expires (no row deletes);
    // only stray rows in the default partition are deleted one by one.
    report.deletedRows = await deleteRowsBefore(db, cutoff, { rollups: true, table: DEFAULT_PARTITION });
  }
  return report;
}

/** Creates one range partition; rows of its range waiting in the default partition move into it. */
async function createPartition(trx: Kysely<object>, name: string, from: number, to: number): Promise<number> {
  const lo = sql.lit(new Date(from).toISOString());
  const hi = sql.lit(new Date(to).toISOString());
  // Nothing new lands in the default partition while its rows of this range move out.
  await sql`lock table ${sql.id(DEFAULT_PARTITION)} in share row exclusive mode`.execute(trx);
  const waiting = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(DEFAULT_PARTITION)}
    where created_at >= ${lo}::timestamptz and created_at < ${hi}::timestamptz`.execute(trx);
  const n = Number(waiting.rows[0]?.n ?? 0);
  if (n === 0) {
    await sql`create table ${sql.id(name)} partition of ${sql.id(PARENT)}
      for values from (${lo}) to (${hi})`.execute(trx);
    return 0;
  }
  await sql`create table ${sql.id(name)} (like ${sql.id(PARENT)} including defaults)`.execute(trx);
  await sql`with moved as (delete from ${sql.id(DEFAULT_PARTITION)}
      where created_at >= ${lo}::timestamptz and created_at < ${hi}::timestamptz returning *)
    insert into ${sql.id(name)} select * from moved`.execute(trx);
  await sql`alter table ${sql.id(PARENT)} attach partition ${sql.id(name)}
    for values from (${lo}) to (${hi})`.execute(trx);
  return n;
}

/** Detaches and drops a whole partition, with the rollups of its range (partitions are day-aligned). */
async function dropPartition(trx: Kysely<object>, p: RangePartition): Promise<true> {
  await sql`alter table ${sql.id(PARENT)} detach partition ${sql.id(p.name)}`.execute(trx);
  await sql`drop table ${sql.id(p.name)}`.execute(trx);
  await sql`delete from inference_log_rollups
    where bucket_start >= ${new Date(p.from)} and bucket_start < ${new Date(p.to)}`.execute(trx);
  return true;
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
