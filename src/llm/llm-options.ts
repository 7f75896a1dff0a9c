import { ValidationError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import {
  describe,
  MAX_TIMER_MS,
  optionKeys,
  rejectUnknownKeys,
  renamedOption,
} from '../internal/validate.js';
import type { Logger } from '../logger.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type { Provider } from './provider.js';
import type { ProviderRegistry } from './provider-registry.js';
import type { RetryOptions } from './retry.js';
import type { SecretResolver } from './secrets.js';
import type { ShadowOptions } from './shadow-runner.js';
import type {
  ChatMessage,
  GuardrailCheckResult,
  GuardrailsLike,
  LogProcessorLike,
  ModelRegistryLike,
  RouterLike,
  Usage,
  Variant,
} from './types.js';

/**
 * A fallback endpoint: a URL (spoken to with the `http` provider) or a full provider configuration
 * with an optional `provider` name (default `http`). `endpoint` may be left out only for `simulated`.
 */
export type FallbackEndpoint = string | ({ provider?: string; endpoint?: string } & Record<string, unknown>);

/** Options of {@link LLMClient}. Every part is optional; without a registry the client serves from `fallbackEndpoints`. */
export interface LLMClientOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** Where the current model of a use case comes from. */
  modelRegistry?: ModelRegistryLike;
  /** Chooses stable or candidate per request during a rollout and receives the outcomes. */
  router?: RouterLike;
  /** Output (and optionally input) checks. */
  guardrailsMonitor?: GuardrailsLike;
  /** @deprecated Renamed `guardrailsMonitor` (the host guide's name); this alias goes in the next release. */
  guardrails?: GuardrailsLike;
  /** Receives one entry per call, without being waited for. */
  logProcessor?: LogProcessorLike;
  /** Per use case, endpoints tried after the routed and the stable model (the host guide's hardcoded endpoints). */
  fallbackEndpoints?: Record<string, FallbackEndpoint | FallbackEndpoint[]>;
  /** `false` skips registry and router and serves from `fallbackEndpoints` (`MODEL_REGISTRY_ENABLED`). @default true */
  modelRegistryEnabled?: boolean;
  /** Check the prompt with `guardrails` before calling a model. @default false */
  inputGuardrails?: boolean;
  /** Check every answer with `guardrails`. @default true */
  outputGuardrails?: boolean;
  /** Providers by name; an array is added to the built-ins. @default new ProviderRegistry() */
  providers?: ProviderRegistry | Provider[];
  /** Retry policy per endpoint. @default DEFAULT_RETRY_OPTIONS */
  retry?: RetryOptions;
  /** Circuit breaker per endpoint. @default DEFAULT_CIRCUIT_BREAKER_OPTIONS */
  circuitBreaker?: Omit<CircuitBreakerOptions, 'clock'>;
  /** Timeout of one attempt when the model configuration has no `timeoutMs`. @default 30_000 */
  attemptTimeoutMs?: number;
  /** Budget of a whole `generate()` (all retries and fallbacks) when the call gives no `timeoutMs`. @default 60_000 */
  requestTimeoutMs?: number;
  /**
   * Bounds of the background calls of a `shadow` deployment (the router samples which requests). @default
   * `{ maxConcurrency: 16, timeoutMs: requestTimeoutMs }`
   */
  shadow?: ShadowOptions;
  /** A registry lookup slower than this counts as the registry being unavailable (served from `fallbackEndpoints`). @default 1_000 */
  registryTimeoutMs?: number;
  /** Reads API keys named by `apiKeyEnv`. @default processEnvSecrets (process.env at call time) */
  secrets?: SecretResolver;
  /** Time source of the circuit breakers. @default systemClock */
  clock?: Clock;
}

/** Defaults of {@link LLMClientOptions}. */
export const DEFAULT_LLM_CLIENT_OPTIONS = {
  modelRegistryEnabled: true,
  inputGuardrails: false,
  outputGuardrails: true,
  attemptTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  registryTimeoutMs: 1_000,
} as const;

/** Input of {@link LLMClient.generate}: exactly one of `prompt` and `messages`. */
export interface GenerateInput {
  useCase: string;
  prompt?: string;
  messages?: ChatMessage[];
  /** Game context, passed to guardrails and logged. */
  context?: Record<string, unknown>;
  /** Keeps a player on one side of a rollout (usually the player id). */
  stickyKey?: string;
  /** Pins a conversation to the model that started it. */
  conversationId?: string;
  /** Aborts the call; the abort reason is rethrown. */
  signal?: AbortSignal;
  /** Budget of this call across retries and fallbacks. @default options.requestTimeoutMs */
  timeoutMs?: number;
  maxTokens?: number;
  /** 0–2. */
  temperature?: number;
  /** Logged with the inference. */
  playerId?: string;
  /** Logged with the inference. */
  sessionId?: string;
  /** Logged with the inference. */
  metadata?: Record<string, unknown>;
}

