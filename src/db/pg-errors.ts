import {
  ConflictError,
  DatabaseError,
  DatabaseUnavailableError,
  ModelManagementError,
  ValidationError,
} from '../errors.js';

/** Node socket error codes that mean "the database is not reachable right now". */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs outside class 08 that are transient: shutdown, too many connections, recovery. */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '58000', '58030']);

const CONNECTION_MESSAGE =
  /connection terminated|terminating connection|connection (?:is )?closed|not queryable|timeout exceeded when trying to connect|connection timeout|socket hang up|client has encountered a connection error|the database system is (?:starting up|shutting down)|PGlite is closed/i;

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  // pg-mem appends a multi-line essay to its messages; the first line is the fact.
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** True when `error` says the database is unreachable or transiently unable to serve. */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08') || TRANSIENT_SQLSTATES.has(code))) {
    return true;
  }
  return CONNECTION_MESSAGE.test(messageOf(error));
}

/**
 * Maps a driver error (pg, PGlite or pg-mem) onto the SDK's typed errors. The one place that knows
 * SQLSTATE codes; `what` says what we were doing, for the message.
 */
export function translateDbError(error: unknown, what: string): ModelManagementError {
  if (error instanceof ModelManagementError) return error;
  const code = codeOf(error);
  const message = messageOf(error);
  const details = code ? { sqlstate: code } : {};
  if (isConnectionError(error)) {
    return new DatabaseUnavailableError(`Database unavailable while ${what}: ${message}`, {
      cause: error,
      details,
    });
  }
  // pg-mem does not always set SQLSTATE; fall back on its message wording.
  if (code === '23505' || /duplicate key value violates unique constraint/i.test(message)) {
    return new ConflictError(`Conflict while ${what}: ${message}`, { cause: error, details });
  }
  if (code === '40001' || code === '40P01') {
    return new ConflictError(`Concurrent update while ${what}; retry the call: ${message}`, {
      cause: error,
      retryable: true,
      details,
    });
  }
  if (code === '23514' || code === '23502' || code === '23503' || code?.startsWith('22')) {
    return new ValidationError(`Invalid data while ${what}: ${message}`, { cause: error, details });
  }
  return new DatabaseError(`Database error while ${what}: ${message}`, { cause: error, details });
}
