import { type Context, SpanKind } from '@opentelemetry/api';
import { type ModelManagementError, ProviderError, ProviderTimeoutError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { endSpanWithError, getTracer, OTEL_ATTRIBUTES, startSpan } from '../internal/tracing.js';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  type CircuitTransition,
} from './circuit-breaker.js';
import type { Deadline } from './deadline.js';
import type { ParsedModelConfiguration } from './model-config.js';
import type { Provider, ProviderRequest } from './provider.js';
import type { ProviderRegistry } from './provider-registry.js';
import {
  countsAgainstBreaker,
  type RetryInfo,
  type RetryOptions,
  toProviderError,
  withRetry,
} from './retry.js';
import { redactorFor, type SecretResolver } from './secrets.js';
import type { HttpTransport } from './transport.js';
import type { ChatMessage, Model, Variant } from './types.js';

/** One place an answer can come from: a registry model or a fallback endpoint. */
export interface Target {
  kind: 'model' | 'fallback_endpoint';
  useCase: string;
  provider: string;
  config: ParsedModelConfiguration;
  /** Model name sent to the provider. */
  providerModel: string;
  model: Model | null;
  variant: Variant | null;
  deploymentId: string | null;
}

/** What the caller sends (the client's validated input, narrowed). */
export interface CallInput {
  prompt?: string;
  messages?: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
}

/** Hooks the caller reports through (events and counters live in the client). */
export interface CallerHooks {
  onRetry(target: Target, info: RetryInfo): void;
  onCircuit(provider: string, transition: CircuitTransition): void;
}

/** Settings of an {@link EndpointCaller}. */
export interface EndpointCallerSettings {
  providers: ProviderRegistry;
  secrets: SecretResolver;
  retry: Required<RetryOptions>;
  breaker: Omit<CircuitBreakerOptions, 'clock'>;
  clock: Clock;
  attemptTimeoutMs: number;
  hooks: CallerHooks;
  /** The keep-alive HTTP transport handed to providers. */
  transport: HttpTransport;
}

/** Options of one {@link EndpointCaller.call}. */
export interface CallOptions {
  /** Return the successful attempt's deadline undisposed (its timer cleared) so a stream stays abortable. */
  keepDeadline?: boolean;
  /** Overrides the policy's retries (and the model configuration's `maxRetries`), e.g. for probes. */
  retries?: number;
  /** Parent context of the attempt spans and the chain step they serve. */
  trace?: { parent: Context; step: string };
}

/** Breaker state of one endpoint, for `metrics()`. */
export interface EndpointCircuit {
  provider: string;
  endpoint: string;
  state: CircuitState;
  consecutiveFailures: number;
}

/**
 * Calls one {@link Target} with the resilience rules: API key from the environment, per-attempt
 * timeout under the request deadline, circuit breaker per provider endpoint, retries per policy.
 * @internal
 */
export class EndpointCaller {
  private readonly breakers = new Map<string, { provider: string; breaker: CircuitBreaker }>();

  constructor(private readonly settings: EndpointCallerSettings) {}

  /**
   * Runs `run` against `target` with retries, one `{operation} {model}` span per attempt. Returns the
   * value, the kept attempt deadline (see {@link CallOptions.keepDeadline}; the caller disposes it) and
   * the call's redactor (every form of its API key).
   */
  async call<T>(
    target: Target,
    input: CallInput,
    deadline: Deadline,
    run: (provider: Provider, request: ProviderRequest) => Promise<T>,
    options: CallOptions = {},
  ): Promise<{ value: T; attemptDeadline: Deadline | null; redact: (text: string) => string }> {
    const keepDeadline = options.keepDeadline ?? false;
    const provider = this.settings.providers.get(target.provider);
    const { config } = target;
    const where = `${target.provider} ${config.endpointLabel}`;
    const headers: Record<string, string> = { ...config.headers };
    const secrets: string[] = [];
    if (config.apiKeyEnv) {
      const key = this.settings.secrets(config.apiKeyEnv);
      if (!key) {
        throw new ProviderError(`${where}: environment variable ${config.apiKeyEnv} (apiKeyEnv) is not set`, {
          code: 'PROVIDER_AUTH_MISSING',
          retryable: false,
          details: { endpoint: config.endpointLabel, provider: target.provider, apiKeyEnv: config.apiKeyEnv },
        });
      }
      secrets.push(key);
      const header = (config.apiKeyHeader ?? 'authorization').toLowerCase();
      headers[header] = header === 'authorization' ? `Bearer ${key}` : key;
    }
    const redact = redactorFor(secrets);
    const breaker = this.breakerFor(target.provider, config.endpointLabel);
    const retries = options.retries ?? config.maxRetries;
    const policy = retries === undefined ? this.settings.retry : { ...this.settings.retry, retries };
    const timeoutMs = Math.min(
      config.timeoutMs ?? this.settings.attemptTimeoutMs,
      Math.max(1, deadline.remainingMs()),
    );
    const details = { endpoint: config.endpointLabel, provider: target.provider };
    let kept: Deadline | null = null;

    const tracer = options.trace ? getTracer() : null;
    const value = await withRetry(
      async (attemptNo) => {
        if (!breaker.tryAcquire()) {
          throw new ProviderError(`${where}: circuit open, retry in ${breaker.retryInMs()} ms`, {
            code: 'PROVIDER_CIRCUIT_OPEN',
            retryable: false,
            details: { ...details, retryInMs: breaker.retryInMs() },
          });
        }
        const attempt = deadline.child(timeoutMs);
        const request: ProviderRequest = {
          endpoint: config.endpoint,
          model: target.providerModel,
          headers,
          configuration: config.raw,
          signal: attempt.signal,
          redact,
          transport: this.settings.transport,
        };
        // Copy only the generation fields: the caller's own `signal`/`timeoutMs` must not reach the provider.
        if (input.prompt !== undefined) request.prompt = input.prompt;
        if (input.messages !== undefined) request.messages = input.messages;
        if (input.maxTokens !== undefined) request.maxTokens = input.maxTokens;
        if (input.temperature !== undefined) request.temperature = input.temperature;
        let keep = false;
        const span = tracer
          ? startSpan(
              tracer,
              `${operationName(input, target.provider)} ${target.providerModel}`,
              attemptAttributes(target, input, attemptNo, options.trace!.step),
              options.trace!.parent,
              SpanKind.CLIENT,
            )
          : null;
        try {
          const result = await run(provider, request);
          if (span) {
            const usage = (result as { usage?: { tokensIn: number; tokensOut: number } }).usage;
            if (usage && span.isRecording()) {
              span.setAttributes({
                [OTEL_ATTRIBUTES.GEN_AI_USAGE_INPUT_TOKENS]: usage.tokensIn,
                [OTEL_ATTRIBUTES.GEN_AI_USAGE_OUTPUT_TOKENS]: usage.tokensOut,
              });
            }
            span.end();
          }
          breaker.onSuccess();
          if (keepDeadline) {
            attempt.clearTimer();
            kept = attempt;
            keep = true;
          }
          return result;
        } catch (error) {
          if (deadline.aborted) {
            breaker.onNeutral();
            if (span) endSpanWithError(span, error, 'ABORTED');
            throw error;
          }
          const typed = attempt.timedOut
            ? new ProviderTimeoutError(`${where} did not answer within ${timeoutMs} ms`, {
                cause: error,
                details,
              })
            : toProviderError(error, where, details);
          if (span) endSpanWithError(span, typed, errorType(typed));
          if (countsAgainstBreaker(typed)) breaker.onFailure();
          else breaker.onNeutral();
          throw typed;
        } finally {
          if (!keep) attempt.dispose();
        }
      },
      policy,
      {
        // A getter: the request's signal is made only if a retry has to wait.
        get signal() {
          return deadline.signal;
        },
        remainingMs: () => deadline.remainingMs(),
        onRetry: (info) => this.settings.hooks.onRetry(target, info),
      },
    );
    return { value, attemptDeadline: kept, redact };
  }

