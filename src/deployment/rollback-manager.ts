import { type Database, resolveDatabase } from '../db/index.js';
import { ClosedError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { inSpan, OTEL_ATTRIBUTES, OTEL_SPANS } from '../internal/tracing.js';
import { describe, nonEmptyString, renamedOption } from '../internal/validate.js';
import type { Logger } from '../logger.js';
import { logEvents, resolveLogger } from '../logger.js';
import { ModelRegistry } from '../registry/index.js';
import { checkId, checkLimit } from './deployment-input.js';
import { DeploymentStore } from './deployment-store.js';
import { DeploymentWriter } from './deployment-writer.js';
import type { Verdict } from './judge.js';
import type { DeploymentRegistry } from './registry-port.js';
import { executeRollback, usableTarget } from './rollback-execution.js';
import { RollbackStore } from './rollback-store.js';
import type { Rollback, RollbackOptions, RolledBackEvent } from './rollback-types.js';
import type { TrafficRouter } from './traffic-router.js';
import type { Deployment } from './types.js';

/** The failing verdict that triggered an automatic rollback (stored on the deployment), else null. */
function failing(d: Deployment | null, options: RollbackOptions): Verdict | null {
  const v = d?.lastVerdict;
  return options.trigger === 'automatic' && v?.verdict === 'fail' ? v : null;
}

/** Options of {@link RollbackManager}. Every field is optional: `new RollbackManager()` works. */
export interface RollbackManagerOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** The shared database (or a promise of it). @default the default database from the environment (see `getDefaultDatabase`) */
  db?: Database | Promise<Database>;
  /** The model registry. @default a `new ModelRegistry({ db, clock })` owned (and closed) by the manager */
  modelRegistry?: DeploymentRegistry;
  /** @deprecated Renamed `modelRegistry` (the host guide's name); this alias goes in the next release. */
  registry?: DeploymentRegistry;
  /** @default systemClock */
  clock?: Clock;
  /** Local router refreshed right after each step (other replicas follow the change feed). @default none */
  router?: TrafficRouter;
  /** Actor recorded when a call names none. @default 'sdk' */
  actor?: string;
}

/** Events of {@link RollbackManager}. */
export interface RollbackManagerEvents {
  /** A rollback finished: the previous model serves again everywhere. */
  'deployment:rolled_back': (e: RolledBackEvent) => void;
  /**
   * A rollback could not finish. A retryable cause (database away) leaves the deployment `rolling_back`
   * for a driver to resume; any other marks it `failed`.
   */
  'deployment:rollback_failed': (e: { readonly rollback: Rollback; readonly error: unknown }) => void;
}

/** How long a caller that lost the claim waits for the winner's rollback record. */
const CLAIM_WAIT_POLLS = 40;
const CLAIM_WAIT_MS = 50;

interface Opened {
  store: RollbackStore;
  deployments: DeploymentStore;
  writer: DeploymentWriter;
}

/**
 * Automatic and manual rollback. Restores the model that was current before the deployment, marks
 * the candidate `failed`, ends the deployment `rolled_back`, and records trigger, reason, models and
 * duration. Routing moves to stable on every replica as soon as the `rolling_back` state commits.
 *
 * The restore target is checked before the candidate is touched, so a target that cannot serve
 * (unknown, retired, failed) leaves the candidate current rather than the use case with no model. A
 * manual rollback with nothing to go back to is refused (`ValidationError`; pass `toModelId`). An
 * automatic rollback of a use case's first deployment has no previous model: the candidate is marked
 * `failed` and the use case is left without a current model (the LLM client then serves its fallback).
 * Concurrent rollbacks of one deployment run once: later callers get the rollback in progress.
 * The target is made current first (which demotes the candidate in the same transaction), then the
 * candidate is marked `failed`, so no replica ever sees the use case without a current model.
 * @example
 * ```ts
 * const rollbacks = new RollbackManager({ db, registry }); // or new RollbackManager()
 * const rb = await rollbacks.rollback('interaction_layer', { reason: 'players report loops', actor: 'oncall' });
 * console.log(rb.durationMs);
 * ```
 */
export class RollbackManager extends TypedEmitter<RollbackManagerEvents> {
  private readonly registry: DeploymentRegistry;
  private readonly ownRegistry: ModelRegistry | null;
  private readonly clock: Clock;
  private readonly actor: string;
  private readonly opened: Promise<Opened>;
  private readonly running = new Map<string, Promise<Rollback>>();
  private closed = false;

