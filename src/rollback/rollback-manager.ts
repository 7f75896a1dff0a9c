import type { Database } from '../db/index.js';
import { DeploymentStore } from '../deployment/deployment-store.js';
import { DeploymentWriter } from '../deployment/deployment-writer.js';
import { nonEmptyString, show } from '../deployment/plan.js';
import type { DeploymentRegistry, Model } from '../deployment/registry-port.js';
import type { TrafficRouter } from '../deployment/traffic-router.js';
import type { Deployment } from '../deployment/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { isUuid, uuidv7 } from '../internal/ids.js';
import { RollbackStore } from './rollback-store.js';
import type { Rollback, RollbackOptions, RolledBackEvent } from './types.js';

/** Options of {@link RollbackManager}. */
export interface RollbackManagerOptions {
  db: Database;
  registry: DeploymentRegistry;
  /** @default systemClock */
  clock?: Clock;
  /** Local router refreshed right after each step (other replicas follow the change feed). */
  router?: TrafficRouter;
  /** Actor recorded when a call names none. @default 'sdk' */
  actor?: string;
}

/** Events of {@link RollbackManager}. */
export interface RollbackManagerEvents {
  /** A rollback finished: the previous model serves again everywhere. */
  'deployment:rolled_back': (e: RolledBackEvent) => void;
  /** A rollback could not finish (the registry refused a step); the deployment is marked `failed`. */
  'deployment:rollback_failed': (e: { readonly rollback: Rollback; readonly error: unknown }) => void;
}

/**
 * Automatic and manual rollback. Restores the model that was current before the deployment, marks
 * the candidate `failed`, ends the deployment `rolled_back`, and records trigger, reason, models and
 * duration. Routing moves to stable on every replica as soon as the `rolling_back` state commits.
 * @example
 * ```ts
 * const rb = await rollbacks.rollback('interaction_layer', { reason: 'players report loops', actor: 'oncall' });
 * console.log(rb.durationMs);
 * ```
 */
export class RollbackManager extends TypedEmitter<RollbackManagerEvents> {
  private readonly store: RollbackStore;
  private readonly deployments: DeploymentStore;
  private readonly writer: DeploymentWriter;
  private readonly registry: DeploymentRegistry;
  private readonly clock: Clock;
  private readonly actor: string;

  constructor(options: RollbackManagerOptions) {
    super();
    if (!options?.db)
      throw new ValidationError('Expected `db` (a Database from createDatabase)', { field: 'db' });
    if (!options.registry) throw new ValidationError('Expected `registry`', { field: 'registry' });
    this.clock = options.clock ?? systemClock;
    this.registry = options.registry;
    this.actor = options.actor ?? 'sdk';
    this.store = new RollbackStore(options.db);
    this.deployments = new DeploymentStore(options.db);
    this.writer = new DeploymentWriter(this.deployments, options.db, this.clock, options.router);
  }