/** Where an answer came from. */
export type GenerateSource = 'model' | 'fallback_endpoint' | 'fallback_content';

/** Result of {@link LLMClient.generate}. */
export interface GenerateResult {
  text: string;
  /** Model that answered; `null` for a fallback endpoint or input-blocked call. */
  modelId: string | null;
  modelVersion: string | null;
  /**
   * Arm of the model that answered: the routed arm, or `'stable'` when the stable fallback answered
   * (during a deployment, the deployment's previous model); `null` for a fallback endpoint.
   */
  variant: Variant | null;
  /** The deployment whose arm answered, or `null` (no deployment, or a fallback endpoint answered). */
  deploymentId: string | null;
  latencyMs: number;
  usage: Usage;
  /** Id from the log processor when it answered within a few microtasks, else `null`. */
  logId: string | null;
  /** Guardrail verdict on the answer (or on the prompt, when that was blocked); `null` when unchecked. */
  guardrails: Pick<GuardrailCheckResult, 'action' | 'violations' | 'fallbackUsed'> | null;
  /**
   * `'model'` for a registered model — the routed one or the stable fallback (compare `modelId` and
   * `variant` with the route to tell them apart); `'fallback_endpoint'`; `'fallback_content'` when the
   * guardrails replaced the answer.
   */
  source: GenerateSource;
}

const ROLES = new Set(['system', 'user', 'assistant']);
const GENERATE_KEYS = optionKeys<GenerateInput>({
  useCase: true,
  prompt: true,
  messages: true,
  context: true,
  stickyKey: true,
  conversationId: true,
  signal: true,
  timeoutMs: true,
  maxTokens: true,
  temperature: true,
  playerId: true,
  sessionId: true,
  metadata: true,
});

/** Throws a `ValidationError` naming the first wrong field of `input`. */
export function validateGenerateInput(input: unknown): asserts input is GenerateInput {
  if (typeof input !== 'object' || input === null) {
    throw new ValidationError(`Expected the input of generate() to be an object, got ${describe(input)}`);
  }
  rejectUnknownKeys(input, GENERATE_KEYS, 'generate() input');
  const i = input as Record<string, unknown>;
  if (typeof i['useCase'] !== 'string' || i['useCase'].trim() === '') {
    throw new ValidationError(
      `Expected \`useCase\` to be a non-empty string, got ${describe(i['useCase'])}`,
      { field: 'useCase' },
    );
  }
  if (i['useCase'].includes('\0')) {
    throw new ValidationError(`Expected \`useCase\` without NUL bytes, got ${describe(i['useCase'])}`, {
      field: 'useCase',
    });
  }
  const hasPrompt = i['prompt'] !== undefined;
  const hasMessages = i['messages'] !== undefined;
  if (hasPrompt === hasMessages) {
    throw new ValidationError('Expected exactly one of `prompt` and `messages`', {
      field: hasPrompt ? 'messages' : 'prompt',
    });
  }
  if (hasPrompt && (typeof i['prompt'] !== 'string' || i['prompt'].length === 0)) {
    throw new ValidationError(`Expected \`prompt\` to be a non-empty string, got ${describe(i['prompt'])}`, {
      field: 'prompt',
    });
  }
  if (hasMessages) {
    const m = i['messages'];
    if (!Array.isArray(m) || m.length === 0) {
      throw new ValidationError(`Expected \`messages\` to be a non-empty array, got ${describe(m)}`, {
        field: 'messages',
      });
    }
    m.forEach((msg: unknown, k) => {
      const r = msg as { role?: unknown; content?: unknown } | null;
      if (
        typeof r !== 'object' ||
        r === null ||
        !ROLES.has(r.role as string) ||
        typeof r.content !== 'string'
      ) {
        throw new ValidationError(
          `Expected \`messages[${k}]\` to be { role: 'system' | 'user' | 'assistant', content: string }, got ${describe(msg)}`,
          { field: `messages[${k}]` },
        );
      }
    });
  }
  for (const field of ['stickyKey', 'conversationId', 'playerId', 'sessionId'] as const) {
    const v = i[field];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 512)) {
      throw new ValidationError(
        `Expected \`${field}\` to be a non-empty string (max 512), got ${describe(v)}`,
        { field },
      );
    }
  }
  for (const field of ['context', 'metadata'] as const) {
    const v = i[field];
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) {
      throw new ValidationError(`Expected \`${field}\` to be a plain object, got ${describe(v)}`, { field });
    }
  }
  if (i['signal'] !== undefined && !(i['signal'] instanceof AbortSignal)) {
    throw new ValidationError(`Expected \`signal\` to be an AbortSignal, got ${describe(i['signal'])}`, {
      field: 'signal',
    });
  }
  positiveNumber(i['timeoutMs'], 'timeoutMs', true);
  const maxTokens = i['maxTokens'];
  if (
    maxTokens !== undefined &&
    (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
  ) {
    throw new ValidationError(`Expected \`maxTokens\` to be a positive integer, got ${describe(maxTokens)}`, {
      field: 'maxTokens',
    });
  }
  const t = i['temperature'];
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 2)) {
    throw new ValidationError(`Expected \`temperature\` to be a number from 0 to 2, got ${describe(t)}`, {
      field: 'temperature',
    });
  }
}

