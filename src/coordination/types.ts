/**
 * Public types of the service coordinator: options, hooks, results, timeline and events.
 * @module
 */

import type {
  AnalysisConfigInput,
  Deployment,
  DeploymentManager,
  DeploymentPlanInput,
  DeploymentStrategy,
  ReplayComparison,
  Rollback,
  RollbackManager,
  ValidationResult,
} from '../deployment/index.js';
import type { Clock } from '../internal/clock.js';
import type { GuardrailsLike, LLMClient } from '../llm/index.js';
import type { Logger } from '../logger.js';
import type { Model } from '../registry/index.js';
import type { PreflightOptions } from './replay-gate.js';
import type { SmokeCase, SmokeProbe, SmokeReport } from './smoke.js';

/** What the coordinator needs from a `DeploymentManager` (a narrow slice, so fakes are trivial). */
export type CoordinatorDeploymentManager = Pick<
  DeploymentManager,
  'startDeployment' | 'getDeployment' | 'abort' | 'tick'
> &
  Partial<Pick<DeploymentManager, 'replay'>> & {
    /** The manager's rollback manager; used when no `rollbackManager` option is given. */
    readonly rollbacks?: CoordinatorRollbackManager;
  };

/** What the coordinator needs from a `RollbackManager`. */
export type CoordinatorRollbackManager = Pick<RollbackManager, 'rollback' | 'listRollbacks'>;

/** What the coordinator needs from a `ModelRegistry`: the current-model check and the candidate's record. */
export interface CoordinatorRegistry {
  /** The current model of a use case, or null. */
  getCurrentModel(useCase: string): Promise<Pick<Model, 'id'> | null>;
  /** One model by id (for the smoke suite and the host `validate`). */
  getModel(id: string): Promise<Model>;
}

/** Which hook ran. */
export type HookName =
  | 'onDeploymentStarted'
  | 'beforeTrafficShift'
  | 'onCompleted'
  | 'onRolledBack'
  | 'onFailed';

/** Payload of `beforeTrafficShift`: the shift about to happen. */
export interface TrafficShift {
  readonly deploymentId: string;
  readonly useCase: string;
  readonly strategy: DeploymentStrategy;
  /** Candidate weight now (percent). */
  readonly fromWeight: number;
  /** Candidate weight after the shift (percent). */
  readonly toWeight: number;
  /** The deployment as last read. */
  readonly deployment: Deployment;
  /** True when the shift was already taken by a manager driving on its own timer (the hook can still stop the rollout). */
  readonly alreadyApplied: boolean;
}

/**
 * Host service hooks. Each runs with `hookTimeoutMs`; a throw or timeout is reported
 * (`coordination:hook_failed` and the timeline). `beforeTrafficShift` may also return `false` (or
 * throw) to stop the shift: the deployment is aborted (no traffic yet) or rolled back.
 */
export interface ServiceHooks {
  /** After the deployment record exists, before any traffic moves. */
  onDeploymentStarted?(e: { readonly deployment: Deployment }): unknown;
  /** Before each traffic shift the coordinator drives; `false` or a throw stops it. */
  beforeTrafficShift?(shift: TrafficShift): unknown;
  /** The candidate was promoted. */
  onCompleted?(result: CoordinationResult): unknown;
  /** Traffic went back to the previous model (automatic rollback, abort or refused shift). */
  onRolledBack?(result: CoordinationResult & { readonly rollback: Rollback | null }): unknown;
  /** The coordination failed (smoke suite, timeout, rollback that could not finish). */
  onFailed?(result: CoordinationResult): unknown;
}

/** A host validator of the candidate, used in place of (or besides) the LLM smoke suite. */
export type CoordinatorValidate = (model: Model) => Promise<ValidationResult> | ValidationResult;

