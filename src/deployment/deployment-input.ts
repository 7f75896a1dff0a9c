/**
 * Validation of `startDeployment` input against the registry, before anything is written.
 * @module
 */
import { NotFoundError, ValidationError } from '../errors.js';
import { isUuid } from '../internal/ids.js';
import { show } from './plan.js';
import type { DeploymentRegistry, Model } from './registry-port.js';

/** Throws a `ValidationError` unless `id` is a UUID. @internal */
export function checkId(id: unknown, what = 'deployment', field = 'id'): asserts id is string {
  if (!isUuid(id))
    throw new ValidationError(`Expected \`${field}\` to be a ${what} id (UUID), got ${show(id)}`, { field });
}

/** A copy of `o` without undefined fields (so they do not override defaults). @internal */
export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The model a deployment may roll out: known, of this use case, not current, not retired or failed.
 * @internal
 */
export async function deployableModel(
  registry: DeploymentRegistry,
  useCase: string,
  id: string,
): Promise<Model> {
  let m: Model;
  try {
    m = await registry.getModel(id);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new ValidationError(`Unknown model '${id}' in \`newModelId\``, {
        field: 'newModelId',
        cause: error,
      });
    throw error;
  }
  if (m.useCase !== useCase) {
    throw new ValidationError(`Model '${id}' serves use case '${m.useCase}', not '${useCase}'`, {
      field: 'newModelId',
    });
  }
  if (m.status === 'current')
    throw new ValidationError(`Model '${id}' is already current for '${useCase}'`, { field: 'newModelId' });
  if (m.status === 'retired' || m.status === 'failed') {
    throw new ValidationError(`Model '${id}' is ${m.status} and cannot be deployed; register a new version`, {
      field: 'newModelId',
    });
  }
  return m;
}
