import { ClosedError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { logEvents, resolveLogger } from '../logger.js';
import { createEndpointCaller, providerRegistry } from './client-wiring.js';
import type { EndpointCaller } from './endpoint-caller.js';
import { parseFallbacks } from './fallback-endpoints.js';
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
import { type ProbeInput, type ProbeResult, runProbe } from './probe.js';
import { RequestPath } from './request-path.js';
import { type ShadowRunner, type ShadowStats, startShadowRunner } from './shadow-runner.js';
import { HttpTransport } from './transport.js';
import type { Model } from './types.js';

/**
 * What host services call to generate text. Resolves the model through the router and the registry,
 * calls its provider (over keep-alive `undici` pools) with timeouts, retries and a circuit breaker per
 * endpoint, falls back routed →
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
  private readonly path: RequestPath;
  private readonly caller: EndpointCaller;
  private readonly transport = new HttpTransport();
  private readonly counters = new LLMCounters();
  private readonly clock: Clock;
  private readonly options: LLMClientOptions;
  private readonly requestTimeoutMs: number;
  private readonly outputGuardrails: boolean;
  private readonly shadows: ShadowRunner;
  private closed = false;

  constructor(options: LLMClientOptions = {}) {
    super();
    options = validateClientOptions(options);
    logEvents(this, resolveLogger(options.logger), {
      'llm:fallback': ['warn', 'served by a fallback model', (e: object) => e],
      'llm:circuit_open': ['warn', 'provider circuit opened', (e: object) => e],
      'llm:circuit_closed': ['info', 'provider circuit closed', (e: object) => e],
      'llm:registry_unavailable': [
        'warn',
        'model registry unavailable: serving from fallback endpoints',
        (e: object) => e,
      ],
      'llm:dependency_error': ['warn', 'a dependency of the LLM client failed', (e: object) => e],
    });
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_LLM_CLIENT_OPTIONS.requestTimeoutMs;
    const hasGuardrails = !!options.guardrails;
    this.outputGuardrails =
      hasGuardrails && (options.outputGuardrails ?? DEFAULT_LLM_CLIENT_OPTIONS.outputGuardrails);
    const providers = providerRegistry(options.providers);
    const fallbacks = parseFallbacks(options.fallbackEndpoints, providers);
    this.caller = createEndpointCaller(options, providers, this.clock, this.counters, this, this.transport);
    this.path = new RequestPath({
      registry: options.modelRegistry,
      router: options.router,
      guardrails: options.guardrails,
      logProcessor: options.logProcessor,
      registryEnabled: options.modelRegistryEnabled ?? DEFAULT_LLM_CLIENT_OPTIONS.modelRegistryEnabled,
      inputGuardrails:
        hasGuardrails && (options.inputGuardrails ?? DEFAULT_LLM_CLIENT_OPTIONS.inputGuardrails),
      outputGuardrails: this.outputGuardrails,
      fallbacks,
      caller: this.caller,
      emitter: this,
      counters: this.counters,
      clock: this.clock,
      registryTimeoutMs: options.registryTimeoutMs ?? DEFAULT_LLM_CLIENT_OPTIONS.registryTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
    });
    this.shadows = startShadowRunner(this.caller, this.path, options, this.outputGuardrails, this);
  }

  /**
   * Generates one answer; see the class description for the chain and `request-path.ts` for the
   * steps. Throws `ValidationError`, `ProviderError` (and subclasses), `GUARDRAILS_UNAVAILABLE`, or
   * the caller's abort reason.
   */
  async generate(input: GenerateInput): Promise<GenerateResult> {
    this.assertOpen();
    validateGenerateInput(input);
    this.path.count(false);
    const call = this.path.open(input, false);
    let shadow: ReturnType<ShadowRunner['maybeStart']> = null;
    try {
      const guarded = await call.guardInput();
      if ('blocked' in guarded) return guarded.blocked;
      call.routeRequest();
      // A shadow deployment's candidate gets the same prompt in the background; the player never waits for it.
      shadow = this.shadows.maybeStart(guarded.input);
      const served = await call.serve(guarded.input, (p, req) => p.generate(req));
      const verdict = await call.guardOutput(served.value.text, served.target.model?.id);
      return await call.finish(served, {
        text: verdict ? verdict.text : served.value.text,
        usage: served.value.usage,
        verdict,
      });
    } catch (error) {
      call.fail(error);
      throw error;
    } finally {
      shadow?.settle(call.outcome);
      call.dispose();
    }
  }

  /**
   * Streams an answer: text chunks as they arrive, each passed through the guardrails stream checker;
   * a `stop` (critical violation) ends the provider stream and yields the fallback content instead.
   * `await stream.result` gives the same fields as {@link LLMClient.generate}. The attempt timeout
   * covers the wait for the first chunk; the request budget (`timeoutMs`) governs the rest.
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
    this.path.count(true);
    return openStream(input, this.path, this.outputGuardrails ? this.options.guardrails : undefined);
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
        path: this.path,
        counters: this.counters,
        requestTimeoutMs: this.requestTimeoutMs,
        outputGuardrails: this.outputGuardrails,
        hasGuardrails: !!this.options.guardrails,
      },
      model,
      input,
    );
  }

  /** Counters of shadow calls (background calls to a `shadow` deployment's candidate). */
  shadowStats(): ShadowStats {
    return { ...this.shadows.stats };
  }

  /** Counters, latency summary and circuit states. */
  metrics(): LLMClientMetrics {
    return this.counters.snapshot(this.clock.now(), this.caller.circuits());
  }

  /**
   * Stops accepting calls and closes the client's HTTP connection pools (calls in flight finish
   * first). Idempotent. Closes nothing it was given.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.shadows.close();
    await this.transport.close();
  }

  /** Alias of {@link LLMClient.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('LLMClient is closed');
  }
}
