/**
 * `model-management-sdk/testing`: what a host's own tests need to drive the SDK without wall-clock
 * time or a real model — a manual clock, the simulated provider and its knobs, and an in-memory database.
 * @example
 * ```ts
 * import { createModelManagement } from 'model-management-sdk';
 * import { ManualClock } from 'model-management-sdk/testing';
 * const clock = new ManualClock();
 * const mm = await createModelManagement({ db: { memory: true }, clock });
 * ```
 * @packageDocumentation
 */
export { type Clock, ManualClock, systemClock } from './internal/clock.js';
export {
  DEFAULT_SIMULATED_RESPONSES,
  DEFAULT_SIMULATED_UNSAFE_TEXT,
  type SimulatedConfiguration,
  SimulatedProvider,
  type SimulatedProviderOptions,
} from './llm/index.js';
