import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import {
  listPartitions as listTablePartitions,
  type MaintenanceReport,
  maintainPartitions as maintainFamily,
  type PartitionedTable,
  type PartitionFamily,
  type PartitionSettings,
  type RangePartition,
} from '../internal/time-partitions.js';
import { compactRollupDeltas, rollupUpsert } from './rollups.js';

/**
 * Time partitions of `inference_logs` and its rollups. The generic machinery (partitions ahead, rows
 * moved out of the default partition, retention by dropping whole partitions under a maintenance lease)
 * lives in `internal/time-partitions.ts`; this file names the history's tables and its precise deletes.
 */

export {
  intervalStart,
  type MaintenanceReport,
  nextStart,
  type PartitionedTable,
  type PartitionInterval,
  type PartitionSettings,
  parseRetention,
  type RangePartition,
} from '../internal/time-partitions.js';

const PARENT = 'inference_logs';
const LEASE_NAMESPACE = 0x4d4d5350; // "MMSP"

/** Raw entries and their rollups are partitioned alike, so retention drops both by whole partitions. @internal */
export const PARTITIONED_TABLES: readonly PartitionedTable[] = [
  { parent: 'inference_logs', column: 'created_at' },
  { parent: 'inference_log_rollups', column: 'bucket_start' },
];

/** The range partitions of `parent` (default `inference_logs`) in the current schema, oldest first. @internal */
export function listPartitions(
  k: Parameters<typeof listTablePartitions>[0],
  parent = PARENT,
): Promise<RangePartition[]> {
  return listTablePartitions(k, parent);
}

/**
 * One maintenance pass over the entries and their rollups (see `internal/time-partitions.ts`); on
 * pg-mem retention deletes entries row by row. @internal
 */
export async function maintainPartitions(
  db: Database,
  settings: PartitionSettings,
  now: number,
): Promise<MaintenanceReport> {
  // Deltas of days about to be dropped join their rollups first (and never land in a default partition).
  if (db.capabilities.partitioning) await compactRollupDeltas().execute(db.kysely);
  const family: PartitionFamily = {
    tables: PARTITIONED_TABLES,
    leaseNamespace: LEASE_NAMESPACE,
    deleteUnpartitioned: (cutoff) => deleteRowsBefore(db, cutoff, { rollups: false }),
  };
  return maintainFamily(db, family, settings, now);
}

/**
 * Deletes rows created before `cutoff` in batches (keeping rollups equal to the raw rows); returns
 * how many. Used by `purge` for precise deletes and by retention for the default partition. @internal
 */
export async function deleteRowsBefore(
  db: Database,
  cutoff: number,
  o: { rollups: boolean; table?: string; batchSize?: number; signal?: AbortSignal | undefined },
): Promise<number> {
  const k = db.kysely;
  const { rollups, batchSize = 1000 } = o;
  const table = sql.id(o.table ?? PARENT);
  const before = new Date(cutoff);
  let deleted = 0;
  // Each batch deletes its rows and subtracts them from the rollups in one statement, so stopping
  // between batches (on `signal`) leaves the rollups equal to a recount of the rows left.
  let stopped = false;
  for (;;) {
    if (o.signal?.aborted) {
      stopped = true;
      break;
    }
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
  if (rollups && deleted > 0) {
    await compactRollupDeltas().execute(k);
    await sql`delete from inference_log_rollups where n <= 0`.execute(k);
  }
  if (stopped) o.signal?.throwIfAborted();
  return deleted;
}
