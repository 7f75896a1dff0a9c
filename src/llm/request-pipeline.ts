import { ModelManagementError, ProviderError, ProviderTimeoutError } from '../errors.js';
import type { TypedEmitter } from '../events.js';
import type { Clock } from '../internal/clock.js';
import type { Deadline } from './deadline.js';
import type { EndpointCaller, Target } from './endpoint-caller.js';
import type { LLMClientEvents } from './llm-events.js';
import type { LLMCounters } from './llm-metrics.js';
import type { GenerateInput } from './llm-options.js';
import type { ParsedModelConfiguration } from './model-config.js';
import { modelTarget } from './model-target.js';
import { type StableDeps, stableModel } from './stable-model.js';
import type {
  GuardrailCheckResult,
  GuardrailsLike,
  InferenceLogEntry,
  LogProcessorLike,
  ModelRegistryLike,
  RouteDecision,
  RouterLike,
} from './types.js';

/** Everything the pipeline needs from the client. @internal */
export interface PipelineDeps {
  registry: ModelRegistryLike | undefined;
  router: RouterLike | undefined;
  guardrails: GuardrailsLike | undefined;
  logProcessor: LogProcessorLike | undefined;
  registryEnabled: boolean;
  fallbacks: ReadonlyMap<string, ReadonlyArray<{ provider: string; config: ParsedModelConfiguration }>>;
  caller: EndpointCaller;
  emitter: TypedEmitter<LLMClientEvents>;
  counters: LLMCounters;
  clock: Clock;
  registryTimeoutMs: number;
}

/** A failed source in the chain. */
export interface ChainFailure {
  from: 'routed' | 'stable' | 'fallback_endpoint' | 'registry';
  endpoint: string | null;
  error: unknown;
}

const LOG_ID_TICKS = 6;

/**
 * The steps shared by `generate()` and `generateStream()`: route, walk the fallback chain, check,
 * record the outcome and log. @internal
 */
export class RequestPipeline {
  private readonly stableDeps: StableDeps;

  constructor(private readonly d: PipelineDeps) {
    this.stableDeps = {
      ...d,
      routerError: (useCase, error) => this.dependencyError('router', useCase, error),
    };
  }

  /** The router's decision, or `null` (no router, registry disabled, or the router threw). */
  route(input: GenerateInput): RouteDecision | null {
    if (!this.d.registryEnabled || !this.d.router) return null;
    try {
      return this.d.router.route(input.useCase, {
        stickyKey: input.stickyKey,
        conversationId: input.conversationId,
      });
    } catch (error) {
      this.dependencyError('router', input.useCase, error);
      return null;
    }
  }

  /**
   * Walks routed model → stable model → fallback endpoints, returning the first answer. Throws the
   * caller's abort reason, `ProviderTimeoutError` when the request budget ran out, or `ProviderError`
   * (with every failure in `details.failures`) when no source answered.
   */
  async serve<T>(
    input: GenerateInput,
    route: RouteDecision | null,
    deadline: Deadline,
    budgetMs: number,
    call: (target: Target) => Promise<T>,
  ): Promise<{ value: T; target: Target; failures: ChainFailure[] }> {
    const failures: ChainFailure[] = [];
    const useCase = input.useCase;
    const attempt = async (from: ChainFailure['from'], make: () => Target) => {
      let target: Target | undefined;
      try {
        target = make();
        return { value: await call(target), target };
      } catch (error) {
        if (deadline.signal.aborted) throw abortError(deadline, useCase, budgetMs);
        failures.push({ from, endpoint: target?.config.endpointLabel ?? null, error });
        return null;
      }
    };
    const announce = (to: 'stable' | 'fallback_endpoint') => {
      const last = failures[failures.length - 1];
      if (!last) return;
      this.d.counters.fallbacks++;
      const code = last.error instanceof ModelManagementError ? last.error.code : 'PROVIDER_ERROR';
      const message = last.error instanceof Error ? last.error.message : String(last.error);
      this.d.emitter.emitSafely('llm:fallback', {
        useCase,
        from: last.from,
        fromEndpoint: last.endpoint,
        to,
        code,
        message,
      });
    };

    if (route) {
      const r = await attempt('routed', () =>
        modelTarget(route.model, useCase, route.variant, route.deploymentId),
      );
      if (r) return { ...r, failures };
    }
    if (this.d.registryEnabled && this.d.registry) {
      const stable = await stableModel(this.stableDeps, useCase, route, failures);
      if (stable && stable.id !== route?.model.id) {
        announce('stable');
        const r = await attempt('stable', () =>
          modelTarget(stable, useCase, 'stable', route?.deploymentId ?? null),
        );
        if (r) return { ...r, failures };
      }
    }
    for (const fb of this.d.fallbacks.get(useCase) ?? []) {
      announce('fallback_endpoint');
      const r = await attempt('fallback_endpoint', () => ({
        kind: 'fallback_endpoint',
        useCase,
        provider: fb.provider,
        config: fb.config,
        providerModel: fb.config.model ?? '',
        model: null,
        variant: null,
        deploymentId: null,
      }));
      if (r) return { ...r, failures };
    }
    const last = failures[failures.length - 1]?.error;
    const summary = failures
      .map((f) => `${f.from}${f.endpoint ? ` ${f.endpoint}` : ''}: ${errorCode(f.error)}`)
      .join('; ');
    throw new ProviderError(
      failures.length === 0
        ? `No model for use case '${useCase}': no current model and no fallbackEndpoints['${useCase}']`
        : `No source could serve use case '${useCase}' (${summary})`,
      {
        cause: last,
        retryable: failures.some((f) => f.error instanceof ModelManagementError && f.error.retryable),
        details: {
          useCase,
          failures: failures.map((f) => ({ from: f.from, endpoint: f.endpoint, code: errorCode(f.error) })),
        },
      },
    );
  }

