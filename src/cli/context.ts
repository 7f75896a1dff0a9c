/**
 * What every `mms` command gets: the output, the parsed flags and a lazy connection opened exactly like
 * `createModelManagement.fromEnv()` (or `--database-url`), with the deployment driver off.
 * @module
 */
import type { ParseArgsConfig } from 'node:util';
import { configFromEnv, databaseOptionsFromEnv } from '../config.js';
import { createModelManagement, type ModelManagement } from '../create-model-management.js';
import type { Database, DatabaseOptions } from '../db/database.js';
import { UsageError } from './args.js';
import type { Output } from './output.js';

/** Flags every command accepts. */
export const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  'database-url': { type: 'string' },
  schema: { type: 'string' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Parsed flags and positionals of one command. */
export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: readonly string[];
}

/** The context a command runs in. */
export interface CommandContext {
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly args: Parsed;
  /** Database options as the CLI resolved them (before opening). */
  database(): DatabaseOptions;
  /** Opens every part on the database (closed by the runner). The deployment driver stays off. */
  connect(): Promise<ModelManagement>;
}

/** One `mms` command. */
export interface Command {
  /** `status`, `models list`… */
  readonly name: string;
  /** Usage line, shown by `--help` and in errors. */
  readonly usage: string;
  readonly summary: string;
  readonly options?: NonNullable<ParseArgsConfig['options']>;
  /** Most positionals accepted. @default 0 */
  readonly maxPositionals?: number;
  /** Checks text with the guardrails (`replay` judges candidate answers), so their word lists are compiled. @default false */
  readonly checksText?: boolean;
  /** Validates input (before any connection) and runs; returns the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Resolves the database the way `createModelManagement.fromEnv()` does, with `--database-url`/`--schema` on top. */
export function resolveDatabase(values: Parsed['values'], env: NodeJS.ProcessEnv): DatabaseOptions {
  const url = values['database-url'];
  const schema = values.schema;
  if (typeof schema === 'string' && !/^[a-z_][a-z0-9_]{0,39}$/.test(schema)) {
    throw new UsageError(`--schema '${schema}' is not a schema name`, '--schema mms (lower case, digits, _)');
  }
  let base: DatabaseOptions | null;
  if (typeof url === 'string') {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new UsageError(
        `--database-url '${url}' is not a PostgreSQL URL`,
        '--database-url postgres://user@host:5432/db',
      );
    base = { connectionString: url };
  } else base = databaseOptionsFromEnv(env);
  if (!base) {
    const dataDir = configFromEnv(env).embeddedDataDir;
    if (!dataDir)
      throw new UsageError(
        'no database configured',
        'set DATABASE_URL (or POSTGRES_HOST/PORT/DB/USER/PASSWORD, or MMS_EMBEDDED_DATA_DIR), or pass --database-url postgres://…',
      );
    base = { embedded: { dataDir } };
  }
  return { ...base, ...(typeof schema === 'string' && { schema }), migrate: false, poolSize: 4 };
}

/**
 * Opens the SDK for a command: drive off, migrations left to `mms migrate`, and, unless the command
 * checks text (`checksText`), the guardrails' word lists not compiled (most commands read the review
 * queue but check no text; compiling them costs ~100 ms of the 300 ms `mms status` budget).
 */
export function openForCli(
  db: Database | DatabaseOptions,
  env: NodeJS.ProcessEnv,
  options: { checksText?: boolean } = {},
): Promise<ModelManagement> {
  return createModelManagement.fromEnv(env, {
    db,
    deploymentManager: { drive: false },
    ...(!options.checksText && {
      guardrailsMonitor: { checks: { terms: false, promptInjection: false, characterBreaks: false } },
    }),
  });
}
