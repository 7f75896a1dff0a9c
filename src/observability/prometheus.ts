/**
 * Prometheus metrics of every part through `prom-client`, following Prometheus conventions so a fleet
 * aggregates: counters end in `_total`, durations are histograms in seconds, gauges are states only,
 * every series has `# HELP`. Counts are read at scrape time from what the parts already keep; only
 * per-model latency, verdicts and rollbacks are counted from the parts' events.
 * @module
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { DeploymentManager, RollbackManager, TrafficRouter } from '../deployment/index.js';
import { isActiveStatus } from '../deployment/index.js';
import { ValidationError } from '../errors.js';
import type { GuardrailsMonitor } from '../guardrails/index.js';
import type { HistoricalLogProcessor } from '../history/index.js';
import { type Clock, systemClock } from '../internal/clock.js';
import type { LLMClient } from '../llm/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { collectDeployments } from './prometheus-deployments.js';
import { REQUEST_BUCKETS_SECONDS } from './prometheus-metric.js';
import { collectGuardrails, collectHistory, collectLlm, collectRegistry } from './prometheus-parts.js';
import { collectShadowAndReplay } from './prometheus-shadow.js';

export { type MetricsTree, toPrometheus } from './legacy-exposition.js';
export {
  FAST_BUCKETS_SECONDS,
  PROMETHEUS_DB_CACHE_MS,
  REQUEST_BUCKETS_SECONDS,
} from './prometheus-metric.js';

/** The parts an exporter reads; each is optional (a host may export only what it built). */
export interface PrometheusSources {
  registry?: Pick<ModelRegistry, 'metrics' | 'snapshot'>;
  logProcessor?: Pick<HistoricalLogProcessor, 'metrics'>;
  guardrails?: Pick<GuardrailsMonitor, 'metrics' | 'reviews'>;
  /** `shadowStats` (optional for clients wired by hand) feeds the `llm_shadow_*` series. */
  llm?: Pick<LLMClient, 'metrics' | 'on' | 'off'> & Partial<Pick<LLMClient, 'shadowStats'>>;
  router?: Pick<TrafficRouter, 'metrics'>;
  deployments?: Pick<DeploymentManager, 'on' | 'off' | 'getDeployment'>;
  rollbacks?: Pick<RollbackManager, 'on' | 'off'>;
}

/** Options of {@link PrometheusExporter}. */
export interface PrometheusExporterOptions extends PrometheusSources {
  /**
   * The prom-client registry to register into: pass the host's (`client.register` for its default
   * one) to serve everything on one endpoint. @default a new `Registry` of its own
   */
  register?: Registry;
  /** Prefix of every metric name. @default 'mms_' */
  prefix?: string;
  /** The log processor's `maxBufferedEntries`, published as the queue capacity. @default 100000 */
  historyQueueCapacity?: number;
  /** Time source of ages and caches (the oldest stored row's age, the review backlog cache). @default systemClock */
  clock?: Clock;
}

/** Defaults of {@link PrometheusExporterOptions}. */
export const DEFAULT_PROMETHEUS_OPTIONS = { prefix: 'mms_', historyQueueCapacity: 100_000 } as const;

/** Event-time metrics (the parts keep no per-label counts for these). @internal */
export interface EventMetrics {
  llmDuration: Histogram;
  llmFailures: Counter;
  verdicts: Counter;
  rollbacks: Counter;
  rollbackDuration: Histogram;
  rollbackFailures: Counter;
  finished: Counter;
  driverErrors: Counter;
}

/**
 * Registers the SDK's metrics into a prom-client registry and serves them. `createModelManagement`
 * builds one as `mm.prometheus`; build your own to export parts you wired by hand.
 * @example
 * ```ts
 * import client from 'prom-client';
 * const exporter = new PrometheusExporter({ llm, registry, logProcessor, guardrails, router: deployments.router, deployments, register: client.register });
 * app.get('/metrics', async (_req, res) => res.type(exporter.contentType).send(await exporter.metrics()));
 * ```
 */
