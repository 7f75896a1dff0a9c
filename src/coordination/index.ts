/**
 * The service coordinator: one call runs a deployment end to end with host hooks.
 * @module
 */
export { DEFAULT_SERVICE_COORDINATOR_OPTIONS } from './coordinator-options.js';
export { createHistoryReplayer, type HistoryReplayerOptions, reusable } from './history-replayer.js';
export { HookTimeoutError } from './hooks.js';
export type { PreflightOptions, PreflightReplay } from './replay-gate.js';
export { nextShift, ServiceCoordinator } from './service-coordinator.js';
export {
  type ClientProbeOptions,
  createClientProbe,
  DEFAULT_SMOKE_SUITE,
  runSmokeSuite,
  type SmokeAnswer,
  type SmokeCase,
  type SmokeCaseResult,
  type SmokeProbe,
  type SmokeReport,
} from './smoke.js';
export { formatTimeline } from './timeline.js';
export type {
  CoordinateDeploymentInput,
  CoordinationResult,
  CoordinatorDeploymentManager,
  CoordinatorRegistry,
  CoordinatorRollbackManager,
  CoordinatorValidate,
  HookName,
  ServiceCoordinatorEvents,
  ServiceCoordinatorOptions,
  ServiceHooks,
  TimelineEntry,
  TimelinePhase,
  TrafficShift,
} from './types.js';
