import { DEPLOYMENT_STRATEGIES, type DeploymentStrategy } from '../deployment/index.js';
import { ValidationError } from '../errors.js';
import { isUuid } from '../internal/ids.js';
import { describe, MAX_TIMER_MS, nonEmptyString, renamedOption } from '../internal/validate.js';
import type { GuardrailsLike } from '../llm/index.js';
import type { CoordinateDeploymentInput, CoordinatorRegistry, ServiceCoordinatorOptions } from './types.js';

/** Defaults of {@link ServiceCoordinatorOptions}. */
export const DEFAULT_SERVICE_COORDINATOR_OPTIONS: {
  readonly hookTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly smokeMinPassRate: number;
  readonly smokeRetries: number;
  readonly smokeTimeoutMs: number;
  readonly drive: boolean;
  readonly actor: string;
} = Object.freeze({
  hookTimeoutMs: 5_000,
  pollIntervalMs: 1_000,
  timeoutMs: 3_600_000,
  smokeMinPassRate: 1,
  smokeRetries: 1,
  smokeTimeoutMs: 10_000,
  drive: true,
  actor: 'service-coordinator',
});

function positiveMs(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new ValidationError(`Expected \`${field}\` to be a positive number of ms, got ${describe(value)}`, {
      field,
    });
  }
}

function needs(value: unknown, field: string, methods: string[]): void {
  if (value === undefined) return;
  for (const m of methods) {
    if (typeof (value as Record<string, unknown> | null)?.[m] !== 'function') {
      throw new ValidationError(`Expected \`${field}\` to have a \`${m}()\` method, got ${describe(value)}`, {
        field,
      });
    }
  }
}

/**
 * Throws a `ValidationError` naming the first wrong option; returns the options with the deprecated
 * aliases (`registry`, `guardrails`) resolved into both names. @internal
 */
export function validateCoordinatorOptions(options: ServiceCoordinatorOptions): ServiceCoordinatorOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(
      `Expected ServiceCoordinator options such as { deploymentManager }, got ${describe(options)}`,
    );
  }
  const where = 'ServiceCoordinator options';
  const modelRegistry = renamedOption<CoordinatorRegistry>(options, 'modelRegistry', 'registry', where);
  const guardrailsMonitor = renamedOption<GuardrailsLike>(options, 'guardrailsMonitor', 'guardrails', where);
  const o: ServiceCoordinatorOptions = {
    ...options,
    modelRegistry,
    registry: modelRegistry,
    guardrailsMonitor,
    guardrails: guardrailsMonitor,
  };
  if (o.deploymentManager === undefined) {
    throw new ValidationError('Expected `deploymentManager` (a DeploymentManager)', {
      field: 'deploymentManager',
    });
  }
  needs(o.deploymentManager, 'deploymentManager', ['startDeployment', 'getDeployment', 'abort', 'tick']);
  needs(o.llmClient, 'llmClient', ['probe']);
  needs(o.rollbackManager, 'rollbackManager', ['rollback', 'listRollbacks']);
  needs(o.modelRegistry, 'modelRegistry', ['getCurrentModel', 'getModel']);
  needs(o.guardrailsMonitor, 'guardrailsMonitor', ['check']);
  for (const f of ['probe', 'validate'] as const) {
    if (o[f] !== undefined && typeof o[f] !== 'function') {
      throw new ValidationError(`Expected \`${f}\` to be a function, got ${describe(o[f])}`, { field: f });
    }
  }
  if (o.hooks !== undefined) {
    if (typeof o.hooks !== 'object' || o.hooks === null) {
      throw new ValidationError(`Expected \`hooks\` to be an object of functions, got ${describe(o.hooks)}`, {
        field: 'hooks',
      });
    }
    for (const [k, v] of Object.entries(o.hooks)) {
      if (v !== undefined && typeof v !== 'function') {
        throw new ValidationError(`Expected \`hooks.${k}\` to be a function, got ${describe(v)}`, {
          field: `hooks.${k}`,
        });
      }
    }
  }
  positiveMs(o.hookTimeoutMs, 'hookTimeoutMs');
  positiveMs(o.pollIntervalMs, 'pollIntervalMs');
  positiveMs(o.timeoutMs, 'timeoutMs');
  positiveMs(o.smokeTimeoutMs, 'smokeTimeoutMs');
  const sr = o.smokeRetries;
  if (sr !== undefined && (!Number.isInteger(sr) || sr < 0 || sr > 10)) {
    throw new ValidationError(
      `Expected \`smokeRetries\` to be an integer from 0 to 10, got ${describe(sr)}`,
      {
        field: 'smokeRetries',
      },
    );
  }
  const r = o.smokeMinPassRate;
  if (r !== undefined && (typeof r !== 'number' || !(r > 0 && r <= 1))) {
    throw new ValidationError(`Expected \`smokeMinPassRate\` to be a number in (0, 1], got ${describe(r)}`, {
      field: 'smokeMinPassRate',
    });
  }
  if (o.smokeSuite !== undefined) {
    if (!Array.isArray(o.smokeSuite)) {
      throw new ValidationError(
        `Expected \`smokeSuite\` to be an array of { name, prompt }, got ${describe(o.smokeSuite)}`,
        {
          field: 'smokeSuite',
        },
      );
    }
    o.smokeSuite.forEach((c, i) => {
      nonEmptyString(c?.name, `smokeSuite[${i}].name`);
      nonEmptyString(c?.prompt, `smokeSuite[${i}].prompt`);
    });
  }
  if (o.drive !== undefined && typeof o.drive !== 'boolean') {
    throw new ValidationError(`Expected \`drive\` to be a boolean, got ${describe(o.drive)}`, {
      field: 'drive',
    });
  }
  if (o.actor !== undefined) nonEmptyString(o.actor, 'actor');
  return o;
}

