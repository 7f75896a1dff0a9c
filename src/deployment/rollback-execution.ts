/**
 * The steps of one rollback: record it, check the target, fail the candidate, restore the target, end
 * the deployment; and what happens when a step fails.
 * @module
 */

import { isRetryable, NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { isUuid, uuidv7 } from '../internal/ids.js';
import { describe } from '../internal/validate.js';
import type { DeploymentWriter } from './deployment-writer.js';
import type { DeploymentRegistry, Model } from './registry-port.js';
import type { RollbackStore } from './rollback-store.js';
import type { Rollback, RollbackOptions } from './rollback-types.js';
import type { Deployment } from './types.js';

/** What a rollback needs from its manager. @internal */
export interface ExecutionContext {
  registry: DeploymentRegistry;
  store: RollbackStore;
  writer: DeploymentWriter;
  clock: Clock;
  actor: string;
  onDone(rollback: Rollback): void;
  onFailed(rollback: Rollback, error: unknown): void;
}

/** One rollback to run. @internal */
export interface RollbackJob {
  deployment: Deployment | null;
  useCase: string;
  from: string;
  to: string | null;
  options: RollbackOptions;
  startedAt: number;
  /** The in-progress record of an interrupted rollback being resumed. */
  resumed?: Rollback;
}

/**
 * Runs one rollback. A retryable failure (database away) leaves the deployment `rolling_back` and the
 * record `in_progress` for a driver to resume; any other failure marks both `failed`.
 * @internal
 */
export async function executeRollback(ctx: ExecutionContext, job: RollbackJob): Promise<Rollback> {
  const { registry, store, writer, actor } = ctx;
  const { deployment: d, useCase, from, to, options, startedAt, resumed } = job;
  let rb: Rollback = resumed ?? {
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
  if (!resumed) await store.insert(rb);
  try {
    // Check the target first: never take the candidate out of service without something to serve.
    const target = to ? await registry.getModel(to) : null;
    if (target && (target.status === 'retired' || target.status === 'failed'))
      throw new ValidationError(`Model '${to}' is ${target.status} and cannot serve again`, {
        field: 'toModelId',
      });
    // Restore first: promoting the target demotes the loser in the same transaction, so no replica
    // ever sees the use case without a current model; then the loser is marked failed.
    if (to && (await registry.getModel(to)).status !== 'current')
      await registry.updateModelStatus(to, 'current', { reason: options.reason, actor });
    const loser = await registry.getModel(from);
    if (loser.status === 'candidate' || loser.status === 'current' || loser.status === 'standby') {
      await registry.updateModelStatus(from, 'failed', { reason: options.reason, actor });
    }
    if (d) {
      await writer.update(d.id, (cur) =>
        cur.status === 'rolling_back' ? { patch: { status: 'rolled_back', weight: 0 }, actor } : null,
      );
    }
  } catch (error) {
    if (d && isRetryable(error)) {
      // The database went away: the deployment stays `rolling_back` (routed to stable) and a driver
      // resumes this same rollback later.
      ctx.onFailed(rb, error);
      throw error;
    }
    if (d) {
      await writer
        .update(d.id, (cur) =>
          cur.status === 'rolling_back'
            ? { patch: { status: 'failed', reason: `Rollback failed: ${messageOf(error)}` }, actor }
            : null,
        )
        .catch((e: unknown) => ctx.onFailed(rb, e));
    }
    rb = completed(ctx.clock, rb, 'failed', messageOf(error));
    await store.finish(rb);
    ctx.onFailed(rb, error);
    throw error;
  }
  rb = completed(ctx.clock, rb, 'completed', null);
  await store.finish(rb);
  ctx.onDone(rb);
  return rb;
}

function completed(clock: Clock, rb: Rollback, status: Rollback['status'], error: string | null): Rollback {
  const now = clock.now();
  return { ...rb, status, error, completedAt: new Date(now), durationMs: now - rb.startedAt.getTime() };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The model `toModelId` names, if it may serve `useCase` again; else a `ValidationError`. @internal */
export async function usableTarget(
  registry: DeploymentRegistry,
  useCase: string,
  id: string,
): Promise<Model> {
  if (!isUuid(id))
    throw new ValidationError(`Expected \`toModelId\` to be a model id (UUID), got ${describe(id)}`, {
      field: 'toModelId',
    });
  let m: Model;
  try {
    m = await registry.getModel(id);
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
