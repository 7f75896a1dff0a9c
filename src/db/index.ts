export { type BulkCopier, bulkCopier, copyField } from './bulk-copy.js';
export { type Change, ChangeFeed, type ChangeFeedEvents } from './change-feed.js';
export {
  createDatabase,
  type Database,
  type DatabaseBackend,
  type DatabaseCapabilities,
  type DatabaseEvents,
  type DatabaseOptions,
} from './database.js';
export {
  databaseOptionsFromEnv,
  type Env,
  embeddedDataDirFromEnv,
  environmentDatabase,
  warnEmbeddedDefault,
} from './database-env.js';
export { closeDefaultDatabase, getDefaultDatabase, resolveDatabase } from './default-database.js';
export { loadMigrations, type Migration, type MigrationResult, migrate } from './migrate.js';
export { isConnectionError, translateDbError } from './pg-errors.js';
