/**
 * The composition root: every part built on one database, wired through constructor injection, with
 * one `health()`, one `metrics()` and one `close()`.
 * @module
 */
import { configFromEnv, type Env } from './config.js';
import { createHistoryReplayer } from './coordination/history-replayer.js';
import { ServiceCoordinator } from './coordination/service-coordinator.js';
import type { ServiceCoordinatorOptions } from './coordination/types.js';
import { createDatabase, type Database, type DatabaseOptions, warnEmbeddedDefault } from './db/index.js';
import { DeploymentManager } from './deployment/deployment-manager.js';
import type { DeploymentManagerOptions } from './deployment/deployment-manager-options.js';
import type { RollbackManager } from './deployment/rollback-manager.js';
import type { TrafficRouter } from './deployment/traffic-router.js';
import type { DeploymentStrategy } from './deployment/types.js';
import { GuardrailsMonitor } from './guardrails/guardrails-monitor.js';
import type { GuardrailsMonitorOptions } from './guardrails/monitor-options.js';
import { redact } from './guardrails/pii.js';
import {
  HistoricalLogProcessor,
  type HistoricalLogProcessorOptions,
} from './history/historical-log-processor.js';
import { DEFAULT_HISTORY_OPTIONS } from './history/history-options.js';
import type { Clock } from './internal/clock.js';
import { optionKeys, rejectUnknownKeys, renamedOption, requireObject } from './internal/validate.js';
import { LLMClient } from './llm/llm-client.js';
import type { LLMClientOptions } from './llm/llm-options.js';
import { type Logger, resolveLogger } from './logger.js';
import { NarrativeGenerator } from './narrative/narrative-generator.js';
import type { NarrativeGeneratorOptions } from './narrative/types.js';
import { checkHealth, type HealthReport } from './observability/health.js';
import { PrometheusExporter, type PrometheusExporterOptions } from './observability/prometheus.js';
import { ModelRegistry } from './registry/model-registry.js';
import type { ModelRegistryOptions } from './registry/registry-options.js';

/** Options of the ModelRegistry that are not shared. @inline */
type RegistryExtra = Omit<ModelRegistryOptions, 'db' | 'clock'>;
/** Options of the HistoricalLogProcessor that are not shared. @inline */
type HistoryExtra = Omit<HistoricalLogProcessorOptions, 'db' | 'clock' | 'enabled'>;
/** Options of the GuardrailsMonitor that are not shared. @inline */
type GuardrailsExtra = Omit<GuardrailsMonitorOptions, 'db' | 'enabled'>;
/** Options of the DeploymentManager that are not shared. @inline */
type DeploymentsExtra = Omit<
  DeploymentManagerOptions,
  'db' | 'modelRegistry' | 'registry' | 'clock' | 'defaultStrategy'
>;
/** Options of the LLMClient that are not shared. @inline */
type LLMExtra = Omit<
  LLMClientOptions,
  | 'modelRegistry'
  | 'router'
  | 'guardrailsMonitor'
  | 'guardrails'
  | 'logProcessor'
  | 'clock'
  | 'modelRegistryEnabled'
>;
/** Options of the ServiceCoordinator that are not shared. @inline */
type CoordinatorExtra = Omit<
  ServiceCoordinatorOptions,
  'deploymentManager' | 'llmClient' | 'rollbackManager' | 'modelRegistry' | 'registry' | 'clock'
>;
/** Options of the NarrativeGenerator that are not shared. @inline */
type NarrativeExtra = Omit<NarrativeGeneratorOptions, 'llmClient' | 'guardrailsMonitor'>;

