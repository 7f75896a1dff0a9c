export {
  BatchWriter,
  type BatchWriterEvent,
  type BatchWriterOptions,
  type BatchWriterStats,
  DEFAULT_BATCH_WRITER_OPTIONS,
} from './batch-writer.js';
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
export {
  DEFAULT_SPOOL_OPTIONS,
  Spool,
  type SpoolOptions,
  type SpoolSegment,
  type SpoolStats,
} from './spool.js';
export {
  type ExportOptions,
  type HistoryHealth,
  type HistoryMetrics,
  type InferenceLogRecord,
  type InferenceLogInput,
  type InferenceStatus,
  type InferenceVariant,
  type LogFilter,
  type LogPage,
  type LogQuery,
  type LogStats,
  type LogStatsResult,
  type LoggedViolation,
  type PurgeOptions,
  SEVERITIES,
  type Severity,
  type StatsGroupBy,
  type StatsQuery,
} from './types.js';
