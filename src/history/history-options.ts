import type { Database } from '../db/index.js';
import { ValidationError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { describe } from '../internal/validate.js';
import type { Logger } from '../logger.js';
import type { RedactedField } from './entry-builder.js';
import type { InsertMethod } from './log-store.js';
import type { PartitionInterval } from './partitions.js';

/** Defaults of {@link HistoricalLogProcessorOptions}. */
export const DEFAULT_HISTORY_OPTIONS = {
  enabled: true,
  batchSize: 500,
  flushIntervalMs: 250,
  maxBufferedEntries: 100_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxFieldBytes: 32 * 1024,
  concurrency: 2,
  failureRateThreshold: 0.05,
  failureRateWindowMs: 60_000,
  closeTimeoutMs: 30_000,
  insertMethod: 'auto' as InsertMethod | 'auto',
  partitionInterval: 'day' as PartitionInterval,
  partitionsAhead: 3,
  maintenanceIntervalMs: 3_600_000,
  exactStatsUpTo: 10_000,
  offHeapBuffer: true,
} as const;

/** Options of {@link HistoricalLogProcessor}. */
export interface HistoricalLogProcessorOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /**
   * The shared database, or a promise of it (writes wait for it, `logInference` never does).
   * @default the default database from the environment (see `getDefaultDatabase`), opened on first use
   */
  db?: Database | PromiseLike<Database>;
  /** `false` makes `logInference` a cheap no-op that still returns an id (config: `HISTORICAL_LOGGING_ENABLED`). @default true */
  enabled?: boolean;
  /** Rows per INSERT. @default 500 */
  batchSize?: number;
  /** A partial batch is written after this long. @default 250 */
  flushIntervalMs?: number;
  /** @default 100000 */
  maxBufferedEntries?: number;
  /** @default 64 MiB */
  maxBufferedBytes?: number;
  /** Text fields longer than this (UTF-8 bytes) are cut and the entry flagged `truncated`. @default 32768 */
  maxFieldBytes?: number;
  /** Folder for the on-disk spool; without it, overflow is dropped (counted, `history:dropped`). One processor per folder. */
  spoolDir?: string;
  /** Runs on prompt, output and error text before anything is buffered or stored (e.g. a PII redactor). */
  redact?: (text: string, field: RedactedField) => string;
  /** Concurrent batch writes. @default 2 */
  concurrency?: number;
  /** `history:failure_rate_alert` fires when failed writes exceed this share of attempts. @default 0.05 */
  failureRateThreshold?: number;
  /** Sliding window of the failure rate. @default 60000 */
  failureRateWindowMs?: number;
  /** `close()` waits at most this long for the database. @default 30000 */
  closeTimeoutMs?: number;
  /**
   * `multi-row` VALUES (every backend), `unnest` arrays (PostgreSQL, PGlite; one statement with 22
   * array parameters) or `copy` (`COPY … FROM STDIN` on PostgreSQL opened from a connection string
   * or a `pg` Pool, else `unnest`; a batch that was already partly stored falls back to `unnest`).
   * `auto` picks the fastest the database offers: `copy`, else `unnest`, and `multi-row` on pg-mem.
   * @default 'auto'
   */
  insertMethod?: InsertMethod | 'auto';
  /**
   * Length of one partition of `inference_logs` (UTC, PostgreSQL and PGlite; pg-mem keeps a plain
   * table). Changing it later leaves existing partitions as they are. @default 'day'
   */
  partitionInterval?: PartitionInterval;
  /** Partitions kept ready beyond the current one. @default 3 */
  partitionsAhead?: number;
  /**
   * Keep entries at least this long, e.g. `'30d'`, `'12h'`, `'2w'` (or ms). Expired data goes by
   * detaching and dropping whole partitions (so up to one `partitionInterval` more is kept); pg-mem
   * deletes rows. `purge()` stays for precise deletes. @default undefined (keep everything)
   */
  retention?: string | number;
  /**
   * How often partition maintenance (partitions ahead, retention) runs, starting at first use of the
   * database; on PostgreSQL only the replica holding the maintenance lease works. @default 3600000
   */
  maintenanceIntervalMs?: number;
  /**
   * `stats()` over at most this many entries is computed exactly from raw rows (cheap); over more,
   * from rollups (PostgreSQL, PGlite): counts, rates, tokens and mean stay exact, latency percentiles
   * come from a mergeable histogram within `ROLLUP_PERCENTILE_RELATIVE_ERROR` (4.9 %) of the exact value.
   * `0` always uses rollups. pg-mem always computes from raw rows. @default 10000
   */
  exactStatsUpTo?: number;
  /**
   * Batches waiting behind running writes (a backlog during a database outage) are held as encoded
   * bytes outside the JS heap, so a full `maxBufferedBytes` buffer does not lengthen the host's GC
   * pauses. `false` keeps them as objects (slightly less CPU per waiting batch). @default true
   */
  offHeapBuffer?: boolean;
  /** Run maintenance on a timer; `false` leaves it to the host calling `maintain()`. @default true */
  autoMaintenance?: boolean;
  /** @default systemClock */
  clock?: Clock;
}

/** Reads a positive numeric option (≤ `max`), throwing a ValidationError naming it. @internal */
export function option(
  name: string,
  value: number | undefined,
  fallback: number,
  max = Number.POSITIVE_INFINITY,
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !(v > 0) || v > max) {
    throw new ValidationError(
      `Expected \`${name}\` to be a positive number${max < Infinity ? ` ≤ ${max}` : ''}, got ${describe(v)}`,
      { field: name },
    );
  }
  return v;
}