export class PrometheusExporter {
  /** The registry holding the metrics. */
  readonly register: Registry;
  private readonly unsubscribe: Array<() => void> = [];
  private closed = false;

  constructor(options: PrometheusExporterOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PROMETHEUS_OPTIONS.prefix;
    if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
      throw new ValidationError(
        `Expected \`prefix\` to be a Prometheus name prefix like 'mms_', got ${JSON.stringify(prefix)}`,
        { field: 'prefix' },
      );
    }
    const capacity = options.historyQueueCapacity ?? DEFAULT_PROMETHEUS_OPTIONS.historyQueueCapacity;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new ValidationError(
        `Expected \`historyQueueCapacity\` to be a positive integer, got ${String(capacity)}`,
        { field: 'historyQueueCapacity' },
      );
    }
    this.register = options.register ?? new Registry();
    const clock = options.clock ?? systemClock;
    const events = this.eventMetrics(prefix);
    const modelLabel = modelLabeller(options.registry);
    if (options.registry) collectRegistry(this.register, prefix, options.registry);
    if (options.logProcessor) collectHistory(this.register, prefix, options.logProcessor, capacity, clock);
    if (options.guardrails) collectGuardrails(this.register, prefix, options.guardrails, modelLabel, clock);
    if (options.llm) {
      collectLlm(this.register, prefix, options.llm);
      const llm = options.llm;
      const completed: Parameters<typeof llm.on<'llm:completed'>>[1] = (e) =>
        events.llmDuration.observe(
          {
            use_case: e.useCase,
            model: modelLabel(e.modelId),
            variant: e.variant ?? 'none',
            source: e.source,
          },
          e.latencyMs / 1000,
        );
      const failed: Parameters<typeof llm.on<'llm:failed'>>[1] = (e) =>
        events.llmFailures.inc({ use_case: e.useCase, code: e.code });
      llm.on('llm:completed', completed);
      llm.on('llm:failed', failed);
      this.unsubscribe.push(() => {
        llm.off('llm:completed', completed);
        llm.off('llm:failed', failed);
      });
    }
    const deploymentsWatch = collectDeployments({
      register: this.register,
      prefix,
      router: options.router,
      deployments: options.deployments,
      modelLabel,
    });
    const useCaseOf = deploymentsWatch.useCaseOf;
    this.unsubscribe.push(
      ...collectShadowAndReplay({
        register: this.register,
        prefix,
        llm: options.llm,
        deployments: options.deployments,
        modelLabel,
      }),
    );
    if (options.deployments) {
      const d = options.deployments;
      const verdict: Parameters<typeof d.on<'deployment:verdict'>>[1] = (e) =>
        events.verdicts.inc({
          use_case: useCaseOf(e.deploymentId),
          strategy: deploymentsWatch.strategyOf(e.deploymentId),
          verdict: e.verdict.verdict,
        });
      const rolledBack: Parameters<typeof d.on<'deployment:rolled_back'>>[1] = ({ rollback: r }) => {
        events.rollbacks.inc({ use_case: r.useCase, trigger: r.trigger });
        if (r.durationMs !== null) {
          events.rollbackDuration.observe({ use_case: r.useCase, trigger: r.trigger }, r.durationMs / 1000);
        }
      };
      const transition: Parameters<typeof d.on<'deployment:transition'>>[1] = ({ deployment: x }) => {
        deploymentsWatch.remember(x);
        if (!isActiveStatus(x.status)) {
          events.finished.inc({ use_case: x.useCase, strategy: x.strategy, status: x.status });
        }
      };
      const started: Parameters<typeof d.on<'deployment:started'>>[1] = ({ deployment: x }) =>
        deploymentsWatch.remember(x);
      const error: Parameters<typeof d.on<'deployment:error'>>[1] = (e) =>
        events.driverErrors.inc({ use_case: e.deploymentId ? useCaseOf(e.deploymentId) : 'unknown' });
      d.on('deployment:verdict', verdict);
      d.on('deployment:rolled_back', rolledBack);
      d.on('deployment:transition', transition);
      d.on('deployment:started', started);
      d.on('deployment:error', error);
      this.unsubscribe.push(() => {
        d.off('deployment:verdict', verdict);
        d.off('deployment:rolled_back', rolledBack);
        d.off('deployment:transition', transition);
        d.off('deployment:started', started);
        d.off('deployment:error', error);
      });
    }
    if (options.rollbacks) {
      const rb = options.rollbacks;
      const rollbackFailed: Parameters<typeof rb.on<'deployment:rollback_failed'>>[1] = ({ rollback: r }) =>
        events.rollbackFailures.inc({ use_case: r.useCase, trigger: r.trigger });
      rb.on('deployment:rollback_failed', rollbackFailed);
      this.unsubscribe.push(() => rb.off('deployment:rollback_failed', rollbackFailed));
    }
  }

  /** Content type of {@link PrometheusExporter.metrics} for the HTTP response. */
  get contentType(): string {
    return this.register.contentType;
  }

  /** The text exposition of the registry (every metric registered in it, the host's included). */
  metrics(): Promise<string> {
    return this.register.metrics();
  }

  /** Stops listening to the parts' events (the registered metrics stay until the registry is cleared). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private eventMetrics(prefix: string): EventMetrics {
    const registers = [this.register];
    return {
      llmDuration: new Histogram({
        name: `${prefix}llm_request_duration_seconds`,
        help: 'End-to-end duration of completed LLM requests (generate and streams), by use case, model, arm and source of the answer.',
        labelNames: ['use_case', 'model', 'variant', 'source'],
        buckets: [...REQUEST_BUCKETS_SECONDS],
        registers,
      }),
      llmFailures: new Counter({
        name: `${prefix}llm_request_failures_total`,
        help: 'LLM requests no source could answer (the caller got an error), by use case and error code.',
        labelNames: ['use_case', 'code'],
        registers,
      }),
      verdicts: new Counter({
        name: `${prefix}deployment_verdicts_total`,
        help: 'Judgements of the judge by strategy and outcome (pass, fail, inconclusive; a shadow pass ends shadow_passed), counted by the replica that judged.',
        labelNames: ['use_case', 'strategy', 'verdict'],
        registers,
      }),
      rollbacks: new Counter({
        name: `${prefix}deployment_rollbacks_total`,
        help: 'Completed rollbacks by trigger (automatic: failed verdict, validation or error; manual), counted by the replica that ran them.',
        labelNames: ['use_case', 'trigger'],
        registers,
      }),
      rollbackDuration: new Histogram({
        name: `${prefix}deployment_rollback_duration_seconds`,
        help: 'Time to roll back: from the rollback decision until the previous model serves again.',
        labelNames: ['use_case', 'trigger'],
        buckets: [...REQUEST_BUCKETS_SECONDS],
        registers,
      }),
      rollbackFailures: new Counter({
        name: `${prefix}deployment_rollback_failures_total`,
        help: 'Rollbacks that could not finish (retryable ones are resumed by a driver).',
        labelNames: ['use_case', 'trigger'],
        registers,
      }),
      finished: new Counter({
        name: `${prefix}deployments_finished_total`,
        help: 'Deployments that reached a final state (succeeded, shadow_passed, rolled_back, failed, aborted), counted by the replica that committed it.',
        labelNames: ['use_case', 'strategy', 'status'],
        registers,
      }),
      driverErrors: new Counter({
        name: `${prefix}deployment_driver_errors_total`,
        help: 'Errors while driving a deployment (retryable ones are retried, others roll back).',
        labelNames: ['use_case'],
        registers,
      }),
    };
  }
}

/** `model` label values: `name@version` from the registry snapshot, else the id; `none` without a model. */
function modelLabeller(registry: PrometheusSources['registry']): (id: string | null) => string {
  const known = new Map<string, string>();
  return (id) => {
    if (id === null) return 'none';
    let label = known.get(id);
    if (label === undefined) {
      const m = registry?.snapshot().models.get(id);
      if (!m) return id;
      label = `${m.modelName}@${m.version}`;
      if (known.size > 10_000) known.clear();
      known.set(id, label);
    }
    return label;
  };
}
