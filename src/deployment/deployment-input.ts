/**
 * Validation of `startDeployment` input against the registry, before anything is written.
 * @module
 */
import { NotFoundError, ValidationError } from '../errors.js';
import { isUuid, uuidv7 } from '../internal/ids.js';
import { describe } from '../internal/validate.js';
import type { AnalysisConfig } from './judge.js';
import type { DeploymentRegistry, Model } from './registry-port.js';
import type { Deployment, DeploymentPlan, DeploymentStrategy } from './types.js';

/** Throws a `ValidationError` unless `id` is a UUID. @internal */
export function checkId(id: unknown, what = 'deployment', field = 'id'): asserts id is string {
  if (!isUuid(id))
    throw new ValidationError(`Expected \`${field}\` to be a ${what} id (UUID), got ${describe(id)}`, {
      field,
    });
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

/** Throws a `ValidationError` unless `limit` is undefined or an integer in 1–1000. @internal */
export function checkLimit(limit: unknown): void {
  if (
    limit !== undefined &&
    (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)
  ) {
    throw new ValidationError(`Expected \`limit\` to be an integer in 1–1000, got ${describe(limit)}`, {
      field: 'limit',
    });
  }
}

/** A new `pending` deployment record (not yet stored). @internal */
export function newDeployment(input: {
  useCase: string;
  strategy: DeploymentStrategy;
  candidate: Model;
  stableModelId: string | null;
  plan: DeploymentPlan;
  analysis: AnalysisConfig;
  actor: string;
  reason: string | undefined;
  now: number;
}): Deployment {
  const now = new Date(input.now);
  const { candidate: model, strategy } = input;
  return {
    id: uuidv7(input.now),
    useCase: input.useCase,
    strategy,
    status: 'pending',
    candidateModelId: model.id,
    stableModelId: input.stableModelId,
    weight: 0,
    stepIndex: 0,
    plan: input.plan,
    analysis: input.analysis,
    switched: false,
    actor: input.actor,
    reason: input.reason ?? `Deploy ${model.modelName} ${model.version} (${strategy})`,
    lastVerdict: null,
    stepStartedAt: now,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    version: 1,
    leaseOwner: null,
    leaseExpiresAt: null,
  };
}
