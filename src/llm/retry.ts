import {
  ModelManagementError,
  ProviderError,
  ProviderRateLimitError,
  ProviderTimeoutError,
} from '../errors.js';
import { abortableSleep } from '../internal/sleep.js';

/** Retry policy of provider calls. */
export interface RetryOptions {
  /** Retries after the first attempt (so `retries + 1` attempts at most). @default 2 */
  retries?: number;
  /** Backoff before the first retry, ms. @default 100 */
  minTimeoutMs?: number;
  /** Backoff cap, ms. @default 2_000 */
  maxTimeoutMs?: number;
  /** Backoff growth factor. @default 2 */
  factor?: number;
  /** Randomise each backoff by ×1–2 (spreads retry storms). @default true */
  randomize?: boolean;
  /** A `Retry-After` longer than this is not waited for: the call fails over instead. @default 10_000 */
  maxRetryAfterMs?: number;
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY_OPTIONS: Required<RetryOptions> = {
  retries: 2,
  minTimeoutMs: 100,
  maxTimeoutMs: 2_000,
  factor: 2,
  randomize: true,
  maxRetryAfterMs: 10_000,
};

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Whether a failed provider call may be retried: 429, 5xx, timeouts and connection failures — never
 * other 4xx, malformed answers, validation errors or an open circuit.
 */
export function isRetryableFailure(error: unknown): boolean {
  if (error instanceof ProviderRateLimitError || error instanceof ProviderTimeoutError) return true;
  if (error instanceof ProviderError) {
    if (error.code === 'PROVIDER_CONNECTION_ERROR') return true;
    if (error.status !== undefined)
      return error.status === 429 || (error.status >= 500 && error.status <= 599);
    return error.retryable;
  }
  return false;
}

/**
 * Whether a failure says the endpoint itself is unhealthy (counted by the circuit breaker): every
 * retryable failure plus malformed answers. Other 4xx are the request's fault and are not counted.
 */
export function countsAgainstBreaker(error: unknown): boolean {
  return (
    isRetryableFailure(error) || (error instanceof ProviderError && error.code === 'PROVIDER_BAD_RESPONSE')
  );
}

/** The network error code inside a fetch failure (`ECONNRESET`, `UND_ERR_SOCKET`…), if any. */
export function networkCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turns whatever a provider threw into a typed `ProviderError`: SDK errors pass through; fetch's
 * network `TypeError`s become retryable `PROVIDER_CONNECTION_ERROR`; anything else a non-retryable
 * `PROVIDER_ERROR` with the original as `cause`.
 */
export function toProviderError(
  error: unknown,
  where: string,
  details: Record<string, unknown>,
): ModelManagementError {
  if (error instanceof ModelManagementError) return error;
  const code = networkCode(error);
  if (
    code !== undefined ||
    (error instanceof TypeError && /fetch failed|terminated|socket/i.test(error.message))
  ) {
    return new ProviderError(`${where}: connection failed${code ? ` (${code})` : ''}`, {
      code: 'PROVIDER_CONNECTION_ERROR',
      retryable: true,
      cause: error,
      details: { ...details, networkCode: code ?? null },
    });
  }
  const message = error instanceof Error ? error.name : typeof error;
  return new ProviderError(`${where}: provider threw ${message}`, {
    retryable: false,
    cause: error,
    details,
  });
}

/** Information about one retry, for events and metrics. */
export interface RetryInfo {
  attempt: number;
  error: unknown;
  /** The wait the provider asked for (`Retry-After`), when there was one. */
  retryAfterMs: number | undefined;
}

/**
 * Runs `fn` under `policy`: the first attempt is a plain call (no retry machinery on the hot path);
 * retries only {@link isRetryableFailure} failures with exponential backoff (`minTimeoutMs ×
 * factor^(n-1)`, capped at `maxTimeoutMs`, ×1–2 when `randomize`), waits at least `Retry-After` on a
 * 429 (unless longer than `maxRetryAfterMs` or the time left, then the failure is thrown), and stops
 * at once when `signal` aborts (rejecting with its reason).
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: Required<RetryOptions>,
  context: { signal: AbortSignal; remainingMs: () => number; onRetry?: (info: RetryInfo) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt > policy.retries || !isRetryableFailure(error) || context.signal.aborted) throw error;
      const retryAfterMs = error instanceof ProviderRateLimitError ? error.retryAfterMs : undefined;
      if (
        retryAfterMs !== undefined &&
        (retryAfterMs > policy.maxRetryAfterMs || retryAfterMs >= context.remainingMs())
      ) {
        throw error;
      }
      context.onRetry?.({ attempt, error, retryAfterMs });
      await abortableSleep(Math.max(retryAfterMs ?? 0, backoffMs(policy, attempt)), context.signal);
    }
  }
}

/** The wait before retry number `attempt` (p-retry's formula). */
function backoffMs(policy: Required<RetryOptions>, attempt: number): number {
  const random = policy.randomize ? 1 + Math.random() : 1;
  return Math.min(
    policy.maxTimeoutMs,
    Math.round(random * policy.minTimeoutMs * policy.factor ** (attempt - 1)),
  );
}