/** Options of {@link createModelManagement}. Every part's own options may be given; shared ones are set here. */
export interface ModelManagementOptions {
  /** An open database (not closed by `close()`), or options to open one (closed by `close()`). @default from the environment, else embedded PGlite in memory */
  db?: Database | DatabaseOptions;
  /** @default systemClock */
  clock?: Clock;
  /** Structured logger (pino shape, or `consoleLogger()`) passed to every part. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** `MODEL_REGISTRY_ENABLED`: when false the LLM client serves from its fallback endpoints. @default true */
  modelRegistryEnabled?: boolean;
  /** `HISTORICAL_LOGGING_ENABLED`: when false `logInference` is a no-op that still returns an id. @default true */
  historicalLoggingEnabled?: boolean;
  /** `GUARDRAILS_MONITORING_ENABLED`: when false checks are a no-op that say so. @default true */
  guardrailsMonitoringEnabled?: boolean;
  /** `DEPLOYMENT_STRATEGY_DEFAULT`. @default 'blue_green' */
  deploymentStrategyDefault?: DeploymentStrategy;
  /** Redact PII and secrets from prompts and outputs before they are logged. @default true */
  redactLogs?: boolean;
  /** More options of the ModelRegistry. */
  modelRegistry?: RegistryExtra;
  /** More options of the HistoricalLogProcessor. */
  logProcessor?: HistoryExtra;
  /** More options of the GuardrailsMonitor. */
  guardrailsMonitor?: GuardrailsExtra;
  /** More options of the DeploymentManager. */
  deploymentManager?: DeploymentsExtra;
  /** More options of the LLMClient. */
  llmClient?: LLMExtra;
  /** More options of the ServiceCoordinator. */
  serviceCoordinator?: CoordinatorExtra;
  /** More options of the NarrativeGenerator. */
  narrativeGenerator?: NarrativeExtra;
  /** @deprecated Renamed `modelRegistry`; this alias goes in the next release. */
  registry?: RegistryExtra;
  /** @deprecated Renamed `logProcessor`; this alias goes in the next release. */
  history?: HistoryExtra;
  /** @deprecated Renamed `guardrailsMonitor`; this alias goes in the next release. */
  guardrails?: GuardrailsExtra;
  /** @deprecated Renamed `deploymentManager`; this alias goes in the next release. */
  deployments?: DeploymentsExtra;
  /** @deprecated Renamed `llmClient`; this alias goes in the next release. */
  llm?: LLMExtra;
  /** @deprecated Renamed `serviceCoordinator`; this alias goes in the next release. */
  coordinator?: CoordinatorExtra;
  /** @deprecated Renamed `narrativeGenerator`; this alias goes in the next release. */
  narrative?: NarrativeExtra;
  /** Prometheus metrics (`mm.prometheus`): the host's prom-client registry to join and a name prefix. @default a registry of its own, prefix 'mms_' */
  prometheus?: Pick<PrometheusExporterOptions, 'register' | 'prefix'>;
}

