import { ValidationError } from '../errors.js';
import { isUuid } from './ids.js';

/** Longest text an error message quotes from a caller's value. */
export const MAX_DESCRIBED_CHARS = 60;

/** The largest delay `setTimeout` accepts (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

function cap(text: string): string {
  return text.length > MAX_DESCRIBED_CHARS ? `${text.slice(0, MAX_DESCRIBED_CHARS - 1)}…` : text;
}

/**
 * A short, safe description of a value for an error message: never the whole of a huge input (capped
 * at {@link MAX_DESCRIBED_CHARS}), objects shown as JSON-ish text rather than `[object Object]`.
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    return value.length > 40
      ? `a string of ${value.length} characters starting ${JSON.stringify(value.slice(0, 20))}`
      : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `bigint ${cap(String(value))}n`;
  if (typeof value === 'symbol') return cap(String(value));
  if (typeof value === 'function') return 'a function';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value.toISOString();
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (!isPlainObject(value)) return `an instance of ${cap(value.constructor?.name || 'an unknown class')}`;
  try {
    return `an object ${cap(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))}`;
  } catch {
    return `an object with keys ${cap(Object.keys(value).join(', '))}`;
  }
}

/** Throws unless `value` is a non-empty (not only white space) string. */
export function nonEmptyString(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`Expected \`${field}\` to be a non-empty string, got ${describe(value)}`, {
      field,
    });
  }
}

/** Throws unless `value` is an integer ≥ 1 (at most `max`). */
export function positiveInt(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const expected = max < Number.MAX_SAFE_INTEGER ? `a positive integer ≤ ${max}` : 'a positive integer';
  return requireNumber(value, field, { min: 1, max, integer: true, expected });
}

/** Throws unless `value` is a number of milliseconds a timer can wait: > 0 (≥ 0 with `allowZero`) and ≤ {@link MAX_TIMER_MS}. */
export function duration(value: unknown, field: string, rules: { allowZero?: boolean } = {}): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rules.allowZero ? value >= 0 : value > 0) &&
    value <= MAX_TIMER_MS;
  if (!ok) {
    throw new ValidationError(
      `Expected \`${field}\` to be a ${rules.allowZero ? 'non-negative' : 'positive'} number of ms up to ${MAX_TIMER_MS}, got ${describe(value)}`,
      { field },
    );
  }
  return value as number;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name closest to `name` (case-insensitive edit distance ≤ a third of its length, at least 2), or null. */
export function closest(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Throws a `ValidationError` for the first key of `value` not in `known`, naming it and the closest known
 * key ("Unknown option `fallbackEndpoint` in LLMClient options; did you mean `fallbackEndpoints`?").
 */
/**
 * The keys of an options type as a set, written as a record so that the compiler refuses the list
 * when the type gains or loses a key (a new option can never be rejected as "unknown").
 */
export function optionKeys<T>(keys: { readonly [K in keyof Required<T>]: true }): ReadonlySet<string> {
  return new Set(Object.keys(keys));
}

export function rejectUnknownKeys(value: object, known: Iterable<string>, where: string): void {
  const allowed = known instanceof Set ? (known as Set<string>) : new Set(known);
  for (const key of Object.keys(value)) {
    if (allowed.has(key)) continue;
    const shown = JSON.stringify(
      key.length > MAX_DESCRIBED_CHARS ? `${key.slice(0, MAX_DESCRIBED_CHARS)}…` : key,
    );
    const hint = closest(key, allowed);
    throw new ValidationError(
      `Unknown key ${shown} in ${where}${hint ? `; did you mean \`${hint}\`?` : `; expected one of ${[...allowed].join(', ')}`}`,
      { field: key.slice(0, MAX_DESCRIBED_CHARS) },
    );
  }
}

/** Throws unless `value` is a plain object (`{}`); names `what` it should be. */
export function requireObject(value: unknown, what: string): asserts value is object {
  if (!isPlainObject(value)) {
    throw new ValidationError(`Expected ${what} to be an object, got ${describe(value)}`);
  }
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

/** Throws unless `value` is undefined or an `AbortSignal`. */
export function optionalSignal(value: unknown, field = 'signal'): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new ValidationError(`Expected \`${field}\` to be an AbortSignal, got ${describe(value)}`, { field });
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

const warnedAliases = new Set<string>();

/**
 * Reads an option that was renamed: the new key wins; the old key still works for one release (with a
 * one-time `DeprecationWarning`); both at once is a `ValidationError`.
 */
export function renamedOption<T>(
  options: object | undefined,
  newKey: string,
  oldKey: string,
  where: string,
): T | undefined {
  const o = (options ?? {}) as Record<string, unknown>;
  const next = o[newKey];
  const old = o[oldKey];
  if (next !== undefined && old !== undefined) {
    throw new ValidationError(
      `Give \`${newKey}\` or its deprecated alias \`${oldKey}\` in ${where}, not both`,
      { field: oldKey },
    );
  }
  if (old !== undefined && !warnedAliases.has(`${where}.${oldKey}`)) {
    warnedAliases.add(`${where}.${oldKey}`);
    process.emitWarning(`\`${oldKey}\` in ${where} is deprecated: use \`${newKey}\``, {
      type: 'DeprecationWarning',
      code: 'MMS_DEPRECATED_OPTION',
    });
  }
  return (next ?? old) as T | undefined;
}
