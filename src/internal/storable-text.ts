/**
 * Text made storable in PostgreSQL: `text` cannot hold NUL, `jsonb` cannot hold NUL or lone
 * surrogates. Shared by every module that stores text it did not write (history, guardrails).
 * @module
 */

/** ES2024 string methods (Node 20 has them; the ES2023 lib does not declare them). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const NUL = /\u0000/g;

/**
 * Makes a text column value storable: strips NUL (PostgreSQL text cannot hold it). Lone surrogates
 * need no work here: the drivers encode them to UTF-8 as U+FFFD. @internal
 */
export function stripNul(text: string): string {
  return text.indexOf('\u0000') === -1 ? text : text.replace(NUL, '');
}

/** Makes a string storable inside jsonb: strips NUL, replaces lone surrogates with U+FFFD. @internal */
export function cleanText(text: string): string {
  let out = text.indexOf('\u0000') === -1 ? text : text.replace(NUL, '');
  const wf = out as unknown as WellFormed;
  if (!wf.isWellFormed()) out = wf.toWellFormed();
  return out;
}

// JSON text that needs the slow path: an escaped NUL or a lone-surrogate escape.
const SUSPICIOUS_JSON = /\\u0000|\\ud[89a-f]/i;

/**
 * JSON text of already JSON-safe data (no cycles, no BigInt), made storable in jsonb: strings and
 * keys pass through {@link cleanText} when the fast check finds an escaped NUL or lone surrogate. @internal
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json.indexOf('\\u') === -1 || !SUSPICIOUS_JSON.test(json)) return json;
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string') return cleanText(v);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) out[cleanText(k)] = inner;
      return out;
    }
    return v;
  });
}
