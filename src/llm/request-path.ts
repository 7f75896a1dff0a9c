/**
 * The LLM request path, top to bottom, shared by `generate()` and `generateStream()`:
 *
 * ```
 * RequestPath.open(input)        one Call: request budget (Deadline), root span, counters
 *   call.guardInput()            input guardrails → the (redacted) input, or a finished fallback answer
 *   call.route()                 the router's in-memory decision (no I/O)
 *   call.serve(run)              routed → stable → fallbackEndpoints; each source through the
 *                                EndpointCaller (API key, attempt timeout, breaker, retries: one span each)
 *   call.guardOutput(text)       output guardrails (generate; a stream runs its checker chunk by chunk)
 *   call.finish(served, answer)  THE source/outcome decision: rollout outcome, log entry, event, metrics
 *   call.fail(error)             the failure counterpart: outcome, log entry, event, metrics
 * ```
 * @module
 */
import type { Context, Span } from '@opentelemetry/api';
import { ModelManagementError, ProviderError, ProviderTimeoutError, ValidationError } from '../errors.js';
import type { TypedEmitter } from '../events.js';
import type { Clock } from '../internal/clock.js';
import {
  contextWith,
  endSpanWithError,
  genAiInstruments,
  getTracer,
  OTEL_ATTRIBUTES,
  OTEL_SPANS,
  startSpan,
} from '../internal/tracing.js';
import { Deadline } from './deadline.js';
import { type CallOptions, type EndpointCaller, operationName, type Target } from './endpoint-caller.js';
import type { ParsedFallback } from './fallback-endpoints.js';
import type { LLMClientEvents } from './llm-events.js';
import type { LLMCounters } from './llm-metrics.js';
import type { GenerateInput, GenerateResult, GenerateSource } from './llm-options.js';
import { modelTarget } from './model-target.js';
import type { Provider, ProviderRequest } from './provider.js';
import { type StableDeps, stableModel } from './stable-model.js';
import type {
  ChatMessage,
  GuardrailCheckResult,
  GuardrailsLike,
  GuardrailViolation,
  InferenceLogEntry,
  LogProcessorLike,
  ModelRegistryLike,
  RouteDecision,
  RouteOutcome,
  RouterLike,
  Usage,
} from './types.js';

/** Everything a request needs from its client. @internal */
export interface PipelineDeps {
  registry: ModelRegistryLike | undefined;
  router: RouterLike | undefined;
  guardrails: GuardrailsLike | undefined;
  logProcessor: LogProcessorLike | undefined;
  registryEnabled: boolean;
  inputGuardrails: boolean;
  outputGuardrails: boolean;
  fallbacks: ReadonlyMap<string, readonly ParsedFallback[]>;
  caller: EndpointCaller;
  emitter: TypedEmitter<LLMClientEvents>;
  counters: LLMCounters;
  clock: Clock;
  registryTimeoutMs: number;
  requestTimeoutMs: number;
}

/** A failed source in the chain. @internal */
export interface ChainFailure {
  from: 'routed' | 'stable' | 'fallback_endpoint' | 'registry';
  endpoint: string | null;
  error: unknown;
}

/** The source that answered, its value and the failures before it. @internal */
export interface Served<T> {
  value: T;
  target: Target;
  failures: ChainFailure[];
  /** Removes the answering call's secrets (every form of its API key) from text. */
  redact: (text: string) => string;
}

/** The answer as the caller got it, with the output verdict (`null` when unchecked). @internal */
export interface Answer {
  text: string;
  usage: Usage;
  verdict: Pick<GuardrailCheckResult, 'allowed' | 'action' | 'violations' | 'fallbackUsed'> | null;
}

/** The client's shared request machinery: one per client, one {@link Call} per request. @internal */
export class RequestPath {
  /** What the stable step of the chain reads (made once, not per request). */
  readonly stableDeps: StableDeps;

  constructor(readonly d: PipelineDeps) {
    this.stableDeps = { ...d, routerError: (u, e) => this.dependencyError('router', u, e) };
  }

