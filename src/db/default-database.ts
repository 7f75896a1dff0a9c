/**
 * The documented default database shared by zero-argument constructors (`new ModelRegistry()`), built
 * once from the environment: PostgreSQL when `DATABASE_URL`/`POSTGRES_*` are set, else the embedded
 * PGlite with a one-time warning. Parts never call it directly: they go through {@link resolveDatabase}.
 * @module
 */
import { createDatabase, type Database } from './database.js';
import { environmentDatabase, warnEmbeddedDefault } from './database-env.js';

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
      const { options, embedded } = environmentDatabase();
      if (embedded) warnEmbeddedDefault(options.embedded?.dataDir);
      return createDatabase(options);
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
 * The database a part runs on: the injected one, else the shared default. The one place a part's
 * `db` option is resolved, so zero-argument constructors (`new ModelRegistry()`) keep working.
 * @internal
 */
export function resolveDatabase(db: Database | PromiseLike<Database> | undefined): Promise<Database> {
  return db === undefined ? getDefaultDatabase() : Promise.resolve(db);
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
