/**
 * Model Management SDK: run LLMs safely in production game backends — model registry, progressive
 * delivery with automatic rollback, guardrails and inference history on one shared database layer.
 * @packageDocumentation
 */
export { configFromEnv, databaseOptionsFromEnv, type Env, type EnvConfig } from './config.js';
export * from './db/index.js';
export { closeDefaultDatabase, getDefaultDatabase } from './default-database.js';
export * from './deployment/index.js';
export * from './errors.js';
export { type EventMap, type ListenerError, type ListenerErrorEvents, TypedEmitter } from './events.js';
export { type Clock, ManualClock, systemClock } from './internal/clock.js';
export { HISTOGRAM_BOUNDS_MS, Histogram, type HistogramSummary } from './internal/histogram.js';
export { isUuid, uuidv7 } from './internal/ids.js';
export * from './llm/index.js';
export * from './registry/index.js';
export * from './rollback/index.js';
export * from './guardrails/index.js';
