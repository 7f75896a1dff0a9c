import { ValidationError } from '../errors.js';
import { isUuid } from './ids.js';

/** A short, safe description of a value for error messages (never the whole of a huge string). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** Throws unless `value` is a string matching the rules; returns it. */
export function requireString(
  value: unknown,
  field: string,
  rules: { min?: number; max: number; pattern?: RegExp; expected?: string },
): string {
  const min = rules.min ?? 1;
  const expected = rules.expected ?? `a string of ${min}–${rules.max} characters`;
  if (typeof value !== 'string' || value.length < min || value.length > rules.max) {
    throw new ValidationError(`Expected \`${field}\` to be ${expected}, got ${describe(value)}`, { field });
  }
  if (rules.pattern && !rules.pattern.test(value)) {
    throw new ValidationError(`Expected \`${field}\` to be ${expected}, got ${describe(value)}`, { field });
  }
  return value;
}

/** Like {@link requireString} but `undefined` passes through. */
export function optionalString(
  value: unknown,
  field: string,
  rules: { min?: number; max: number; pattern?: RegExp; expected?: string },
): string | undefined {
  return value === undefined ? undefined : requireString(value, field, rules);
}

/** Throws unless `value` is a UUID string. */
export function requireUuid(value: unknown, field: string): string {
  if (!isUuid(value)) {
    throw new ValidationError(`Expected \`${field}\` to be a UUID, got ${describe(value)}`, { field });
  }
  return value.toLowerCase();
}

/** Throws unless `value` is one of `allowed`. */
export function requireOneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(
      `Expected \`${field}\` to be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
      { field },
    );
  }
  return value as T;
}

/** Throws unless `value` is a finite number within the bounds (and an integer when asked). */
export function requireNumber(
  value: unknown,
  field: string,
  rules: { min?: number; max?: number; integer?: boolean; expected?: string } = {},
): number {
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY, integer = false } = rules;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    const range =
      min > Number.NEGATIVE_INFINITY && max < Number.POSITIVE_INFINITY
        ? ` from ${min} to ${max}`
        : min > Number.NEGATIVE_INFINITY
          ? ` ≥ ${min}`
          : '';
    throw new ValidationError(
      `Expected \`${field}\` to be ${rules.expected ?? `${kind}${range}`}, got ${describe(value)}`,
      {
        field,
      },
    );
  }
  return value as number;
}

/** Throws unless `value` is a valid Date (or an ISO string / epoch ms that makes one); returns the Date. */
export function requireDate(value: unknown, field: string): Date {
  const date =
    value instanceof Date
      ? value
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value)
        : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new ValidationError(
      `Expected \`${field}\` to be a valid Date or ISO-8601 string, got ${describe(value)}`,
      {
        field,
      },
    );
  }
  return date;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** True for `{}` / `Object.create(null)` objects — not arrays, class instances, Dates or Maps. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Throws unless `value` is a plain JSON object (finite numbers, strings, booleans, null, arrays,
 * plain objects; no `__proto__`/`constructor`/`prototype` keys, no cycles) of at most `maxBytes` as JSON.
 * `visitKey` sees every key path, to refuse more (e.g. secrets). Returns the JSON text.
 */
export function requireJsonObject(
  value: unknown,
  field: string,
  rules: { maxBytes: number; maxDepth?: number; visitKey?: (key: string, path: string) => void },
): string {
  if (!isPlainObject(value)) {
    throw new ValidationError(`Expected \`${field}\` to be a plain JSON object, got ${describe(value)}`, {
      field,
    });
  }
  const maxDepth = rules.maxDepth ?? 32;
  const seen = new Set<object>();
  const walk = (node: unknown, path: string, depth: number): void => {
    if (depth > maxDepth) {
      throw new ValidationError(`Expected \`${field}\` to nest at most ${maxDepth} levels deep`, {
        field: path,
      });
    }
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) {
        throw new ValidationError(`Expected \`${path}\` to be a finite number, got ${String(node)}`, {
          field: path,
        });
      }
      return;
    }
    if (typeof node !== 'object') {
      throw new ValidationError(
        `Expected \`${path}\` to be JSON (string, number, boolean, null, array, object), got ${describe(node)}`,
        {
          field: path,
        },
      );
    }
    if (seen.has(node)) {
      throw new ValidationError(
        `Expected \`${field}\` to be JSON without cycles; \`${path}\` refers back to itself`,
        {
          field: path,
        },
      );
    }
    seen.add(node);
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, `${path}[${i}]`, depth + 1);
    } else if (isPlainObject(node)) {
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.has(key)) {
          throw new ValidationError(`\`${path}\` has the forbidden key "${key}" (prototype pollution)`, {
            field: path,
          });
        }
        rules.visitKey?.(key, `${path}.${key}`);
        walk(node[key], `${path}.${key}`, depth + 1);
      }
    } else {
      throw new ValidationError(`Expected \`${path}\` to be a plain object or array, got ${describe(node)}`, {
        field: path,
      });
    }
    seen.delete(node);
  };
  walk(value, field, 0);
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > rules.maxBytes) {
    throw new ValidationError(
      `Expected \`${field}\` to be at most ${rules.maxBytes} bytes as JSON, got ${bytes}`,
      {
        field,
      },
    );
  }
  return text;
}
