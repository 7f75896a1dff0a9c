/**
 * Narrative generation (dialogue, narration, quest text) through the LLM client with guardrails.
 * @module
 */
export { DEFAULT_NARRATIVE_GENERATOR_OPTIONS, NarrativeGenerator } from './narrative-generator.js';
export {
  DEFAULT_NARRATIVE_FALLBACKS,
  DEFAULT_NARRATIVE_TEMPLATES,
  DEFAULT_NARRATIVE_USE_CASES,
} from './templates.js';
export {
  NARRATIVE_KINDS,
  type NarrativeCharacter,
  type NarrativeFallbackReason,
  type NarrativeFallbacks,
  type NarrativeGeneratorOptions,
  type NarrativeHistoryEntry,
  type NarrativeKind,
  type NarrativePlayer,
  type NarrativeRequest,
  type NarrativeResult,
  type NarrativeScene,
  type NarrativeTemplate,
} from './types.js';
