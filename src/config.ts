/**
 * The one place that reads environment variables (the host guide's names), turning them into options.
 * @module
 */

import type { DatabaseOptions } from './db/database.js';
import { DEPLOYMENT_STRATEGIES, type DeploymentStrategy } from './deployment/types.js';
import { ValidationError } from './errors.js';

/** What the environment configures. */
export interface EnvConfig {
  /** From `DATABASE_URL` or `POSTGRES_*`; `null` means "use the embedded default". */
  readonly database: DatabaseOptions | null;
  /** `MODEL_REGISTRY_ENABLED`. @default true */
  readonly modelRegistryEnabled: boolean;
  /** `HISTORICAL_LOGGING_ENABLED`. @default true */
  readonly historicalLoggingEnabled: boolean;
  /** `GUARDRAILS_MONITORING_ENABLED`. @default true */
  readonly guardrailsMonitoringEnabled: boolean;
  /** `DEPLOYMENT_STRATEGY_DEFAULT`. @default 'blue_green' */
  readonly deploymentStrategyDefault: DeploymentStrategy;
  /** `MMS_EMBEDDED_DATA_DIR`: where the embedded default persists; in memory when unset. */
  readonly embeddedDataDir: string | undefined;
}

/** Environment variables, as in `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ValidationError(
    `Expected environment variable ${name} to be true or false, got ${JSON.stringify(env[name])}`,
    {
      field: name,
    },
  );
}

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

/**
 * Reads every variable the SDK understands. Invalid values throw a `ValidationError` naming the variable.
 * @example
 * ```ts
 * const { deploymentStrategyDefault } = configFromEnv();
 * ```
 */
export function configFromEnv(env: Env = process.env): EnvConfig {
  const strategy = env.DEPLOYMENT_STRATEGY_DEFAULT?.trim() || 'blue_green';
  if (!(DEPLOYMENT_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ValidationError(
      `Expected DEPLOYMENT_STRATEGY_DEFAULT to be one of ${DEPLOYMENT_STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`,
      { field: 'DEPLOYMENT_STRATEGY_DEFAULT' },
    );
  }
  return {
    database: databaseOptionsFromEnv(env),
    modelRegistryEnabled: flag(env, 'MODEL_REGISTRY_ENABLED', true),
    historicalLoggingEnabled: flag(env, 'HISTORICAL_LOGGING_ENABLED', true),
    guardrailsMonitoringEnabled: flag(env, 'GUARDRAILS_MONITORING_ENABLED', true),
    deploymentStrategyDefault: strategy as DeploymentStrategy,
    embeddedDataDir: env.MMS_EMBEDDED_DATA_DIR?.trim() || undefined,
  };
}
