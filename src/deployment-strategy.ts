/**
 * Deployment strategy names, at the root so configuration (`DEPLOYMENT_STRATEGY_DEFAULT`) can validate
 * them without importing the deployment part.
 * @module
 */

/**
 * How a new model reaches production. `shadow` exposes no player: a share of live requests is also sent
 * to the candidate in the background and judged pair by pair (see `DeploymentPlan.shadowRate`).
 */
export type DeploymentStrategy = 'blue_green' | 'canary' | 'all_at_once' | 'shadow';

/** Every {@link DeploymentStrategy}. */
export const DEPLOYMENT_STRATEGIES: readonly DeploymentStrategy[] = [
  'blue_green',
  'canary',
  'all_at_once',
  'shadow',
];

/**
 * The strategies a default may name (`DEPLOYMENT_STRATEGY_DEFAULT`, `DeploymentManagerOptions.defaultStrategy`):
 * all but `shadow`, which ends `shadow_passed` without promoting unless the plan names a `shadowFollowUp`,
 * so a deployment started without a strategy would never reach players.
 */
export const DEFAULT_DEPLOYMENT_STRATEGIES: readonly DeploymentStrategy[] = DEPLOYMENT_STRATEGIES.filter(
  (s) => s !== 'shadow',
);
