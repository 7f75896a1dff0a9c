import type { ModelRegistry } from '../../src/index.js';
import type { JsonObject, Model } from '../../src/registry/types.js';

/** Registers version `version` of the simulated model `npc` for `useCase` (status `candidate`). */
export function registerNpc(
  registry: Pick<ModelRegistry, 'registerModel'>,
  useCase: string,
  version: string,
  configuration?: JsonObject,
): Promise<Model> {
  return registry.registerModel({
    modelName: 'npc',
    modelType: 'api',
    provider: 'simulated',
    useCase,
    version,
    ...(configuration && { configuration }),
  });
}