  /** Breaker states of every endpoint called so far. */
  circuits(): EndpointCircuit[] {
    return [...this.breakers.values()].map(({ provider, breaker }) => ({
      provider,
      endpoint: breaker.key.slice(provider.length + 1),
      state: breaker.state,
      consecutiveFailures: breaker.consecutiveFailures,
    }));
  }

  private breakerFor(provider: string, endpoint: string): CircuitBreaker {
    const key = `${provider} ${endpoint}`;
    let entry = this.breakers.get(key);
    if (!entry) {
      entry = {
        provider,
        breaker: new CircuitBreaker(key, { ...this.settings.breaker, clock: this.settings.clock }, (t) =>
          this.settings.hooks.onCircuit(provider, t),
        ),
      };
      this.breakers.set(key, entry);
    }
    return entry.breaker;
  }
}

/** `gen_ai.operation.name` of a provider call: chat for messages and chat APIs, text completion for a bare prompt. */
export function operationName(input: { messages?: unknown }, provider: string | undefined): string {
  return input.messages !== undefined || provider === 'openai' ? 'chat' : 'text_completion';
}

/** The GenAI attributes of one attempt (given at span creation, as the conventions ask). */
function attemptAttributes(target: Target, input: CallInput, attempt: number, step: string) {
  const attributes: Record<string, string | number> = {
    [OTEL_ATTRIBUTES.GEN_AI_OPERATION_NAME]: operationName(input, target.provider),
    [OTEL_ATTRIBUTES.GEN_AI_PROVIDER_NAME]: target.provider,
    [OTEL_ATTRIBUTES.GEN_AI_SYSTEM]: target.provider,
    [OTEL_ATTRIBUTES.GEN_AI_REQUEST_MODEL]: target.providerModel,
    [OTEL_ATTRIBUTES.MMS_USE_CASE]: target.useCase,
    [OTEL_ATTRIBUTES.MMS_CHAIN_STEP]: step,
    [OTEL_ATTRIBUTES.MMS_ATTEMPT]: attempt,
  };
  if (target.variant) attributes[OTEL_ATTRIBUTES.MMS_VARIANT] = target.variant;
  if (target.deploymentId) attributes[OTEL_ATTRIBUTES.MMS_DEPLOYMENT_ID] = target.deploymentId;
  if (target.model) attributes[OTEL_ATTRIBUTES.MMS_MODEL_ID] = target.model.id;
  if (input.maxTokens !== undefined) attributes[OTEL_ATTRIBUTES.GEN_AI_REQUEST_MAX_TOKENS] = input.maxTokens;
  if (input.temperature !== undefined)
    attributes[OTEL_ATTRIBUTES.GEN_AI_REQUEST_TEMPERATURE] = input.temperature;
  try {
    const u = new URL(target.config.endpoint);
    attributes[OTEL_ATTRIBUTES.SERVER_ADDRESS] = u.hostname;
    if (u.port) attributes[OTEL_ATTRIBUTES.SERVER_PORT] = Number(u.port);
  } catch {
    // simulated and custom endpoints need not be URLs
  }
  return attributes;
}

/** `error.type`: the HTTP status when the provider answered one, else the SDK's error code. */
function errorType(error: ModelManagementError): string {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? String(status) : error.code;
}
