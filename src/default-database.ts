/**
 * The documented default database shared by zero-argument constructors (`new ModelRegistry()`), built
 * once from the environment: PostgreSQL when `DATABASE_URL`/`POSTGRES_*` are set, else the embedded
 * PGlite with a one-time warning.
 * @module
 */
import { configFromEnv } from './config.js';
import { createDatabase, type Database } from './db/database.js';

let shared: Promise<Database> | null = null;

/**
 * The process-wide default database, created on first use. Explicit `db` options always win over it.
 * @example
 * ```ts
 * const db = await getDefaultDatabase();
 * ```
 */
export function getDefaultDatabase(): Promise<Database> {
  if (!shared) {
    const attempt = (async () => {
      const config = configFromEnv();
      if (config.database) return createDatabase(config.database);
      process.emitWarning(
        `No DATABASE_URL or POSTGRES_HOST set: model-management-sdk uses the embedded PGlite database ${
          config.embeddedDataDir ? `in ${config.embeddedDataDir}` : 'in memory (nothing persists)'
        }. Set POSTGRES_HOST/PORT/DB/USER/PASSWORD for production.`,
        { code: 'MMS_EMBEDDED_DEFAULT' },
      );
      return createDatabase({ embedded: config.embeddedDataDir ? { dataDir: config.embeddedDataDir } : {} });
    })();
    shared = attempt;
    // A failed attempt is not cached: the next caller tries again.
    attempt.catch(() => {
      if (shared === attempt) shared = null;
    });
  }
  return shared;
}

/**
 * Closes the default database if it was opened (for tests and graceful shutdown).
 * @example
 * ```ts
 * process.on('SIGTERM', () => void closeDefaultDatabase());
 * ```
 */
export async function closeDefaultDatabase(): Promise<void> {
  const current = shared;
  shared = null;
  if (current) await (await current.catch(() => null))?.close();
}
