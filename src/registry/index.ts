export { STATUS_TRANSITIONS } from './lifecycle.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './model-queries.js';
export { ModelRegistry } from './model-registry.js';
export {
  DEFAULT_REGISTRY_OPTIONS,
  type ModelRegistryEvents,
  type ModelRegistryOptions,
  type RegistryMetrics,
  type StatusChangedEvent,
} from './registry-options.js';
export * from './types.js';
export {
  DEFAULT_PROVIDERS,
  IDENTIFIER_PATTERN,
  MODEL_NAME_PATTERN,
  TAG_PATTERN,
  VERSION_PATTERN,
} from './validation.js';
