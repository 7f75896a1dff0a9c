/**
 * Model Management SDK: run LLMs safely in production game backends — model registry, progressive
 * delivery with automatic rollback, guardrails and inference history on one shared database layer.
 *
 * The entry exports the parts, their options, results, events and errors, and `createModelManagement`.
 * Testing helpers (a manual clock, the simulated provider) live in `model-management-sdk/testing`.
 * @packageDocumentation
 */

// Composition root and configuration
export { configFromEnv, type EnvConfig } from './config.js';
// Coordination
export {
  type CoordinateDeploymentInput,
  type CoordinationResult,
  formatTimeline,
  HookTimeoutError,
  ServiceCoordinator,
  type ServiceCoordinatorEvents,
  type ServiceCoordinatorOptions,
  type ServiceHooks,
  type TimelineEntry,
} from './coordination/index.js';
export {
  createModelManagement,
  type ModelManagement,
  type ModelManagementOptions,
} from './create-model-management.js';
// Database
export {
  closeDefaultDatabase,
  createDatabase,
  type Database,
  type DatabaseOptions,
  type Env,
  getDefaultDatabase,
  migrate,
} from './db/index.js';
// Deployment (rollouts, traffic routing, rollback)
export {
  type AnalysisConfigInput,
  type Deployment,
  DeploymentManager,
  type DeploymentManagerEvents,
  type DeploymentManagerOptions,
  type DeploymentPlan,
  type DeploymentPlanInput,
  type DeploymentStatus,
  type DeploymentStrategy,
  type OutcomeInput,
  type Rollback,
  RollbackManager,
  type RollbackManagerEvents,
  type RollbackManagerOptions,
  type RollbackOptions,
  type RolledBackEvent,
  type RouteDecision,
  TrafficRouter,
  type TrafficRouterEvents,
  type Verdict,
} from './deployment/index.js';
// Errors
export {
  ClosedError,
  ConflictError,
  DatabaseError,
  DatabaseUnavailableError,
  type ErrorCode,
  ModelManagementError,
  type ModelManagementErrorOptions,
  NotFoundError,
  ProviderError,
  ProviderRateLimitError,
  ProviderTimeoutError,
  ValidationError,
} from './errors.js';
// Guardrails
export {
  type CheckInput,
  type CheckResult,
  type CustomCheck,
  findPii,
  findSecrets,
  type GuardrailAction,
  type GuardrailCategory,
  type GuardrailStage,
  type GuardrailsEvents,
  type GuardrailsMetrics,
  GuardrailsMonitor,
  type GuardrailsMonitorOptions,
  type ReviewQueue,
  redact,
  type Violation,
  type ViolationRecord,
} from './guardrails/index.js';
// History
export {
  type ExportOptions,
  HistoricalLogProcessor,
  type HistoricalLogProcessorOptions,
  type HistoryEvents,
  type HistoryMetrics,
  type InferenceLogInput,
  type InferenceLogRecord,
  type LogQuery,
  type LogStatsResult,
  type StatsQuery,
} from './history/index.js';
export type { Clock } from './internal/clock.js';
export type { Page } from './internal/cursor.js';
export type { HistogramSummary } from './internal/histogram.js';
// LLM client
export {
  type ChatMessage,
  type FallbackEndpoint,
  type GenerateInput,
  type GenerateResult,
  LLMClient,
  type LLMClientEvents,
  type LLMClientMetrics,
  type LLMClientOptions,
  type LLMStream,
  type Provider,
  type ProviderRequest,
  type ProviderResponse,
  type ProviderStreamChunk,
  type Usage,
} from './llm/index.js';
// Logging (`logger` option of every part)
export { consoleLogger, type Logger } from './logger.js';
// Narrative
export {
  NarrativeGenerator,
  type NarrativeGeneratorOptions,
  type NarrativeKind,
  type NarrativeRequest,
  type NarrativeResult,
} from './narrative/index.js';
// Observability
export type { HealthReport, PartHealth } from './observability/health.js';
export {
  type MetricsTree,
  PrometheusExporter,
  type PrometheusExporterOptions,
  toPrometheus,
} from './observability/prometheus.js';
// Registry
export {
  type ListModelsQuery,
  type Model,
  ModelRegistry,
  type ModelRegistryEvents,
  type ModelRegistryOptions,
  type ModelStatus,
  type RegisterModelInput,
  type RegistryMetrics,
  type StatusChangeOptions,
} from './registry/index.js';
export { SEVERITIES, type Severity } from './severity.js';
