/**
 * Validation of {@link CheckInput} for the monitor's public methods.
 * @module
 */
import { ValidationError } from '../errors.js';
import { describe, requireUuid } from '../internal/validate.js';
import type { CheckInput, GuardrailStage } from './types.js';

/** The accepted stages. */
export const STAGES: ReadonlySet<GuardrailStage> = new Set<GuardrailStage>(['input', 'output']);

/** Throws `ValidationError` naming the field when `input` is malformed. */
export function validateInput(input: CheckInput): void {
  if (input === null || typeof input !== 'object') {
    throw new ValidationError(`Expected check input to be an object, got ${describe(input)}`);
  }
  if (typeof input.text !== 'string') {
    throw new ValidationError(
      `Expected \`text\` to be a string, got ${input.text === null ? 'null' : typeof input.text}`,
      {
        field: 'text',
      },
    );
  }
  if (!STAGES.has(input.stage)) throw stageError(input.stage);
  for (const field of ['useCase', 'modelId', 'logId'] as const) {
    if (input[field] !== undefined && typeof input[field] !== 'string') {
      throw new ValidationError(`Expected \`${field}\` to be a string, got ${typeof input[field]}`, {
        field,
      });
    }
  }
  // A model id is stored with every violation and review: refuse anything that is not a registry id.
  if (input.modelId !== undefined) requireUuid(input.modelId, 'modelId');
  if (input.context !== undefined && (input.context === null || typeof input.context !== 'object')) {
    throw new ValidationError(`Expected \`context\` to be an object, got ${describe(input.context)}`, {
      field: 'context',
    });
  }
  const locale = input.context?.locale;
  if (locale !== undefined && typeof locale !== 'string') {
    throw new ValidationError(
      `Expected \`context.locale\` to be a BCP 47 tag such as 'es' or 'pt-BR', got ${typeof locale}`,
      {
        field: 'context.locale',
      },
    );
  }
  const progress = input.context?.questProgress;
  if (progress !== undefined && !Array.isArray(progress)) {
    throw new ValidationError('Expected `context.questProgress` to be an array of quest ids', {
      field: 'context.questProgress',
    });
  }
}

/** The error for an unknown stage. */
export function stageError(stage: unknown): ValidationError {
  return new ValidationError(`Expected \`stage\` to be 'input' or 'output', got ${describe(stage)}`, {
    field: 'stage',
  });
}
