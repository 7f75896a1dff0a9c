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
