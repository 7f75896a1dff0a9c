/**
 * Guardrails: layered content policy with in-character fallback.
 * @module
 */
export { type BuiltinCheckToggles, DEFAULT_LISTS } from './builtin-checks.js';
export type {
  CustomCheck,
  CustomCheckFinding,
  CustomCheckInput,
  CustomCheckOutcome,
} from './custom-checks.js';
export { DEFAULT_ALLOWLIST, DEFAULT_TERM_GROUPS, type TermGroup } from './default-terms.js';
export { DEFAULT_FALLBACK_LINES, type FallbackEntry } from './fallback.js';
export type { CheckFailedEvent, GuardrailsEvents, ViolationEvent } from './guardrails-events.js';
export type { GuardrailsMetrics } from './guardrails-metrics.js';
export { GuardrailsMonitor } from './guardrails-monitor.js';
export {
  ENGLISH_AMBIGUOUS,
  LOCALE_CURATION,
  type LocaleCuration,
  type TermAddition,
} from './locales/curation.js';
export { loadedLocales, SUPPORTED_LOCALES, type SupportedLocale } from './locales/locale-terms.js';
export {
  DEFAULT_GUARDRAILS_OPTIONS,
  type GuardrailsMonitorOptions,
  type SpoilerGroup,
  type UseCasePolicy,
} from './monitor-options.js';
export { type NormalizedText, normalizedString, normalizeText } from './normalize.js';
export { DEFAULT_ANACHRONISMS } from './phrases.js';
export { findPii, PII_PLACEHOLDERS, type PiiMatch, type PiiType, redact } from './pii.js';
export {
  DEFAULT_POLICY_TABLES,
  type PolicyTable,
  ratingToProfile,
  type SeverityActions,
} from './policy.js';
export type {
  ReviewListQuery,
  ReviewPage,
  ReviewQueue,
  ReviewResolution,
  ViolationCount,
} from './review-queue.js';
export { findSecrets, type SecretMatch, type SecretType } from './secrets.js';
export type { StreamChecker, StreamCheckerContext, StreamDecision } from './stream-checker.js';
export { type TermEntry, type TermMatch, TermMatcher } from './term-matcher.js';
export type * from './types.js';
export type { ReviewStatus, ReviewVerdict, ViolationRecord, ViolationSink } from './violation-store.js';
