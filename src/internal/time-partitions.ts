import { type Kysely, sql, type Transaction } from 'kysely';
import { ValidationError } from '../errors.js';
import { hash32 } from './hashing.js';
import { describe } from './validate.js';

/**
 * Time partitions of a family of tables (PostgreSQL declarative partitioning, no extension): range
 * partitions created ahead of time, rows that landed in the DEFAULT partition moved into their range
 * partition, and retention by detaching and dropping whole partitions (no dead tuples, no vacuum debt).
 * On PostgreSQL only the replica holding the family's maintenance lease (a transaction-level advisory
 * lock) works; the others skip. Used by the history (`inference_logs` and its rollups) and by the
 * guardrails (`guardrail_violations`). Every table is `<parent>` partitioned by range on one timestamptz
 * column, with a `<parent>_default` DEFAULT partition.
 * @module
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

/** Settings of partition maintenance. */
export interface PartitionSettings {
  interval: PartitionInterval;
  /** Partitions kept ready beyond the current one. */
  ahead: number;
  /** Rows older than this many ms are dropped; undefined keeps everything. */
  retentionMs: number | undefined;
}

/** A time-partitioned table and its partition key. */
export interface PartitionedTable {
  parent: string;
  column: string;
}

/**
 * Tables partitioned alike and maintained together: retention drops their partitions of the same
 * intervals in one transaction. The first table is the one whose moved and deleted rows are counted.
 */
export interface PartitionFamily {
  readonly tables: readonly PartitionedTable[];
  /** First key of the family's advisory lock (the second is a hash of the schema). */
  readonly leaseNamespace: number;
  /** Retention where the backend cannot partition (pg-mem): deletes rows created before `cutoff`. */
  deleteUnpartitioned(cutoff: number): Promise<number>;
}

/** The part of the database handle maintenance needs (structural, so `internal/` stays below `db/`). */
export interface PartitionedDatabase {
  readonly kysely: Kysely<object>;
  readonly schema: string;
  readonly capabilities: { readonly partitioning: boolean; readonly advisoryLocks: boolean };
  transaction<T>(fn: (trx: Transaction<object>) => Promise<T>): Promise<T>;
}

/** A range partition and its bounds. */
export interface RangePartition {
  name: string;
  from: number;
  to: number;
}

const DURATION = /^(\d+)\s*(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const INTERVALS: readonly string[] = ['day', 'week', 'month'];

/** Parses a retention such as `'30d'`, `'12h'`, `'2w'` (or ms as a number) into ms. */
export function parseRetention(value: unknown, field = 'retention'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  const m = typeof value === 'string' ? DURATION.exec(value.trim()) : null;
  if (!m || Number(m[1]) <= 0) {
    throw new ValidationError(
      `Expected \`${field}\` to be a duration such as '30d', '12h' or '2w' (or ms > 0), got ${describe(value)}`,
      { field },
    );
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/**
 * Validates `partitionInterval`, `partitionsAhead` and `retention` options into settings, throwing a
 * `ValidationError` naming the field.
 */
export function partitionSettings(
  o: { partitionInterval?: unknown; partitionsAhead?: unknown; retention?: unknown },
  defaults: { interval: PartitionInterval; ahead: number },
): PartitionSettings {
  const interval = o.partitionInterval ?? defaults.interval;
  if (typeof interval !== 'string' || !INTERVALS.includes(interval)) {
    throw new ValidationError(
      `Expected \`partitionInterval\` to be 'day', 'week' or 'month', got ${describe(interval)}`,
      { field: 'partitionInterval' },
    );
  }
  const ahead = o.partitionsAhead ?? defaults.ahead;
  if (typeof ahead !== 'number' || !Number.isInteger(ahead) || ahead < 0 || ahead > 366) {
    throw new ValidationError(
      `Expected \`partitionsAhead\` to be an integer from 0 to 366, got ${describe(ahead)}`,
      { field: 'partitionsAhead' },
    );
  }
  return { interval: interval as PartitionInterval, ahead, retentionMs: parseRetention(o.retention) };
}

/** Start of the UTC interval holding `t`. */
export function intervalStart(t: number, interval: PartitionInterval): number {
  const d = new Date(t);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (interval === 'day') return day;
  if (interval === 'week') return day - ((d.getUTCDay() + 6) % 7) * 86_400_000; // Monday
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the interval after the one starting at `start`. */
export function nextStart(start: number, interval: PartitionInterval): number {
  if (interval === 'day') return start + 86_400_000;
  if (interval === 'week') return start + 7 * 86_400_000;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The range partitions of `parent` in the current schema, oldest first. */
export async function listPartitions(k: Kysely<object>, parent: string): Promise<RangePartition[]> {
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
 * One maintenance pass over a family: under its lease, creates the partitions from the current
 * interval to `ahead` intervals ahead, moves rows out of the default partitions into range partitions
 * (creating the ones needed), and applies retention: partitions whose whole interval is older than the
 * retention are detached and dropped, for every table of the family in one transaction. Each step is
 * its own short transaction. Without partitioning (pg-mem) only retention runs, row by row.
 */
export async function maintainPartitions(
  db: PartitionedDatabase,
  family: PartitionFamily,
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
    if (cutoff !== undefined) report.deletedRows = await family.deleteUnpartitioned(cutoff);
    return report;
  }
  const counted = family.tables[0]?.parent;
  // Whole intervals before this are expired (intervals are aligned, so a partition ends at or before it).
  const horizon = cutoff === undefined ? undefined : intervalStart(cutoff, settings.interval);
  const leaseKey = hash32(db.schema) | 0;
  const underLease = async <T>(fn: (trx: Kysely<object>) => Promise<T>): Promise<T | undefined> =>
    db.transaction(async (trx) => {
      if (db.capabilities.advisoryLocks) {
        const got = await sql<{
          ok: boolean;
        }>`select pg_try_advisory_xact_lock(${family.leaseNamespace}, ${leaseKey}) as ok`.execute(trx);
        if (!got.rows[0]?.ok) return undefined;
      }
      return fn(trx);
    });

  const expired = new Map<PartitionedTable, RangePartition[]>();
  for (const table of family.tables) {
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
      if (table.parent === counted) report.movedRows += moved;
    }

    expired.set(
      table,
      existing.filter((x) => horizon !== undefined && x.to <= horizon),
    );
  }

  if (horizon === undefined) return report;
  // Every table's same whole intervals go in one transaction, so readers never see one without the
  // other. Expired rows waiting in a default partition (rare) are deleted with them.
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
      if (table.parent === counted) report.deletedRows += Number(deleted.numAffectedRows ?? 0);
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
