import type { Page } from '../internal/cursor.js';
import type { HistogramSummary } from '../internal/histogram.js';
import { SEVERITIES, type Severity } from '../severity.js';
import type { HistoryStorageReport } from './storage.js';

/** Outcome of one inference call. */
export type InferenceStatus = 'ok' | 'error' | 'fallback' | 'blocked';
/**
 * Which side of a rollout served the call; `shadow` is a shadow deployment's background call to the
 * candidate (never shown to a player, not player traffic).
 */
export type InferenceVariant = 'stable' | 'candidate' | 'shadow';
export { SEVERITIES, type Severity };

/** One guardrail violation attached to a logged call (the guardrails module's shape is accepted as is). */
export interface LoggedViolation {
  /** `low` | `medium` | `high` | `critical` (other strings are kept but not ranked). */
  readonly severity: string;
  /** Category of the violation, e.g. `profanity`, `pii`. */
  readonly category?: string;
  /** The check that found it. */
  readonly checkId?: string;
}

/** What {@link HistoricalLogProcessor.logInference} accepts. */
export interface InferenceLogInput {
  /** UUID of the model that served the call; null when no registered model was resolved (hard-coded fallback). */
  modelId: string | null;
  /** Use case name, e.g. `interaction_layer` (1–200 characters). */
  useCase: string;
  /** The prompt sent to the model; cut at `maxFieldBytes`. */
  prompt: string;
  /** The model's answer (absent when the call failed). */
  generatedOutput?: string | null;
  /** JSON-like context; sanitised (see the README). */
  context?: Record<string, unknown> | null;
  /** JSON-like extra data; sanitised like `context`. */
  metadata?: Record<string, unknown> | null;
  /** Wall time of the call in ms (finite, ≥ 0). */
  latencyMs?: number | null;
  /** @default 'ok' */
  status?: InferenceStatus;
  /** Error message (an `Error` is reduced to `name: message`). */
  error?: string | Error | null;
  deploymentId?: string | null;
  variant?: InferenceVariant | null;
  playerId?: string | null;
  sessionId?: string | null;
  conversationId?: string | null;
  /** Non-negative integers. */
  tokensIn?: number | null;
  tokensOut?: number | null;
  /** The guardrail violations of this call: an array, or the check result `{ action, violations }`. */
  guardrails?:
    | readonly LoggedViolation[]
    | { readonly action?: string; readonly violations: readonly LoggedViolation[] }
    | null;
}

/** A stored entry as returned by `query()`. */
export interface InferenceLogRecord {
  id: string;
  createdAt: Date;
  modelId: string | null;
  useCase: string;
  status: InferenceStatus;
  variant: InferenceVariant | null;
  deploymentId: string | null;
  prompt: string;
  generatedOutput: string | null;
  context: unknown;
  metadata: unknown;
  error: string | null;
  latencyMs: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  playerId: string | null;
  sessionId: string | null;
  conversationId: string | null;
  /** As logged: the violations array, or the `{ action, violations }` object; null when none. */
  guardrails: unknown;
  violationCount: number;
  maxSeverity: string | null;
  /** True when a field was cut at `maxFieldBytes`. */
  truncated: boolean;
}

/** The buffered, JSON-serialisable form of an entry (what the batch writer and the spool hold). @internal */
export interface LogRow {
  id: string;
  createdAt: number;
  modelId: string | null;
  useCase: string;
  status: InferenceStatus;
  variant: InferenceVariant | null;
  deploymentId: string | null;
  prompt: string;
  generatedOutput: string | null;
  context: string | null;
  metadata: string | null;
  error: string | null;
  latencyMs: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  playerId: string | null;
  sessionId: string | null;
  conversationId: string | null;
  guardrails: string | null;
  violationCount: number;
  maxSeverity: string | null;
  truncated: boolean;
}

