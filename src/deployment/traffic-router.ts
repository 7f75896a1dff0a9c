import type { Database } from '../db/index.js';
import { ClosedError, NotFoundError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { bucketOf } from '../internal/hashing.js';
import type { HistogramSummary } from '../internal/histogram.js';
import { uuidv7 } from '../internal/ids.js';
import { describe, renamedOption } from '../internal/validate.js';
import { type Logger, logEvents, resolveLogger } from '../logger.js';
import { stripUndefined } from './deployment-input.js';
import { DeploymentStore } from './deployment-store.js';
import type { Variant } from './judge.js';
import { OutcomeAggregator, type OutcomeInput, validateOutcome } from './outcome-aggregator.js';
import { DEFAULT_SHADOW_RATE, positive } from './plan.js';
import type { DeploymentRegistry, Model } from './registry-port.js';
import { buildRouteTable, ROUTING_BUCKETS, type RouteEntry } from './route-table.js';
import { ShadowAggregator, type ShadowPairInput, validateShadowPair } from './shadow-aggregator.js';
import { ShadowStore } from './shadow-store.js';
import type { Deployment } from './types.js';

export { ROUTING_BUCKETS };

/** Change-feed topic published after every committed deployment change. */
export const DEPLOYMENTS_TOPIC = 'deployments';

/** Options of {@link TrafficRouter}. */
export interface TrafficRouterOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for refresh and flush failures. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** Registry whose in-memory snapshot answers `route()` (required). */
  modelRegistry?: Pick<DeploymentRegistry, 'snapshot' | 'getModel'>;
  /** @deprecated Renamed `modelRegistry` (the host guide's name); this alias goes in the next release. */
  registry?: Pick<DeploymentRegistry, 'snapshot' | 'getModel'>;
  /**
   * Database (or a promise of it) for active deployments and outcome metrics; without it the router is
   * fed by `setActiveDeployments`. @default none
   */
  db?: Database | Promise<Database>;
  /** @default systemClock */
  clock?: Clock;
  /** How often recorded outcomes are written to `deployment_metrics`. @default 1000 */
  flushIntervalMs?: number;
  /** Width of a metrics window. @default 10000 */
  metricsWindowMs?: number;
  /** Safety-net re-read of active deployments, in case a notification was missed. @default 5000 */
  refreshIntervalMs?: number;
  /** Conversations pinned to an arm, per replica (oldest forgotten first). @default 100000 */
  maxPinnedConversations?: number;
  /** Identifies this replica's metric rows. @default a fresh UUIDv7 */
  replicaId?: string;
  /** Source of randomness for requests without a key. @default Math.random */
  random?: () => number;
}

/** Defaults of {@link TrafficRouterOptions}. */
export const DEFAULT_ROUTER_OPTIONS = {
  flushIntervalMs: 1000,
  metricsWindowMs: 10_000,
  refreshIntervalMs: 5000,
  maxPinnedConversations: 100_000,
} as const;

/** Per-request routing input. */
export interface RouteOptions {
  /** Stable identity (player id): the same key gets the same arm of a deployment on every replica. */
  stickyKey?: string;
  /** Conversation id: a conversation stays on the arm it began on until the deployment ends or rolls back. */
  conversationId?: string;
}

/** Which model serves a request. */
export interface RouteDecision {
  readonly model: Model;
  readonly variant: Variant;
  /** The active deployment, or null when the use case has none. */
  readonly deploymentId: string | null;
  /** Candidate weight (percent) of the deployment at decision time; 0 without a deployment. */
  readonly weight: number;
}

/** One arm's cumulative outcomes in {@link TrafficRouterMetrics}. */
export interface ArmMetrics {
  readonly deploymentId: string;
  readonly variant: Variant;
  readonly requests: number;
  readonly errors: number;
  readonly violations: number;
  readonly criticalViolations: number;
  readonly fallbacks: number;
  /** Latency summary of the arm's requests. */
  readonly latencyMs: HistogramSummary;
}