/** Options of {@link ServiceCoordinator}. */
export interface ServiceCoordinatorOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** The deployment manager that owns the state machine. Required. */
  deploymentManager: CoordinatorDeploymentManager;
  /** The host's LLM client; when given (or `probe`), the candidate is smoke-tested through `llmClient.probe()` before any traffic. */
  llmClient?: Pick<LLMClient, 'probe'>;
  /** Rollbacks (refused shifts after traffic moved). @default deploymentManager.rollbacks */
  rollbackManager?: CoordinatorRollbackManager;
  /** Registry for the current-model check before anything is written and for the smoke suite. */
  modelRegistry?: CoordinatorRegistry;
  /** @deprecated Renamed `modelRegistry` (the host guide's name); this alias goes in the next release. */
  registry?: CoordinatorRegistry;
  /** Host service hooks. @default {} */
  hooks?: ServiceHooks;
  /** @default systemClock */
  clock?: Clock;
  /** Prompts sent to the candidate before any player traffic. @default DEFAULT_SMOKE_SUITE */
  smokeSuite?: readonly SmokeCase[];
  /** Share of smoke cases that must pass (0–1]. @default 1 */
  smokeMinPassRate?: number;
  /** How the candidate is called. @default createClientProbe(llmClient, { retries: smokeRetries, timeoutMs: smokeTimeoutMs, guardrails }) */
  probe?: SmokeProbe;
  /** Retries of each smoke call (0–10), so a broken candidate fails fast. @default 1 */
  smokeRetries?: number;
  /** Budget of each smoke call, every attempt included. @default 10_000 */
  smokeTimeoutMs?: number;
  /** Checks smoke answers with these guardrails instead of the llmClient's own (a blocked answer fails its case). @default the llmClient's output guardrails */
  guardrailsMonitor?: GuardrailsLike;
  /** @deprecated Renamed `guardrailsMonitor` (the host guide's name); this alias goes in the next release. */
  guardrails?: GuardrailsLike;
  /** Host validator run after the smoke suite; `false` fails the coordination before traffic. */
  validate?: CoordinatorValidate;
  /** Budget of each hook call. @default 5000 */
  hookTimeoutMs?: number;
  /** Pause between polls of the deployment (on `clock`). @default 1000 */
  pollIntervalMs?: number;
  /** Give up (and roll back) after this long. @default 3_600_000 */
  timeoutMs?: number;
  /** Call `deploymentManager.tick()` on every poll (harmless when the manager also drives itself). @default true */
  drive?: boolean;
  /** Actor recorded on the deployment. @default 'service-coordinator' */
  actor?: string;
}

/** Input of {@link ServiceCoordinator.coordinateModelDeployment}. */
export interface CoordinateDeploymentInput {
  /** The registered model to roll out. */
  newModelId: string;
  /** The model the caller believes is current; `null` for a use case's first model. */
  currentModelId: string | null;
  useCase: string;
  /** @default the DeploymentManager's default (`DEPLOYMENT_STRATEGY_DEFAULT`) */
  strategy?: DeploymentStrategy;
  plan?: DeploymentPlanInput;
  analysis?: AnalysisConfigInput;
  /** @default options.actor */
  actor?: string;
  /** Reason recorded on the deployment. */
  reason?: string;
  /** Gates run before any deployment exists, e.g. `{ replay: { sample: 500 } }` (replay from history). */
  preflight?: PreflightOptions;
  /**
   * Stops the coordination: aborted before it starts, the call rejects with the signal's reason;
   * aborted later, the deployment is stopped (rolled back if traffic moved) at the next poll and the
   * result says so. @default none
   */
  signal?: AbortSignal;
}

/** Kinds of timeline entries. */
export type TimelinePhase =
  | 'check'
  | 'smoke'
  | 'hook'
  | 'deployment'
  | 'shift'
  | 'rollback'
  | 'note'
  | 'error';

/** One line of the readable timeline. */
export interface TimelineEntry {
  /** Clock time (ms since epoch). */
  readonly at: number;
  /** Ms since the coordination started. */
  readonly elapsedMs: number;
  readonly phase: TimelinePhase;
  readonly message: string;
  /** False for failures (failed hooks, smoke cases, refused shifts). */
  readonly ok: boolean;
}

/** Result of {@link ServiceCoordinator.coordinateModelDeployment}. */
export interface CoordinationResult {
  /** `shadow_passed`: a `shadow` deployment's candidate passed without serving players. */
  readonly status: 'succeeded' | 'shadow_passed' | 'rolled_back' | 'failed';
  /** The replay pre-flight comparison, when `preflight.replay` ran. */
  readonly replay?: ReplayComparison | null;
  /** Null when the coordination stopped before a deployment was created (smoke suite, validator). */
  readonly deploymentId: string | null;
  readonly useCase: string;
  readonly newModelId: string;
  readonly previousModelId: string | null;
  readonly strategy: DeploymentStrategy | null;
  readonly durationMs: number;
  readonly reason: string;
  readonly smoke: SmokeReport | null;
  readonly timeline: readonly TimelineEntry[];
}

/** Events of {@link ServiceCoordinator}. */
export interface ServiceCoordinatorEvents {
  /** Every timeline entry as it is written. */
  'coordination:timeline': (e: {
    readonly useCase: string;
    readonly deploymentId: string | null;
    readonly entry: TimelineEntry;
  }) => void;
  /** The smoke suite finished. */
  'coordination:smoke': (e: {
    readonly useCase: string;
    readonly modelId: string;
    readonly report: SmokeReport;
  }) => void;
  /** A hook threw, refused or timed out. */
  'coordination:hook_failed': (e: {
    readonly hook: HookName;
    readonly deploymentId: string | null;
    readonly timedOut: boolean;
    readonly error: unknown;
  }) => void;
  /** The coordinator is about to wait `pollIntervalMs` on its clock (tests advance a ManualClock on this). */
  'coordination:waiting': (e: {
    readonly deploymentId: string;
    readonly status: Deployment['status'];
    readonly weight: number;
  }) => void;
  /** A coordination ended. */
  'coordination:finished': (e: { readonly result: CoordinationResult }) => void;
}
