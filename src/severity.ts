/**
 * The one severity scale shared by guardrails (violations), history (logged violations) and the LLM
 * client (blocking decisions).
 * @module
 */

/** How bad a guardrail violation is, weakest first. `critical` always blocks and triggers fallback content. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Every {@link Severity}, weakest first. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** Rank of each severity (0 = weakest), for "at least" comparisons. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Whether `value` is one of the {@link SEVERITIES}. */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
