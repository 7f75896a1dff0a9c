/**
 * Database options from the host guide's environment variables, and the embedded-default warning.
 * `config.ts` re-exports these; the default database ({@link getDefaultDatabase}) reads them here so the
 * database layer never imports a file above it.
 * @module
 */
import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DatabaseOptions } from './database.js';

/** Environment variables, as in `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Database options from `DATABASE_URL`, else `POSTGRES_HOST/PORT/DB/USER/PASSWORD` (the host guide's
 * variables); `null` when neither is set.
 * @example
 * ```ts
 * const options = databaseOptionsFromEnv(process.env) ?? { embedded: {} };
 * const db = await createDatabase(options);
 * ```
 */
export function databaseOptionsFromEnv(env: Env = process.env): DatabaseOptions | null {
  const url = env.DATABASE_URL?.trim();
  if (url) return { connectionString: url };
  const host = env.POSTGRES_HOST?.trim();
  if (!host) return null;
  const port = env.POSTGRES_PORT?.trim() || '5432';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new ValidationError(`Expected POSTGRES_PORT to be a port number, got ${JSON.stringify(port)}`, {
      field: 'POSTGRES_PORT',
    });
  }
  const user = encodeURIComponent(env.POSTGRES_USER?.trim() || 'postgres');
  const password = env.POSTGRES_PASSWORD ? `:${encodeURIComponent(env.POSTGRES_PASSWORD)}` : '';
  const db = encodeURIComponent(env.POSTGRES_DB?.trim() || 'postgres');
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { connectionString: `postgres://${user}${password}@${hostPart}:${port}/${db}` };
}

/** `MMS_EMBEDDED_DATA_DIR`, trimmed; `undefined` when unset. A NUL byte is a `ValidationError`. */
export function embeddedDataDirFromEnv(env: Env = process.env): string | undefined {
  const dir = env.MMS_EMBEDDED_DATA_DIR?.trim() || undefined;
  if (dir?.includes('\0')) {
    throw new ValidationError('Expected MMS_EMBEDDED_DATA_DIR to be a path without NUL bytes', {
      field: 'MMS_EMBEDDED_DATA_DIR',
    });
  }
  return dir;
}

/** The environment's database, or the embedded PGlite (then `embedded` is true and the caller warns). */
export function environmentDatabase(env: Env = process.env): { options: DatabaseOptions; embedded: boolean } {
  const options = databaseOptionsFromEnv(env);
  if (options) return { options, embedded: false };
  const dataDir = embeddedDataDirFromEnv(env);
  return { options: { embedded: dataDir ? { dataDir } : {} }, embedded: true };
}

/** The one warning for "no database configured, running on embedded PGlite": always a process warning, and on `logger` when given. */
export function warnEmbeddedDefault(dataDir: string | undefined, logger?: Logger): void {
  const message = `No DATABASE_URL or POSTGRES_HOST set: model-management-sdk uses the embedded PGlite database ${
    dataDir ? `in ${dataDir}` : 'in memory (nothing persists)'
  }. Set POSTGRES_HOST/PORT/DB/USER/PASSWORD for production.`;
  process.emitWarning(message, { code: 'MMS_EMBEDDED_DEFAULT' });
  logger?.warn({ code: 'MMS_EMBEDDED_DEFAULT', dataDir: dataDir ?? null }, message);
}
