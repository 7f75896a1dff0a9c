import { resolveDatabase } from '../db/index.js';
import { DEFAULT_DEPLOYMENT_STRATEGIES } from '../deployment-strategy.js';
import { ClosedError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { uuidv7 } from '../internal/ids.js';
import {
  describe,
  nonEmptyString,
  renamedOption,
  requireObject,
  requireString,
} from '../internal/validate.js';
import { logEvents, resolveLogger } from '../logger.js';
import { ModelRegistry } from '../registry/index.js';
import { type DriverContext, driveOnce, restoreStableIfEnded } from './deployment-driver.js';
import { checkId, checkLimit, deployableModel, newDeployment, stripUndefined } from './deployment-input.js';
import {
  DEFAULT_DEPLOYMENT_MANAGER_OPTIONS,
  type DeploymentManagerEvents,
  type DeploymentManagerOptions,
  type StartDeploymentInput,
} from './deployment-manager-options.js';
import { buildDeploymentReport, type DeploymentReport } from './deployment-report.js';
import { DeploymentStore } from './deployment-store.js';
import { DeploymentWriter, type TransitionDecision } from './deployment-writer.js';
import { assertStrategy, DEFAULT_STRATEGY, positive, resolveAnalysis, resolvePlan } from './plan.js';
import type { DeploymentRegistry } from './registry-port.js';
import { type ReplayInput, runReplay } from './replay-run.js';
import { RollbackManager } from './rollback-manager.js';
import { type ReplayComparison, ShadowStore } from './shadow-store.js';
import { TrafficRouter } from './traffic-router.js';
import {
  type Deployment,
  type DeploymentEvent,
  type DeploymentStatus,
  isActiveStatus,
  type ListDeploymentsFilter,
} from './types.js';

type Resolved = DeploymentManagerOptions & typeof DEFAULT_DEPLOYMENT_MANAGER_OPTIONS;
type Patch = { status: DeploymentStatus; weight?: number; stepStartedAt?: Date };
/** Who asks for a manual pause, resume, promote or abort, and why (recorded in the audit trail). */
export interface ManualOptions {
  /** Recorded as the transition's actor. @default the manager's `actor` */
  actor?: string;
  /** Recorded as the transition's reason. */
  reason?: string;
}

/**
 * Blue-green, canary and all-at-once rollouts as a persisted state machine with automated analysis and
 * automatic rollback. Any replica may drive; a lease decides which one does. With no options it uses the
 * default database and a registry of its own on it; anything injected wins.
 *
 * `abort` is not a verdict on the model: traffic goes back to the model that was current before, and a
 * candidate that had already been switched in stays `standby` (the registry has no way back to
 * `candidate`; `standby` may be deployed again). Only rollbacks mark the candidate `failed`. A use case's
 * first deployment has nothing to go back to: aborting it after the switch leaves the candidate current.
 * @example
 * ```ts
 * const deployments = new DeploymentManager({ db, registry }); // or new DeploymentManager()
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
  private readonly registry: DeploymentRegistry;
  private readonly clock: Clock;
  private readonly options: Resolved;
  private readonly opened: Promise<{ store: DeploymentStore; writer: DeploymentWriter }>;
  private readonly owned: { router: boolean; rollbacks: boolean; registry: ModelRegistry | null };
  private readonly inFlight = new Set<string>();
  private ticking: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private closed = false;

  constructor(options: DeploymentManagerOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null)
      throw new ValidationError(`Expected options to be an object, got ${describe(options)}`, {
        field: 'options',
      });
    const o: Resolved = { ...DEFAULT_DEPLOYMENT_MANAGER_OPTIONS, ...stripUndefined(options) };
    positive(o.tickIntervalMs, 'tickIntervalMs');
    positive(o.leaseMs, 'leaseMs');
    if (o.defaultStrategy !== undefined)
      assertStrategy(o.defaultStrategy, 'defaultStrategy', DEFAULT_DEPLOYMENT_STRATEGIES);
    if (o.validate !== undefined && typeof o.validate !== 'function') {
      throw new ValidationError(`Expected \`validate\` to be a function, got ${describe(o.validate)}`, {
        field: 'validate',
      });
    }
    const injected = renamedOption<DeploymentRegistry>(
      o,
      'modelRegistry',
      'registry',
      'DeploymentManager options',
    );
    if (injected !== undefined && typeof injected?.snapshot !== 'function')
      throw new ValidationError('Expected `modelRegistry` to be a ModelRegistry', { field: 'modelRegistry' });
    const logger = resolveLogger(o.logger);
    resolvePlan(o.plan);
    resolveAnalysis(o.analysis);
    this.options = o;
    this.clock = o.clock ?? systemClock;
    this.owner = o.owner ?? uuidv7();
    const db = resolveDatabase(o.db);
    const ownRegistry = injected ? null : new ModelRegistry({ db, clock: this.clock });
    this.registry = injected ?? (ownRegistry as ModelRegistry);
    this.owned = { router: !o.router, rollbacks: !o.rollbacks, registry: ownRegistry };
    this.router =
      o.router ?? new TrafficRouter({ db, modelRegistry: this.registry, clock: this.clock, logger });
    this.rollbacks =
      o.rollbacks ??
      new RollbackManager({
        db,
        modelRegistry: this.registry,
        clock: this.clock,
        router: this.router,
        logger,
      });
    logEvents(this, logger, {
      'deployment:started': [
        'info',
        'deployment started',
        (e: { deployment: Deployment }) => deploymentFields(e.deployment),
      ],
      'deployment:transition': [
        'info',
        'deployment transition',
        (e: { deployment: Deployment; from: string }) => ({
          ...deploymentFields(e.deployment),
          from: e.from,
        }),
      ],
      'deployment:succeeded': [
        'info',
        'deployment succeeded',
        (e: { deployment: Deployment }) => deploymentFields(e.deployment),
      ],
      'deployment:low_traffic': ['warn', 'deployment has too little traffic to judge', (e: object) => e],
      'deployment:error': [
        'error',
        'deployment step failed',
        (e: { deploymentId: string; error: unknown }) => ({ deploymentId: e.deploymentId, err: e.error }),
      ],
    });
    this.rollbacks.on('deployment:rolled_back', (e) => this.emitSafely('deployment:rolled_back', e));
    this.opened = Promise.resolve(db).then((d) => {
      const store = new DeploymentStore(d);
      return { store, writer: new DeploymentWriter(store, d, this.clock, this.router) };
    });
    this.opened.catch(() => {}); // surfaced by the first call that needs the database
    if (o.drive) this.scheduleTick();
  }

  /** Resolves once the database is open and the registry snapshot and routing table are loaded. */
  async ready(): Promise<void> {
    await this.opened;
    await this.owned.registry?.ready();
    await this.router.ready();
  }

  /**
   * Starts a deployment. Validates everything before writing; `ConflictError` when the use case already
   * has an active deployment (decided by the database, also across processes).
   */
  async startDeployment(input: StartDeploymentInput): Promise<Deployment> {
    this.assertOpen();
    if (typeof input !== 'object' || input === null) {
      throw new ValidationError(
        `Expected deployment input such as { useCase, newModelId }, got ${describe(input)}`,
      );
    }
    nonEmptyString(input.useCase, 'useCase');
    checkId(input.newModelId, 'model', 'newModelId');
    const strategy = input.strategy ?? this.options.defaultStrategy ?? DEFAULT_STRATEGY;
    assertStrategy(strategy);
    const plan = resolvePlan(input.plan, this.options.plan);
    const analysis = resolveAnalysis({ ...this.options.analysis, ...input.analysis });
    checkManual({ actor: input.actor, reason: input.reason });
    const { store, writer } = await this.opened;
    const model = await deployableModel(this.registry, input.useCase, input.newModelId);
    const stable = await this.registry.getCurrentModel(input.useCase);
    const d = newDeployment({
      useCase: input.useCase,
      strategy,
      candidate: model,
      stableModelId: stable?.id ?? null,
      plan,
      analysis,
      actor: input.actor ?? this.options.actor,
      reason: input.reason,
      now: this.clock.now(),
    });
    await store.insert(d, d.actor);
    await writer.published(d);
    this.emitSafely('deployment:started', { deployment: d });
    return d;
  }

  /** The deployment, or `NotFoundError`. */
  async getDeployment(id: string): Promise<Deployment> {
    checkId(id);
    const d = await (await this.opened).store.get(id);
    if (!d) throw new NotFoundError(`No deployment with id '${id}'`, { details: { id } });
    return d;
  }

  /** Deployments, newest first. */
  async listDeployments(filter: ListDeploymentsFilter = {}): Promise<Deployment[]> {
    checkLimit(filter.limit);
    return (await this.opened).store.list(filter);
  }

  /** The audit trail of a deployment, oldest first. */
  async getEvents(id: string): Promise<DeploymentEvent[]> {
    await this.getDeployment(id);
    return (await this.opened).store.events(id);
  }

  /**
   * The story of a deployment as data (the `mms report` HTML file draws it): models compared, audit
   * trail, per-arm figures per window with the thresholds, traffic weight, exposure, the judge's
   * evidence, the verdict in plain words and what to do next. Reads only the database, never the
   * inference history. `NotFoundError` for an unknown id.
   * @example
   * ```ts
   * const report = await deployments.report(deploymentId);
   * console.log(report.verdict.headline, report.arms.candidate.errorRate);
   * ```
   */
  async report(id: string): Promise<DeploymentReport> {
    const d = await this.getDeployment(id);
    return buildDeploymentReport(
      {
        store: (await this.opened).store,
        registry: this.registry,
        listRollbacks: (filter) => this.rollbacks.listRollbacks(filter),
        now: this.clock.now(),
      },
      d,
    );
  }

  /** Holds the current weight; analysis and steps stop until `resume`. */
  pause(id: string, options: ManualOptions = {}): Promise<Deployment> {
    return this.manual(id, options, (d) => (d.status === 'paused' ? null : { status: 'paused' }), 'Paused');
  }

  /** Continues a paused deployment; the current step restarts its clock. */
  resume(id: string, options: ManualOptions = {}): Promise<Deployment> {
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

  /**
   * Skips the remaining steps: the candidate becomes current now. Resolves `succeeded` when this replica
   * holds (or can take) the driving lease; otherwise `promoting`, which the lease holder finishes on its
   * next tick.
   */
  async promote(id: string, options: ManualOptions = {}): Promise<Deployment> {
    const d = await this.manual(
      id,
      options,
      () => ({ status: 'promoting', weight: 100 }),
      'Promoted by hand',
    );
    await this.drive(d);
    return this.getDeployment(id);
  }

  /**
   * Stops the deployment: the state becomes `aborted` first (so no driver switches traffic afterwards),
   * then the model that was current before is made current again if the candidate had taken over.
   */
  async abort(id: string, options: ManualOptions = {}): Promise<Deployment> {
    checkManual(options);
    const reason = options.reason ?? 'Aborted';
    const aborted = await this.manual(
      id,
      options,
      (d) => {
        if (!isActiveStatus(d.status) || d.status === 'rolling_back' || d.status === 'promoting')
          throw new ConflictError(`Deployment ${id} is '${d.status}' and cannot be aborted`, {
            details: { id, status: d.status },
          });
        return { status: 'aborted', weight: 0 };
      },
      'Aborted',
    );
    await restoreStableIfEnded(this.registry, aborted, reason, options.actor ?? this.options.actor);
    return aborted;
  }

  /** Drives every active deployment one step (the timer calls this; tests may too). */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        const active = await (await this.opened).store.listActive();
        await Promise.all(active.map((d) => this.drive(d)));
      } catch (error) {
        this.emitSafely('deployment:error', { deploymentId: '', error });
      } finally {
        this.ticking = null;
      }
    })();
    return this.ticking;
  }

  /**
   * Stops driving, hands back the leases this replica holds (another replica takes over on its next
   * tick instead of waiting for expiry) and closes what the manager created. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    await this.ticking;
    const opened = await this.opened.catch(() => null);
    if (opened) {
      const mine = await opened.store.listActive().catch(() => []);
      for (const d of mine.filter((x) => x.leaseOwner === this.owner))
        await opened.store.releaseLease(d.id, this.owner).catch(() => {});
    }
    if (this.owned.router) await this.router.close();
    if (this.owned.rollbacks) await this.rollbacks.close();
    await this.owned.registry?.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async drive(d: Deployment): Promise<void> {
    if (this.inFlight.has(d.id) || this.closed) return;
    this.inFlight.add(d.id);
    try {
      const { store, writer } = await this.opened;
      const ctx: DriverContext = {
        ...{ store, writer, registry: this.registry, router: this.router, rollbacks: this.rollbacks },
        ...{ clock: this.clock, validate: this.options.validate, actor: this.options.actor },
        onVerdict: (x, verdict) => this.emitSafely('deployment:verdict', { deploymentId: x.id, verdict }),
        onLowTraffic: (x, verdict) =>
          this.emitSafely('deployment:low_traffic', {
            deploymentId: x.id,
            action: verdict.lowTraffic ?? 'hold',
            verdict,
          }),
        onError: (x, error) => this.emitSafely('deployment:error', { deploymentId: x.id, error }),
      };
      const moved = await driveOnce(ctx, d.id, this.owner, this.options.leaseMs);
      if (moved) this.emitSafely('deployment:transition', { deployment: moved.after, from: moved.from });
      if (moved?.after.status === 'succeeded')
        this.emitSafely('deployment:succeeded', { deployment: moved.after });
      if (moved?.after.status === 'shadow_passed') await this.followShadow(moved.after);
    } catch (error) {
      this.emitSafely('deployment:error', { deploymentId: d.id, error });
    } finally {
      this.inFlight.delete(d.id);
    }
  }

  /**
   * Replays prompts from the history (only rows whose stored text may be reused) to a candidate and
   * compares it, pair by pair, with what the use case's current model answered then; the comparison is
   * stored and returned. Bad input (empty range, unknown model, a model of another use case, `sample`
   * ≤ 0) throws a typed error before anything is read or written. Needs the `replayer` option.
   * @example
   * ```ts
   * const c = await deploymentManager.replay({ useCase: 'interaction_layer', candidateModelId, from, to, sample: 500 });
   * if (c.verdict.verdict === 'fail') console.warn(c.verdict.reason);
   * ```
   */
  async replay(input: ReplayInput): Promise<ReplayComparison> {
    this.assertOpen();
    const { store } = await this.opened;
    const comparison = await runReplay(
      {
        registry: this.registry,
        replayer: this.options.replayer,
        store: new ShadowStore(store.db),
        analysis: resolveAnalysis(this.options.analysis),
        actor: this.options.actor,
        now: () => this.clock.now(),
      },
      input,
    );
    this.emitSafely('deployment:replayed', { comparison });
    return comparison;
  }

  /** Stored replay comparisons, newest first (`limit` 1–1000, default 100). */
  async listReplays(filter: { useCase?: string; limit?: number } = {}): Promise<ReplayComparison[]> {
    checkLimit(filter.limit);
    if (filter.useCase !== undefined) nonEmptyString(filter.useCase, 'useCase');
    const { store } = await this.opened;
    return new ShadowStore(store.db).listReplays({ useCase: filter.useCase, limit: filter.limit ?? 100 });
  }

  /** Emits `deployment:shadow_passed` and starts `plan.shadowFollowUp`, if any, for the same candidate. */
  private async followShadow(d: Deployment): Promise<void> {
    const next = d.plan.shadowFollowUp;
    let followUp: Deployment | null = null;
    let error: unknown;
    if (next) {
      try {
        const { shadowFollowUp: _, shadowRate: __, ...plan } = d.plan;
        followUp = await this.startDeployment({
          useCase: d.useCase,
          newModelId: d.candidateModelId,
          strategy: next,
          plan,
          analysis: d.analysis,
          actor: this.options.actor,
          reason: `Follow-up of shadow deployment ${d.id} (${next})`,
        });
      } catch (e) {
        error = e;
        this.emitSafely('deployment:error', { deploymentId: d.id, error: e });
      }
    }
    this.emitSafely('deployment:shadow_passed', { deployment: d, followUp, ...(error ? { error } : {}) });
  }

  private async manual(
    id: string,
    options: ManualOptions,
    patch: (d: Deployment) => Patch | null,
    defaultReason: string,
  ): Promise<Deployment> {
    this.assertOpen();
    checkId(id);
    checkManual(options);
    const actor = options.actor ?? this.options.actor;
    const { writer } = await this.opened;
    let from: DeploymentStatus = 'pending';
    const next = await writer.update(id, (d): TransitionDecision => {
      from = d.status;
      const p = patch(d);
      return p ? { patch: { ...p, reason: options.reason ?? defaultReason }, actor } : null;
    });
    if (next.status !== from) this.emitSafely('deployment:transition', { deployment: next, from });
    return next;
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

/** Validates `{ actor?, reason? }` of the manual calls (bounded, so a huge string is refused, not stored). */
function checkManual(options: unknown): asserts options is ManualOptions {
  requireObject(options, 'options ({ actor?, reason? })');
  const o = options as ManualOptions;
  if (o.actor !== undefined) requireString(o.actor, 'actor', { max: 200 });
  if (o.reason !== undefined) requireString(o.reason, 'reason', { max: 2000 });
}

/** The fields a deployment is logged with. */
function deploymentFields(d: Deployment): object {
  return {
    deploymentId: d.id,
    useCase: d.useCase,
    strategy: d.strategy,
    status: d.status,
    candidate: d.candidateModelId,
  };
}
