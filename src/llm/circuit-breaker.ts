import { ValidationError } from '../errors.js';
import { type Clock, systemClock } from '../internal/clock.js';

/** State of a {@link CircuitBreaker}. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive endpoint failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long an open circuit rejects calls before letting a trial call through. @default 30_000 */
  cooldownMs?: number;
  /** Trial calls allowed at once while half-open. @default 1 */
  halfOpenMaxCalls?: number;
  /** Time source. @default systemClock */
  clock?: Clock;
}

/** Defaults of {@link CircuitBreakerOptions}. */
export const DEFAULT_CIRCUIT_BREAKER_OPTIONS = {
  failureThreshold: 5,
  cooldownMs: 30_000,
  halfOpenMaxCalls: 1,
} as const;

/** A state change of one breaker. */
export interface CircuitTransition {
  key: string;
  from: CircuitState;
  to: CircuitState;
  consecutiveFailures: number;
  cooldownMs: number;
}

/**
 * Closed → open after `failureThreshold` consecutive failures; open rejects calls until `cooldownMs`
 * passed; then half-open lets `halfOpenMaxCalls` trial calls through: a success closes it, a failure
 * opens it again for another cooldown. No timers: the cooldown is checked against the clock on use.
 * @example
 * ```ts
 * const breaker = new CircuitBreaker('http://gpu-1:8000', { failureThreshold: 3, cooldownMs: 10_000 });
 * if (!breaker.tryAcquire()) throw new Error('circuit open');
 * try { await call(); breaker.onSuccess(); } catch (e) { breaker.onFailure(); throw e; }
 * ```
 */
export class CircuitBreaker {
  readonly key: string;
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly halfOpenMaxCalls: number;
  private readonly clock: Clock;
  private readonly onTransition: ((t: CircuitTransition) => void) | undefined;
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialsInFlight = 0;

  constructor(
    key: string,
    options: CircuitBreakerOptions = {},
    onTransition?: (t: CircuitTransition) => void,
  ) {
    this.key = key;
    this.failureThreshold = positiveInt(
      options.failureThreshold ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.failureThreshold,
      'failureThreshold',
    );
    this.cooldownMs = positiveNumber(
      options.cooldownMs ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.cooldownMs,
      'cooldownMs',
    );
    this.halfOpenMaxCalls = positiveInt(
      options.halfOpenMaxCalls ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.halfOpenMaxCalls,
      'halfOpenMaxCalls',
    );
    this.clock = options.clock ?? systemClock;
    this.onTransition = onTransition;
  }

  /** Current state (an open circuit whose cooldown passed reports `half_open`). */
  get state(): CircuitState {
    this.refresh();
    return this.current;
  }

  /** Consecutive failures counted so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Milliseconds until an open circuit lets a trial call through (0 unless open). */
  retryInMs(): number {
    this.refresh();
    return this.current === 'open' ? Math.max(0, this.openedAt + this.cooldownMs - this.clock.now()) : 0;
  }

  /** Asks to make a call; `false` means fail fast. Every `true` must be followed by one verdict call. */
  tryAcquire(): boolean {
    this.refresh();
    if (this.current === 'closed') return true;
    if (this.current === 'open') return false;
    if (this.trialsInFlight >= this.halfOpenMaxCalls) return false;
    this.trialsInFlight++;
    return true;
  }

  /** The call succeeded. */
  onSuccess(): void {
    this.failures = 0;
    if (this.current === 'half_open') {
      this.trialsInFlight = Math.max(0, this.trialsInFlight - 1);
      this.transition('closed');
    }
  }

  /** The call failed in a way that says the endpoint is unhealthy. */
  onFailure(): void {
    this.failures++;
    if (this.current === 'half_open') {
      this.trialsInFlight = Math.max(0, this.trialsInFlight - 1);
      this.open();
    } else if (this.current === 'closed' && this.failures >= this.failureThreshold) {
      this.open();
    }
  }

  /** The call ended without a verdict on the endpoint (a 4xx, a caller abort): frees a trial slot. */
  onNeutral(): void {
    if (this.current === 'half_open') this.trialsInFlight = Math.max(0, this.trialsInFlight - 1);
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.transition('open');
  }

  private refresh(): void {
    if (this.current === 'open' && this.clock.now() >= this.openedAt + this.cooldownMs) {
      this.trialsInFlight = 0;
      this.transition('half_open');
    }
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.onTransition?.({
      key: this.key,
      from,
      to,
      consecutiveFailures: this.failures,
      cooldownMs: this.cooldownMs,
    });
  }
}

function positiveInt(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ValidationError(`Expected \`${field}\` to be a positive integer, got ${String(value)}`, {
      field,
    });
  }
  return value;
}

function positiveNumber(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(`Expected \`${field}\` to be a positive number, got ${String(value)}`, {
      field,
    });
  }
  return value;
}
