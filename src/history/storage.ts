import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/index.js';

/** Size of one stored table or partition of the history. */
export interface HistoryStoragePart {
  /** The logical table, e.g. `inference_logs` or `inference_log_rollups`. */
  table: string;
  /** The partition holding the data (`inference_logs_p20261130`, `inference_logs_default`); null for a plain table. */
  partition: string | null;
  /** Heap + TOAST bytes (0 on pg-mem, which cannot measure them). */
  tableBytes: number;
  /** Bytes of its indexes (0 on pg-mem). */
  indexBytes: number;
  /** Rows: exact below 100,000, else PostgreSQL's estimate (`reltuples`, refreshed by ANALYZE/autovacuum). */
  rows: number;
  /** Creation time of the oldest row (`created_at`); null when empty or not time-stamped. */
  oldestAt: Date | null;
}

/** What {@link HistoricalLogProcessor.storage} reports. */
export interface HistoryStorageReport {
  measuredAt: Date;
  parts: HistoryStoragePart[];
  /** Sum of table and index bytes of every part. */
  totalBytes: number;
}

const EXACT_BELOW = 100_000;

async function oldest(k: Kysely<object>, relation: string): Promise<Date | null> {
  const r = await sql<{
    t: Date | string | null;
  }>`select min(created_at) as t from ${sql.id(relation)}`.execute(k);
  const t = r.rows[0]?.t;
  return t === null || t === undefined ? null : new Date(t);
}

async function exactRows(k: Kysely<object>, relation: string): Promise<number> {
  const r = await sql<{ n: unknown }>`select count(*) as n from ${sql.id(relation)}`.execute(k);
  return Number(r.rows[0]?.n ?? 0);
}

/** Measures bytes, rows and oldest row per partition of the history tables. @internal */
export async function measureStorage(db: Database, now: Date): Promise<HistoryStorageReport> {
  const k = db.kysely;
  const parts: HistoryStoragePart[] = [];
  if (!db.capabilities.partitioning) {
    // pg-mem: no size functions; rows and oldest row are still exact.
    parts.push({
      table: 'inference_logs',
      partition: null,
      tableBytes: 0,
      indexBytes: 0,
      rows: await exactRows(k, 'inference_logs'),
      oldestAt: await oldest(k, 'inference_logs'),
    });
    return { measuredAt: now, parts, totalBytes: 0 };
  }
  const r = await sql<{
    table_name: string;
    part: string;
    partitioned: boolean;
    table_bytes: unknown;
    index_bytes: unknown;
    estimate: unknown;
  }>`select p.relname as table_name, c.relname as part, true as partitioned,
      pg_table_size(c.oid) as table_bytes, pg_indexes_size(c.oid) as index_bytes, c.reltuples as estimate
    from pg_class c
    join pg_namespace ns on ns.oid = c.relnamespace
    join pg_inherits i on i.inhrelid = c.oid
    join pg_class p on p.oid = i.inhparent
    where ns.nspname = current_schema() and c.relkind = 'r'
      and p.relname in ('inference_logs', 'inference_log_rollups')
    order by 1, 2`.execute(k);
  for (const x of r.rows) {
    const estimate = Number(x.estimate);
    const rows = estimate >= EXACT_BELOW ? Math.round(estimate) : await exactRows(k, x.part);
    const timed = x.table_name === 'inference_logs';
    parts.push({
      table: x.table_name,
      partition: x.partitioned ? x.part : null,
      tableBytes: Number(x.table_bytes),
      indexBytes: Number(x.index_bytes),
      rows,
      oldestAt: timed && rows > 0 ? await oldest(k, x.part) : null,
    });
  }
  const totalBytes = parts.reduce((s, p) => s + p.tableBytes + p.indexBytes, 0);
  return { measuredAt: now, parts, totalBytes };
}
