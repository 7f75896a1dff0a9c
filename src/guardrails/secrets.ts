/**
 * Secret detection for the guardrails. The pure detector lives in `internal/` because the registry
 * refuses the same secrets in what it stores: one rule set for both.
 * @module
 */
export { findSecrets, hasSecret, type SecretMatch, type SecretType } from '../internal/secret-detector.js';