  constructor(options: RollbackManagerOptions = {}) {
    super();
    logEvents(this, resolveLogger(options?.logger), {
      'deployment:rolled_back': [
        'warn',
        'deployment rolled back',
        (e: { rollback: Rollback }) => rollbackFields(e.rollback),
      ],
      'deployment:rollback_failed': [
        'error',
        'rollback failed',
        (e: { rollback: Rollback; error: unknown }) => ({ ...rollbackFields(e.rollback), err: e.error }),
      ],
    });
    if (typeof options !== 'object' || options === null)
      throw new ValidationError(`Expected options to be an object, got ${describe(options)}`, {
        field: 'options',
      });
    const injected = renamedOption<DeploymentRegistry>(
      options,
      'modelRegistry',
      'registry',
      'RollbackManager options',
    );
    if (injected !== undefined && typeof injected?.getModel !== 'function')
      throw new ValidationError('Expected `modelRegistry` to be a ModelRegistry', { field: 'modelRegistry' });
    if (options.actor !== undefined) nonEmptyString(options.actor, 'actor');
    this.clock = options.clock ?? systemClock;
    this.actor = options.actor ?? 'sdk';
    const db = resolveDatabase(options.db);
    this.ownRegistry = injected ? null : new ModelRegistry({ db, clock: this.clock });
    this.registry = injected ?? (this.ownRegistry as ModelRegistry);
    this.opened = Promise.resolve(db).then((d) => {
      const deployments = new DeploymentStore(d);
      return {
        store: new RollbackStore(d),
        deployments,
        writer: new DeploymentWriter(deployments, d, this.clock, options.router),
      };
    });
    this.opened.catch(() => {}); // surfaced by the first call that needs the database
  }