  /** Output (or input) check; a throwing guardrails monitor becomes `GUARDRAILS_UNAVAILABLE`. */
  async check(
    text: string,
    stage: 'input' | 'output',
    input: GenerateInput,
    modelId: string | undefined,
  ): Promise<GuardrailCheckResult> {
    const g = this.d.guardrails!;
    try {
      return await g.check({ text, stage, useCase: input.useCase, modelId, context: input.context });
    } catch (error) {
      this.dependencyError('guardrails', input.useCase, error);
      throw new ModelManagementError(
        'GUARDRAILS_UNAVAILABLE',
        `Guardrails check (${stage}) failed for use case '${input.useCase}'`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  }

  /** Reports a blocked prompt or answer. */
  blocked(
    input: GenerateInput,
    stage: 'input' | 'output',
    modelId: string | null,
    verdict: GuardrailCheckResult,
  ): void {
    this.d.counters.blocked++;
    this.d.emitter.emitSafely('llm:blocked', {
      useCase: input.useCase,
      stage,
      modelId,
      action: verdict.action,
      violations: verdict.violations,
      fallbackUsed: verdict.fallbackUsed,
    });
  }

  /** Sends the outcome of a routed request to the router (never throws). */
  recordOutcome(
    route: RouteDecision | null,
    useCase: string,
    outcome: Omit<Parameters<RouterLike['recordOutcome']>[0], 'deploymentId' | 'variant'>,
  ): void {
    if (!route || route.deploymentId === null || !this.d.router) return;
    try {
      this.d.router.recordOutcome({ deploymentId: route.deploymentId, variant: route.variant, ...outcome });
    } catch (error) {
      this.dependencyError('router', useCase, error);
    }
  }

  /** Hands `entry` to the log processor without waiting; the id if it arrives within a few microtasks. */
  log(entry: InferenceLogEntry): Promise<string | null> {
    const lp = this.d.logProcessor;
    if (!lp) return NULL_ID;
    let pending: Promise<string>;
    try {
      pending = lp.logInference(entry);
    } catch (error) {
      this.dependencyError('logProcessor', entry.useCase, error);
      return NULL_ID;
    }
    const tracked = Promise.resolve(pending).then(
      (id) => (typeof id === 'string' ? id : null),
      (error: unknown) => {
        this.dependencyError('logProcessor', entry.useCase, error);
        return null;
      },
    );
    let timeout: Promise<null> = NULL_ID;
    for (let i = 0; i < LOG_ID_TICKS; i++) timeout = timeout.then(identity);
    return Promise.race([tracked, timeout]);
  }

  private dependencyError(
    dependency: 'router' | 'logProcessor' | 'guardrails',
    useCase: string,
    error: unknown,
  ): void {
    this.d.counters.dependencyErrors[dependency]++;
    const message = error instanceof Error ? error.message : String(error);
    this.d.emitter.emitSafely('llm:dependency_error', { dependency, useCase, message });
  }
}

const NULL_ID: Promise<null> = Promise.resolve(null);

const identity = <T>(x: T): T => x;

/** The code of an error for summaries. */
export function errorCode(error: unknown): string {
  return error instanceof ModelManagementError ? error.code : error instanceof Error ? error.name : 'UNKNOWN';
}

function abortError(deadline: Deadline, useCase: string, budgetMs: number): unknown {
  if (deadline.timedOut) {
    return new ProviderTimeoutError(
      `generate() for use case '${useCase}' ran out of its ${budgetMs} ms budget`,
      {
        details: { useCase, timeoutMs: budgetMs },
      },
    );
  }
  return deadline.signal.reason;
}
