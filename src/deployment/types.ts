/**
 * Shared types of progressive delivery: strategies, the deployment state machine, plans and audit events.
 * @module
 */
import type { DeploymentStrategy } from '../deployment-strategy.js';
import type { AnalysisConfig, LowTrafficAction, Verdict } from './judge.js';

export { DEPLOYMENT_STRATEGIES, type DeploymentStrategy } from '../deployment-strategy.js';

/**
 * The persisted state of a deployment. Active states: `pending`, `validating`, `progressing`, `paused`,
 * `promoting`, `rolling_back`; terminal states: `succeeded`, `shadow_passed` (a shadow
 * deployment's candidate passed without serving players), `rolled_back`, `failed`, `aborted`.
 */
export type DeploymentStatus =
  | 'pending'
  | 'validating'
  | 'progressing'
  | 'paused'
  | 'promoting'
  | 'succeeded'
  | 'shadow_passed'
  | 'rolling_back'
  | 'rolled_back'
  | 'failed'
  | 'aborted';

/** States in which a deployment still owns its use case (only one per use case at a time). */
export const ACTIVE_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'pending',
  'validating',
  'progressing',
  'paused',
  'promoting',
  'rolling_back',
];

/** Every allowed transition of the state machine; anything else is a `ConflictError`. */
export const DEPLOYMENT_TRANSITIONS: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  pending: ['validating', 'progressing', 'promoting', 'paused', 'rolling_back', 'aborted', 'failed'],
  validating: ['progressing', 'rolling_back', 'aborted', 'failed'],
  progressing: [
    'progressing',
    'paused',
    'promoting',
    'rolling_back',
    'aborted',
    'failed',
    'succeeded',
    'shadow_passed',
  ],
  paused: ['progressing', 'promoting', 'rolling_back', 'aborted'],
  promoting: ['succeeded', 'rolling_back', 'failed'],
  rolling_back: ['rolled_back', 'failed'],
  succeeded: [],
  shadow_passed: [],
  rolled_back: [],
  failed: [],
  aborted: [],
};

/** True when `from → to` is a legal transition. */
export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return DEPLOYMENT_TRANSITIONS[from].includes(to);
}

/** True for states in which the deployment still owns its use case. */
export function isActiveStatus(status: DeploymentStatus): boolean {
  return ACTIVE_DEPLOYMENT_STATUSES.includes(status);
}

/** The rollout plan: traffic steps and how long each is held. */
export interface DeploymentPlan {
  /** Candidate traffic weights in percent, strictly increasing, each in (0, 100]. Canary only. */
  steps: number[];
  /** Minimum time each canary step is held before it may pass. */
  stepMinDurationMs: number;
  /** Minimum candidate requests per canary step before it may pass. */
  stepMinSamples: number;
  /**
   * How long blue-green and all-at-once keep the old model on standby under analysis after the
   * switch (the rollback window).
   */
  rollbackWindowMs: number;
  /**
   * Percent of players kept on the previous model while a switched candidate is under analysis (the
   * blue-green and all-at-once rollback window, the canary's 100 % step): the concurrent control the
   * judge compares with, so an incident that hits both models does not roll back a healthy candidate.
   * 0 turns it off (then the judge compares with the previous model's earlier windows, or ceilings).
   * Stored plans without it behave as 0. @default 10
   */
  holdbackPercent?: number;
  /**
   * Longest a canary step waits for `stepMinSamples`; then `onLowTraffic` applies (and
   * `deployment:low_traffic` is emitted). At least `stepMinDurationMs` when given.
   * @default the larger of 1_800_000 (30 min) and twice `stepMinDurationMs`
   */
  stepMaxDurationMs?: number;
  /** What a step that reached `stepMaxDurationMs` without its minimum samples does. @default 'hold' */
  onLowTraffic?: LowTrafficAction;
  /**
   * Share of live requests (0–1] also sent to the candidate in the background by the `shadow` strategy.
   * @default 0.1
   */
  shadowRate?: number;
  /**
   * Pairs a `shadow` deployment needs before it may pass (with `stepMinDurationMs`). Higher than a
   * canary step's minimum because no player waits on it, and rare events (critical violations at
   * 0.01 %) need thousands of pairs to be told apart. @default 4000
   */
  shadowMinPairs?: number;
  /**
   * Strategy started for the same candidate once a `shadow` deployment ends `shadow_passed` (e.g.
   * `'canary'`); none by default: the candidate then stays a candidate.
   */
  shadowFollowUp?: Exclude<DeploymentStrategy, 'shadow'>;
}

/** A deployment as stored. */
export interface Deployment {
  readonly id: string;
  readonly useCase: string;
  readonly strategy: DeploymentStrategy;
  readonly status: DeploymentStatus;
  /** The new model being rolled out. */
  readonly candidateModelId: string;
  /** The model that was current when the deployment started (null for a use case's first model). */
  readonly stableModelId: string | null;
  /** Current candidate traffic weight in percent (0–100). */
  readonly weight: number;
  /** Index into `plan.steps` (canary) or 0. */
  readonly stepIndex: number;
  readonly plan: DeploymentPlan;
  readonly analysis: AnalysisConfig;
  /** True once the registry's current model has been switched to the candidate. */
  readonly switched: boolean;
  readonly actor: string;
  readonly reason: string | null;
  readonly lastVerdict: Verdict | null;
  readonly stepStartedAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
  /** Optimistic-concurrency counter, bumped by every transition. */
  readonly version: number;
  /** Replica currently driving the deployment, if any. */
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
}

/** One row of the audit trail: a state transition or a step change. */
export interface DeploymentEvent {
  readonly id: string;
  readonly deploymentId: string;
  readonly at: Date;
  readonly fromStatus: DeploymentStatus | null;
  readonly toStatus: DeploymentStatus;
  readonly actor: string;
  readonly reason: string | null;
  readonly weight: number;
  readonly verdict: Verdict | null;
}

/** Filter for `listDeployments`. */
export interface ListDeploymentsFilter {
  useCase?: string;
  status?: DeploymentStatus | DeploymentStatus[];
  /** @default 100 */
  limit?: number;
}
