/**
 * Public types of the guardrails module: check input, violations, results.
 * @module
 */

/** Where in the request the text sits: the player's prompt (`input`) or the model's answer (`output`). */
export type GuardrailStage = 'input' | 'output';

import type { Severity } from '../severity.js';

export type { Severity };

/** What the policy does about a violation; the result's action is the strongest of its violations. */
export type GuardrailAction = 'allow' | 'flag' | 'redact' | 'block';

/** Content-rating profile the policy table is keyed by. */
export type RatingProfile = 'everyone' | 'teen' | 'mature';

/**
 * Violation categories. Term lists may use any of the term categories; custom checks may use any string
 * (their actions then come from the `custom` row unless the policy names the category).
 */
export type GuardrailCategory =
  | 'profanity'
  | 'slur'
  | 'sexual'
  | 'violence'
  | 'self_harm'
  | 'threat'
  | 'blocklist'
  | 'spoiler'
  | 'pii'
  | 'secret'
  | 'prompt_injection'
  | 'character_break'
  | 'length'
  | 'format'
  | 'check_failure'
  | 'custom'
  | (string & {});

/** Half-open `[start, end)` range of UTF-16 indices into the original text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** One finding of one check. */
export interface Violation {
  /** Id of the check that found it (`terms`, `pii`, `secrets`, `prompt_injection`, or a custom check id). */
  readonly checkId: string;
  readonly category: GuardrailCategory;
  readonly severity: Severity;
  /** Where in the original text (absent for whole-text findings such as length or format). */
  readonly span?: Span;
  /** The offending text with PII and secrets replaced by typed placeholders; at most 80 characters. */
  readonly excerpt: string;
  readonly message: string;
  /** Confidence 0–1 (1 for exact matches; the heuristic score for prompt injection). */
  readonly score: number;
  /** Action the policy chose for this violation. */
  readonly action: GuardrailAction;
  /** Placeholder the text is redacted with when the action is `redact`, e.g. `[EMAIL]`. */
  readonly replacement?: string;
  /** Sent to the review queue whatever its severity (an ambiguous threat a person should judge). */
  readonly review?: boolean;
}

/** Request context used by spoiler gating, fallback choice and rating. */
export interface GuardrailContext {
  /** ESRB (`E`, `E10+`, `T`, `M`, `AO`) or PEGI (`3`, `7`, `12`, `16`, `18`) rating, or a profile name. */
  readonly rating?: string;
  /**
   * BCP 47 language tag of the text (`es`, `pt-BR`, `zh-Hans`): selects the locale term lists. Without
   * it, the scripts in the text (and, for Latin script, its function words) do.
   */
  readonly locale?: string;
  /** NPC speaking (chooses NPC-specific fallback lines). */
  readonly npcId?: string;
  /** Quest ids the player has completed; unlock spoiler terms. */
  readonly questProgress?: readonly string[];
  readonly [key: string]: unknown;
}

/** Input of {@link GuardrailsMonitor.check}. */
export interface CheckInput {
  readonly text: string;
  readonly stage: GuardrailStage;
  readonly useCase?: string;
  readonly modelId?: string;
  /** Inference log id, stored with violations so reviewers can find the exchange. */
  readonly logId?: string;
  readonly context?: GuardrailContext;
  /** Validate the text as structured output (overrides the use case's `schema`/`json`). */
  readonly schema?: StandardSchemaV1;
  /** Require the text to be valid JSON. */
  readonly json?: boolean;
}

/** Failure of a check itself (custom check threw or timed out). */
export interface CheckFailure {
  readonly checkId: string;
  readonly reason: 'timeout' | 'error' | 'budget_exceeded';
  readonly message: string;
}

/** Result of {@link GuardrailsMonitor.check}. */
export interface CheckResult {
  /** False only when the action is `block`. */
  readonly allowed: boolean;
  readonly action: GuardrailAction;
  /** Text to use: the original, the redacted text, or fallback content (output stage, blocked). */
  readonly text: string;
  readonly violations: readonly Violation[];
  /** True when `text` is fallback content. */
  readonly fallbackUsed: boolean;
  readonly latencyMs: number;
  /** False when monitoring is disabled (`GUARDRAILS_MONITORING_ENABLED=false`): nothing was checked. */
  readonly monitored: boolean;
  /** The rating profile that was applied. */
  readonly profile: RatingProfile;
  /** Custom checks that failed or timed out. */
  readonly failures: readonly CheckFailure[];
}

/**
 * The Standard Schema v1 interface (https://standardschema.dev), declared here as the spec recommends so
 * that zod, valibot, arktype… validators can be passed without a dependency.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    /** Validates a value; issues mean it failed. */
    readonly validate: (
      value: unknown,
    ) => StandardSchemaV1Result<Output> | Promise<StandardSchemaV1Result<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** Result of a Standard Schema validation. */
export type StandardSchemaV1Result<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/** A finding reported by a check before the policy assigns an action. */
export interface Finding {
  readonly checkId: string;
  readonly category: GuardrailCategory;
  readonly severity: Severity;
  readonly span?: Span;
  readonly message: string;
  readonly score?: number;
  /** Typed placeholder for redaction, e.g. `[EMAIL]`. */
  readonly replacement?: string;
  /** Forces the action (used by fail-open/fail-closed check failures). */
  readonly action?: GuardrailAction;
  /** Store it in the review queue as `pending` whatever its severity. */
  readonly review?: boolean;
}
