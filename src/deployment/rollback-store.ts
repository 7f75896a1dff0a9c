import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { translateDbError } from '../db/pg-errors.js';
import type { Rollback, RollbackTrigger } from './rollback-types.js';

type RollbackRow = {
  id: string;
  deployment_id: string | null;
  use_case: string;
  trigger: string;
  reason: string;
  from_model_id: string | null;
  to_model_id: string | null;
  actor: string;
  status: string;
  started_at: Date;
  completed_at: Date | null;
  duration_ms: number | null;
  error: string | null;
};

type RollbackTables = {
  rollbacks: RollbackRow;
};

/** Data access for the `rollbacks` table. @internal */
export class RollbackStore {
  private readonly k: Kysely<RollbackTables>;

  constructor(db: Database) {
    this.k = db.kysely.withTables<RollbackTables>();
  }

  async insert(r: Rollback): Promise<void> {
    await run('recording a rollback', () => this.k.insertInto('rollbacks').values(toRow(r)).execute());
  }

  async finish(r: Rollback): Promise<void> {
    await run('completing a rollback', () =>
      this.k
        .updateTable('rollbacks')
        .set({
          status: r.status,
          to_model_id: r.to,
          completed_at: r.completedAt,
          duration_ms: r.durationMs,
          error: r.error,
        })
        .where('id', '=', r.id)
        .execute(),
    );
  }

  async get(id: string): Promise<Rollback | undefined> {
    const row = await run('reading a rollback', () =>
      this.k.selectFrom('rollbacks').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row ? fromRow(row) : undefined;
  }

  async list(filter: { useCase?: string; deploymentId?: string; limit?: number }): Promise<Rollback[]> {
    const rows = await run('listing rollbacks', () => {
      let q = this.k.selectFrom('rollbacks').selectAll();
      if (filter.useCase !== undefined) q = q.where('use_case', '=', filter.useCase);
      if (filter.deploymentId !== undefined) q = q.where('deployment_id', '=', filter.deploymentId);
      return q
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? 100)
        .execute();
    });
    return rows.map(fromRow);
  }
}

async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateDbError(error, what);
  }
}

function toRow(r: Rollback): RollbackRow {
  return {
    id: r.id,
    deployment_id: r.deploymentId,
    use_case: r.useCase,
    trigger: r.trigger,
    reason: r.reason,
    from_model_id: r.from,
    to_model_id: r.to,
    actor: r.actor,
    status: r.status,
    started_at: r.startedAt,
    completed_at: r.completedAt,
    duration_ms: r.durationMs,
    error: r.error,
  };
}

function fromRow(r: RollbackRow): Rollback {
  return {
    id: r.id,
    deploymentId: r.deployment_id,
    useCase: r.use_case,
    trigger: r.trigger as RollbackTrigger,
    reason: r.reason,
    from: r.from_model_id,
    to: r.to_model_id,
    actor: r.actor,
    status: r.status as Rollback['status'],
    startedAt: new Date(r.started_at),
    completedAt: r.completed_at ? new Date(r.completed_at) : null,
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    error: r.error,
  };
}
