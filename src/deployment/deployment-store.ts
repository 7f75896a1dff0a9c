/**
 * Persistence of deployments, their audit trail and windowed metrics (tables of migration 0004).
 * Only this module touches these tables. SQL stays in the subset pg-mem, PGlite and PostgreSQL share.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { translateDbError } from '../db/pg-errors.js';
import { ConflictError } from '../errors.js';
import { type DeploymentTables, eventRow, fromRow, json, parseJson, toRow } from './deployment-rows.js';
import type { MetricWindow, Variant, Verdict } from './judge.js';
import {
  ACTIVE_DEPLOYMENT_STATUSES,
  type Deployment,
  type DeploymentEvent,
  type DeploymentStatus,
  isActiveStatus,
  type ListDeploymentsFilter,
} from './types.js';

export type { DeploymentTables };

/** Fields a transition may change. */
export interface DeploymentPatch {
  status?: DeploymentStatus;
  weight?: number;
  stepIndex?: number;
  switched?: boolean;
  reason?: string | null;
  lastVerdict?: Verdict | null;
  stepStartedAt?: Date;
}

/** One replica's counters for one deployment arm and window. */
export interface MetricUpsert {
  deploymentId: string;
  variant: Variant;
  replicaId: string;
  windowStart: number;
  requests: number;
  errors: number;
  violations: number;
  criticalViolations: number;
  fallbacks: number;
  latencySum: number;
  latencyCounts: readonly number[];
}

/** Data access for deployments. @internal */
export class DeploymentStore {
  private readonly k: Kysely<DeploymentTables>;

  constructor(readonly db: Database) {
    this.k = db.kysely.withTables<DeploymentTables>();
  }

  /** Inserts a new active deployment and its first event; `ConflictError` if the use case has one. */
  async insert(d: Deployment, actor: string): Promise<void> {
    try {
      await this.db.transaction(async (trx) => {
        const t = trx.withTables<DeploymentTables>();
        await t.insertInto('deployments').values(toRow(d)).execute();
        await t
          .insertInto('deployment_events')
          .values(eventRow(d, null, actor, d.createdAt))
          .execute();
      });
    } catch (error) {
      const e = translateDbError(error, `starting a deployment for ${d.useCase}`);
      if (e instanceof ConflictError) {
        throw new ConflictError(`A deployment is already active for use case '${d.useCase}'`, {
          cause: error,
          details: { useCase: d.useCase },
        });
      }
      throw e;
    }
  }

  /** The deployment, or undefined. */
  async get(id: string): Promise<Deployment | undefined> {
    const row = await this.run('reading a deployment', () =>
      this.k.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row ? fromRow(row) : undefined;
  }

  /** Deployments matching `filter`, newest first. */
  async list(filter: ListDeploymentsFilter = {}): Promise<Deployment[]> {
    const statuses = filter.status === undefined ? undefined : [filter.status].flat();
    const rows = await this.run('listing deployments', () => {
      let q = this.k.selectFrom('deployments').selectAll();
      if (filter.useCase !== undefined) q = q.where('use_case', '=', filter.useCase);
      if (statuses) q = q.where('status', 'in', statuses);
      return q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? 100)
        .execute();
    });
    return rows.map(fromRow);
  }

  /** Every active deployment. */
  async listActive(): Promise<Deployment[]> {
    const rows = await this.run('listing active deployments', () =>
      this.k.selectFrom('deployments').selectAll().where('active', '=', true).execute(),
    );
    return rows.map(fromRow).filter((d) => ACTIVE_DEPLOYMENT_STATUSES.includes(d.status));
  }

  /**
   * Applies `patch` if the row is still at `expected.version` (compare-and-set) and appends the audit
   * event. Returns the new deployment, or undefined when another writer got there first.
   */
  async transition(
    expected: Deployment,
    patch: DeploymentPatch,
    actor: string,
    at: Date,
  ): Promise<Deployment | undefined> {
    const status = patch.status ?? expected.status;
    const active = isActiveStatus(status);
    const row = await this.run('updating a deployment', () =>
      this.k
        .updateTable('deployments')
        .set({
          status,
          active,
          weight: patch.weight ?? expected.weight,
          step_index: patch.stepIndex ?? expected.stepIndex,
          switched: patch.switched ?? expected.switched,
          reason: patch.reason === undefined ? expected.reason : patch.reason,
          last_verdict: json(patch.lastVerdict === undefined ? expected.lastVerdict : patch.lastVerdict),
          step_started_at: patch.stepStartedAt ?? expected.stepStartedAt,
          updated_at: at,
          finished_at: active ? null : at,
          version: expected.version + 1,
          ...(active ? {} : { lease_owner: null, lease_expires_at: null }),
        })
        .where('id', '=', expected.id)
        .where('version', '=', expected.version)
        .returningAll()
        .executeTakeFirst(),
    );
    if (!row) return undefined;
    const next = fromRow(row);
    const changed = patch.status !== undefined || patch.weight !== undefined || patch.stepIndex !== undefined;
    if (changed || patch.reason !== undefined) {
      await this.run('recording a deployment event', () =>
        this.k
          .insertInto('deployment_events')
          .values(eventRow(next, expected.status, actor, at))
          .execute(),
      );
    }
    return next;
  }

