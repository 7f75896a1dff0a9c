import type { Model, ModelStatus, RegistrySnapshot, StatusChangeOptions } from '../registry/index.js';

/**
 * What progressive delivery needs from the model registry (a narrow slice of `ModelRegistry`, so
 * fakes are trivial). The deployment module never touches the registry's tables.
 */
export interface DeploymentRegistry {
  /** One model by id; rejects with `NotFoundError` when absent. */
  getModel(id: string): Promise<Model>;
  /** The current model of a use case, or null. */
  getCurrentModel(useCase: string): Promise<Model | null>;
  /** Moves a model through its lifecycle (promotion demotes the previous current model). */
  updateModelStatus(id: string, status: ModelStatus, options?: StatusChangeOptions): Promise<Model>;
  /** The in-memory view, read synchronously by the router. */
  snapshot(): RegistrySnapshot;
}

export type { Model, ModelStatus, RegistrySnapshot };
