/**
 * Public types of the narrative generator.
 * @module
 */
import type { GuardrailsLike, GuardrailViolation, LLMClient } from '../llm/index.js';
import type { Logger } from '../logger.js';

/** What is generated. */
export type NarrativeKind = 'dialogue' | 'narration' | 'quest_text';

/** Every kind, in the order the docs list them. */
export const NARRATIVE_KINDS: readonly NarrativeKind[] = ['dialogue', 'narration', 'quest_text'];

/** Where the scene takes place. `conversationId` pins a conversation to one model during a rollout. */
export interface NarrativeScene {
  id: string;
  description?: string;
  location?: string;
  conversationId?: string;
}

/** A character in the scene; for `dialogue` the first one speaks. */
export interface NarrativeCharacter {
  id: string;
  name: string;
  persona?: string;
  role?: string;
}

/** The player; `id` is the sticky routing key. */
export interface NarrativePlayer {
  id: string;
  name?: string;
}

/** One earlier line of the conversation or story. */
export interface NarrativeHistoryEntry {
  speaker: string;
  text: string;
}

/** Input of {@link NarrativeGenerator.generate}. */
export interface NarrativeRequest {
  kind: NarrativeKind;
  scene: NarrativeScene;
  characters: NarrativeCharacter[];
  player: NarrativePlayer;
  /** e.g. `'warm'`, `'ominous'`. */
  tone: string;
  /** ESRB (`E`, `E10+`, `T`, `M`, `AO`), PEGI (`3`…`18`) or `everyone` / `teen` / `mature`; passed to guardrails. */
  rating: string;
  /** Earlier lines, oldest first; only the last `historyLimit` are sent. */
  history: NarrativeHistoryEntry[];
  /** @default the generator's `useCases[kind]` */
  useCase?: string;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** A versioned prompt template. Bump `version` whenever the wording changes (it is logged with every call). */
export interface NarrativeTemplate {
  /** e.g. `'dialogue@1'`. */
  readonly version: string;
  /** The system message. */
  system(request: NarrativeRequest): string;
  /** The user message. */
  user(request: NarrativeRequest, history: readonly NarrativeHistoryEntry[]): string;
}

/** Authored fallback lines per kind; `{character}`, `{player}` and `{location}` are filled in. */
export type NarrativeFallbacks = Partial<Record<NarrativeKind, readonly string[]>>;

/** Why fallback content was served. */
export type NarrativeFallbackReason = 'critical_violation' | 'blocked' | 'provider_error';

/** Result of {@link NarrativeGenerator.generate}. */
export interface NarrativeResult {
  text: string;
  source: 'model' | 'fallback';
  /** Every violation found on the model's answer (by the client's and the generator's guardrails). */
  violations: GuardrailViolation[];
  templateVersion: string;
  kind: NarrativeKind;
  useCase: string;
  fallbackReason: NarrativeFallbackReason | null;
  modelId: string | null;
  deploymentId: string | null;
  logId: string | null;
  latencyMs: number;
}

/** Options of {@link NarrativeGenerator}. */
export interface NarrativeGeneratorOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** The client that calls the model. Required. */
  llmClient: Pick<LLMClient, 'generate'>;
  /** Output checks with the request's rating profile (besides any the client runs). */
  guardrailsMonitor?: Pick<GuardrailsLike, 'check'>;
  /** Authored fallback lines, merged over `DEFAULT_NARRATIVE_FALLBACKS` per kind. */
  fallbacks?: NarrativeFallbacks;
  /** Prompt templates, merged over `DEFAULT_NARRATIVE_TEMPLATES` per kind. */
  templates?: Partial<Record<NarrativeKind, NarrativeTemplate>>;
  /** Use case per kind. @default DEFAULT_NARRATIVE_USE_CASES */
  useCases?: Partial<Record<NarrativeKind, string>>;
  /** History lines sent to the model. @default 12 */
  historyLimit?: number;
  /** Token budget per answer. @default 200 */
  maxTokens?: number;
  /** @default 0.8 */
  temperature?: number;
}
