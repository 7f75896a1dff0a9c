import { bulkCopier, type Database, resolveDatabase } from '../db/index.js';
import { translateDbError } from '../db/pg-errors.js';
import { ClosedError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { BatchWriter, type BatchWriterEvent } from '../internal/batch-writer.js';
import { type Clock, systemClock } from '../internal/clock.js';
import type { Page } from '../internal/cursor.js';
import { FailureWindow } from '../internal/failure-window.js';
import { uuidv7 } from '../internal/ids.js';
import { MaintenanceLoop } from '../internal/maintenance-loop.js';
import { Spool } from '../internal/spool.js';
import { describe } from '../internal/validate.js';
import { logEvents, resolveLogger } from '../logger.js';
import { type BuildSettings, buildRow, type RedactedField, rowSize } from './entry-builder.js';
import type { HistoryEvents } from './history-events.js';
import { DEFAULT_HISTORY_OPTIONS, type HistoricalLogProcessorOptions, option } from './history-options.js';
import { exportLines, purgeLogs, queryLogs, statsOf } from './log-reader.js';
import { historyKysely, type InsertMethod, insertRows } from './log-store.js';
import {
  type MaintenanceReport,
  maintainPartitions,
  type PartitionInterval,
  type PartitionSettings,
  parseRetention,
} from './partitions.js';
import { compactRollupDeltas } from './rollups.js';
import { type HistoryStorageReport, measureStorage } from './storage.js';
import type {
  ExportOptions,
  FlushOptions,
  HistoryHealth,
  HistoryMetrics,
  InferenceLogInput,
  InferenceLogRecord,
  LogQuery,
  LogRow,
  LogStatsResult,
  PurgeOptions,
  StatsQuery,
} from './types.js';

export { DEFAULT_HISTORY_OPTIONS, type HistoricalLogProcessorOptions } from './history-options.js';

/** Rollup deltas are merged into the rollups at most this often (while entries are written). */
const COMPACT_EVERY_MS = 5_000;
/** close() waits at most this long for a compaction in progress. */
const COMPACT_CLOSE_WAIT_MS = 1_000;

/** A failed maintenance pass is tried again after at most this long. */
const RETRY_MAINTENANCE_MS = 60_000;

/** `metrics().storage` is measured again when older than this. */
const STORAGE_REFRESH_MS = 60_000;

/**
 * Logs every inference without blocking and without loss, and reads the history back: paged queries,
 * stats, fine-tuning export, retention. `logInference` validates synchronously and resolves at once;
 * a batch writer stores entries later (retrying, spooling to disk when `spoolDir` is set).
 * @example
 * ```ts
 * const processor = new HistoricalLogProcessor({ db });
 * const id = await processor.logInference({ modelId, useCase: 'health_check', prompt: 'Health check',
 *   context: {}, generatedOutput: 'OK' });
 * await processor.close();
 * ```
 */
export class HistoricalLogProcessor extends TypedEmitter<HistoryEvents> {
  private readonly enabled: boolean;
  private dbSource: PromiseLike<Database> | undefined;
  private dbPromise: Promise<Database> | undefined;
  private db: Database | undefined;
  private readonly writer: BatchWriter<LogRow> | undefined;
  private readonly clock: Clock;
  private readonly maxFieldBytes: number;
  private readonly redact: HistoricalLogProcessorOptions['redact'];
  /** Built once: the hot path passes it to buildRow without allocating. */
  private readonly settings: BuildSettings;
  private readonly failures: FailureWindow;
  private readonly threshold: number;
  private readonly insertMethod: InsertMethod | 'auto';
  private readonly maxBufferedEntries: number;
  private readonly partitions: PartitionSettings;
  private readonly maintenance: MaintenanceLoop<MaintenanceReport>;
  private compacting: Promise<void> | undefined;
  private compactedAt = 0;
  private readonly autoMaintenance: boolean;
  private readonly exactStatsUpTo: number;
  private readonly closeTimeoutMs: number;
  private storageCache: HistoryStorageReport | null = null;
  private storageRefresh: Promise<HistoryStorageReport> | undefined;
  private lastAlertAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private closing: Promise<void> | undefined;
  private logged = 0;
  private truncatedCount = 0;
  private redactionFailures = 0;
  private readonly onRedactionFailure = (field: RedactedField, error: unknown) => {
    this.redactionFailures++;
    this.emitSafely('history:redaction_failed', { field, error });
  };

  constructor(options: HistoricalLogProcessorOptions = {}) {
    super();
    logEvents(this, resolveLogger(options?.logger), {
      'history:failure_rate_alert': ['warn', 'history write failure rate above threshold', (e: object) => e],
    });
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(`Expected options to be an object, got ${describe(options)}`);
    }
    const d = DEFAULT_HISTORY_OPTIONS;
    this.enabled = options.enabled ?? d.enabled;
    if (typeof this.enabled !== 'boolean')
      throw new ValidationError(`Expected \`enabled\` to be a boolean, got ${describe(options.enabled)}`, {
        field: 'enabled',
      });
    this.clock = options.clock ?? systemClock;
    this.maxFieldBytes = option('maxFieldBytes', options.maxFieldBytes, d.maxFieldBytes);
    this.maxBufferedEntries = option('maxBufferedEntries', options.maxBufferedEntries, d.maxBufferedEntries);
    this.threshold = option('failureRateThreshold', options.failureRateThreshold, d.failureRateThreshold, 1);
    this.failures = new FailureWindow(
      option('failureRateWindowMs', options.failureRateWindowMs, d.failureRateWindowMs),
      this.clock,
    );
    this.insertMethod = options.insertMethod ?? d.insertMethod;
    if (!['auto', 'multi-row', 'unnest', 'copy'].includes(this.insertMethod)) {
      throw new ValidationError(
        `Expected \`insertMethod\` to be 'auto', 'multi-row', 'unnest' or 'copy', got ${describe(this.insertMethod)}`,
        { field: 'insertMethod' },
      );
    }
    if (options.redact !== undefined && typeof options.redact !== 'function') {
      throw new ValidationError(`Expected \`redact\` to be a function, got ${describe(options.redact)}`, {
        field: 'redact',
      });
    }
    this.redact = options.redact;
    const interval = options.partitionInterval ?? d.partitionInterval;
    if (!['day', 'week', 'month'].includes(interval)) {
      throw new ValidationError(
        `Expected \`partitionInterval\` to be 'day', 'week' or 'month', got ${describe(interval)}`,
        { field: 'partitionInterval' },
      );
    }
    const ahead = options.partitionsAhead ?? d.partitionsAhead;
    if (!Number.isInteger(ahead) || ahead < 0 || ahead > 366) {
      throw new ValidationError(
        `Expected \`partitionsAhead\` to be an integer from 0 to 366, got ${describe(ahead)}`,
        { field: 'partitionsAhead' },
      );
    }
    this.partitions = {
      interval: interval as PartitionInterval,
      ahead,
      retentionMs: parseRetention(options.retention),
    };
    this.closeTimeoutMs = option('closeTimeoutMs', options.closeTimeoutMs, d.closeTimeoutMs);
    this.maintenance = new MaintenanceLoop({
      run: async () => {
        const db = await this.resolveDatabase();
        try {
          return await maintainPartitions(db, this.partitions, this.clock.now());
        } catch (error) {
          throw translateDbError(error, 'maintaining inference log partitions');
        }
      },
      intervalMs: option('maintenanceIntervalMs', options.maintenanceIntervalMs, d.maintenanceIntervalMs),
      retryMs: RETRY_MAINTENANCE_MS,
      closeTimeoutMs: this.closeTimeoutMs,
      clock: this.clock,
      onReport: (report) => {
        if (report.created.length + report.dropped.length + report.movedRows + report.deletedRows > 0) {
          this.emitSafely('history:maintained', report);
        }
      },
      onError: (error) => this.emitSafely('history:maintenance_failed', { error }),
    });
    this.exactStatsUpTo = options.exactStatsUpTo ?? d.exactStatsUpTo;
    if (!Number.isInteger(this.exactStatsUpTo) || this.exactStatsUpTo < 0) {
      throw new ValidationError(
        `Expected \`exactStatsUpTo\` to be a non-negative integer, got ${describe(options.exactStatsUpTo)}`,
        { field: 'exactStatsUpTo' },
      );
    }
    this.autoMaintenance = options.autoMaintenance ?? true;
    if (typeof this.autoMaintenance !== 'boolean') {
      throw new ValidationError(
        `Expected \`autoMaintenance\` to be a boolean, got ${describe(options.autoMaintenance)}`,
        { field: 'autoMaintenance' },
      );
    }
    this.settings = {
      maxFieldBytes: this.maxFieldBytes,
      redact: this.redact,
      onRedactionFailure: this.onRedactionFailure,
    };
    // Without `db`: the documented default database from the environment, opened on first use.
    const source = options.db;
    if (source !== undefined && source !== null && typeof source === 'object' && 'then' in source) {
      const pending = Promise.resolve(source);
      this.dbSource = pending;
      this.dbPromise = pending;
      pending.then(
        (db) => {
          this.db = db;
        },
        () => {}, // surfaced by the writes and reads that need it (retried, counted)
      );
    } else if (source !== undefined && source !== null) {
      this.db = source;
    }
    if (
      options.spoolDir !== undefined &&
      (typeof options.spoolDir !== 'string' || options.spoolDir.length === 0)
    ) {
      throw new ValidationError(
        `Expected \`spoolDir\` to be a folder path, got ${describe(options.spoolDir)}`,
        { field: 'spoolDir' },
      );
    }
    if (!this.enabled) return;
    this.writer = new BatchWriter<LogRow>({
      write: (rows) => this.write(rows),
      batchSize: option('batchSize', options.batchSize, d.batchSize),
      flushIntervalMs: option('flushIntervalMs', options.flushIntervalMs, d.flushIntervalMs),
      maxBufferedEntries: this.maxBufferedEntries,
      maxBufferedBytes: option('maxBufferedBytes', options.maxBufferedBytes, d.maxBufferedBytes),
      concurrency: option('concurrency', options.concurrency, d.concurrency),
      closeTimeoutMs: this.closeTimeoutMs,
      sizeOf: rowSize,
      clock: this.clock,
      offHeap: options.offHeapBuffer ?? d.offHeapBuffer,
      spool: options.spoolDir ? new Spool<LogRow>({ dir: options.spoolDir, clock: this.clock }) : undefined,
      onEvent: (e) => this.onWriterEvent(e),
    });
  }

  /**
   * Accepts one entry and resolves at once with its UUIDv7 id; never waits for the database.
   * Rejects only for invalid input ({@link ValidationError}) or after `close()` ({@link ClosedError}).
   * When memory is full and there is no spool the entry is dropped (counted, `history:dropped`) and
   * the id is still returned.
   */
  logInference(input: InferenceLogInput): Promise<string> {
    try {
      return Promise.resolve(this.logSync(input));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Synchronous form of {@link HistoricalLogProcessor.logInference}: returns the id or throws. */
  logSync(input: InferenceLogInput): string {
    if (this.closed) throw new ClosedError('HistoricalLogProcessor is closed; no entries are accepted');
    const now = this.clock.now();
    const id = uuidv7(now);
    if (!this.writer) return id;
    const row = buildRow(input, id, now, this.settings);
    if (row.truncated) this.truncatedCount++;
    this.logged++;
    this.writer.add(row, rowSize(row));
    return id;
  }

  /**
   * Resolves when every entry accepted before the call is in the database or durable in the spool.
   * With `{ untilStored: true }` it also waits until the spool (including segments left by an earlier
   * process) has been replayed into the database, however long the outage lasts; it rejects with
   * {@link ClosedError} if `close()` stops the replay first. The process is kept alive while a flush
   * is awaited (every other SDK timer is `unref`'d).
   * @example
   * ```ts
   * await processor.flush({ untilStored: true }); // nothing left in memory or on disk
   * ```
   */
  async flush(options: FlushOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(`Expected flush options to be an object, got ${describe(options)}`);
    }
    const { untilStored = false } = options;
    if (typeof untilStored !== 'boolean') {
      throw new ValidationError(`Expected \`untilStored\` to be a boolean, got ${describe(untilStored)}`, {
        field: 'untilStored',
      });
    }
    await this.writer?.flush({ untilStored });
  }

  /**
   * Stops intake, flushes (at most `closeTimeoutMs`), releases timers. Idempotent. Does not close `db`.
   * Resolves with every accepted entry in the database or the spool: with `spoolDir`, a batch the
   * database refuses during close is spooled at once (replayed by the next processor on that folder);
   * without one, what is not stored within `closeTimeoutMs` is counted dropped (`history:dropped`).
   * The process is kept alive while the close is awaited.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      // Stops the timer now; a pass in progress gets at most closeTimeoutMs (it may wait on an
      // unreachable database), awaited after the writer's close.
      const maintenanceClosed = this.maintenance.close();
      await this.writer?.close();
      await maintenanceClosed;
      // A compaction still running is one statement: waited for briefly, never past a dead database.
      if (this.compacting) {
        let timer: NodeJS.Timeout | undefined;
        const wait = new Promise<void>((r) => {
          timer = setTimeout(r, COMPACT_CLOSE_WAIT_MS).unref();
        });
        await Promise.race([this.compacting, wait]);
        clearTimeout(timer);
      }
    })();
    return this.closing;
  }

  /** Same as {@link HistoricalLogProcessor.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Entries matching the filter, newest first, `limit` per page (keyset pagination via `cursor`). */
  async query(q: LogQuery = {}): Promise<Page<InferenceLogRecord>> {
    return queryLogs(await this.database(), q);
  }

  /** Count, error/fallback/blocked rates, latency percentiles, violation rates by severity, tokens. */
  async stats(q: StatsQuery = {}): Promise<LogStatsResult> {
    return statsOf(await this.database(), q, this.exactStatsUpTo);
  }

  /**
   * OpenAI chat fine-tuning JSONL (`{"messages":[…]}\n` per entry), streamed page by page, oldest first.
   * @example
   * ```ts
   * for await (const line of processor.exportDataset({ useCase: 'interaction_layer' })) out.write(line);
   * ```
   */
  async *exportDataset(o: ExportOptions = {}): AsyncGenerator<string> {
    yield* exportLines(await this.database(), o);
  }

  /** Deletes entries created before `olderThan`, `batchSize` rows per statement; safe while logging. */
  async purge(o: PurgeOptions): Promise<{ deleted: number }> {
    return purgeLogs(await this.database(), o);
  }

  /**
   * One partition maintenance pass now: creates the partitions ahead, moves rows out of the default
   * partition, drops partitions older than `retention` (with their rollups). Runs by itself every
   * `maintenanceIntervalMs`; on PostgreSQL only the replica holding the maintenance lease works
   * (`leaseAcquired: false` elsewhere). Concurrent calls share one pass.
   */
  async maintain(): Promise<MaintenanceReport> {
    return this.maintenance.maintain();
  }

  /**
   * Bytes (table and indexes), rows and oldest row of every partition of the history tables, measured
   * now (`metrics().storage` holds the last measurement).
   */
  async storage(): Promise<HistoryStorageReport> {
    this.storageRefresh ??= (async () => {
      try {
        const report = await measureStorage(await this.database(), new Date(this.clock.now()));
        this.storageCache = report;
        return report;
      } catch (error) {
        throw translateDbError(error, 'measuring inference log storage');
      } finally {
        this.storageRefresh = undefined;
      }
    })();
    return this.storageRefresh;
  }

  /** Health for the host's health endpoint. */
  health(): HistoryHealth {
    const s = this.writer?.stats();
    const failureRate = this.failures.rate();
    const reasons: string[] = [];
    if (this.closed) reasons.push('closed');
    if (failureRate > this.threshold) reasons.push(`write failure rate ${(failureRate * 100).toFixed(1)}%`);
    if (s && s.buffered >= this.maxBufferedEntries * 0.9) reasons.push('queue near its bound');
    if (s?.mode === 'spooling') reasons.push('spooling to disk');
    return {
      healthy: reasons.length === 0,
      enabled: this.enabled,
      closed: this.closed,
      mode: s?.mode ?? 'direct',
      queueDepth: s?.buffered ?? 0,
      oldestUnflushedAgeMs: s?.oldestBufferedAgeMs ?? 0,
      failureRate,
      reasons,
    };
  }

  /** Counters since construction, for dashboards. */
  metrics(): HistoryMetrics {
    const s = this.writer?.stats();
    const age = this.storageCache ? this.clock.now() - this.storageCache.measuredAt.getTime() : Infinity;
    if (age >= STORAGE_REFRESH_MS && this.db && !this.closed) this.storage().catch(() => {});
    return {
      logged: this.logged,
      queueDepth: s?.buffered ?? 0,
      bufferedBytes: s?.bufferedBytes ?? 0,
      oldestUnflushedAgeMs: s?.oldestBufferedAgeMs ?? 0,
      written: s?.written ?? 0,
      successfulWrites: s?.successfulWrites ?? 0,
      failedWrites: s?.failedWrites ?? 0,
      rejected: s?.rejected ?? 0,
      dropped: s?.dropped ?? 0,
      spooled: s?.spooled ?? 0,
      replayed: s?.replayed ?? 0,
      spoolPendingRows: s?.spoolPendingRows ?? 0,
      truncated: this.truncatedCount,
      redactionFailures: this.redactionFailures,
      writeLatencyMs: s?.writeLatency ?? { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
      failureRate: this.failures.rate(),
      storage: this.storageCache,
    };
  }

  /**
   * The database, once the first maintenance pass is done: partitions exist before the first write,
   * and reads never race with rows moving out of the default partition at startup.
   */
  private async database(): Promise<Database> {
    const db = await this.resolveDatabase();
    if (this.autoMaintenance && !this.closed) await this.maintenance.started();
    return db;
  }

  private async resolveDatabase(): Promise<Database> {
    if (this.db) return this.db;
    if (!this.dbPromise) {
      const pending = resolveDatabase(this.dbSource);
      this.dbPromise = pending;
      // A failed default-database attempt is retried by the next call (getDefaultDatabase does not cache failures).
      pending.then(
        (db) => {
          this.db = db;
        },
        () => {
          if (!this.dbSource && this.dbPromise === pending) this.dbPromise = undefined;
        },
      );
    }
    return this.dbPromise;
  }

  private async write(rows: readonly LogRow[]): Promise<void> {
    const db = await this.database();
    try {
      const copier = bulkCopier(db);
      let method = this.insertMethod;
      if (method === 'auto') method = copier ? 'copy' : db.backend === 'pg-mem' ? 'multi-row' : 'unnest';
      else if (method === 'copy' && !copier) method = 'unnest';
      await insertRows(historyKysely(db), rows, method, db.capabilities.partitioning, copier);
    } catch (error) {
      throw translateDbError(error, `writing ${rows.length} inference log entries`);
    }
    if (db.capabilities.partitioning) this.compactSoon(db);
  }

  /**
   * Writes append rollup deltas; at most every {@link COMPACT_EVERY_MS} one compaction merges them into
   * the rollups (off the write path; any replica may run it, concurrent runs are safe). A failure is
   * reported and retried after the next write.
   */
  private compactSoon(db: Database): void {
    const now = this.clock.now();
    if (this.compacting || now - this.compactedAt < COMPACT_EVERY_MS) return;
    this.compactedAt = now;
    this.compacting = compactRollupDeltas()
      .execute(db.kysely)
      .then(
        () => {},
        (error: unknown) => {
          this.compactedAt = 0;
          this.emitSafely('history:maintenance_failed', {
            error: translateDbError(error, 'compacting rollup deltas'),
          });
        },
      )
      .finally(() => {
        this.compacting = undefined;
      });
  }

  private onWriterEvent(e: BatchWriterEvent<LogRow>): void {
    switch (e.type) {
      case 'written':
        this.failures.record(false);
        return;
      case 'write_failed':
        this.failures.record(true);
        this.emitSafely('history:write_failed', {
          rows: e.rows,
          error: e.error,
          attempt: e.attempt,
          willRetry: e.willRetry,
        });
        this.checkFailureRate();
        return;
      case 'rejected':
        this.emitSafely('history:rejected', { id: e.row.id, error: e.error });
        return;
      case 'dropped':
        this.emitSafely('history:dropped', {
          count: e.count,
          reason: e.reason,
          totalDropped: this.writer?.stats().dropped ?? e.count,
        });
        return;
      case 'spooled':
        this.emitSafely('history:spooled', { rows: e.rows });
        return;
      case 'replayed':
        this.emitSafely('history:replayed', {
          rows: e.rows,
          segment: e.segment,
          corruptLines: e.corruptLines,
        });
        return;
      case 'spool_error':
        this.emitSafely('history:spool_error', { error: e.error });
        return;
    }
  }

  private checkFailureRate(): void {
    const now = this.clock.now();
    if (now - this.lastAlertAt < this.failures.durationMs) return;
    const { attempts, failed } = this.failures.totals();
    const failureRate = attempts === 0 ? 0 : failed / attempts;
    if (failureRate <= this.threshold) return;
    this.lastAlertAt = now;
    this.emitSafely('history:failure_rate_alert', {
      failureRate,
      failedWrites: failed,
      attempts,
      windowMs: this.failures.durationMs,
      threshold: this.threshold,
    });
  }
}
