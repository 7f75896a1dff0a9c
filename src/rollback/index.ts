export {
  RollbackManager,
  type RollbackManagerEvents,
  type RollbackManagerOptions,
} from './rollback-manager.js';
export type { Rollback, RollbackOptions, RollbackTrigger, RolledBackEvent } from './types.js';
