/**
 * Bulk access to a string's UTF-16 code units; lives in `internal/` (the secret detector shares it).
 * @module
 */
export { CodeUnits } from '../internal/code-units.js';
