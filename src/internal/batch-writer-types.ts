import type { Clock } from './clock.js';
import type { HistogramSummary } from './histogram.js';
import type { Spool } from './spool.js';

/** Defaults of {@link BatchWriterOptions}. */
export const DEFAULT_BATCH_WRITER_OPTIONS = {
  batchSize: 500,
  flushIntervalMs: 250,
  maxBufferedEntries: 100_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  concurrency: 2,
  minRetryDelayMs: 50,
  maxRetryDelayMs: 2_000,
  attemptsBeforeSpill: 3,
  closeTimeoutMs: 30_000,
} as const;

/** Options of {@link BatchWriter}. */
export interface BatchWriterOptions<T> {
  /** Stores one batch; must be idempotent (replays and retries resend rows). */
  write: (rows: readonly T[]) => Promise<void>;
  /** Rows per write. @default 500 */
  batchSize?: number;
  /** A partial batch is written after this long. @default 250 */
  flushIntervalMs?: number;
  /** Rows held in memory (buffer + in flight) before spilling/dropping. @default 100000 */
  maxBufferedEntries?: number;
  /** Bytes (per `sizeOf`) held in memory before spilling/dropping. @default 64 MiB */
  maxBufferedBytes?: number;
  /** Approximate retained size of a row in bytes. @default () => 1024 */
  sizeOf?: (row: T) => number;
  /** Concurrent writes. @default 2 */
  concurrency?: number;
  /** First retry delay; doubles per attempt with jitter (×1–2). @default 50 */
  minRetryDelayMs?: number;
  /** Longest retry delay. @default 2000 */
  maxRetryDelayMs?: number;
  /** With a spool: attempts of a batch before it is spilled to disk. @default 3 */
  attemptsBeforeSpill?: number;
  /** `close()` gives up waiting after this long; what is still in memory is dropped and counted. @default 30000 */
  closeTimeoutMs?: number;
  /** Decides whether a failed write may succeed later. @default isRetryable from errors.ts */
  isRetryable?: (error: unknown) => boolean;
  /** Optional on-disk spool (already constructed; the writer opens and closes it). */
  spool?: Spool<T>;
  /** @default systemClock */
  clock?: Clock;
  /**
   * Batches waiting behind running writes are held as JSON bytes outside the JS heap, so a large
   * backlog does not lengthen GC pauses. Rows must then be JSON-serialisable. @default false
   */
  offHeap?: boolean;
  /** Receives every {@link BatchWriterEvent}; must not throw. */
  onEvent?: (event: BatchWriterEvent<T>) => void;
}

/** What the writer reports. `dropped` events are coalesced; their `count`s sum to `stats().dropped`. */
export type BatchWriterEvent<T> =
  | { type: 'written'; rows: number; durationMs: number; source: 'memory' | 'spool' }
  | { type: 'write_failed'; rows: number; error: unknown; attempt: number; willRetry: boolean }
  | { type: 'rejected'; row: T; error: unknown }
  | { type: 'dropped'; count: number; reason: 'buffer_full' | 'close_timeout' | 'spool_failed' }
  | { type: 'spooled'; rows: number }
  | { type: 'replayed'; rows: number; segment: string; corruptLines: number }
  | { type: 'spool_error'; error: unknown };

/** Counters and gauges of a {@link BatchWriter}. */
export interface BatchWriterStats {
  /** Rows held in memory (buffer + in flight). */
  buffered: number;
  /** Their size per `sizeOf`. */
  bufferedBytes: number;
  /** Age of the oldest row held in memory, ms (0 when none). */
  oldestBufferedAgeMs: number;
  /** `direct` writes to the store; `spooling` while the spool holds a backlog. */
  mode: 'direct' | 'spooling';
  accepted: number;
  written: number;
  failedWrites: number;
  successfulWrites: number;
  rejected: number;
  dropped: number;
  spooled: number;
  replayed: number;
  spoolPendingRows: number;
  spoolSegments: number;
  writeLatency: HistogramSummary;
}