  /** Takes or renews the driving lease; true when `owner` holds it until `now + leaseMs`. */
  async acquireLease(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const row = await this.run('acquiring a deployment lease', () =>
      this.k
        .updateTable('deployments')
        .set({ lease_owner: owner, lease_expires_at: new Date(now.getTime() + leaseMs) })
        .where('id', '=', id)
        .where('active', '=', true)
        .where((eb) =>
          eb.or([
            eb('lease_owner', '=', owner),
            eb('lease_owner', 'is', null),
            eb('lease_expires_at', '<', now),
          ]),
        )
        .returning('id')
        .executeTakeFirst(),
    );
    return row !== undefined;
  }

  /** Gives up the lease if `owner` holds it. */
  async releaseLease(id: string, owner: string): Promise<void> {
    await this.run('releasing a deployment lease', () =>
      this.k
        .updateTable('deployments')
        .set({ lease_owner: null, lease_expires_at: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute(),
    );
  }

  /** The audit trail, oldest first. */
  async events(deploymentId: string): Promise<DeploymentEvent[]> {
    const rows = await this.run('reading deployment events', () =>
      this.k
        .selectFrom('deployment_events')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .orderBy('at')
        .orderBy('id')
        .execute(),
    );
    return rows.map((r) => ({
      id: r.id,
      deploymentId: r.deployment_id,
      at: new Date(r.at),
      fromStatus: r.from_status as DeploymentStatus | null,
      toStatus: r.to_status as DeploymentStatus,
      actor: r.actor,
      reason: r.reason,
      weight: Number(r.weight),
      verdict: parseJson(r.verdict) as Verdict | null,
    }));
  }

  /** Writes (replaces) one replica's window counters. Each replica is the only writer of its rows. */
  async upsertMetrics(rows: readonly MetricUpsert[], at: Date): Promise<void> {
    for (const m of rows) {
      const sparse: Record<string, number> = {};
      m.latencyCounts.forEach((n, i) => {
        if (n > 0) sparse[i] = n;
      });
      const values = {
        deployment_id: m.deploymentId,
        variant: m.variant,
        replica_id: m.replicaId,
        window_start: m.windowStart,
        requests: m.requests,
        errors: m.errors,
        violations: m.violations,
        critical_violations: m.criticalViolations,
        fallbacks: m.fallbacks,
        latency_sum: m.latencySum,
        latency_counts: JSON.stringify(sparse),
        updated_at: at,
      };
      await this.run('writing deployment metrics', () =>
        this.k
          .insertInto('deployment_metrics')
          .values(values)
          .onConflict((oc) =>
            oc.columns(['deployment_id', 'variant', 'replica_id', 'window_start']).doUpdateSet({
              requests: values.requests,
              errors: values.errors,
              violations: values.violations,
              critical_violations: values.critical_violations,
              fallbacks: values.fallbacks,
              latency_sum: values.latency_sum,
              latency_counts: values.latency_counts,
              updated_at: at,
            }),
          )
          .execute(),
      );
    }
  }

  /** Every replica's windows of a deployment (not yet summed). */
  async metrics(deploymentId: string, bucketCount: number): Promise<MetricWindow[]> {
    const rows = await this.run('reading deployment metrics', () =>
      this.k.selectFrom('deployment_metrics').selectAll().where('deployment_id', '=', deploymentId).execute(),
    );
    return rows.map((r) => {
      const latency = new Array<number>(bucketCount).fill(0);
      const sparse = (parseJson(r.latency_counts) ?? {}) as Record<string, number>;
      for (const [i, n] of Object.entries(sparse)) latency[Number(i)] = Number(n);
      return {
        windowStart: Number(r.window_start),
        variant: r.variant as Variant,
        requests: Number(r.requests),
        errors: Number(r.errors),
        violations: Number(r.violations),
        criticalViolations: Number(r.critical_violations),
        fallbacks: Number(r.fallbacks),
        latency,
      };
    });
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translateDbError(error, what);
    }
  }
}
