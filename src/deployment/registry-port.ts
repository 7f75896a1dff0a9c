import type { Model, ModelStatus, RegistrySnapshot, StatusChangeOptions } from '../registry/types.js';

/**
 * What progressive delivery needs from the model registry (a narrow slice of `ModelRegistry`, so
 * fakes are trivial). The deployment module never touches the registry's tables.
 */
export interface DeploymentRegistry {
  getModel(id: string): Promise<Model>;
  getCurrentModel(useCase: string): Promise<Model | null>;
  updateModelStatus(id: string, status: ModelStatus, options?: StatusChangeOptions): Promise<Model>;
  snapshot(): RegistrySnapshot;
}

export type { Model, ModelStatus, RegistrySnapshot };
