/**
 * Argument handling of `mms`: usage errors that say what to type instead, durations, ids, JSON files.
 * Everything here runs before the database is opened, so bad input never changes anything.
 * @module
 */
import { readFileSync } from 'node:fs';

/** Exit codes of `mms` (the README's table). */
export const EXIT = {
  /** Done; for `deploy watch`, the deployment succeeded. */
  ok: 0,
  /** The command ran and the answer is bad: a watched deployment rolled back or failed, `doctor` found problems, `replay` judged the candidate `fail`. */
  failed: 1,
  /** Refused: unknown command, missing or bad flag, unknown id, a state that forbids it; nothing was changed. For `deploy watch`, the deployment was aborted. */
  usage: 2,
  /** The database could not be reached, or an unexpected error. */
  unavailable: 3,
} as const;

/** Bad input: printed as one line with what to type instead; exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** What to type instead. */
    readonly hint: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws a UsageError unless `value` looks like an id (UUID). */
export function requireId(value: string | undefined, what: string, usage: string): string {
  if (value === undefined) throw new UsageError(`missing ${what} id`, usage);
  if (!UUID.test(value)) throw new UsageError(`'${value}' is not a ${what} id (a UUID)`, usage);
  return value.toLowerCase();
}

/** Throws a UsageError when `value` is absent. */
export function required<T>(value: T | undefined, flag: string, usage: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing ${flag}`, usage);
  return value;
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `30d`, `12h`, `15m`, `90s`, `500ms` into milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(value.trim());
  if (!m)
    throw new UsageError(`${flag} '${value}' is not a duration`, `${flag} 30d (units: ms, s, m, h, d, w)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** Parses an ISO date or a duration back from now (`7d` = seven days ago). */
export function parseInstant(value: string, flag: string, now = Date.now()): Date {
  if (/^\d+(?:\.\d+)?(ms|s|m|h|d|w)$/.test(value)) return new Date(now - parseDuration(value, flag));
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(`${flag} '${value}' is not a date`, `${flag} 2026-01-31T00:00:00Z or ${flag} 7d`);
  return new Date(t);
}

/** Parses a positive integer flag. */
export function parseCount(
  value: string | undefined,
  flag: string,
  max: number,
  example = 50,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} '${value}' is not a whole number from 1 to ${max}`, `${flag} ${example}`);
  return n;
}

/** Reads and parses a JSON file named by a flag. */
export function readJsonFile(path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`${flag} file '${path}' cannot be read`, `${flag} ./path/to/file.json`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `${flag} file '${path}' is not JSON (${e instanceof Error ? e.message : String(e)})`,
      `${flag} ./file.json with a JSON object`,
    );
  }
}

/** Parses a JSON object given inline to a flag. */
export function parseJsonObject(text: string, flag: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v;
  } catch {
    // reported below
  }
  throw new UsageError(`${flag} must be a JSON object`, `${flag} '{"endpoint":"http://…"}'`);
}

/** Throws unless `value` is one of `allowed`. */
export function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T))
    throw new UsageError(`${flag} '${value}' is not one of ${allowed.join(', ')}`, `${flag} ${allowed[0]}`);
  return value as T;
}

/** The closest of `names` to `input` (edit distance ≤ 3), for "did you mean". */
export function closest(input: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const n of names) {
    const d = distance(input, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
