import type { Database } from '../db/index.js';
import { ClosedError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { isUuid, uuidv7 } from '../internal/ids.js';
import { RollbackManager } from '../rollback/rollback-manager.js';
import type { RolledBackEvent } from '../rollback/types.js';
import { advance, type ValidateModel } from './deployment-driver.js';
import { DeploymentStore } from './deployment-store.js';
import { DeploymentWriter, type TransitionDecision } from './deployment-writer.js';
import type { Verdict } from './judge.js';
import {
  type AnalysisConfigInput,
  assertStrategy,
  type DeploymentPlanInput,
  DEFAULT_STRATEGY,
  nonEmptyString,
  positive,
  resolveAnalysis,
  resolvePlan,
  show,
} from './plan.js';
import type { DeploymentRegistry, Model } from './registry-port.js';
import { TrafficRouter } from './traffic-router.js';
import {
  type Deployment,
  type DeploymentEvent,
  type DeploymentStatus,
  type DeploymentStrategy,
  isActiveStatus,
  type ListDeploymentsFilter,
} from './types.js';

/** Options of {@link DeploymentManager}. */
export interface DeploymentManagerOptions {
  db: Database;
  registry: DeploymentRegistry;
  /** Router fed by this manager; one is created when omitted (`manager.router`). */
  router?: TrafficRouter;
  /** Rollback manager used for automatic rollbacks; one is created when omitted (`manager.rollbacks`). */
  rollbacks?: RollbackManager;
  /** @default systemClock */
  clock?: Clock;
  /** Strategy when `startDeployment` names none (the composition root passes `DEPLOYMENT_STRATEGY_DEFAULT`). @default 'blue_green' */
  defaultStrategy?: DeploymentStrategy;
  /** Plan defaults merged under each deployment's `plan`. @default DEFAULT_PLAN */
  plan?: DeploymentPlanInput;
  /** Analysis defaults merged under each deployment's `analysis`. @default DEFAULT_ANALYSIS */
  analysis?: AnalysisConfigInput;
  /** Blue-green smoke test of the candidate; without one validation passes (and says so in the audit trail). */
  validate?: ValidateModel;
  /** Drive active deployments from this process (any replica may; a lease picks one). @default true */
  drive?: boolean;
  /** How often the driver looks at active deployments. @default 1000 */
  tickIntervalMs?: number;
  /** How long a driving lease lasts without renewal before another replica takes over. @default 15000 */
  leaseMs?: number;
  /** This replica's lease owner id. @default a fresh UUIDv7 */
  owner?: string;
  /** Actor recorded for the SDK's own transitions. @default 'sdk' */
  actor?: string;
}

/** Defaults of {@link DeploymentManagerOptions}. */
export const DEFAULT_DEPLOYMENT_MANAGER_OPTIONS: {
  readonly tickIntervalMs: number;
  readonly leaseMs: number;
  readonly drive: boolean;
  readonly actor: string;
} = { tickIntervalMs: 1000, leaseMs: 15_000, drive: true, actor: 'sdk' };

/** Input of {@link DeploymentManager.startDeployment}. */
export interface StartDeploymentInput {
  useCase: string;
  /** The registered model to roll out (status `candidate`, `standby` or `deprecated`). */
  newModelId: string;
  /** @default the manager's `defaultStrategy` */
  strategy?: DeploymentStrategy;
  plan?: DeploymentPlanInput;
  analysis?: AnalysisConfigInput;
  /** Who starts it. @default 'sdk' */
  actor?: string;
  reason?: string;
}

/** Events of {@link DeploymentManager}. */
export interface DeploymentManagerEvents {
  /** A deployment was created (status `pending`). */
  'deployment:started': (e: { readonly deployment: Deployment }) => void;
  /** A state or step change committed by this process. */
  'deployment:transition': (e: { readonly deployment: Deployment; readonly from: DeploymentStatus }) => void;
  /** The judge looked at a deployment. */
  'deployment:verdict': (e: { readonly deploymentId: string; readonly verdict: Verdict }) => void;
  /** A deployment finished with the candidate promoted. */
  'deployment:succeeded': (e: { readonly deployment: Deployment }) => void;
  /** A rollback completed: traffic is back on the previous model. */
  'deployment:rolled_back': (e: RolledBackEvent) => void;
  /** Driving a deployment failed; retryable errors are retried, others roll back. */
  'deployment:error': (e: { readonly deploymentId: string; readonly error: unknown }) => void;
}

/**
 * Blue-green, canary and all-at-once rollouts as a persisted state machine with automated analysis and
 * automatic rollback. Any replica may drive; a lease decides which one does.
 * @example
 * ```ts
 * const deployments = new DeploymentManager({ db, registry });
 * const d = await deployments.startDeployment({ useCase: 'interaction_layer', newModelId, strategy: 'canary', actor: 'ci' });
 * ```
 */
export class DeploymentManager extends TypedEmitter<DeploymentManagerEvents> {
  /** The router this manager keeps up to date. */
  readonly router: TrafficRouter;
  /** Rollbacks (automatic ones are started by this manager). */
  readonly rollbacks: RollbackManager;
  /** This replica's lease owner id. */
  readonly owner: string;
  private readonly store: DeploymentStore;
  private readonly writer: DeploymentWriter;
  private readonly registry: DeploymentRegistry;
  private readonly clock: Clock;
  private readonly options: DeploymentManagerOptions & typeof DEFAULT_DEPLOYMENT_MANAGER_OPTIONS;
  private readonly ownsRouter: boolean;
  private readonly inFlight = new Set<string>();
  private ticking: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private closed = false;

  constructor(options: DeploymentManagerOptions) {
    super();
    if (!options?.db)
      throw new ValidationError('Expected `db` (a Database from createDatabase)', { field: 'db' });
    if (!options.registry)
      throw new ValidationError('Expected `registry` (a ModelRegistry)', { field: 'registry' });
    const o = { ...DEFAULT_DEPLOYMENT_MANAGER_OPTIONS, ...strip(options) };
    positive(o.tickIntervalMs, 'tickIntervalMs');
    positive(o.leaseMs, 'leaseMs');
    if (o.defaultStrategy !== undefined) assertStrategy(o.defaultStrategy, 'defaultStrategy');
    if (o.validate !== undefined && typeof o.validate !== 'function') {
      throw new ValidationError(`Expected \`validate\` to be a function, got ${show(o.validate)}`, {
        field: 'validate',
      });
    }
    resolvePlan(o.plan);
    resolveAnalysis(o.analysis);
    this.options = o;
    this.clock = o.clock ?? systemClock;
    this.registry = o.registry;
    this.owner = o.owner ?? uuidv7();
    this.store = new DeploymentStore(o.db);
    this.ownsRouter = !o.router;
    this.router = o.router ?? new TrafficRouter({ db: o.db, registry: o.registry, clock: this.clock });
    this.writer = new DeploymentWriter(this.store, o.db, this.clock, this.router);
    this.rollbacks =
      o.rollbacks ??
      new RollbackManager({ db: o.db, registry: o.registry, clock: this.clock, router: this.router });
    this.rollbacks.on('deployment:rolled_back', (e) => this.emitSafely('deployment:rolled_back', e));
    if (o.drive) this.scheduleTick();
  }

  /**
   * Starts a deployment. Validates everything before writing; `ConflictError` when the use case already
   * has an active deployment (decided by the database, also across processes).
   */
  async startDeployment(input: StartDeploymentInput): Promise<Deployment> {
    this.assertOpen();
    if (typeof input !== 'object' || input === null) {
      throw new ValidationError(
        `Expected deployment input such as { useCase, newModelId }, got ${show(input)}`,
      );
    }
    nonEmptyString(input.useCase, 'useCase');
    if (!isUuid(input.newModelId)) {
      throw new ValidationError(
        `Expected \`newModelId\` to be a model id (UUID), got ${show(input.newModelId)}`,
        { field: 'newModelId' },
      );
    }
    const strategy = input.strategy ?? this.options.defaultStrategy ?? DEFAULT_STRATEGY;
    assertStrategy(strategy);
    const plan = resolvePlan(input.plan, resolvePlan(this.options.plan));
    const analysis = resolveAnalysis({ ...this.options.analysis, ...input.analysis });
    if (input.actor !== undefined) nonEmptyString(input.actor, 'actor');
    const model = await this.candidate(input.useCase, input.newModelId);
    const stable = await this.registry.getCurrentModel(input.useCase);
    const now = new Date(this.clock.now());
    const d: Deployment = {
      id: uuidv7(now.getTime()),
      useCase: input.useCase,
      strategy,
      status: 'pending',
      candidateModelId: model.id,
      stableModelId: stable?.id ?? null,
      weight: 0,
      stepIndex: 0,
      plan,
      analysis,
      switched: false,
      actor: input.actor ?? this.options.actor,
      reason: input.reason ?? `Deploy ${model.modelName} ${model.version} (${strategy})`,
      lastVerdict: null,
      stepStartedAt: now,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      version: 1,
      leaseOwner: null,
      leaseExpiresAt: null,
    };
    await this.store.insert(d, d.actor);
    await this.writer.published(d);
    this.emitSafely('deployment:started', { deployment: d });
    return d;
  }

  /** The deployment, or `NotFoundError`. */
  async getDeployment(id: string): Promise<Deployment> {
    checkId(id);
    const d = await this.store.get(id);
    if (!d) throw new NotFoundError(`No deployment with id '${id}'`, { details: { id } });
    return d;
  }

  /** Deployments, newest first. */
  listDeployments(filter: ListDeploymentsFilter = {}): Promise<Deployment[]> {
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

  /** The audit trail of a deployment, oldest first. */
  async getEvents(id: string): Promise<DeploymentEvent[]> {
    await this.getDeployment(id);
    return this.store.events(id);
  }

  /** Holds the current weight; analysis and steps stop until `resume`. */
  pause(id: string, options: { actor?: string; reason?: string } = {}): Promise<Deployment> {
    return this.manual(id, options, (d) => (d.status === 'paused' ? null : { status: 'paused' }), 'Paused');
  }

  /** Continues a paused deployment; the current step restarts its clock. */
  resume(id: string, options: { actor?: string; reason?: string } = {}): Promise<Deployment> {
    return this.manual(
      id,
      options,
      (d) => {
        if (d.status !== 'paused') throw new ConflictError(`Deployment ${id} is '${d.status}', not paused`);
        return { status: 'progressing', stepStartedAt: new Date(this.clock.now()) };
      },
      'Resumed',
    );
  }

  /** Skips the remaining steps: the candidate becomes current now. */
  async promote(id: string, options: { actor?: string; reason?: string } = {}): Promise<Deployment> {
    const d = await this.manual(
      id,
      options,
      () => ({ status: 'promoting', weight: 100 }),
      'Promoted by hand',
    );
    await this.drive(d);
    return this.getDeployment(id);
  }

  /** Stops the deployment; everything goes back to the model that was current before. */
  async abort(id: string, options: { actor?: string; reason?: string } = {}): Promise<Deployment> {
    const d = await this.getDeployment(id);
    const actor = options.actor ?? this.options.actor;
    const reason = options.reason ?? 'Aborted';
    if (!isActiveStatus(d.status) || d.status === 'rolling_back') {
      throw new ConflictError(`Deployment ${id} is '${d.status}' and cannot be aborted`, {
        details: { id, status: d.status },
      });
    }
    if (d.switched && d.stableModelId) {
      await this.registry.updateModelStatus(d.stableModelId, 'current', { reason, actor });
    }
    return this.manual(id, options, () => ({ status: 'aborted', weight: 0 }), 'Aborted');
  }

  /** Drives every active deployment one step (the timer calls this; tests may too). */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        const active = await this.store.listActive();
        await Promise.all(active.map((d) => this.drive(d)));
      } catch (error) {
        this.emitSafely('deployment:error', { deploymentId: '', error });
      } finally {
        this.ticking = null;
      }
    })();
    return this.ticking;
  }

  /** Stops driving (the lease expires for another replica to take over) and closes what it created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    await this.ticking;
    if (this.ownsRouter) await this.router.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async drive(d: Deployment): Promise<void> {
    if (this.inFlight.has(d.id) || this.closed) return;
    this.inFlight.add(d.id);
    try {
      const now = new Date(this.clock.now());
      if (!(await this.store.acquireLease(d.id, this.owner, now, this.options.leaseMs))) return;
      const fresh = await this.store.get(d.id);
      if (!fresh) return;
      const before = fresh.status;
      await advance(
        {
          store: this.store,
          writer: this.writer,
          registry: this.registry,
          router: this.router,
          rollbacks: this.rollbacks,
          clock: this.clock,
          validate: this.options.validate,
          actor: this.options.actor,
          onVerdict: (x, verdict) => this.emitSafely('deployment:verdict', { deploymentId: x.id, verdict }),
          onError: (x, error) => this.emitSafely('deployment:error', { deploymentId: x.id, error }),
        },
        fresh,
      );
      const after = await this.store.get(d.id);
      if (after && after.version !== fresh.version && after.status !== before) {
        this.emitSafely('deployment:transition', { deployment: after, from: before });
        if (after.status === 'succeeded') this.emitSafely('deployment:succeeded', { deployment: after });
      }
    } catch (error) {
      this.emitSafely('deployment:error', { deploymentId: d.id, error });
    } finally {
      this.inFlight.delete(d.id);
    }
  }

  private async manual(
    id: string,
    options: { actor?: string; reason?: string },
    patch: (d: Deployment) => { status: DeploymentStatus; weight?: number; stepStartedAt?: Date } | null,
    defaultReason: string,
  ): Promise<Deployment> {
    this.assertOpen();
    checkId(id);
    if (options.actor !== undefined) nonEmptyString(options.actor, 'actor');
    const actor = options.actor ?? this.options.actor;
    let from: DeploymentStatus = 'pending';
    const next = await this.writer.update(id, (d): TransitionDecision => {
      from = d.status;
      const p = patch(d);
      return p ? { patch: { ...p, reason: options.reason ?? defaultReason }, actor } : null;
    });
    if (next.status !== from) this.emitSafely('deployment:transition', { deployment: next, from });
    return next;
  }

  private async candidate(useCase: string, id: string): Promise<Model> {
    let m: Model;
    try {
      m = await this.registry.getModel(id);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new ValidationError(`Unknown model '${id}' in \`newModelId\``, {
          field: 'newModelId',
          cause: error,
        });
      throw error;
    }
    if (m.useCase !== useCase) {
      throw new ValidationError(`Model '${id}' serves use case '${m.useCase}', not '${useCase}'`, {
        field: 'newModelId',
      });
    }
    if (m.status === 'current')
      throw new ValidationError(`Model '${id}' is already current for '${useCase}'`, { field: 'newModelId' });
    if (m.status === 'retired' || m.status === 'failed') {
      throw new ValidationError(
        `Model '${id}' is ${m.status} and cannot be deployed; register a new version`,
        { field: 'newModelId' },
      );
    }
    return m;
  }

  private scheduleTick(): void {
    this.cancelTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      void this.tick().finally(() => !this.closed && this.scheduleTick());
    }, this.options.tickIntervalMs);
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('DeploymentManager is closed');
  }
}

function checkId(id: unknown): void {
  if (!isUuid(id))
    throw new ValidationError(`Expected \`id\` to be a deployment id (UUID), got ${show(id)}`, {
      field: 'id',
    });
}

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
