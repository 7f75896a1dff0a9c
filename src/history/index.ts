/**
 * Public surface of the history module. The generic batch writer and the spool live in `internal/`.
 * @module
 */
export type { RedactedField } from './entry-builder.js';
export {
  DEFAULT_HISTORY_OPTIONS,
  HistoricalLogProcessor,
  type HistoricalLogProcessorOptions,
} from './historical-log-processor.js';
export type {
  HistoryDropped,
  HistoryEvents,
  HistoryFailureRateAlert,
  HistoryWriteFailed,
} from './history-events.js';
export type { InsertMethod } from './log-store.js';
export type { MaintenanceReport, PartitionInterval } from './partitions.js';
export { ROLLUP_PERCENTILE_RELATIVE_ERROR } from './rollups.js';
export type { HistoryStoragePart, HistoryStorageReport } from './storage.js';
export {
  type ExportOptions,
  type FlushOptions,
  type HistoryHealth,
  type HistoryMetrics,
  type InferenceLogInput,
  type InferenceLogRecord,
  type InferenceStatus,
  type InferenceVariant,
  type LogFilter,
  type LoggedViolation,
  type LogPage,
  type LogQuery,
  type LogStats,
  type LogStatsResult,
  type PurgeOptions,
  SEVERITIES,
  type StatsGroupBy,
  type StatsQuery,
} from './types.js';