/** Snapshot returned by `TrafficRouter.metrics()`. */
export interface TrafficRouterMetrics {
  /** Cumulative outcomes per deployment arm on this replica (the most recent 64 arms). */
  readonly arms: readonly ArmMetrics[];
  /** Active deployments as this replica routes them. */
  readonly active: readonly Deployment[];
  /** Outcome windows waiting to be written to `deployment_metrics`. */
  readonly pendingCells: number;
}

/** A request sampled for shadowing: the candidate to call in the background. */
export interface ShadowTarget {
  readonly deploymentId: string;
  readonly model: Model;
}

/** Events of {@link TrafficRouter}. */
export interface TrafficRouterEvents {
  /** The routing table changed (a deployment started, moved, rolled back or ended). */
  'deployment:routes_updated': (e: { readonly activeDeployments: number; readonly at: number }) => void;
  /** A background refresh or metrics flush failed; it is retried on the next tick. */
  'deployment:router_error': (e: {
    readonly operation: 'refresh' | 'flush';
    readonly error: unknown;
  }) => void;
}

/** True when `key` falls in the candidate arm of a deployment salted `salt` at `weight` percent. */
export function isCandidateBucket(salt: string, key: string, weight: number): boolean {
  return bucketOf(salt, key, ROUTING_BUCKETS) < Math.round(weight * (ROUTING_BUCKETS / 100));
}

/**
 * The per-request hot path: picks stable or candidate from an in-memory snapshot (no I/O, no await),
 * sticky per key, pinned per conversation; aggregates outcomes and flushes them to the database.
 * @example
 * ```ts
 * const { model, variant, deploymentId } = router.route('interaction_layer', { stickyKey: playerId });
 * // … call the model …
 * if (deploymentId) router.recordOutcome({ deploymentId, variant, ok: true, latencyMs: 230 });
 * ```
 */
export class TrafficRouter extends TypedEmitter<TrafficRouterEvents> {
  /** This replica's id in `deployment_metrics`. */
  readonly replicaId: string;
  private readonly registry: NonNullable<TrafficRouterOptions['modelRegistry']>;
  private readonly clock: Clock;
  private store: DeploymentStore | undefined;
  private readonly opened: Promise<DeploymentStore | undefined>;
  private readonly aggregator: OutcomeAggregator;
  private readonly shadows: ShadowAggregator;
  private readonly random: () => number;
  private readonly maxPins: number;
  private readonly flushIntervalMs: number;
  private readonly refreshIntervalMs: number;
  private active: Deployment[] = [];
  private readonly modelCache = new Map<string, Model>();
  private entries = new Map<string, RouteEntry>();
  private plain = new Map<string, RouteDecision>();
  private builtVersion = -1;
  private dirty = true;
  private readonly pins = new Map<string, { deploymentId: string; candidate: boolean }>();
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private flushing: Promise<void> | null = null;
  private cancelTimers: Array<() => void> = [];
  private closed = false;
  private readonly initial: Promise<void>;
  private readonly onChange = (c: { topic: string }) => {
    if (c.topic === DEPLOYMENTS_TOPIC) void this.refresh().catch(() => {});
  };

