import { ClosedError, ModelManagementError, ProviderError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { createEndpointCaller, providerRegistry } from './client-wiring.js';
import { Deadline } from './deadline.js';
import type { EndpointCaller } from './endpoint-caller.js';
import { parseFallbacks } from './fallback-endpoints.js';
import { blockedInput, checkInput } from './input-guard.js';
import type { LLMClientEvents } from './llm-events.js';
import { type LLMClientMetrics, LLMCounters } from './llm-metrics.js';
import {
  DEFAULT_LLM_CLIENT_OPTIONS,
  type GenerateInput,
  type GenerateResult,
  type LLMClientOptions,
  validateClientOptions,
  validateGenerateInput,
} from './llm-options.js';
import { type LLMStream, openStream } from './llm-stream.js';
import { logEntry } from './log-entry.js';
import { type ProbeInput, type ProbeResult, runProbe } from './probe.js';
import { RequestPipeline } from './request-pipeline.js';
import type { GuardrailCheckResult, Model, RouteDecision } from './types.js';

/**
 * What host services call to generate text. Resolves the model through the router and the registry,
 * calls its provider with timeouts, retries and a circuit breaker per endpoint, falls back routed →
 * stable → `fallbackEndpoints`, checks the answer with guardrails, records the outcome for the
 * rollout and logs the call without waiting for the log. During a deployment the stable fallback is
 * the deployment's previous model (after a blue-green or all-at-once switch the current model is the
 * candidate itself), and the outcome still records the routed arm's failure (`ok: false, fallback: true`).
 * @example
 * ```ts
 * const llm = new LLMClient({ modelRegistry: registry, router, guardrails, logProcessor,
 *   fallbackEndpoints: { foundation_layer: 'http://localhost:8001/generate' } });
 * const r = await llm.generate({ useCase: 'interaction_layer', prompt: 'Greet the player', stickyKey: playerId });
 * console.log(r.text, r.source, r.modelId);
 * ```
 */
export class LLMClient extends TypedEmitter<LLMClientEvents> {
  private readonly pipeline: RequestPipeline;
  private readonly caller: EndpointCaller;
  private readonly counters = new LLMCounters();
  private readonly clock: Clock;
  private readonly options: LLMClientOptions;
  private readonly requestTimeoutMs: number;
  private readonly inputGuardrails: boolean;
  private readonly outputGuardrails: boolean;
  private closed = false;

  constructor(options: LLMClientOptions = {}) {
    super();
    options = validateClientOptions(options);
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_LLM_CLIENT_OPTIONS.requestTimeoutMs;
    this.inputGuardrails =
      !!options.guardrails && (options.inputGuardrails ?? DEFAULT_LLM_CLIENT_OPTIONS.inputGuardrails);
    this.outputGuardrails =
      !!options.guardrails && (options.outputGuardrails ?? DEFAULT_LLM_CLIENT_OPTIONS.outputGuardrails);
    const providers = providerRegistry(options.providers);
    const fallbacks = parseFallbacks(options.fallbackEndpoints, providers);
    this.caller = createEndpointCaller(options, providers, this.clock, this.counters, this);
    this.pipeline = new RequestPipeline({
      registry: options.modelRegistry,
      router: options.router,
      guardrails: options.guardrails,
      logProcessor: options.logProcessor,
      registryEnabled: options.modelRegistryEnabled ?? DEFAULT_LLM_CLIENT_OPTIONS.modelRegistryEnabled,
      fallbacks,
      caller: this.caller,
      emitter: this,
      counters: this.counters,
      clock: this.clock,
      registryTimeoutMs: options.registryTimeoutMs ?? DEFAULT_LLM_CLIENT_OPTIONS.registryTimeoutMs,
    });
  }

  /** Generates one answer; see the class description for the chain. Throws `ValidationError`, `ProviderError` (and subclasses), `GUARDRAILS_UNAVAILABLE`, or the caller's abort reason. */
  async generate(input: GenerateInput): Promise<GenerateResult> {
    this.assertOpen();
    validateGenerateInput(input);
    const t0 = performance.now();
    this.counters.requests++;
    const budgetMs = input.timeoutMs ?? this.requestTimeoutMs;
    const deadline = new Deadline([input.signal], budgetMs);
    let route: RouteDecision | null = null;
    let routedFailed = false;
    try {
      const prepared = await this.checkInput(input);
      if ('blocked' in prepared) return await this.blockedInput(input, prepared.blocked, t0);
      route = this.pipeline.route(input);
      const served = await this.pipeline.serve(prepared, route, deadline, budgetMs, async (target) => {
        const { value } = await this.caller.call(target, prepared, deadline, (p, req) => p.generate(req));
        return value;
      });
      routedFailed = served.failures.some((f) => f.from === 'routed');
      const { target, value } = served;
      let verdict: GuardrailCheckResult | null = null;
      if (this.outputGuardrails) {
        verdict = await this.pipeline.check(value.text, 'output', input, target.model?.id);
        if (!verdict.allowed) this.pipeline.blocked(input, 'output', target.model?.id ?? null, verdict);
      }
      const source =
        verdict && (verdict.fallbackUsed || !verdict.allowed)
          ? 'fallback_content'
          : target.kind === 'model'
            ? 'model'
            : 'fallback_endpoint';
      const latencyMs = performance.now() - t0;
      const routedServed = route !== null && target.model === route.model;
      const critical = verdict?.violations.filter((v) => v.severity === 'critical').length ?? 0;
      this.pipeline.recordOutcome(route, input.useCase, {
        ok: routedServed,
        latencyMs,
        violations: routedServed ? (verdict?.violations.length ?? 0) : 0,
        criticalViolations: routedServed ? critical : 0,
        fallback: !routedServed || source === 'fallback_content',
      });
      const text = verdict ? verdict.text : value.text;
      const logId = await this.pipeline.log(
        logEntry(input, {
          modelId: target.model?.id ?? null,
          generatedOutput: text,
          latencyMs,
          status:
            verdict && !verdict.allowed ? 'blocked' : source === 'model' && !routedFailed ? 'ok' : 'fallback',
          error: null,
          deploymentId: target.deploymentId,
          variant: target.variant,
          tokensIn: value.usage.tokensIn,
          tokensOut: value.usage.tokensOut,
          guardrails: verdict ? { action: verdict.action, violations: verdict.violations } : null,
          metadata: {
            ...input.metadata,
            source,
            provider: target.provider,
            endpoint: target.config.endpointLabel,
          },
        }),
      );
      this.completed(input.useCase, target.model?.id ?? null, target.variant, source, latencyMs, false);
      return {
        text,
        modelId: target.model?.id ?? null,
        modelVersion: target.model?.version ?? null,
        variant: target.variant,
        deploymentId: target.deploymentId,
        latencyMs,
        usage: value.usage,
        logId,
        guardrails: verdict
          ? { action: verdict.action, violations: verdict.violations, fallbackUsed: verdict.fallbackUsed }
          : null,
        source,
      };
    } catch (error) {
      this.failed(input, route, error, t0);
      throw error;
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Streams an answer: text chunks as they arrive, each passed through the guardrails stream checker;
   * a `stop` (critical violation) ends the provider stream and yields the fallback content instead.
   * `await stream.result` gives the same fields as {@link LLMClient.generate}.
   * @example
   * ```ts
   * const stream = llm.generateStream({ useCase: 'interaction_layer', prompt });
   * for await (const chunk of stream) res.write(chunk);
   * const { source, modelId } = await stream.result;
   * ```
   */
  generateStream(input: GenerateInput): LLMStream {
    this.assertOpen();
    validateGenerateInput(input);
    this.counters.requests++;
    this.counters.streams++;
    return openStream(input, {
      pipeline: this.pipeline,
      caller: this.caller,
      guardrails: this.outputGuardrails ? this.options.guardrails : undefined,
      requestTimeoutMs: this.requestTimeoutMs,
      prepare: (i) => this.checkInput(i),
      blockedInput: (i, verdict, t0) => this.blockedInput(i, verdict, t0),
      entry: logEntry,
      completed: (useCase, modelId, variant, source, latencyMs) =>
        this.completed(useCase, modelId, variant, source, latencyMs, true),
      failed: (i, route, error, t0) => this.failed(i, route, error, t0),
    });
  }

  /**
   * Calls one specific model — not the routed one — for smoke tests and health probes: no routing, no
   * fallback chain, no outcome recorded (it is not player traffic). Uses the client's providers,
   * secrets, retry policy (`input.retries` overrides it) and circuit breakers; checks the answer with
   * the output guardrails (unless `guardrails: false`) and logs it with `metadata.smoke = true`.
   * Throws `ValidationError`, `ProviderError` (and subclasses, `PROVIDER_TIMEOUT` when `timeoutMs`
   * runs out), `GUARDRAILS_UNAVAILABLE`, or the caller's abort reason.
   * @example
   * ```ts
   * const candidate = await registry.getModel(candidateId);
   * const r = await llm.probe(candidate, { prompt: 'Greet the player.', timeoutMs: 5_000, retries: 0 });
   * if (r.guardrails && !r.guardrails.allowed) console.warn('unsafe answer', r.guardrails.violations);
   * ```
   */
  async probe(model: Model, input: ProbeInput): Promise<ProbeResult> {
    this.assertOpen();
    return runProbe(
      {
        caller: this.caller,
        pipeline: this.pipeline,
        counters: this.counters,
        requestTimeoutMs: this.requestTimeoutMs,
        outputGuardrails: this.outputGuardrails,
        hasGuardrails: !!this.options.guardrails,
      },
      model,
      input,
    );
  }

  /** Counters, latency summary and circuit states. */
  metrics(): LLMClientMetrics {
    return this.counters.snapshot(this.clock.now(), this.caller.circuits());
  }

  /** Stops accepting calls (calls in flight finish). Idempotent. Closes nothing it was given. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** Alias of {@link LLMClient.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('LLMClient is closed');
  }

  /** Input guardrails: the (possibly redacted) input, or the blocking verdict. */
  private checkInput(input: GenerateInput): Promise<GenerateInput | { blocked: GuardrailCheckResult }> {
    return this.inputGuardrails ? checkInput(this.pipeline, input) : Promise.resolve(input);
  }

  private blockedInput(input: GenerateInput, verdict: GuardrailCheckResult, t0: number) {
    return blockedInput(this.pipeline, input, verdict, t0, (latencyMs) =>
      this.completed(input.useCase, null, null, 'fallback_content', latencyMs, false),
    );
  }

  private completed(
    useCase: string,
    modelId: string | null,
    variant: GenerateResult['variant'],
    source: GenerateResult['source'],
    latencyMs: number,
    stream: boolean,
  ): void {
    this.counters.completed++;
    this.counters.bySource[source]++;
    this.counters.latency.record(latencyMs);
    this.emitSafely('llm:completed', { useCase, modelId, variant, source, latencyMs, stream });
  }

  private failed(input: GenerateInput, route: RouteDecision | null, error: unknown, t0: number): void {
    const latencyMs = performance.now() - t0;
    this.counters.failed++;
    const code = error instanceof ModelManagementError ? error.code : 'ABORTED';
    const message = error instanceof Error ? error.message : String(error);
    if (route && error instanceof ProviderError) {
      this.pipeline.recordOutcome(route, input.useCase, {
        ok: false,
        latencyMs,
        violations: 0,
        criticalViolations: 0,
        fallback: false,
      });
    }
    if (!(error instanceof ValidationError)) {
      void this.pipeline.log(
        logEntry(input, {
          modelId: route?.model.id ?? null,
          generatedOutput: '',
          latencyMs,
          status: 'error',
          error: `${code}: ${message}`,
          deploymentId: route?.deploymentId ?? null,
          variant: route?.variant ?? null,
          tokensIn: 0,
          tokensOut: 0,
          guardrails: null,
          metadata: { ...input.metadata },
        }),
      );
    }
    this.emitSafely('llm:failed', { useCase: input.useCase, code, message, latencyMs });
  }
}
