/**
 * Deterministic fallback content for blocked output: authored per use case, NPC and category, chosen by
 * a hash of the request so tests and replays are reproducible, with safe generic lines last.
 * @module
 */
import { ValidationError } from '../errors.js';
import { hash32Joined } from '../internal/hashing.js';
import type { GuardrailCategory } from './types.js';

/** Fallback lines for requests matching every field that is set (unset fields match anything). */
export interface FallbackEntry {
  readonly useCase?: string;
  readonly npcId?: string;
  readonly category?: GuardrailCategory;
  readonly lines: readonly string[];
}

/** Safe generic lines, used when no authored entry matches. */
export const DEFAULT_FALLBACK_LINES: readonly string[] = [
  'Hm. Let us speak of something else, traveller.',
  'I would rather not talk about that. What else brings you here?',
  'My thoughts wander... Ask me something else.',
  'That is not a tale I can tell. Perhaps another?',
];

/** What the fallback choice is keyed by. */
export interface FallbackRequest {
  readonly useCase?: string | undefined;
  readonly npcId?: string | undefined;
  readonly category?: GuardrailCategory | undefined;
  /** Text of the request (the hash input, with use case and NPC). */
  readonly text: string;
  readonly modelId?: string | undefined;
}

/** Validates fallback entries (throws `ValidationError`). */
export function validateFallbacks(entries: unknown): readonly FallbackEntry[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) {
    throw new ValidationError(
      `Expected \`fallbacks\` to be an array of { lines, useCase?, npcId?, category? }, got ${typeof entries}`,
      {
        field: 'fallbacks',
      },
    );
  }
  entries.forEach((e: { lines?: unknown }, i) => {
    if (
      !e ||
      !Array.isArray(e.lines) ||
      e.lines.length === 0 ||
      !e.lines.every((l) => typeof l === 'string' && l.length > 0)
    ) {
      throw new ValidationError(
        `Expected \`fallbacks[${i}].lines\` to be a non-empty array of non-empty strings`,
        {
          field: `fallbacks[${i}].lines`,
        },
      );
    }
  });
  return entries as FallbackEntry[];
}

/**
 * Chooses the fallback line: the most specific matching entry (NPC > use case > category), then a line
 * by `hash32(useCase, npcId, modelId, text) mod lines`.
 */
export function chooseFallback(entries: readonly FallbackEntry[], req: FallbackRequest): string {
  let best: FallbackEntry | undefined;
  let bestScore = -1;
  for (const e of entries) {
    if (e.useCase !== undefined && e.useCase !== req.useCase) continue;
    if (e.npcId !== undefined && e.npcId !== req.npcId) continue;
    if (e.category !== undefined && e.category !== req.category) continue;
    const score =
      (e.npcId !== undefined ? 4 : 0) +
      (e.useCase !== undefined ? 2 : 0) +
      (e.category !== undefined ? 1 : 0);
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
  }
  const lines = best?.lines ?? DEFAULT_FALLBACK_LINES;
  const h = hash32Joined([req.useCase ?? '', req.npcId ?? '', req.modelId ?? '', req.text], '\u0000');
  return lines[h % lines.length]!;
}
