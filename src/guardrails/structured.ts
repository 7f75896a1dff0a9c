/**
 * Structured-output check: JSON parsing, then any Standard Schema validator (zod, valibot, arktype…).
 * @module
 */
import type { Finding, StandardSchemaV1 } from './types.js';

/** Appends a `format` finding when `text` is not JSON or fails `schema`. */
export async function checkStructured(
  text: string,
  schema: StandardSchemaV1 | undefined,
  out: Finding[],
): Promise<void> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    out.push({
      checkId: 'format',
      category: 'format',
      severity: 'high',
      message: `Output is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      score: 1,
    });
    return;
  }
  if (!schema) return;
  const std = (schema as Partial<StandardSchemaV1>)['~standard'];
  if (!std || typeof std.validate !== 'function') {
    out.push({
      checkId: 'format',
      category: 'format',
      severity: 'high',
      message: 'Schema does not implement Standard Schema v1',
      score: 1,
    });
    return;
  }
  try {
    const result = await std.validate(value);
    if (result.issues) {
      const issues = result.issues
        .slice(0, 5)
        .map((i) => {
          const path = (i.path ?? [])
            .map((p) => String(typeof p === 'object' && p !== null ? p.key : p))
            .join('.');
          return path ? `${path}: ${i.message}` : i.message;
        })
        .join('; ');
      out.push({
        checkId: 'format',
        category: 'format',
        severity: 'high',
        message: `Output fails its schema: ${issues}`,
        score: 1,
      });
    }
  } catch (error) {
    out.push({
      checkId: 'format',
      category: 'format',
      severity: 'high',
      message: `Schema validation threw: ${error instanceof Error ? error.message : String(error)}`,
      score: 1,
    });
  }
}
