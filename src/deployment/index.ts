export {
  type DriverContext,
  STALE_ROLLBACK_MS,
  type ValidateModel,
  type ValidationResult,
} from './deployment-driver.js';
export { DeploymentManager, type ManualOptions } from './deployment-manager.js';
export {
  DEFAULT_DEPLOYMENT_MANAGER_OPTIONS,
  type DeploymentManagerEvents,
  type DeploymentManagerOptions,
  type StartDeploymentInput,
} from './deployment-manager-options.js';
export type {
  ArmFigures,
  ArmWindow,
  DeploymentReport,
  EvidenceFigure,
  ExposurePoint,
  ReportVerdict,
  ThresholdPoint,
  WeightPoint,
} from './deployment-report.js';
export {
  type AnalysisConfig,
  type BaselineKind,
  DEFAULT_ANALYSIS,
  type JudgeInput,
  judge,
  type LatencyThreshold,
  type LowTrafficAction,
  type MetricFigures,
  type MetricName,
  type MetricWindow,
  type RateThreshold,
  type Variant,
  type Verdict,
  type VerdictBaseline,
  type VerdictKind,
} from './judge.js';
export type { OutcomeInput } from './outcome-aggregator.js';
export {
  type AnalysisConfigInput,
  DEFAULT_PLAN,
  DEFAULT_SHADOW_MIN_PAIRS,
  DEFAULT_SHADOW_RATE,
  DEFAULT_STRATEGY,
  type DeploymentPlanInput,
  LOW_TRAFFIC_ACTIONS,
} from './plan.js';
export type { DeploymentRegistry } from './registry-port.js';
export type { ReplayedPair, ReplayPairs, ReplayPort, ReplayRequest } from './replay-port.js';
export { DEFAULT_REPLAY, type ReplayInput } from './replay-run.js';
export {
  RollbackManager,
  type RollbackManagerEvents,
  type RollbackManagerOptions,
} from './rollback-manager.js';
export type { Rollback, RollbackOptions, RollbackTrigger, RolledBackEvent } from './rollback-types.js';
export type { ShadowPairInput } from './shadow-aggregator.js';
export {
  type ArmOutcome,
  judgeShadow,
  type PairedCounts,
  type ShadowJudgeInput,
  type ShadowWindow,
} from './shadow-judge.js';
export type { ReplayComparison } from './shadow-store.js';
export type { ShadowTarget } from './traffic-router.js';
export {
  type ArmMetrics,
  DEFAULT_ROUTER_OPTIONS,
  DEPLOYMENTS_TOPIC,
  ROUTING_BUCKETS,
  type RouteDecision,
  type RouteOptions,
  TrafficRouter,
  type TrafficRouterEvents,
  type TrafficRouterMetrics,
  type TrafficRouterOptions,
} from './traffic-router.js';
export {
  ACTIVE_DEPLOYMENT_STATUSES,
  DEPLOYMENT_STRATEGIES,
  DEPLOYMENT_TRANSITIONS,
  type Deployment,
  type DeploymentEvent,
  type DeploymentPlan,
  type DeploymentStatus,
  type DeploymentStrategy,
  isActiveStatus,
  type ListDeploymentsFilter,
} from './types.js';
