/**
 * Typed errors of the SDK. Every error has a stable string `code` (never changed once released; the
 * README lists them), a `retryable` flag and an optional `cause`.
 * @module
 */

/**
 * Every `code` a {@link ModelManagementError} can carry, so `switch (err.code)` narrows. Codes never
 * change once released; new ones may be added (treat `default:` as "unknown failure").
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'DATABASE_UNAVAILABLE'
  | 'DATABASE_ERROR'
  | 'CLOSED'
  | 'PROVIDER_ERROR'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_RATE_LIMITED'
  | 'PROVIDER_BAD_RESPONSE'
  | 'PROVIDER_CONNECTION_ERROR'
  | 'PROVIDER_AUTH_MISSING'
  | 'PROVIDER_CIRCUIT_OPEN'
  | 'REGISTRY_TIMEOUT'
  | 'GUARDRAILS_UNAVAILABLE'
  | 'STREAM_CONSUMED';

/** Options shared by every {@link ModelManagementError}. */
export interface ModelManagementErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Whether the same call may succeed if simply repeated later. */
  retryable?: boolean;
  /** Structured facts about the failure (field names, ids…), safe to log. */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * Base class of every error the SDK throws.
 * @example
 * ```ts
 * try { await registry.registerModel(input); }
 * catch (e) {
 *   if (!(e instanceof ModelManagementError)) throw e;
 *   switch (e.code) {
 *     case 'CONFLICT': break; // already registered
 *     case 'DATABASE_UNAVAILABLE': break; // retry later
 *   }
 * }
 * ```
 */
export class ModelManagementError extends Error {
  /** Stable machine-readable code, e.g. `VALIDATION_ERROR`. */
  readonly code: ErrorCode;
  /** Whether repeating the call later may succeed. */
  readonly retryable: boolean;
  /** Structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: ModelManagementErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...options.details });
  }
}

/** Input did not match what the method expects. Code `VALIDATION_ERROR`. Never retryable. */
export class ValidationError extends ModelManagementError {
  /** The offending field, when one can be named (e.g. `configuration.endpoint`). */
  readonly field: string | undefined;
  constructor(message: string, options: ModelManagementErrorOptions & { field?: string } = {}) {
    super('VALIDATION_ERROR', message, { ...options, retryable: false });
    this.field = options.field;
  }
}

/** The thing asked for does not exist. Code `NOT_FOUND`. */
export class NotFoundError extends ModelManagementError {
  constructor(message: string, options: ModelManagementErrorOptions = {}) {
    super('NOT_FOUND', message, { ...options, retryable: false });
  }
}

/** The call conflicts with the current state (duplicate, lost race, stale precondition). Code `CONFLICT`. */
export class ConflictError extends ModelManagementError {
  constructor(message: string, options: ModelManagementErrorOptions = {}) {
    super('CONFLICT', message, { retryable: false, ...options });
  }
}

/** The database could not be reached or answered with a transient failure. Code `DATABASE_UNAVAILABLE`. */
export class DatabaseUnavailableError extends ModelManagementError {
  constructor(message: string, options: ModelManagementErrorOptions = {}) {
    super('DATABASE_UNAVAILABLE', message, { retryable: true, ...options });
  }
}

/** The database rejected a statement for a non-transient reason. Code `DATABASE_ERROR`. */
export class DatabaseError extends ModelManagementError {
  constructor(message: string, options: ModelManagementErrorOptions = {}) {
    super('DATABASE_ERROR', message, { retryable: false, ...options });
  }
}

/** A model provider failed. Code `PROVIDER_ERROR` (or a subclass's code). */
export class ProviderError extends ModelManagementError {
  /** HTTP status of the provider's answer, when there was one. */
  readonly status: number | undefined;
  constructor(
    message: string,
    options: ModelManagementErrorOptions & { status?: number; code?: ErrorCode } = {},
  ) {
    super(options.code ?? 'PROVIDER_ERROR', message, options);
    this.status = options.status;
  }
}

/** A provider call exceeded its time budget. Code `PROVIDER_TIMEOUT`. Retryable. */
export class ProviderTimeoutError extends ProviderError {
  constructor(message: string, options: ModelManagementErrorOptions = {}) {
    super(message, { ...options, code: 'PROVIDER_TIMEOUT', retryable: true });
  }
}

/** A provider answered 429. Code `PROVIDER_RATE_LIMITED`. Retryable after `retryAfterMs`. */
export class ProviderRateLimitError extends ProviderError {
  /** How long the provider asked us to wait, from `Retry-After`. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: ModelManagementErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, { ...options, code: 'PROVIDER_RATE_LIMITED', status: 429, retryable: true });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The object was closed; no further calls are accepted. Code `CLOSED`. */
export class ClosedError extends ModelManagementError {
  constructor(message: string, options: ModelManagementErrorOptions = {}) {
    super('CLOSED', message, { ...options, retryable: false });
  }
}

/** True when `error` is an SDK error that says the call may succeed if repeated. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ModelManagementError && error.retryable;
}
