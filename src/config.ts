/**
 * The one place that reads environment variables (the host guide's names), turning them into options.
 * @module
 */

import {
  type DatabaseOptions,
  databaseOptionsFromEnv,
  type Env,
  embeddedDataDirFromEnv,
} from './db/index.js';
import { DEFAULT_DEPLOYMENT_STRATEGIES, type DeploymentStrategy } from './deployment-strategy.js';
import { ValidationError } from './errors.js';
import { describe } from './internal/validate.js';

export { databaseOptionsFromEnv, type Env };

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

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ValidationError(
    `Expected environment variable ${name} to be true or false, got ${JSON.stringify(env[name])}`,
    { field: name },
  );
}

/**
 * Reads every variable the SDK understands. Invalid values throw a `ValidationError` naming the variable.
 * @example
 * ```ts
 * const { deploymentStrategyDefault } = configFromEnv();
 * ```
 */
export function configFromEnv(env: Env = process.env): EnvConfig {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new ValidationError(
      `Expected the environment to be an object such as process.env, got ${describe(env)}`,
      { field: 'env' },
    );
  }
  const strategy = env.DEPLOYMENT_STRATEGY_DEFAULT?.trim() || 'blue_green';
  if (!(DEFAULT_DEPLOYMENT_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ValidationError(
      `Expected DEPLOYMENT_STRATEGY_DEFAULT to be one of ${DEFAULT_DEPLOYMENT_STRATEGIES.join(', ')} (shadow only when named per deployment), got ${JSON.stringify(strategy)}`,
      { field: 'DEPLOYMENT_STRATEGY_DEFAULT' },
    );
  }
  return {
    database: databaseOptionsFromEnv(env),
    modelRegistryEnabled: flag(env, 'MODEL_REGISTRY_ENABLED', true),
    historicalLoggingEnabled: flag(env, 'HISTORICAL_LOGGING_ENABLED', true),
    guardrailsMonitoringEnabled: flag(env, 'GUARDRAILS_MONITORING_ENABLED', true),
    deploymentStrategyDefault: strategy as DeploymentStrategy,
    embeddedDataDir: embeddedDataDirFromEnv(env),
  };
}
