/**
 * The stable step of the fallback chain: which model serves when the routed one failed, and the
 * registry reads (with a timeout and downtime tracking) that find it.
 * @module
 */
import { ModelManagementError, NotFoundError } from '../errors.js';
import type { ChainFailure, PipelineDeps } from './request-path.js';
import type { Model, RouteDecision } from './types.js';

/** What the stable step needs from the pipeline. @internal */
export type StableDeps = Pick<
  PipelineDeps,
  'registry' | 'router' | 'counters' | 'emitter' | 'clock' | 'registryTimeoutMs'
> & {
  /** Reports a throwing router. */
  routerError(useCase: string, error: unknown): void;
};

/**
 * The stable fallback of a request whose routed model failed. For a request routed by an active
 * deployment: that deployment's previous model (`stableModelId`) — after a blue-green or all-at-once
 * switch the registry's current model IS the candidate, so "current" would retry the failing model.
 * Otherwise, or when the router cannot say or the registry does not know that model, the registry's
 * current model. Registry failures are pushed to `failures`; null when there is none. @internal
 */
export async function stableModel(
  d: StableDeps,
  useCase: string,
  route: RouteDecision | null,
  failures: ChainFailure[],
): Promise<Model | null> {
  const registry = d.registry!;
  const previousId = route?.deploymentId ? deploymentStableId(d, useCase, route.deploymentId) : null;
  if (previousId) {
    if (previousId === route!.model.id) return route!.model;
    const cached = registry.snapshot?.().models.get(previousId);
    if (cached) return cached;
    if (registry.getModel) {
      const found = await registryLookup(d, useCase, failures, () => registry.getModel!(previousId));
      if (found) return found;
      // Unreachable (not merely unknown): the current model would be read from the same registry.
      if (!(failures.at(-1)?.error instanceof NotFoundError)) return null;
    }
  }
  return registryLookup(d, useCase, failures, () => registry.getCurrentModel(useCase));
}

/** The `stableModelId` of the router's active deployment, when it is still `deploymentId`; else null. */
function deploymentStableId(d: StableDeps, useCase: string, deploymentId: string): string | null {
  const router = d.router;
  if (!router?.activeDeployment) return null;
  try {
    const active = router.activeDeployment(useCase);
    return active && active.id === deploymentId ? active.stableModelId : null;
  } catch (error) {
    d.routerError(useCase, error);
    return null;
  }
}

/**
 * A registry read with a timeout. A failure is pushed to `failures`; an unreachable registry (anything
 * but `NotFoundError`) is counted and tracked as downtime (`llm:registry_unavailable` / `_recovered`).
 */
async function registryLookup(
  d: StableDeps,
  useCase: string,
  failures: ChainFailure[],
  lookup: () => Promise<Model | null>,
): Promise<Model | null> {
  const c = d.counters;
  try {
    const model = await withTimeout(lookup(), d.registryTimeoutMs, useCase);
    if (c.registryDownSince !== null) {
      const downtimeMs = d.clock.now() - c.registryDownSince;
      c.registryDownSince = null;
      d.emitter.emitSafely('llm:registry_recovered', {
        useCase,
        message: 'model registry reachable again',
        downtimeMs,
      });
    }
    return model;
  } catch (error) {
    failures.push({ from: 'registry', endpoint: null, error });
    if (error instanceof NotFoundError) return null;
    c.registryFailures++;
    if (c.registryDownSince === null) {
      c.registryDownSince = d.clock.now();
      const message = error instanceof Error ? error.message : String(error);
      d.emitter.emitSafely('llm:registry_unavailable', { useCase, message, downtimeMs: null });
    }
    return null;
  }
}

/** A registry lookup that hangs (database unreachable without a fast failure) counts as unavailable. */
function withTimeout<T>(pending: Promise<T>, ms: number, useCase: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ModelManagementError(
            'REGISTRY_TIMEOUT',
            `Model registry did not answer for '${useCase}' within ${ms} ms`,
            { retryable: true },
          ),
        ),
      ms,
    );
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
