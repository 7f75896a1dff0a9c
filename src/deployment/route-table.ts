/**
 * The routing table the router answers from: per use case, the active deployment's two arms and the
 * candidate threshold in buckets, or the plain current model.
 * @module
 */
import type { Model, RegistrySnapshot } from './registry-port.js';
import type { RouteDecision } from './traffic-router.js';
import type { Deployment } from './types.js';

/** Number of sticky-routing buckets; a weight of 1% is 100 buckets. */
export const ROUTING_BUCKETS = 10_000;

/** One use case with an active deployment. @internal */
export interface RouteEntry {
  deploymentId: string;
  threshold: number;
  rollingBack: boolean;
  stable: RouteDecision;
  candidate: RouteDecision;
}

/**
 * The candidate share actually routed: the deployment's weight, except while a full-weight candidate is
 * under analysis, when `plan.holdbackPercent` of players (the last buckets, so the same players a
 * canary kept on stable) stay on the previous model as the judge's concurrent control.
 * @internal
 */
export function routedWeight(d: Deployment): number {
  const holdback = d.plan.holdbackPercent ?? 0;
  const analysing = d.status === 'progressing' || d.status === 'paused';
  return analysing && d.weight >= 100 && d.stableModelId !== null ? 100 - holdback : d.weight;
}

/**
 * Builds the table from active deployments and the registry snapshot (models missing from the snapshot
 * come from `modelCache`). A deployment whose models are unknown is left out (its use case routes plainly).
 * @internal
 */
export function buildRouteTable(
  active: readonly Deployment[],
  snap: RegistrySnapshot,
  modelCache: ReadonlyMap<string, Model>,
): { entries: Map<string, RouteEntry>; plain: Map<string, RouteDecision> } {
  const model = (id: string | null) => (id ? (snap.models.get(id) ?? modelCache.get(id)) : undefined);
  const entries = new Map<string, RouteEntry>();
  for (const d of active) {
    const candidateModel = model(d.candidateModelId);
    const stableModel = model(d.stableModelId) ?? (d.stableModelId ? undefined : candidateModel);
    if (!candidateModel || !stableModel) continue;
    const noStable = d.stableModelId === null;
    entries.set(d.useCase, {
      deploymentId: d.id,
      threshold: noStable ? ROUTING_BUCKETS : Math.round(routedWeight(d) * (ROUTING_BUCKETS / 100)),
      rollingBack: d.status === 'rolling_back' && !noStable,
      stable: Object.freeze({
        model: stableModel,
        variant: noStable ? 'candidate' : 'stable',
        deploymentId: d.id,
        weight: d.weight,
      }),
      candidate: Object.freeze({
        model: candidateModel,
        variant: 'candidate',
        deploymentId: d.id,
        weight: d.weight,
      }),
    });
  }
  const plain = new Map<string, RouteDecision>();
  for (const [useCase, m] of snap.currentByUseCase) {
    plain.set(useCase, Object.freeze({ model: m, variant: 'stable', deploymentId: null, weight: 0 }));
  }
  return { entries, plain };
}