/** Throws unless `value` is a positive finite number (or undefined when `optional`). */
export function positiveNumber(value: unknown, field: string, optional: boolean): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(`Expected \`${field}\` to be a positive number, got ${describe(value)}`, {
      field,
    });
  }
  if (field.endsWith('Ms') && value > MAX_TIMER_MS) {
    throw new ValidationError(`Expected \`${field}\` to be at most ${MAX_TIMER_MS} ms, got ${value}`, {
      field,
    });
  }
}

const CLIENT_OPTION_KEYS = optionKeys<LLMClientOptions>({
  modelRegistry: true,
  router: true,
  guardrailsMonitor: true,
  guardrails: true,
  logProcessor: true,
  fallbackEndpoints: true,
  modelRegistryEnabled: true,
  inputGuardrails: true,
  outputGuardrails: true,
  providers: true,
  retry: true,
  circuitBreaker: true,
  attemptTimeoutMs: true,
  requestTimeoutMs: true,
  registryTimeoutMs: true,
  secrets: true,
  clock: true,
  shadow: true,
  logger: true,
});

/**
 * Validates {@link LLMClientOptions} (unknown keys are refused with a "did you mean") and returns them
 * with the deprecated `guardrails` alias resolved into both names.
 */
export function validateClientOptions(options: LLMClientOptions): LLMClientOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`Expected LLMClient options to be an object, got ${describe(options)}`);
  }
  rejectUnknownKeys(options, CLIENT_OPTION_KEYS, 'LLMClient options');
  const guardrailsMonitor = renamedOption<GuardrailsLike>(
    options,
    'guardrailsMonitor',
    'guardrails',
    'LLMClient options',
  );
  options = { ...options, guardrailsMonitor, guardrails: guardrailsMonitor };
  positiveNumber(options.attemptTimeoutMs, 'attemptTimeoutMs', true);
  positiveNumber(options.requestTimeoutMs, 'requestTimeoutMs', true);
  positiveNumber(options.registryTimeoutMs, 'registryTimeoutMs', true);
  if (options.shadow !== undefined) {
    const sh = options.shadow;
    if (typeof sh !== 'object' || sh === null)
      throw new ValidationError(`Expected \`shadow\` to be an object, got ${describe(sh)}`, {
        field: 'shadow',
      });
    const max = sh.maxConcurrency;
    if (max !== undefined && (!Number.isInteger(max) || max < 1))
      throw new ValidationError(
        `Expected \`shadow.maxConcurrency\` to be a positive integer, got ${describe(max)}`,
        {
          field: 'shadow.maxConcurrency',
        },
      );
    positiveNumber(sh.timeoutMs, 'shadow.timeoutMs', true);
  }
  for (const field of ['modelRegistryEnabled', 'inputGuardrails', 'outputGuardrails'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'boolean') {
      throw new ValidationError(`Expected \`${field}\` to be a boolean, got ${describe(options[field])}`, {
        field,
      });
    }
  }
  const need = (field: string, value: unknown, method: string) => {
    if (value !== undefined && typeof (value as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new ValidationError(`Expected \`${field}\` to have a \`${method}()\` method`, { field });
    }
  };
  need('modelRegistry', options.modelRegistry, 'getCurrentModel');
  need('router', options.router, 'route');
  need('router', options.router, 'recordOutcome');
  need('guardrailsMonitor', options.guardrailsMonitor, 'check');
  need('logProcessor', options.logProcessor, 'logInference');
  const r = options.retry;
  if (r !== undefined) {
    if (r.retries !== undefined && (!Number.isInteger(r.retries) || r.retries < 0 || r.retries > 10)) {
      throw new ValidationError(
        `Expected \`retry.retries\` to be an integer from 0 to 10, got ${describe(r.retries)}`,
        {
          field: 'retry.retries',
        },
      );
    }
    for (const f of ['minTimeoutMs', 'maxTimeoutMs', 'maxRetryAfterMs'] as const) {
      if (r[f] !== undefined && (typeof r[f] !== 'number' || !Number.isFinite(r[f]) || r[f] < 0)) {
        throw new ValidationError(
          `Expected \`retry.${f}\` to be a non-negative number, got ${describe(r[f])}`,
          { field: `retry.${f}` },
        );
      }
    }
    if (r.factor !== undefined) positiveNumber(r.factor, 'retry.factor', false);
  }
  return options;
}
