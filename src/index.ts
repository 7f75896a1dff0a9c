/**
 * Model Management SDK: run LLMs safely in production game backends — model registry, progressive
 * delivery with automatic rollback, guardrails and inference history on one shared database layer.
 * @packageDocumentation
 */
export { configFromEnv, databaseOptionsFromEnv, type Env, type EnvConfig } from './config.js';
export * from './coordination/index.js';
export {
  createModelManagement,
  type ModelManagement,
  type ModelManagementOptions,
} from './create-model-management.js';
export * from './db/index.js';
export * from './deployment/index.js';
export * from './errors.js';
export { type EventMap, type ListenerError, type ListenerErrorEvents, TypedEmitter } from './events.js';
export * from './guardrails/index.js';
export * from './history/index.js';
export { type Clock, ManualClock, systemClock } from './internal/clock.js';
export { HISTOGRAM_BOUNDS_MS, Histogram, type HistogramSummary } from './internal/histogram.js';
export { isUuid, uuidv7 } from './internal/ids.js';
export * from './llm/index.js';
export * from './narrative/index.js';
export {
  checkHealth,
  HEALTH_PING_TIMEOUT_MS,
  HEALTH_STALE_SNAPSHOT_MS,
  type HealthReport,
  type HealthSources,
  type PartHealth,
} from './observability/health.js';
export {
  DEFAULT_PROMETHEUS_OPTIONS,
  FAST_BUCKETS_SECONDS,
  type MetricsTree,
  PROMETHEUS_DB_CACHE_MS,
  PrometheusExporter,
  type PrometheusExporterOptions,
  type PrometheusSources,
  REQUEST_BUCKETS_SECONDS,
  toPrometheus,
} from './observability/prometheus.js';
export {
  type GenAiInstruments,
  genAiInstruments,
  getMeter,
  getTracer,
  INSTRUMENTATION_NAME,
  OTEL_ATTRIBUTES,
  OTEL_METRICS,
  OTEL_SPANS,
} from './observability/tracing.js';
export * from './registry/index.js';