  /** Counts an accepted request (a stream is counted when created, opened when first iterated). */
  count(stream: boolean): void {
    this.d.counters.requests++;
    if (stream) this.d.counters.streams++;
  }

  /** Starts one request (generate or stream); `stop` is the stream's own cancel signal. */
  open(input: GenerateInput, stream: boolean, stop?: AbortSignal): Call {
    return new Call(this, input, stream, stop);
  }

  /** Output (or input) check; a throwing guardrails monitor becomes `GUARDRAILS_UNAVAILABLE`. */
  async check(
    text: string,
    stage: 'input' | 'output',
    input: GenerateInput,
    modelId: string | undefined,
  ): Promise<GuardrailCheckResult> {
    try {
      return await this.d.guardrails!.check({
        text,
        stage,
        useCase: input.useCase,
        modelId,
        context: input.context,
      });
    } catch (error) {
      this.dependencyError('guardrails', input.useCase, error);
      throw new ModelManagementError(
        'GUARDRAILS_UNAVAILABLE',
        `Guardrails check (${stage}) failed for use case '${input.useCase}'`,
        { cause: error, retryable: true },
      );
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

  /** Reports a blocked prompt or answer. */
  blocked(
    useCase: string,
    stage: 'input' | 'output',
    modelId: string | null,
    verdict: Pick<GuardrailCheckResult, 'action' | 'violations' | 'fallbackUsed'>,
  ): void {
    this.d.counters.blocked++;
    this.d.emitter.emitSafely('llm:blocked', {
      useCase,
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

  /** Counts and reports a throwing router, log processor or guardrails monitor. */
  dependencyError(
    dependency: 'router' | 'logProcessor' | 'guardrails',
    useCase: string,
    error: unknown,
  ): void {
    this.d.counters.dependencyErrors[dependency]++;
    const message = error instanceof Error ? error.message : String(error);
    this.d.emitter.emitSafely('llm:dependency_error', { dependency, useCase, message });
  }
}

/** One `generate()` / `generateStream()` call, step by step (see the module description). @internal */
export class Call {
  readonly t0 = performance.now();
  readonly budgetMs: number;
  readonly deadline: Deadline;
  route: RouteDecision | null = null;
  /** The outcome reported to the router (the routed arm's), once finished or failed; a shadow pair's stable side. */
  outcome: Omit<RouteOutcome, 'deploymentId' | 'variant'> | null = null;
  private readonly d: PipelineDeps;
  private readonly span: Span;
  private readonly ctx: Context;
  /** Whether a host SDK records this call: child spans are made only then (no cost without an SDK). */
  private readonly recording: boolean;

  constructor(
    private readonly path: RequestPath,
    readonly input: GenerateInput,
    private readonly stream: boolean,
    stop?: AbortSignal,
  ) {
    this.d = path.d;
    this.budgetMs = input.timeoutMs ?? this.d.requestTimeoutMs;
    this.deadline = new Deadline([input.signal, stop], this.budgetMs);
    this.span = startSpan(getTracer(), stream ? OTEL_SPANS.GENERATE_STREAM : OTEL_SPANS.GENERATE, {
      [OTEL_ATTRIBUTES.MMS_USE_CASE]: input.useCase,
      [OTEL_ATTRIBUTES.MMS_STREAM]: stream,
    });
    this.ctx = contextWith(this.span);
    this.recording = this.span.isRecording();
  }

  /** Input guardrails on the prompt (or each user message): the (possibly redacted) input, or the finished blocked answer. */
  async guardInput(): Promise<{ input: GenerateInput } | { blocked: GenerateResult }> {
    const input = this.input;
    if (!this.d.inputGuardrails) return { input };
    const check = (text: string) => this.guarded('input', text, undefined);
    if (input.prompt !== undefined) {
      const v = await check(input.prompt);
      if (!v.allowed) return { blocked: await this.blockedInput(v) };
      return { input: v.action === 'redact' ? { ...input, prompt: v.text } : input };
    }
    const messages: ChatMessage[] = [];
    for (const m of input.messages!) {
      if (m.role !== 'user') {
        messages.push(m);
        continue;
      }
      const v = await check(m.content);
      if (!v.allowed) return { blocked: await this.blockedInput(v) };
      messages.push(v.action === 'redact' ? { role: m.role, content: v.text } : m);
    }
    return { input: { ...input, messages } };
  }

  /** The router's decision, or `null` (no router, registry disabled, or the router threw). */
  routeRequest(): RouteDecision | null {
    const { router, registryEnabled } = this.d;
    if (!registryEnabled || !router) return null;
    try {
      this.route = router.route(this.input.useCase, {
        stickyKey: this.input.stickyKey,
        conversationId: this.input.conversationId,
      });
      if (this.span.isRecording() && this.route) {
        this.span.setAttributes({
          [OTEL_ATTRIBUTES.MMS_VARIANT]: this.route.variant,
          ...(this.route.deploymentId
            ? { [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_ID]: this.route.deploymentId }
            : {}),
        });
      }
    } catch (error) {
      this.path.dependencyError('router', this.input.useCase, error);
    }
    return this.route;
  }

  /**
   * Walks routed model → stable model → fallback endpoints, returning the first answer. Throws the
   * caller's abort reason, `ProviderTimeoutError` when the request budget ran out, or `ProviderError`
   * (every failure, with status and the provider's message, in `details.failures`) when no source answered.
   */
  async serve<T>(
    prepared: GenerateInput,
    run: (provider: Provider, request: ProviderRequest) => Promise<T>,
    options: Pick<CallOptions, 'keepDeadline'> = {},
  ): Promise<Served<T> & { attemptDeadline: Deadline | null }> {
    const failures: ChainFailure[] = [];
    const { useCase } = this.input;
    const route = this.route;
    const attempt = async (from: ChainFailure['from'], make: () => Target) => {
      let target: Target | undefined;
      try {
        target = make();
        const r = await this.d.caller.call(target, prepared, this.deadline, run, {
          ...options,
          ...(this.recording ? { trace: { parent: this.ctx, step: from } } : {}),
        });
        return { ...r, target, failures };
      } catch (error) {
        if (this.deadline.aborted) throw this.abortError();
        failures.push({ from, endpoint: target?.config.endpointLabel ?? null, error });
        return null;
      }
    };
    if (route) {
      const r = await attempt('routed', () =>
        modelTarget(route.model, useCase, route.variant, route.deploymentId),
      );
      if (r) return r;
    }
    if (this.d.registryEnabled && this.d.registry) {
      const stable = await stableModel(this.path.stableDeps, useCase, route, failures);
      if (stable && stable.id !== route?.model.id) {
        this.announce(failures, 'stable');
        const r = await attempt('stable', () =>
          modelTarget(stable, useCase, 'stable', route?.deploymentId ?? null),
        );
        if (r) return r;
      }
    }
    for (const fb of this.d.fallbacks.get(useCase) ?? []) {
      this.announce(failures, 'fallback_endpoint');
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
      if (r) return r;
    }
    throw noSource(useCase, failures);
  }

  /** Output guardrails on a complete answer; `null` when the client does not check outputs. */
  async guardOutput(text: string, modelId: string | undefined): Promise<GuardrailCheckResult | null> {
    if (!this.d.outputGuardrails) return null;
    return this.guarded('output', text, modelId);
  }

  /**
   * The one place a served answer becomes a result: where it came from (`source`), the rollout
   * outcome, the log entry (redacted), the blocked/completed events, span and metrics.
   */
  async finish<T>(served: Served<T>, answer: Answer): Promise<GenerateResult> {
    const { input, route } = this;
    const { target, failures, redact } = served;
    const { verdict, usage } = answer;
    const replaced = verdict !== null && (!verdict.allowed || verdict.fallbackUsed);
    const source: GenerateSource = replaced
      ? 'fallback_content'
      : target.kind === 'model'
        ? 'model'
        : 'fallback_endpoint';
    const modelId = target.model?.id ?? null;
    if (verdict && !verdict.allowed) this.path.blocked(input.useCase, 'output', modelId, verdict);
    const latencyMs = performance.now() - this.t0;
    const routedServed = route !== null && target.model === route.model;
    const violations = verdict?.violations ?? NO_VIOLATIONS;
    this.outcome = {
      ok: routedServed,
      latencyMs,
      violations: routedServed ? violations.length : 0,
      criticalViolations: routedServed ? violations.filter((v) => v.severity === 'critical').length : 0,
      fallback: !routedServed || replaced,
    };
    this.path.recordOutcome(route, input.useCase, this.outcome);
    const routedFailed = failures.some((f) => f.from === 'routed');
    const guardrails = verdict ? { action: verdict.action, violations } : null;
    const logId = await this.path.log(
      this.entry(redact, {
        modelId,
        generatedOutput: answer.text,
        latencyMs,
        status:
          verdict && !verdict.allowed ? 'blocked' : source === 'model' && !routedFailed ? 'ok' : 'fallback',
        error: null,
        deploymentId: target.deploymentId,
        variant: target.variant,
        tokensIn: usage.tokensIn,
        tokensOut: usage.tokensOut,
        guardrails,
        metadata: {
          ...input.metadata,
          source,
          ...(this.stream ? { stream: true } : {}),
          provider: target.provider,
          endpoint: target.config.endpointLabel,
        },
      }),
    );
    this.completed(modelId, target.variant, source, latencyMs);
    this.measure(latencyMs, target, usage, null);
    if (this.span.isRecording()) {
      this.span.setAttributes({
        [OTEL_ATTRIBUTES.MMS_SOURCE]: source,
        [OTEL_ATTRIBUTES.GEN_AI_USAGE_INPUT_TOKENS]: usage.tokensIn,
        [OTEL_ATTRIBUTES.GEN_AI_USAGE_OUTPUT_TOKENS]: usage.tokensOut,
        ...(modelId ? { [OTEL_ATTRIBUTES.MMS_MODEL_ID]: modelId } : {}),
        ...(verdict ? { [OTEL_ATTRIBUTES.MMS_GUARDRAIL_ACTION]: verdict.action } : {}),
      });
    }
    this.span.end();
    return {
      text: answer.text,
      modelId,
      modelVersion: target.model?.version ?? null,
      variant: target.variant,
      deploymentId: target.deploymentId,
      latencyMs,
      usage,
      logId,
      guardrails: verdict ? { action: verdict.action, violations, fallbackUsed: verdict.fallbackUsed } : null,
      source,
    };
  }

  /** The failure counterpart of {@link Call.finish}: outcome, log entry, `llm:failed`, span and metrics. */
  fail(error: unknown): void {
    const { input, route, d } = this;
    const latencyMs = performance.now() - this.t0;
    d.counters.failed++;
    const code = error instanceof ModelManagementError ? error.code : 'ABORTED';
    const message = error instanceof Error ? error.message : String(error);
    if (route && error instanceof ProviderError) {
      this.outcome = { ok: false, latencyMs, violations: 0, criticalViolations: 0, fallback: false };
      this.path.recordOutcome(route, input.useCase, this.outcome);
    }
    if (!(error instanceof ValidationError)) {
      void this.path.log(
        this.entry(identity, {
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
    d.emitter.emitSafely('llm:failed', { useCase: input.useCase, code, message, latencyMs });
    this.measure(latencyMs, null, null, code);
    endSpanWithError(this.span, error, code);
  }

  /** Releases the request budget's timer and listeners. */
  dispose(): void {
    this.deadline.dispose();
  }

  /** A guardrails check in its own span. */
  private async guarded(
    stage: 'input' | 'output',
    text: string,
    modelId: string | undefined,
  ): Promise<GuardrailCheckResult> {
    if (!this.recording) return this.path.check(text, stage, this.input, modelId);
    const span = startSpan(
      getTracer(),
      stage === 'input' ? OTEL_SPANS.GUARDRAILS_INPUT : OTEL_SPANS.GUARDRAILS_OUTPUT,
      { [OTEL_ATTRIBUTES.MMS_GUARDRAIL_STAGE]: stage, [OTEL_ATTRIBUTES.MMS_USE_CASE]: this.input.useCase },
      this.ctx,
    );
    try {
      const v = await this.path.check(text, stage, this.input, modelId);
      if (span.isRecording()) {
        span.setAttributes({
          [OTEL_ATTRIBUTES.MMS_GUARDRAIL_ACTION]: v.action,
          [OTEL_ATTRIBUTES.MMS_GUARDRAIL_VIOLATIONS]: v.violations.length,
        });
      }
      span.end();
      return v;
    } catch (error) {
      endSpanWithError(span, error, 'GUARDRAILS_UNAVAILABLE');
      throw error;
    }
  }

  /** The result of a call whose prompt was blocked: reported, logged, answered with the verdict's fallback text. */
  private async blockedInput(verdict: GuardrailCheckResult): Promise<GenerateResult> {
    const { input } = this;
    this.path.blocked(input.useCase, 'input', null, verdict);
    const latencyMs = performance.now() - this.t0;
    const guardrails = { action: verdict.action, violations: verdict.violations };
    const logId = await this.path.log(
      this.entry(identity, {
        modelId: null,
        generatedOutput: verdict.text,
        latencyMs,
        status: 'blocked',
        error: null,
        deploymentId: null,
        variant: null,
        tokensIn: 0,
        tokensOut: 0,
        guardrails,
        metadata: { ...input.metadata, source: 'fallback_content', stage: 'input' },
      }),
    );
    this.completed(null, null, 'fallback_content', latencyMs);
    if (this.span.isRecording()) {
      this.span.setAttributes({
        [OTEL_ATTRIBUTES.MMS_SOURCE]: 'fallback_content',
        [OTEL_ATTRIBUTES.MMS_GUARDRAIL_ACTION]: verdict.action,
      });
    }
    this.span.end();
    return {
      text: verdict.text,
      modelId: null,
      modelVersion: null,
      variant: null,
      deploymentId: null,
      latencyMs,
      usage: { tokensIn: 0, tokensOut: 0 },
      logId,
      guardrails: { ...guardrails, fallbackUsed: verdict.fallbackUsed },
      source: 'fallback_content',
    };
  }

  private completed(
    modelId: string | null,
    variant: GenerateResult['variant'],
    source: GenerateSource,
    latencyMs: number,
  ): void {
    const c = this.d.counters;
    c.completed++;
    c.bySource[source]++;
    c.latency.record(latencyMs);
    this.d.emitter.emitSafely('llm:completed', {
      useCase: this.input.useCase,
      modelId,
      variant,
      source,
      latencyMs,
      stream: this.stream,
    });
  }

  /** `gen_ai.client.operation.duration` and `gen_ai.client.token.usage` of this call. */
  private measure(
    latencyMs: number,
    target: Target | null,
    usage: Usage | null,
    errorType: string | null,
  ): void {
    const m = genAiInstruments();
    const model = target?.providerModel ?? this.route?.model.modelName;
    const attributes: Record<string, string> = {
      [OTEL_ATTRIBUTES.GEN_AI_OPERATION_NAME]: operationName(
        this.input,
        target?.provider ?? this.route?.model.provider,
      ),
      [OTEL_ATTRIBUTES.MMS_USE_CASE]: this.input.useCase,
    };
    const provider = target?.provider ?? this.route?.model.provider;
    if (provider) attributes[OTEL_ATTRIBUTES.GEN_AI_PROVIDER_NAME] = provider;
    if (model) attributes[OTEL_ATTRIBUTES.GEN_AI_REQUEST_MODEL] = model;
    const variant = target ? target.variant : this.route?.variant;
    if (variant) attributes[OTEL_ATTRIBUTES.MMS_VARIANT] = variant;
    if (errorType) attributes[OTEL_ATTRIBUTES.ERROR_TYPE] = errorType;
    m.operationDuration.record(latencyMs / 1000, attributes);
    if (usage) {
      m.tokenUsage.record(usage.tokensIn, { ...attributes, [OTEL_ATTRIBUTES.GEN_AI_TOKEN_TYPE]: 'input' });
      m.tokenUsage.record(usage.tokensOut, { ...attributes, [OTEL_ATTRIBUTES.GEN_AI_TOKEN_TYPE]: 'output' });
    }
  }

  /** The log entry of this call; `redact` strips the answering call's API key from prompt, answer and error. */
  private entry(
    redact: (text: string) => string,
    fields: Omit<
      InferenceLogEntry,
      'useCase' | 'prompt' | 'context' | 'playerId' | 'sessionId' | 'conversationId'
    >,
  ): InferenceLogEntry {
    const i = this.input;
    const prompt = i.prompt ?? (i.messages ?? []).map((m) => `${m.role}: ${m.content}`).join('\n');
    return {
      useCase: i.useCase,
      prompt: redact(prompt),
      context: i.context ?? {},
      playerId: i.playerId ?? null,
      sessionId: i.sessionId ?? null,
      conversationId: i.conversationId ?? null,
      ...fields,
      generatedOutput: redact(fields.generatedOutput),
      error: fields.error === null ? null : redact(fields.error),
    };
  }

  private announce(failures: ChainFailure[], to: 'stable' | 'fallback_endpoint'): void {
    const last = failures[failures.length - 1];
    if (!last) return;
    this.d.counters.fallbacks++;
    this.d.emitter.emitSafely('llm:fallback', {
      useCase: this.input.useCase,
      from: last.from,
      fromEndpoint: last.endpoint,
      to,
      code: errorCode(last.error),
      message: last.error instanceof Error ? last.error.message : String(last.error),
    });
  }

  /** The error of an aborted request: the budget's timeout, or the caller's own reason. */
  abortError(cause?: unknown): unknown {
    if (this.deadline.timedOut) {
      const method = this.stream ? 'generateStream()' : 'generate()';
      return new ProviderTimeoutError(
        `${method} for use case '${this.input.useCase}' ran out of its ${this.budgetMs} ms budget`,
        { cause, details: { useCase: this.input.useCase, timeoutMs: this.budgetMs } },
      );
    }
    return this.deadline.reason;
  }
}

/** The error when no source answered: each failure with its code, HTTP status and the provider's message. */
function noSource(useCase: string, failures: ChainFailure[]): ProviderError {
  if (failures.length === 0) {
    return new ProviderError(
      `No model for use case '${useCase}': no current model and no fallbackEndpoints['${useCase}']`,
      { details: { useCase, failures: [] } },
    );
  }
  const described = failures.map((f) => {
    const details = f.error instanceof ModelManagementError ? f.error.details : {};
    const status = (f.error as { status?: unknown }).status ?? details['status'];
    const message = details['message'];
    return {
      from: f.from,
      endpoint: f.endpoint,
      code: errorCode(f.error),
      status: typeof status === 'number' ? status : undefined,
      message: typeof message === 'string' && message !== '' ? message : undefined,
    };
  });
  const summary = described
    .map(
      (f) =>
        `${f.from}${f.endpoint ? ` ${f.endpoint}` : ''}: ${f.code}${f.status !== undefined ? ` HTTP ${f.status}` : ''}${f.message ? ` "${f.message}"` : ''}`,
    )
    .join('; ');
  return new ProviderError(`No source could serve use case '${useCase}' (${summary})`, {
    cause: failures[failures.length - 1]?.error,
    retryable: failures.some((f) => f.error instanceof ModelManagementError && f.error.retryable),
    details: { useCase, failures: described },
  });
}

/** The code of an error for summaries. */
export function errorCode(error: unknown): string {
  return error instanceof ModelManagementError ? error.code : error instanceof Error ? error.name : 'UNKNOWN';
}

const LOG_ID_TICKS = 6;
const NULL_ID: Promise<null> = Promise.resolve(null);
const NO_VIOLATIONS: readonly GuardrailViolation[] = [];
const identity = <T>(x: T): T => x;
