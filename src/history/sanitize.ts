import { ValidationError } from '../errors.js';
import { cleanText } from '../internal/storable-text.js';
import { describe } from '../internal/validate.js';

const encoder = new TextEncoder();
let scratch = new Uint8Array(0);

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. Returns the text and
 * whether it was cut. O(1) for short strings. @internal
 */
export function truncateUtf8(text: string, maxBytes: number): { text: string; cut: boolean } {
  const out = fitUtf8(text, maxBytes);
  return { text: out, cut: out !== text };
}

/**
 * {@link truncateUtf8} without the result object: returns `text` itself when it fits (so `result !==
 * text` means it was cut). Only encodes when the length bound (3 bytes per UTF-16 unit) exceeds the cap,
 * and then at most `maxBytes` characters of it. @internal
 */
export function fitUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const candidate = text.length > maxBytes ? text.slice(0, maxBytes) : text;
  if (scratch.length < maxBytes) scratch = new Uint8Array(maxBytes);
  const { read } = encoder.encodeInto(candidate, scratch.subarray(0, maxBytes));
  if (read === text.length) return text;
  return candidate.slice(0, read);
}

// NUL and lone-surrogate cleaning is shared with the guardrails' violation store.
export { cleanText, stripNul } from '../internal/storable-text.js';

// JSON text that needs the slow path: an escaped NUL or a lone-surrogate escape.
const SUSPICIOUS_JSON = /\\u0000|\\ud[89a-f]/i;

/**
 * Serialises JSON-like data for a jsonb column. Documented sanitising: functions, symbols and
 * `undefined` are omitted (as `JSON.stringify` does); `BigInt` becomes its decimal string; a circular
 * reference becomes the string `"[Circular]"`; NUL characters are stripped and lone surrogates
 * replaced with U+FFFD. Anything else that cannot be serialised (a throwing `toJSON` or getter) is a
 * {@link ValidationError} naming `field`. @internal
 */
export function safeJson(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`Expected \`${field}\` to be a plain object, got ${describe(value)}`, {
      field,
    });
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined; // circular or BigInt: take the sanitising walk
  }
  // indexOf first: a plain scan is ~3× cheaper than the regex, which only runs on escaped text.
  if (json === undefined || (json.indexOf('\\u') !== -1 && SUSPICIOUS_JSON.test(json))) {
    try {
      json = JSON.stringify(sanitise(value, []));
    } catch (error) {
      throw new ValidationError(
        `Expected \`${field}\` to be JSON-serialisable, but serialising it threw: ${(error as Error).message}`,
        { field, cause: error },
      );
    }
  }
  return json ?? null;
}

function sanitise(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
      return cleanText(value);
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
    case 'undefined':
      return undefined;
    case 'object': {
      if (value === null) return null;
      if (ancestors.includes(value)) return '[Circular]';
      const withJson = value as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === 'function') return sanitise(withJson.toJSON(), ancestors);
      ancestors.push(value);
      let out: unknown;
      if (Array.isArray(value)) {
        out = value.map((v) => {
          const s = sanitise(v, ancestors);
          return s === undefined ? null : s;
        });
      } else {
        const obj: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
          const s = sanitise((value as Record<string, unknown>)[key], ancestors);
          if (s !== undefined) obj[cleanText(key)] = s;
        }
        out = obj;
      }
      ancestors.pop();
      return out;
    }
    default:
      return value;
  }
}