  constructor(options: TrafficRouterOptions) {
    super();
    logEvents(this, resolveLogger(options?.logger), {
      'deployment:router_error': [
        'warn',
        'traffic router could not reach the database',
        (e: { operation: string; error: unknown }) => ({ operation: e.operation, err: e.error }),
      ],
    });
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(
        `Expected TrafficRouter options such as { modelRegistry }, got ${describe(options)}`,
      );
    }
    const registry = renamedOption<TrafficRouterOptions['modelRegistry']>(
      options,
      'modelRegistry',
      'registry',
      'TrafficRouter options',
    );
    if (typeof registry?.snapshot !== 'function') {
      throw new ValidationError('Expected `modelRegistry` with a `snapshot()` method', {
        field: 'modelRegistry',
      });
    }
    const o = { ...DEFAULT_ROUTER_OPTIONS, ...stripUndefined(options) };
    positive(o.flushIntervalMs, 'flushIntervalMs');
    positive(o.metricsWindowMs, 'metricsWindowMs');
    positive(o.refreshIntervalMs, 'refreshIntervalMs');
    positive(o.maxPinnedConversations, 'maxPinnedConversations');
    this.registry = registry;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxPins = o.maxPinnedConversations;
    this.flushIntervalMs = o.flushIntervalMs;
    this.refreshIntervalMs = o.refreshIntervalMs;
    this.replicaId = options.replicaId ?? uuidv7();
    this.aggregator = new OutcomeAggregator(this.replicaId, o.metricsWindowMs);
    this.shadows = new ShadowAggregator(o.metricsWindowMs);
    if (options.db) {
      this.opened = Promise.resolve(options.db).then((db) => {
        this.store = new DeploymentStore(db);
        if (!this.closed) db.changes.on('change', this.onChange);
        return this.store;
      });
      this.initial = this.opened.then(() => this.refresh()).catch(() => {});
      this.schedule('refresh', this.refreshIntervalMs);
      this.schedule('flush', this.flushIntervalMs);
    } else {
      this.opened = Promise.resolve(undefined);
      this.initial = Promise.resolve();
    }
  }

  /** Resolves once the first load of active deployments has finished. */
  ready(): Promise<void> {
    return this.initial;
  }

  /**
   * Chooses the model for one request. Synchronous and I/O-free.
   * @throws NotFoundError when the use case has neither a current model nor an active deployment.
   */
  route(useCase: string, options?: RouteOptions): RouteDecision {
    const snap = this.registry.snapshot();
    if (snap.version !== this.builtVersion || this.dirty) this.rebuild();
    const e = this.entries.get(useCase);
    if (e === undefined) {
      const d = this.plain.get(useCase);
      if (d !== undefined) return d;
      if (typeof useCase !== 'string' || useCase === '') {
        throw new ValidationError(`Expected \`useCase\` to be a non-empty string, got ${describe(useCase)}`, {
          field: 'useCase',
        });
      }
      throw new NotFoundError(`No current model for use case '${useCase}'`, { details: { useCase } });
    }
    if (e.rollingBack) return e.stable;
    const conversationId = options?.conversationId;
    if (conversationId !== undefined) {
      const pin = this.pins.get(conversationId);
      if (pin !== undefined && pin.deploymentId === e.deploymentId)
        return pin.candidate ? e.candidate : e.stable;
    }
    const key = options?.stickyKey ?? conversationId;
    const candidate =
      key !== undefined
        ? bucketOf(e.deploymentId, key, ROUTING_BUCKETS) < e.threshold
        : this.random() * ROUTING_BUCKETS < e.threshold;
    if (conversationId !== undefined) {
      if (this.pins.size >= this.maxPins) this.pins.delete(this.pins.keys().next().value as string);
      this.pins.set(conversationId, { deploymentId: e.deploymentId, candidate });
    }
    return candidate ? e.candidate : e.stable;
  }

  /** Records the outcome of a routed request (in memory; flushed in the background). */
  recordOutcome(outcome: OutcomeInput): void {
    if (this.closed) throw new ClosedError('TrafficRouter is closed');
    validateOutcome(outcome);
    this.aggregator.record(outcome, this.clock.now());
  }

  /**
   * Cumulative outcomes per deployment arm recorded on this replica since it started (what it
   * contributes to the judge's figures), plus the deployments it currently routes. For exporters:
   * the fleet-wide figure of an arm is the sum over replicas.
   */
  metrics(): TrafficRouterMetrics {
    return {
      arms: this.aggregator.armTotals().map((t) => ({
        deploymentId: t.deploymentId,
        variant: t.variant,
        requests: t.requests,
        errors: t.errors,
        violations: t.violations,
        criticalViolations: t.criticalViolations,
        fallbacks: t.fallbacks,
        latencyMs: t.latency.summary(),
      })),
      active: [...this.active],
      pendingCells: this.aggregator.pending,
    };
  }

  /**
   * Whether this request is also sent to a `shadow` deployment's candidate (sampled at
   * `plan.shadowRate`): the candidate model and its deployment, or null. Synchronous and I/O-free; the
   * request itself still routes to the previous model.
   */
  shadowTarget(useCase: string): ShadowTarget | null {
    const d = this.activeDeployment(useCase);
    if (d === undefined || d.strategy !== 'shadow' || d.status !== 'progressing') return null;
    if (this.random() >= (d.plan.shadowRate ?? DEFAULT_SHADOW_RATE)) return null;
    const model =
      this.registry.snapshot().models.get(d.candidateModelId) ?? this.modelCache.get(d.candidateModelId);
    return model ? { deploymentId: d.id, model } : null;
  }

  /** Records what both models did with one shadowed prompt (in memory; flushed with the outcomes). */
  recordShadowPair(pair: ShadowPairInput): void {
    if (this.closed) throw new ClosedError('TrafficRouter is closed');
    validateShadowPair(pair);
    this.shadows.record(pair, this.clock.now());
  }

  /** Replaces the set of active deployments (the manager and the refresh loop call this). */
  async setActiveDeployments(deployments: readonly Deployment[]): Promise<void> {
    const snap = this.registry.snapshot();
    for (const d of deployments) {
      for (const id of [d.candidateModelId, d.stableModelId]) {
        if (id && !snap.models.has(id) && !this.modelCache.has(id))
          this.modelCache.set(id, await this.registry.getModel(id));
      }
    }
    this.active = [...deployments];
    this.dirty = true;
    this.emitSafely('deployment:routes_updated', {
      activeDeployments: deployments.length,
      at: this.clock.now(),
    });
  }

  /** The active deployment of a use case as this replica sees it. */
  activeDeployment(useCase: string): Deployment | undefined {
    return this.active.find((d) => d.useCase === useCase);
  }

  /** Re-reads active deployments from the database now. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        const store = await this.opened;
        if (!store) return;
        do {
          this.refreshAgain = false;
          await this.setActiveDeployments(await store.listActive());
        } while (this.refreshAgain);
      } catch (error) {
        this.emitSafely('deployment:router_error', { operation: 'refresh', error });
        throw error;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Writes buffered outcome counters to `deployment_metrics`. */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      const store = await this.opened;
      if (!store) return;
      const rows = this.aggregator.drain();
      const pairs = this.shadows.drain();
      if (rows.length === 0 && pairs.length === 0) return;
      const now = this.clock.now();
      try {
        await store.upsertMetrics(rows, new Date(now));
        const shadowStore = new ShadowStore(store.db);
        for (const p of pairs)
          await shadowStore.upsertWindows(p.deploymentId, this.replicaId, [p.window], new Date(now));
      } catch (error) {
        this.emitSafely('deployment:router_error', { operation: 'flush', error });
        throw error;
      }
      this.aggregator.written(rows, now);
      this.shadows.written(pairs, now);
    };
    const next = (this.flushing ?? Promise.resolve()).catch(() => {}).then(run);
    this.flushing = next;
    return next;
  }

  /** Flushes and stops timers; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const cancel of this.cancelTimers) cancel();
    this.cancelTimers = [];
    this.store?.db.changes.off('change', this.onChange);
    await this.flush().catch(() => {});
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private schedule(kind: 'refresh' | 'flush', ms: number): void {
    const cancel = this.clock.setTimeout(() => {
      this.cancelTimers = this.cancelTimers.filter((c) => c !== cancel);
      if (this.closed) return;
      const work = kind === 'refresh' ? this.refresh() : this.flush();
      void work.catch(() => {}).finally(() => !this.closed && this.schedule(kind, ms));
    }, ms);
    this.cancelTimers.push(cancel);
  }

  private rebuild(): void {
    const snap = this.registry.snapshot();
    const table = buildRouteTable(this.active, snap, this.modelCache);
    this.entries = table.entries;
    this.plain = table.plain;
    this.builtVersion = snap.version;
    this.dirty = false;
  }
}
