/**
 * Deployment strategy names, at the root so configuration (`DEPLOYMENT_STRATEGY_DEFAULT`) can validate
 * them without importing the deployment part.
 * @module
 */

/** How a new model reaches production. */
export type DeploymentStrategy = 'blue_green' | 'canary' | 'all_at_once';

/** Every {@link DeploymentStrategy}. */
export const DEPLOYMENT_STRATEGIES: readonly DeploymentStrategy[] = ['blue_green', 'canary', 'all_at_once'];
