import type { RedactedField } from './entry-builder.js';
import type { MaintenanceReport } from './partitions.js';

/** Payload of `history:dropped`: entries lost to a full memory buffer (no spool) or a timed-out close. Coalesced per flush interval. */
export interface HistoryDropped {
  readonly count: number;
  readonly reason: 'buffer_full' | 'close_timeout' | 'spool_failed';
  /** All entries dropped since construction. */
  readonly totalDropped: number;
}

/** Payload of `history:failure_rate_alert`: failed writes exceeded the threshold in the sliding window. */
export interface HistoryFailureRateAlert {
  readonly failureRate: number;
  readonly failedWrites: number;
  readonly attempts: number;
  readonly windowMs: number;
  readonly threshold: number;
}

/** Payload of `history:write_failed`: one batch write attempt failed. */
export interface HistoryWriteFailed {
  readonly rows: number;
  readonly error: unknown;
  readonly attempt: number;
  readonly willRetry: boolean;
}

/** Events of {@link HistoricalLogProcessor}. */
export interface HistoryEvents {
  [event: string]: (payload: never) => void;
  /** Entries were dropped (never silently). */
  'history:dropped': (e: HistoryDropped) => void;
  /** Failed writes exceeded `failureRateThreshold` over `failureRateWindowMs` (at most once per window). */
  'history:failure_rate_alert': (e: HistoryFailureRateAlert) => void;
  /** A batch write attempt failed (it is retried while the error is retryable). */
  'history:write_failed': (e: HistoryWriteFailed) => void;
  /** The database refused this one entry for a non-retryable reason; the rest of its batch was stored. */
  'history:rejected': (e: { readonly id: string; readonly error: unknown }) => void;
  /** Entries went to the on-disk spool. */
  'history:spooled': (e: { readonly rows: number }) => void;
  /** A spool segment was replayed into the database and deleted. */
  'history:replayed': (e: {
    readonly rows: number;
    readonly segment: string;
    readonly corruptLines: number;
  }) => void;
  /** The spool could not be read or written. */
  'history:spool_error': (e: { readonly error: unknown }) => void;
  /** A partition maintenance pass changed something (created or dropped partitions, moved or deleted rows). */
  'history:maintained': (e: MaintenanceReport) => void;
  /** A partition maintenance pass failed; it runs again at the next interval. */
  'history:maintenance_failed': (e: { readonly error: unknown }) => void;
  /** The `redact` hook threw; the field was stored as `[redaction failed]`. */
  'history:redaction_failed': (e: { readonly field: RedactedField; readonly error: unknown }) => void;
}
