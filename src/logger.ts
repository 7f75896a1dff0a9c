/**
 * The `logger` option of every part: the pino shape, object-first (`logger.warn(fields, message)`).
 * Silent by default ({@link NOOP_LOGGER}); {@link consoleLogger} adapts `console`, whose methods take
 * the message first.
 * @module
 */
import { ValidationError } from './errors.js';

/** A structured logger, object-first like pino (`pino()` itself fits): `fields` first, then the message. */
export interface Logger {
  /** Detail useful when investigating. */
  debug(obj: object, msg?: string): void;
  /** Normal operation worth a line: rollout transitions. */
  info(obj: object, msg?: string): void;
  /** Something a person should look at: alerts, rollbacks, warnings. */
  warn(obj: object, msg?: string): void;
  /** Something failed: a rollback that could not finish. */
  error(obj: object, msg?: string): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** The default logger: drops everything. */
export const NOOP_LOGGER: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

/**
 * A {@link Logger} writing to `console` (message first, then the fields), for hosts without pino.
 * @example
 * ```ts
 * const mm = await createModelManagement({ logger: consoleLogger() });
 * ```
 */
export function consoleLogger(target: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> = console): Logger {
  return {
    debug: (obj, msg) => target.debug(msg ?? '', obj),
    info: (obj, msg) => target.info(msg ?? '', obj),
    warn: (obj, msg) => target.warn(msg ?? '', obj),
    error: (obj, msg) => target.error(msg ?? '', obj),
  };
}

/**
 * `value` as a {@link Logger} ({@link NOOP_LOGGER} when undefined); throws a `ValidationError` naming
 * `field` unless it has the four methods.
 * @internal
 */
export function resolveLogger(value: unknown, field = 'logger'): Logger {
  if (value === undefined) return NOOP_LOGGER;
  const missing =
    typeof value === 'object' && value !== null
      ? LEVELS.filter((level) => typeof (value as Record<string, unknown>)[level] !== 'function')
      : LEVELS;
  if (missing.length > 0) {
    throw new ValidationError(
      `Expected \`${field}\` to be a logger with debug, info, warn and error methods (pino, or consoleLogger()); missing ${missing.join(', ')}`,
      { field },
    );
  }
  return value as Logger;
}

/** How one event is logged: level, message, and the structured fields taken from its payload. @internal */
export type LogRule = readonly [level: keyof Logger, message: string, fields: (payload: never) => object];

/**
 * Logs `emitter`'s events by `rules` on `logger` (nothing when it is {@link NOOP_LOGGER}). A throwing
 * logger is ignored: logging never breaks the operation that emitted.
 * @internal
 */
export function logEvents(emitter: object, logger: Logger, rules: Record<string, LogRule>): void {
  if (logger === NOOP_LOGGER) return;
  const target = emitter as { on(event: string, fn: (payload: unknown) => void): unknown };
  const on = target.on.bind(target);
  for (const [event, [level, message, fields]] of Object.entries(rules)) {
    on(event, (payload) => {
      try {
        logger[level]({ event, ...(fields as (p: unknown) => object)(payload) }, message);
      } catch {
        // A broken logger must not break the part that logs.
      }
    });
  }
}