/** Throws a `ValidationError` naming the first wrong field of the input. @internal */
export function validateCoordinateInput(i: CoordinateDeploymentInput): void {
  if (typeof i !== 'object' || i === null) {
    throw new ValidationError(
      `Expected input such as { newModelId, currentModelId, useCase }, got ${describe(i)}`,
    );
  }
  if (i.signal !== undefined && !(i.signal instanceof AbortSignal)) {
    throw new ValidationError(`Expected \`signal\` to be an AbortSignal, got ${describe(i.signal)}`, {
      field: 'signal',
    });
  }
  i.signal?.throwIfAborted();
  if (!isUuid(i.newModelId)) {
    throw new ValidationError(
      `Expected \`newModelId\` to be a model id (UUID), got ${describe(i.newModelId)}`,
      {
        field: 'newModelId',
      },
    );
  }
  if (i.currentModelId !== null && !isUuid(i.currentModelId)) {
    throw new ValidationError(
      `Expected \`currentModelId\` to be a model id (UUID) or null for a first model, got ${describe(i.currentModelId)}`,
      { field: 'currentModelId' },
    );
  }
  if (i.currentModelId === i.newModelId) {
    throw new ValidationError('Expected `newModelId` to differ from `currentModelId`', {
      field: 'newModelId',
    });
  }
  nonEmptyString(i.useCase, 'useCase');
  if (i.strategy !== undefined && !DEPLOYMENT_STRATEGIES.includes(i.strategy as DeploymentStrategy)) {
    throw new ValidationError(
      `Expected \`strategy\` to be one of ${DEPLOYMENT_STRATEGIES.map((s) => `'${s}'`).join(', ')}, got ${describe(i.strategy)}`,
      { field: 'strategy' },
    );
  }
  if (i.actor !== undefined) nonEmptyString(i.actor, 'actor');
  if (i.reason !== undefined) nonEmptyString(i.reason, 'reason');
}
