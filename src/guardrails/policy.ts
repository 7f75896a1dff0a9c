/**
 * Content-rating profiles and the category × severity → action table.
 * @module
 */
import { ValidationError } from '../errors.js';
import type { GuardrailAction, GuardrailCategory, RatingProfile, Severity } from './types.js';

/** Actions for each severity of one category (`critical` always blocks and cannot be overridden). */
export type SeverityActions = Readonly<Partial<Record<Exclude<Severity, 'critical'>, GuardrailAction>>>;

/** A policy table: category → severity → action. Categories not listed use the `custom` row. */
export type PolicyTable = Readonly<Record<string, SeverityActions>>;

/** Order of actions, weakest first; a result takes the strongest action of its violations. */
export const ACTION_RANK: Readonly<Record<GuardrailAction, number>> = {
  allow: 0,
  flag: 1,
  redact: 2,
  block: 3,
};

export { SEVERITY_RANK } from '../severity.js';

const COMMON: PolicyTable = {
  slur: { low: 'block', medium: 'block', high: 'block' },
  self_harm: { low: 'flag', medium: 'block', high: 'block' },
  threat: { low: 'flag', medium: 'block', high: 'block' },
  blocklist: { low: 'flag', medium: 'block', high: 'block' },
  spoiler: { low: 'flag', medium: 'block', high: 'block' },
  pii: { low: 'redact', medium: 'redact', high: 'redact' },
  secret: { low: 'redact', medium: 'redact', high: 'redact' },
  prompt_injection: { low: 'flag', medium: 'flag', high: 'block' },
  character_break: { low: 'flag', medium: 'flag', high: 'block' },
  length: { low: 'flag', medium: 'flag', high: 'block' },
  format: { low: 'flag', medium: 'flag', high: 'block' },
  check_failure: { low: 'flag', medium: 'flag', high: 'block' },
  custom: { low: 'flag', medium: 'flag', high: 'block' },
};

/** The built-in rating profiles. */
export const DEFAULT_POLICY_TABLES: Readonly<Record<RatingProfile, PolicyTable>> = {
  everyone: {
    ...COMMON,
    profanity: { low: 'redact', medium: 'block', high: 'block' },
    sexual: { low: 'block', medium: 'block', high: 'block' },
    violence: { low: 'allow', medium: 'flag', high: 'block' },
  },
  teen: {
    ...COMMON,
    profanity: { low: 'allow', medium: 'redact', high: 'block' },
    sexual: { low: 'flag', medium: 'block', high: 'block' },
    violence: { low: 'allow', medium: 'allow', high: 'flag' },
  },
  mature: {
    ...COMMON,
    profanity: { low: 'allow', medium: 'allow', high: 'flag' },
    sexual: { low: 'allow', medium: 'flag', high: 'block' },
    violence: { low: 'allow', medium: 'allow', high: 'allow' },
  },
};

const RATINGS: Readonly<Record<string, RatingProfile>> = {
  everyone: 'everyone',
  teen: 'teen',
  mature: 'mature',
  // ESRB
  ec: 'everyone',
  e: 'everyone',
  'e10+': 'everyone',
  t: 'teen',
  m: 'mature',
  ao: 'mature',
  // PEGI
  '3': 'everyone',
  '7': 'everyone',
  '12': 'teen',
  '16': 'teen',
  '18': 'mature',
  'pegi 3': 'everyone',
  'pegi 7': 'everyone',
  'pegi 12': 'teen',
  'pegi 16': 'teen',
  'pegi 18': 'mature',
};

/**
 * Maps a profile name or an ESRB (`E`, `E10+`, `T`, `M`, `AO`) / PEGI (`3`, `7`, `12`, `16`, `18`,
 * `PEGI 16`) rating onto a rating profile. Throws `ValidationError` for anything else.
 * @example
 * ```ts
 * ratingToProfile('M'); // 'mature'
 * ratingToProfile('PEGI 12'); // 'teen'
 * ```
 */
export function ratingToProfile(rating: string, field = 'rating'): RatingProfile {
  const profile = typeof rating === 'string' ? RATINGS[rating.trim().toLowerCase()] : undefined;
  if (!profile) {
    throw new ValidationError(
      `Expected \`${field}\` to be everyone/teen/mature or an ESRB (E, E10+, T, M, AO) or PEGI (3, 7, 12, 16, 18) rating, got ${JSON.stringify(rating)}`,
      { field },
    );
  }
  return profile;
}

/** Merges an override table onto a base table, row by row. */
export function mergeTables(base: PolicyTable, override: PolicyTable | undefined): PolicyTable {
  if (!override) return base;
  const out: Record<string, SeverityActions> = { ...base };
  for (const [category, row] of Object.entries(override)) out[category] = { ...base[category], ...row };
  return out;
}

/** The action for a finding; `critical` always blocks. */
export function actionFor(
  table: PolicyTable,
  category: GuardrailCategory,
  severity: Severity,
): GuardrailAction {
  if (severity === 'critical') return 'block';
  const row = table[category] ?? table['custom'];
  return row?.[severity] ?? 'flag';
}