/** Every part, wired on one database (the host guide's names). */
export interface ModelManagement {
  readonly db: Database;
  readonly modelRegistry: ModelRegistry;
  readonly logProcessor: HistoricalLogProcessor;
  readonly guardrailsMonitor: GuardrailsMonitor;
  readonly deploymentManager: DeploymentManager;
  readonly trafficRouter: TrafficRouter;
  readonly rollbackManager: RollbackManager;
  readonly llmClient: LLMClient;
  readonly serviceCoordinator: ServiceCoordinator;
  readonly narrativeGenerator: NarrativeGenerator;
  /** @deprecated Renamed `modelRegistry`; this alias goes in the next release. */
  readonly registry: ModelRegistry;
  /** @deprecated Renamed `guardrailsMonitor`; this alias goes in the next release. */
  readonly guardrails: GuardrailsMonitor;
  /** @deprecated Renamed `deploymentManager`; this alias goes in the next release. */
  readonly deployments: DeploymentManager;
  /** @deprecated Renamed `trafficRouter`; this alias goes in the next release. */
  readonly router: TrafficRouter;
  /** @deprecated Renamed `rollbackManager`; this alias goes in the next release. */
  readonly rollbacks: RollbackManager;
  /** @deprecated Renamed `llmClient`; this alias goes in the next release. */
  readonly llm: LLMClient;
  /** @deprecated Renamed `serviceCoordinator`; this alias goes in the next release. */
  readonly coordinator: ServiceCoordinator;
  /** @deprecated Renamed `narrativeGenerator`; this alias goes in the next release. */
  readonly narrative: NarrativeGenerator;
  /** Registry reachability and snapshot age, log queue and failure rate, active deployments, critical violations. */
  health(): Promise<HealthReport>;
  /** Every part's `metrics()`. */
  metrics(): Record<string, unknown>;
  /** Every part's metrics in a prom-client registry (`mm.prometheus.register`), for a `/metrics` endpoint. */
  readonly prometheus: PrometheusExporter;
  /** Same as `mm.prometheus.metrics()`: the text exposition (content type `mm.prometheus.contentType`). */
  toPrometheus(): Promise<string>;
  /** Flushes logs and violations, stops timers, closes what was created here (last created first). Idempotent. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

function isDatabase(value: Database | DatabaseOptions): value is Database {
  return typeof (value as Database).kysely === 'object' && typeof (value as Database).close === 'function';
}

const OPTION_KEYS = optionKeys<ModelManagementOptions>({
  db: true,
  clock: true,
  modelRegistryEnabled: true,
  historicalLoggingEnabled: true,
  guardrailsMonitoringEnabled: true,
  deploymentStrategyDefault: true,
  redactLogs: true,
  prometheus: true,
  modelRegistry: true,
  logProcessor: true,
  guardrailsMonitor: true,
  deploymentManager: true,
  llmClient: true,
  serviceCoordinator: true,
  narrativeGenerator: true,
  registry: true,
  history: true,
  guardrails: true,
  deployments: true,
  llm: true,
  coordinator: true,
  narrative: true,
  logger: true,
});

/**
 * Builds every part on one database.
 * @example
 * ```ts
 * const mm = await createModelManagement({ db: { connectionString: process.env.DATABASE_URL } });
 * const reply = await mm.llmClient.generate({ useCase: 'interaction_layer', prompt: 'Greet the traveller', stickyKey: playerId });
 * await mm.close();
 * ```
 */
export async function createModelManagement(options: ModelManagementOptions = {}): Promise<ModelManagement> {
  requireObject(options, 'createModelManagement options');
  rejectUnknownKeys(options, OPTION_KEYS, 'createModelManagement options');
  const logger = resolveLogger(options.logger);
  const part = <T>(name: string, old: string) =>
    renamedOption<T>(options, name, old, 'createModelManagement options');
  const more = {
    registry: part<RegistryExtra>('modelRegistry', 'registry'),
    history: part<HistoryExtra>('logProcessor', 'history'),
    guardrails: part<GuardrailsExtra>('guardrailsMonitor', 'guardrails'),
    deployments: part<DeploymentsExtra>('deploymentManager', 'deployments'),
    llm: part<LLMExtra>('llmClient', 'llm'),
    coordinator: part<CoordinatorExtra>('serviceCoordinator', 'coordinator'),
    narrative: part<NarrativeExtra>('narrativeGenerator', 'narrative'),
  };
  const owned: Array<() => Promise<void>> = [];
  const release = async () => {
    for (const fn of owned.splice(0).reverse()) await fn();
  };
  try {
    const source = options.db ?? { embedded: {} };
    const db = isDatabase(source) ? source : await createDatabase(source);
    if (!isDatabase(source)) owned.push(() => db.close());
    const clock = options.clock;
    const registry = new ModelRegistry({ logger, ...more.registry, db, ...(clock && { clock }) });
    owned.push(() => registry.close());
    const logProcessor = new HistoricalLogProcessor({
      ...(options.redactLogs !== false && { redact: (text: string) => redact(text) }),
      logger,
      ...more.history,
      db,
      ...(clock && { clock }),
      enabled: options.historicalLoggingEnabled ?? true,
    });
    owned.push(() => logProcessor.close());
    const guardrails = new GuardrailsMonitor({
      logger,
      ...more.guardrails,
      db,
      enabled: options.guardrailsMonitoringEnabled ?? true,
    });
    owned.push(() => guardrails.close());
    const deployments: DeploymentManager = new DeploymentManager({
      // Replay reads history and calls the candidate through the client built below (bound at call time).
      replayer: createHistoryReplayer({ history: logProcessor, llm: { probe: (m, i) => llm.probe(m, i) } }),
      logger,
      ...more.deployments,
      db,
      modelRegistry: registry,
      ...(clock && { clock }),
      defaultStrategy: options.deploymentStrategyDefault ?? 'blue_green',
    });
    owned.push(() => deployments.close());
    const llm: LLMClient = new LLMClient({
      logger,
      ...more.llm,
      modelRegistry: registry,
      router: deployments.router,
      guardrailsMonitor: guardrails,
      logProcessor,
      modelRegistryEnabled: options.modelRegistryEnabled ?? true,
      ...(clock && { clock }),
    });
    owned.push(() => llm.close());
    const coordinator = new ServiceCoordinator({
      logger,
      ...more.coordinator,
      deploymentManager: deployments,
      llmClient: llm,
      rollbackManager: deployments.rollbacks,
      modelRegistry: registry,
      ...(clock && { clock }),
    });
    owned.push(() => coordinator.close());
    const narrative = new NarrativeGenerator({
      logger,
      ...more.narrative,
      llmClient: llm,
      guardrailsMonitor: guardrails,
    });
    owned.push(() => narrative.close());
    await Promise.all([registry.ready(), deployments.ready()]);

    const metrics = () => ({
      registry: registry.metrics(),
      history: logProcessor.metrics(),
      guardrails: guardrails.metrics(),
      llm: llm.metrics(),
    });
    const prometheus = new PrometheusExporter({
      ...options.prometheus,
      registry,
      logProcessor,
      guardrails,
      llm,
      router: deployments.router,
      deployments,
      rollbacks: deployments.rollbacks,
      historyQueueCapacity: more.history?.maxBufferedEntries ?? DEFAULT_HISTORY_OPTIONS.maxBufferedEntries,
      ...(clock && { clock }),
    });
    owned.push(async () => prometheus.close());
    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= release();
      return closing;
    };
    return {
      db,
      modelRegistry: registry,
      logProcessor,
      guardrailsMonitor: guardrails,
      deploymentManager: deployments,
      trafficRouter: deployments.router,
      rollbackManager: deployments.rollbacks,
      llmClient: llm,
      serviceCoordinator: coordinator,
      narrativeGenerator: narrative,
      registry,
      guardrails,
      deployments,
      router: deployments.router,
      rollbacks: deployments.rollbacks,
      llm,
      coordinator,
      narrative,
      health: () => checkHealth({ db, registry, logProcessor, guardrails, deployments }),
      metrics,
      prometheus,
      toPrometheus: () => prometheus.metrics(),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * {@link createModelManagement} configured by the host guide's environment variables
 * (`POSTGRES_*` or `DATABASE_URL`, `MODEL_REGISTRY_ENABLED`, `HISTORICAL_LOGGING_ENABLED`,
 * `GUARDRAILS_MONITORING_ENABLED`, `DEPLOYMENT_STRATEGY_DEFAULT`); `overrides` win.
 * @example
 * ```ts
 * const mm = await createModelManagement.fromEnv();
 * ```
 */
createModelManagement.fromEnv = async (
  env: Env = process.env,
  overrides: ModelManagementOptions = {},
): Promise<ModelManagement> => {
  const config = configFromEnv(env);
  requireObject(overrides, 'createModelManagement.fromEnv overrides');
  if (!config.database && overrides.db === undefined)
    warnEmbeddedDefault(config.embeddedDataDir, resolveLogger(overrides.logger));
  return createModelManagement({
    db: config.database ?? { embedded: config.embeddedDataDir ? { dataDir: config.embeddedDataDir } : {} },
    modelRegistryEnabled: config.modelRegistryEnabled,
    historicalLoggingEnabled: config.historicalLoggingEnabled,
    guardrailsMonitoringEnabled: config.guardrailsMonitoringEnabled,
    deploymentStrategyDefault: config.deploymentStrategyDefault,
    ...overrides,
  });
};
