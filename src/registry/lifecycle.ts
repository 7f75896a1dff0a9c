import { ValidationError } from '../errors.js';
import type { ModelStatus } from './types.js';

/**
 * Legal status transitions. A rollback restores the previous model (`standby`/`deprecated → current`,
 * which demotes the loser to `standby` atomically) and then marks the loser `standby → failed`;
 * `current → failed` covers a rollback with nothing to restore.
 */
export const STATUS_TRANSITIONS: Readonly<Record<ModelStatus, readonly ModelStatus[]>> = {
  candidate: ['current', 'failed', 'retired'],
  current: ['standby', 'deprecated', 'failed'],
  standby: ['current', 'deprecated', 'retired', 'failed'],
  deprecated: ['current', 'retired'],
  failed: ['retired'],
  retired: [],
};

/** Throws a `ValidationError` unless `from → to` is a legal transition. */
export function assertTransition(modelId: string, from: ModelStatus, to: ModelStatus): void {
  if (STATUS_TRANSITIONS[from].includes(to)) return;
  const allowed = STATUS_TRANSITIONS[from];
  throw new ValidationError(
    `Model ${modelId} cannot go from '${from}' to '${to}'; from '${from}' it can go to ${
      allowed.length ? allowed.map((s) => `'${s}'`).join(', ') : 'nothing (it is final)'
    }`,
    { field: 'status', details: { modelId, from, to } },
  );
}
