/**
 * One health report across every part, for the host's `/health` endpoint (the host guide's checks).
 * @module
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { DeploymentManager } from '../deployment/index.js';
import { ACTIVE_DEPLOYMENT_STATUSES } from '../deployment/index.js';
import type { GuardrailsMonitor } from '../guardrails/index.js';
import type { HistoricalLogProcessor, HistoryHealth } from '../history/index.js';
import type { ModelRegistry } from '../registry/index.js';

/** Health of one part. */
export interface PartHealth {
  /** False when the part needs attention. */
  readonly ok: boolean;
  /** Why not, in plain words. */
  readonly reasons: readonly string[];
}

/** The whole report. `status` is `ok` when every part is, else `degraded`. */
export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly checkedAt: Date;
  readonly database: PartHealth & { readonly latencyMs: number | null };
  readonly registry: PartHealth & { readonly snapshotAgeMs: number | null; readonly unavailable: boolean };
  readonly history: PartHealth & Partial<HistoryHealth>;
  readonly deployments: PartHealth & { readonly active: number };
  readonly guardrails: PartHealth & {
    readonly checks: number;
    readonly critical: number;
    readonly criticalRate: number;
  };
}

/** Parts the report reads. */
export interface HealthSources {
  db: Database;
  registry: ModelRegistry;
  logProcessor: HistoricalLogProcessor;
  guardrails: GuardrailsMonitor;
  deployments: DeploymentManager;
}

/** How long the database ping may take before the database counts as unhealthy, in ms. */
export const HEALTH_PING_TIMEOUT_MS = 1000;
/** Snapshot age beyond which the registry is reported stale (the host guide alerts after 30 s). */
export const HEALTH_STALE_SNAPSHOT_MS = 30_000;

async function ping(db: Database): Promise<{ latencyMs: number | null; error: string | null }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`.execute(db.kysely),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${HEALTH_PING_TIMEOUT_MS} ms`)),
          HEALTH_PING_TIMEOUT_MS,
        );
      }),
    ]);
    return { latencyMs: performance.now() - started, error: null };
  } catch (error) {
    return { latencyMs: null, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks every part: database reachable, registry snapshot fresh, log queue and failure rate,
 * active deployments, critical guardrail violations.
 * @example
 * ```ts
 * const report = await checkHealth({ db, registry, logProcessor, guardrails, deployments });
 * res.status(report.status === 'ok' ? 200 : 503).json(report);
 * ```
 */
export async function checkHealth(sources: HealthSources): Promise<HealthReport> {
  const database = await ping(sources.db);
  const registryMetrics = sources.registry.metrics();
  const registryReasons: string[] = [];
  if (registryMetrics.unavailable) registryReasons.push('database unreachable: serving the last snapshot');
  if (registryMetrics.snapshotAgeMs !== null && registryMetrics.snapshotAgeMs > HEALTH_STALE_SNAPSHOT_MS) {
    registryReasons.push(`snapshot is ${Math.round(registryMetrics.snapshotAgeMs / 1000)} s old`);
  }
  const history = sources.logProcessor.health();
  let active = 0;
  const deploymentReasons: string[] = [];
  try {
    const deployments = await sources.deployments.listDeployments({
      status: [...ACTIVE_DEPLOYMENT_STATUSES],
    });
    active = deployments.length;
  } catch (error) {
    deploymentReasons.push(
      `cannot list deployments: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const guardrailTotals = sources.guardrails.metrics().reduce(
    (sum, m) => ({
      checks: sum.checks + m.checks,
      critical: sum.critical + m.violationsBySeverity.critical,
    }),
    { checks: 0, critical: 0 },
  );
  const report = {
    checkedAt: new Date(),
    database: {
      ok: database.error === null,
      reasons: database.error ? [`database ping failed: ${database.error}`] : [],
      latencyMs: database.latencyMs,
    },
    registry: {
      ok: registryReasons.length === 0,
      reasons: registryReasons,
      snapshotAgeMs: registryMetrics.snapshotAgeMs,
      unavailable: registryMetrics.unavailable,
    },
    history: { ...history, ok: history.healthy, reasons: history.reasons },
    deployments: { ok: deploymentReasons.length === 0, reasons: deploymentReasons, active },
    guardrails: {
      ok: true,
      reasons: [],
      checks: guardrailTotals.checks,
      critical: guardrailTotals.critical,
      criticalRate: guardrailTotals.checks ? guardrailTotals.critical / guardrailTotals.checks : 0,
    },
  };
  const parts = [report.database, report.registry, report.history, report.deployments, report.guardrails];
  return { ...report, status: parts.every((p) => p.ok) ? 'ok' : 'degraded' };
}