/** Filters shared by `query()`, `stats()` and `exportDataset()`. */
export interface LogFilter {
  modelId?: string;
  useCase?: string;
  deploymentId?: string;
  variant?: InferenceVariant;
  status?: InferenceStatus;
  playerId?: string;
  conversationId?: string;
  /** Inclusive lower bound on `createdAt`. */
  from?: Date;
  /** Exclusive upper bound on `createdAt`. */
  to?: Date;
}

/** Options of `query()`. */
export interface LogQuery extends LogFilter {
  /** 1–1000. @default 100 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * One page of `query()`, newest first.
 * @deprecated Use `Page<InferenceLogRecord>`; this alias goes in the next release.
 */
export type LogPage = Page<InferenceLogRecord>;

/** Grouping of `stats()`. */
export type StatsGroupBy = 'modelId' | 'useCase' | 'deploymentId' | 'variant' | 'status';

/** Options of `stats()`. */
export interface StatsQuery extends LogFilter {
  groupBy?: StatsGroupBy;
}

/** Aggregates over the matching entries. Rates are 0–1; latency percentiles interpolate like `percentile_cont`. */
export interface LogStats {
  count: number;
  errorRate: number;
  fallbackRate: number;
  blockedRate: number;
  /** Share of calls with at least one violation. */
  violationRate: number;
  /** Share of calls whose most severe violation has this severity. */
  violationRateBySeverity: Record<Severity, number>;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; mean: number | null };
  tokensIn: number;
  tokensOut: number;
}

/** `stats()` result: the totals, plus one row per group with `groupBy`. */
export interface LogStatsResult extends LogStats {
  groups?: Array<LogStats & { key: string | null }>;
}

/** Options of `exportDataset()`. */
export interface ExportOptions extends LogFilter {
  /** Only `ok` calls without violations, not truncated, with an output. @default true */
  onlyClean?: boolean;
  /** System message put first in every example. */
  systemPrompt?: string;
  /** Rows read per page. @default 500 */
  pageSize?: number;
  /**
   * Stops the export between pages: the lines of the pages already read are yielded whole, then the
   * iteration rejects with the signal's reason (an `AbortError` for `AbortSignal.abort()`/`timeout()`).
   */
  signal?: AbortSignal;
}

/** Options of `flush()`. */
export interface FlushOptions {
  /**
   * Also wait until the on-disk spool has been replayed into the database (not only made durable).
   * @default false
   */
  untilStored?: boolean;
}

/** Options of `purge()`. */
export interface PurgeOptions {
  /** Delete entries created before this instant. */
  olderThan: Date;
  /** Rows deleted per statement. @default 1000 */
  batchSize?: number;
  /**
   * Stops the purge between batches; `purge()` then rejects with the signal's reason. Rows already
   * deleted stay deleted (each batch is its own statement) and the stats rollups stay consistent with
   * the rows left. An already-aborted signal rejects before any database access.
   */
  signal?: AbortSignal;
}

/** `health()` of the processor. */
export interface HistoryHealth {
  /** False when writes are failing, entries are being dropped, or the queue is near its bound. */
  healthy: boolean;
  enabled: boolean;
  closed: boolean;
  mode: 'direct' | 'spooling';
  queueDepth: number;
  oldestUnflushedAgeMs: number;
  failureRate: number;
  /** Why `healthy` is false. */
  reasons: string[];
}

/** `metrics()` of the processor: counters since construction. */
export interface HistoryMetrics {
  logged: number;
  queueDepth: number;
  bufferedBytes: number;
  oldestUnflushedAgeMs: number;
  written: number;
  successfulWrites: number;
  failedWrites: number;
  rejected: number;
  dropped: number;
  spooled: number;
  replayed: number;
  spoolPendingRows: number;
  truncated: number;
  redactionFailures: number;
  writeLatencyMs: HistogramSummary;
  /** Failed share of write attempts in the sliding window. */
  failureRate: number;
  /** Bytes, rows and oldest row per partition; cached, refreshed at most every 60 s; null until first measured. */
  storage: HistoryStorageReport | null;
}