  /**
   * Rolls a use case back: its active deployment if there is one, else the current model back to the
   * one it replaced (or `toModelId`).
   * @throws ValidationError for bad input or when there is nothing to roll back to.
   */
  async rollback(useCase: string, options: RollbackOptions): Promise<Rollback> {
    this.assertOpen();
    nonEmptyString(useCase, 'useCase');
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(`Expected rollback options such as { reason }, got ${describe(options)}`, {
        field: 'options',
      });
    }
    nonEmptyString(options.reason, 'reason');
    if (options.actor !== undefined) nonEmptyString(options.actor, 'actor');
    if (options.trigger !== undefined && options.trigger !== 'manual' && options.trigger !== 'automatic') {
      throw new ValidationError(
        `Expected \`trigger\` to be 'manual' or 'automatic', got ${describe(options.trigger)}`,
        {
          field: 'trigger',
        },
      );
    }
    if (options.toModelId !== undefined) await usableTarget(this.registry, useCase, options.toModelId);
    const { deployments } = await this.opened;
    const active = (await deployments.listActive()).find((d) => d.useCase === useCase);
    if (active) {
      if (!active.stableModelId && options.toModelId === undefined && active.status !== 'rolling_back') {
        throw new ValidationError(
          `Deployment ${active.id} is the first of use case '${useCase}': there is no previous model to roll back to; pass \`toModelId\` or abort it`,
          { field: 'toModelId' },
        );
      }
      return this.rollbackDeployment(active, options);
    }
    const current = await this.registry.getCurrentModel(useCase);
    if (!current)
      throw new ValidationError(`Use case '${useCase}' has no current model to roll back`, {
        field: 'useCase',
      });
    let to = options.toModelId;
    if (to === undefined) {
      const last = (await deployments.list({ useCase, status: 'succeeded', limit: 20 })).find(
        (d) => d.candidateModelId === current.id && d.stableModelId,
      );
      to = last?.stableModelId ?? undefined;
    }
    if (to === undefined || to === current.id) {
      throw new ValidationError(
        `Use case '${useCase}' has no previous model to roll back to; pass \`toModelId\``,
        {
          field: 'toModelId',
        },
      );
    }
    return this.execute(null, useCase, current.id, to, options);
  }

  /**
   * Rolls back one deployment (the deployment manager calls this on a failed verdict). Only the caller
   * that moves it to `rolling_back` executes; others get the rollback in progress, unless `resume`
   * (a driver finishing a rollback whose replica died).
   * @internal
   */
  async rollbackDeployment(
    d: Deployment,
    options: RollbackOptions,
    internal: { resume?: boolean; verdict?: Verdict } = {},
  ): Promise<Rollback> {
    const running = this.running.get(d.id);
    if (running) return running;
    const work = this.claimAndExecute(d, options, internal.resume === true, internal.verdict);
    this.running.set(d.id, work);
    try {
      return await work;
    } finally {
      this.running.delete(d.id);
    }
  }

  private async claimAndExecute(
    d: Deployment,
    options: RollbackOptions,
    resume: boolean,
    verdict: Verdict | undefined,
  ): Promise<Rollback> {
    const { writer, store } = await this.opened;
    const actor = options.actor ?? this.actor;
    const startedAt = this.clock.now();
    let claimed = false;
    // Routing first: once `rolling_back` commits, every replica sends everything to stable.
    const moving = await writer.update(d.id, (cur) => {
      if (cur.status === 'rolling_back') return null;
      claimed = true;
      // The failing verdict (with its figures) is stored on the row and its `rolling_back` event.
      const patch = { status: 'rolling_back' as const, weight: 0, reason: options.reason };
      return { patch: verdict ? { ...patch, lastVerdict: verdict } : patch, actor };
    });
    const startRecord = () =>
      this.execute(
        moving,
        d.useCase,
        d.candidateModelId,
        options.toModelId ?? moving.stableModelId,
        options,
        startedAt,
      );
    if (claimed) return startRecord();
    // Someone else claimed it (another replica, or one that died). Its row appears right after the claim.
    for (let i = 0; ; i++) {
      const [latest] = await store.list({ deploymentId: d.id, limit: 1 });
      if (latest && latest.status !== 'in_progress') return latest;
      if (latest && resume)
        return this.execute(moving, d.useCase, d.candidateModelId, latest.to, options, startedAt, latest);
      if (latest) return latest;
      if (resume || i >= CLAIM_WAIT_POLLS) break;
      await new Promise((r) => setTimeout(r, CLAIM_WAIT_MS));
    }
    if (!resume)
      throw new ConflictError(`Deployment ${d.id} is already being rolled back by another replica`, {
        retryable: true,
        details: { id: d.id },
      });
    // The replica died between its claim and its record: start the record now.
    return startRecord();
  }

  /** The rollback, or `NotFoundError`. */
  async getRollback(id: string): Promise<Rollback> {
    checkId(id, 'rollback');
    const r = await (await this.opened).store.get(id);
    if (!r) throw new NotFoundError(`No rollback with id '${id}'`, { details: { id } });
    return r;
  }

  /** Rollbacks, newest first. */
  async listRollbacks(
    filter: { useCase?: string; deploymentId?: string; limit?: number } = {},
  ): Promise<Rollback[]> {
    checkLimit(filter.limit);
    return (await this.opened).store.list(filter);
  }

  private async execute(
    d: Deployment | null,
    useCase: string,
    from: string,
    to: string | null,
    options: RollbackOptions,
    startedAt = this.clock.now(),
    resumed?: Rollback,
  ): Promise<Rollback> {
    const { store, writer } = await this.opened;
    const attributes = {
      [OTEL_ATTRIBUTES.MMS_USE_CASE]: useCase,
      [OTEL_ATTRIBUTES.MMS_ROLLBACK_TRIGGER]: options.trigger ?? 'manual',
      'mms.rollback.from_model_id': from,
      ...(d ? { [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_ID]: d.id } : {}),
      ...(to ? { 'mms.rollback.to_model_id': to } : {}),
    };
    return inSpan(OTEL_SPANS.ROLLBACK, attributes, () =>
      executeRollback(
        {
          registry: this.registry,
          store,
          writer,
          clock: this.clock,
          actor: options.actor ?? this.actor,
          onDone: (rollback) =>
            this.emitSafely('deployment:rolled_back', { rollback, verdict: failing(d, options) }),
          onFailed: (rollback, error) => this.emitSafely('deployment:rollback_failed', { rollback, error }),
        },
        { deployment: d, useCase, from, to, options, startedAt, resumed },
      ),
    );
  }

  /** Closes the registry it created (injected ones are left open). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ownRegistry?.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('RollbackManager is closed');
  }
}

/** The fields a rollback is logged with. */
function rollbackFields(r: Rollback): object {
  return {
    deploymentId: r.deploymentId,
    useCase: r.useCase,
    trigger: r.trigger,
    reason: r.reason,
    from: r.from,
    to: r.to,
    status: r.status,
  };
}
