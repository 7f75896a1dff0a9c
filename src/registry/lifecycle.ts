import { ValidationError } from '../errors.js';
import type { ModelStatus } from './types.js';

/**
 * Legal status transitions. `current → failed` is how a rollback marks a candidate that had taken
 * all traffic; `standby`/`deprecated → current` is how one restores an older model.
 */
export const STATUS_TRANSITIONS: Readonly<Record<ModelStatus, readonly ModelStatus[]>> = {
  candidate: ['current', 'failed', 'retired'],
  current: ['standby', 'deprecated', 'failed'],
  standby: ['current', 'deprecated', 'retired'],
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
