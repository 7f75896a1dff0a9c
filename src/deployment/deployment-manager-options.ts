/**
 * Options, defaults, input and events of `DeploymentManager`.
 * @module
 */
import type { Database } from '../db/index.js';
import type { Clock } from '../internal/clock.js';
import type { Logger } from '../logger.js';
import type { ValidateModel } from './deployment-driver.js';
import type { LowTrafficAction, Verdict } from './judge.js';
import type { AnalysisConfigInput, DeploymentPlanInput } from './plan.js';
import type { DeploymentRegistry } from './registry-port.js';
import type { ReplayPort } from './replay-port.js';
import type { RollbackManager } from './rollback-manager.js';
import type { RolledBackEvent } from './rollback-types.js';
import type { ReplayComparison } from './shadow-store.js';
import type { TrafficRouter } from './traffic-router.js';
import type { Deployment, DeploymentStatus, DeploymentStrategy } from './types.js';

/** Options of `DeploymentManager`. Every field is optional: `new DeploymentManager()` works. */
export interface DeploymentManagerOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** The shared database (or a promise of it). @default the default database from the environment (see `getDefaultDatabase`) */
  db?: Database | Promise<Database>;
  /** The model registry. @default a `new ModelRegistry({ db, clock })` owned (and closed) by the manager */
  modelRegistry?: DeploymentRegistry;
  /** @deprecated Renamed `modelRegistry` (the host guide's name); this alias goes in the next release. */
  registry?: DeploymentRegistry;
  /** Router fed by this manager. @default a new `TrafficRouter` on `db`, owned by the manager (`manager.router`) */
  router?: TrafficRouter;
  /** Rollback manager used for automatic rollbacks. @default a new one on `db`, owned by the manager (`manager.rollbacks`) */
  rollbacks?: RollbackManager;
  /** @default systemClock */
  clock?: Clock;
  /** Strategy when `startDeployment` names none (the composition root passes `DEPLOYMENT_STRATEGY_DEFAULT`). @default 'blue_green' */
  defaultStrategy?: DeploymentStrategy;
  /** Plan defaults merged under each deployment's `plan`. @default DEFAULT_PLAN */
  plan?: DeploymentPlanInput;
  /** Analysis defaults merged under each deployment's `analysis`. @default DEFAULT_ANALYSIS */
  analysis?: AnalysisConfigInput;
  /** Blue-green smoke test of the candidate; without one validation passes (and says so in the audit trail). @default undefined */
  validate?: ValidateModel;
  /** Drive active deployments from this process (any replica may; a lease picks one). @default true */
  drive?: boolean;
  /** How often the driver looks at active deployments. @default 1000 */
  tickIntervalMs?: number;
  /**
   * How long a driving lease lasts without renewal before another replica takes over. The lease is
   * renewed once per tick, so it must exceed the longest single step (e.g. a slow `validate`), or a
   * second replica may start the same step (transitions stay safe: they are compare-and-set).
   * @default 15000
   */
  leaseMs?: number;
  /** This replica's lease owner id. @default a fresh UUIDv7 */
  owner?: string;
  /** Actor recorded for the SDK's own transitions. @default 'sdk' */
  actor?: string;
  /**
   * Reads historic prompts and replays them to a candidate, for `replay()` (`createModelManagement`
   * wires `createHistoryReplayer({ llm, history })`). @default none: `replay()` throws a `ValidationError`
   */
  replayer?: ReplayPort;
}

/** Defaults of {@link DeploymentManagerOptions}. */
export const DEFAULT_DEPLOYMENT_MANAGER_OPTIONS: {
  readonly tickIntervalMs: number;
  readonly leaseMs: number;
  readonly drive: boolean;
  readonly actor: string;
} = { tickIntervalMs: 1000, leaseMs: 15_000, drive: true, actor: 'sdk' };

/** Input of `DeploymentManager.startDeployment`. */
export interface StartDeploymentInput {
  useCase: string;
  /** The registered model to roll out (status `candidate`, `standby` or `deprecated`). */
  newModelId: string;
  /** @default the manager's `defaultStrategy` */
  strategy?: DeploymentStrategy;
  /** Overrides of the manager's plan. @default the manager's `plan` */
  plan?: DeploymentPlanInput;
  /** Overrides of the manager's analysis settings. @default the manager's `analysis` */
  analysis?: AnalysisConfigInput;
  /** Who starts it. @default 'sdk' */
  actor?: string;
  /** Why, recorded in the audit trail. @default 'Deploy <model> <version> (<strategy>)' */
  reason?: string;
}

/** Events of `DeploymentManager`. */
export interface DeploymentManagerEvents {
  /** A deployment was created (status `pending`). */
  'deployment:started': (e: { readonly deployment: Deployment }) => void;
  /** A state or step change committed by this process. */
  'deployment:transition': (e: { readonly deployment: Deployment; readonly from: DeploymentStatus }) => void;
  /** The judge looked at a deployment. */
  'deployment:verdict': (e: { readonly deploymentId: string; readonly verdict: Verdict }) => void;
  /**
   * A step reached `plan.stepMaxDurationMs` without `plan.stepMinSamples` (once per step); `action` is
   * `plan.onLowTraffic` and the verdict says what was done.
   */
  'deployment:low_traffic': (e: {
    readonly deploymentId: string;
    readonly action: LowTrafficAction;
    readonly verdict: Verdict;
  }) => void;
  /** A deployment finished with the candidate promoted. */
  'deployment:succeeded': (e: { readonly deployment: Deployment }) => void;
  /**
   * A `shadow` deployment's candidate passed on shadowed traffic; `followUp` is the deployment started
   * for it by `plan.shadowFollowUp` (null without one, or when it could not start: see `error`).
   */
  'deployment:shadow_passed': (e: {
    readonly deployment: Deployment;
    readonly followUp: Deployment | null;
    readonly error?: unknown;
  }) => void;
  /** A replay from history was judged and its comparison stored (`replay()`). */
  'deployment:replayed': (e: { readonly comparison: ReplayComparison }) => void;
  /** A rollback completed: traffic is back on the previous model. */
  'deployment:rolled_back': (e: RolledBackEvent) => void;
  /** Driving a deployment failed; retryable errors are retried, others roll back. */
  'deployment:error': (e: { readonly deploymentId: string; readonly error: unknown }) => void;
}