  /**
   * Rolls a use case back: its active deployment if there is one, else the current model back to the
   * one it replaced (or `toModelId`).
   * @throws ValidationError for bad input or when there is nothing to roll back to.
   */
  async rollback(useCase: string, options: RollbackOptions): Promise<Rollback> {
    nonEmptyString(useCase, 'useCase');
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(`Expected rollback options such as { reason }, got ${show(options)}`, {
        field: 'options',
      });
    }
    nonEmptyString(options.reason, 'reason');
    if (options.actor !== undefined) nonEmptyString(options.actor, 'actor');
    if (options.trigger !== undefined && options.trigger !== 'manual' && options.trigger !== 'automatic') {
      throw new ValidationError(
        `Expected \`trigger\` to be 'manual' or 'automatic', got ${show(options.trigger)}`,
        {
          field: 'trigger',
        },
      );
    }
    if (options.toModelId !== undefined) await this.checkTarget(useCase, options.toModelId);
    const active = (await this.deployments.listActive()).find((d) => d.useCase === useCase);
    if (active) return this.rollbackDeployment(active, options);
    const current = await this.registry.getCurrentModel(useCase);
    if (!current)
      throw new ValidationError(`Use case '${useCase}' has no current model to roll back`, {
        field: 'useCase',
      });
    let to = options.toModelId;
    if (to === undefined) {
      const last = (await this.deployments.list({ useCase, status: 'succeeded', limit: 20 })).find(
        (d) => d.candidateModelId === current.id && d.stableModelId,
      );
      to = last?.stableModelId ?? undefined;
    }
    if (to === undefined || to === current.id) {
      throw new ValidationError(
        `Use case '${useCase}' has no previous model to roll back to; pass \`toModelId\``,
        { field: 'toModelId' },
      );
    }
    return this.execute(null, useCase, current.id, to, options);
  }

  /** Rolls back one deployment (the deployment manager calls this on a failed verdict). @internal */
  async rollbackDeployment(d: Deployment, options: RollbackOptions): Promise<Rollback> {
    const actor = options.actor ?? this.actor;
    const startedAt = this.clock.now();
    // Routing first: once `rolling_back` commits, every replica sends everything to stable.
    const moving = await this.writer.update(d.id, (cur) =>
      cur.status === 'rolling_back'
        ? null
        : { patch: { status: 'rolling_back', weight: 0, reason: options.reason }, actor },
    );
    const to = options.toModelId ?? moving.stableModelId;
    return this.execute(moving, d.useCase, d.candidateModelId, to, options, startedAt);
  }

  /** The rollback, or `NotFoundError`. */
  async getRollback(id: string): Promise<Rollback> {
    if (!isUuid(id))
      throw new ValidationError(`Expected \`id\` to be a rollback id (UUID), got ${show(id)}`, {
        field: 'id',
      });
    const r = await this.store.get(id);
    if (!r) throw new NotFoundError(`No rollback with id '${id}'`, { details: { id } });
    return r;
  }

  /** Rollbacks, newest first. */
  listRollbacks(
    filter: { useCase?: string; deploymentId?: string; limit?: number } = {},
  ): Promise<Rollback[]> {
    if (
      filter.limit !== undefined &&
      (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > 1000)
    ) {
      throw new ValidationError(`Expected \`limit\` to be an integer in 1–1000, got ${show(filter.limit)}`, {
        field: 'limit',
      });
    }
    return this.store.list(filter);
  }

  private async execute(
    d: Deployment | null,
    useCase: string,
    from: string,
    to: string | null,
    options: RollbackOptions,
    startedAt = this.clock.now(),
  ): Promise<Rollback> {
    const actor = options.actor ?? this.actor;
    let rb: Rollback = {
      id: uuidv7(startedAt),
      deploymentId: d?.id ?? null,
      useCase,
      trigger: options.trigger ?? 'manual',
      reason: options.reason,
      from,
      to,
      actor,
      status: 'in_progress',
      startedAt: new Date(startedAt),
      completedAt: null,
      durationMs: null,
      error: null,
    };
    await this.store.insert(rb);
    try {
      const loser = await this.registry.getModel(from);
      if (loser.status === 'candidate' || loser.status === 'current') {
        await this.registry.updateModelStatus(from, 'failed', { reason: options.reason, actor });
      }
      if (to) {
        const target = await this.registry.getModel(to);
        if (target.status !== 'current')
          await this.registry.updateModelStatus(to, 'current', { reason: options.reason, actor });
      }
      if (d) {
        await this.writer.update(d.id, (cur) =>
          cur.status === 'rolling_back' ? { patch: { status: 'rolled_back', weight: 0 }, actor } : null,
        );
      }
    } catch (error) {
      if (d) {
        await this.writer
          .update(d.id, (cur) =>
            cur.status === 'rolling_back'
              ? { patch: { status: 'failed', reason: `Rollback failed: ${messageOf(error)}` }, actor }
              : null,
          )
          .catch(() => {});
      }
      rb = this.completed(rb, 'failed', messageOf(error));
      await this.store.finish(rb);
      this.emitSafely('deployment:rollback_failed', { rollback: rb, error });
      throw error;
    }
    rb = this.completed(rb, 'completed', null);
    await this.store.finish(rb);
    this.emitSafely('deployment:rolled_back', { rollback: rb });
    return rb;
  }

  private completed(rb: Rollback, status: Rollback['status'], error: string | null): Rollback {
    const now = this.clock.now();
    return { ...rb, status, error, completedAt: new Date(now), durationMs: now - rb.startedAt.getTime() };
  }

  private async checkTarget(useCase: string, id: string): Promise<Model> {
    if (!isUuid(id))
      throw new ValidationError(`Expected \`toModelId\` to be a model id (UUID), got ${show(id)}`, {
        field: 'toModelId',
      });
    let m: Model;
    try {
      m = await this.registry.getModel(id);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new ValidationError(`Unknown model '${id}' in \`toModelId\``, {
          field: 'toModelId',
          cause: error,
        });
      }
      throw error;
    }
    if (m.useCase !== useCase) {
      throw new ValidationError(`Model '${id}' serves use case '${m.useCase}', not '${useCase}'`, {
        field: 'toModelId',
      });
    }
    if (m.status === 'retired' || m.status === 'failed') {
      throw new ValidationError(`Model '${id}' is ${m.status} and cannot serve again`, {
        field: 'toModelId',
      });
    }
    return m;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
