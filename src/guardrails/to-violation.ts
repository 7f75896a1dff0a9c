/**
 * Turning acting findings into reported violations: ordering (most severe first, then by position)
 * and redacted excerpts.
 * @module
 */
import { redact } from './pii.js';
import { SEVERITY_RANK } from './policy.js';
import type { Finding, GuardrailAction, Violation } from './types.js';

const EXCERPT_CONTEXT = 24;
const EXCERPT_SPAN = 32;
const IDX_BITS = 2 ** 21;

/**
 * Indices of the first `max` findings ordered by severity (most severe first), then span start
 * (findings without a span first), stable. Findings arrive in runs already ordered by start, so each
 * severity bucket is usually sorted and costs one pass; an unsorted bucket is sorted by packed numeric
 * keys (native sort), so 20,000 matches in a 100 KB adversarial text stay cheap.
 */
export function orderFindings(findings: readonly Finding[], max: number): number[] {
  const rank = SEVERITY_RANK;
  const buckets: number[][] = [[], [], [], []];
  for (let i = 0; i < findings.length; i++) buckets[3 - rank[findings[i]!.severity]]!.push(i);
  const out: number[] = [];
  for (const bucket of buckets) {
    if (out.length >= max) break;
    const sorted = sortByStart(findings, bucket);
    for (let k = 0; k < sorted.length && out.length < max; k++) out.push(sorted[k]!);
  }
  return out;
}

function startOf(f: Finding): number {
  return f.span?.start ?? -1;
}

/** `idx` (ascending indices) stably sorted by span start. */
function sortByStart(findings: readonly Finding[], idx: number[]): number[] {
  const n = idx.length;
  let sorted = true;
  let packable = n < IDX_BITS;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const s = startOf(findings[idx[k]!]!);
    if (s < prev) sorted = false;
    if (!(Number.isInteger(s) && s >= -1 && s < 2 ** 31)) packable = false;
    prev = s;
  }
  if (sorted) return idx;
  if (!packable) return [...idx].sort((x, y) => startOf(findings[x]!) - startOf(findings[y]!) || x - y);
  // key = (start + 1) · 2^21 + index < 2^53: exact in a double.
  const keys = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = idx[k]!;
    keys[k] = (startOf(findings[i]!) + 1) * IDX_BITS + i;
  }
  keys.sort();
  const out: number[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = keys[k]! % IDX_BITS;
  return out;
}

/** The reported violation for finding `f` in `text`, with a redacted excerpt around its span. */
export function toViolation(text: string, f: Finding, action: GuardrailAction): Violation {
  let excerpt = '';
  if (f.span) {
    const { start, end } = f.span;
    // Context holds whole whitespace-separated tokens only, so redaction never sees half an e-mail.
    let a = Math.max(0, start - EXCERPT_CONTEXT);
    if (a > 0 && !isSpace(text.charCodeAt(a - 1))) {
      while (a < start && !isSpace(text.charCodeAt(a))) a++;
    }
    let b = Math.min(text.length, end + EXCERPT_CONTEXT);
    if (b < text.length && !isSpace(text.charCodeAt(b))) {
      while (b > end && !isSpace(text.charCodeAt(b - 1))) b--;
    }
    const pre = redact(text.slice(a, start));
    const post = redact(text.slice(end, b));
    const body =
      f.category === 'pii' || f.category === 'secret'
        ? (f.replacement ?? '[REDACTED]')
        : redact(
            end - start > EXCERPT_SPAN
              ? `${text.slice(start, start + EXCERPT_SPAN)}…`
              : text.slice(start, end),
          );
    excerpt = pre + body + post;
  }
  return {
    checkId: f.checkId,
    category: f.category,
    severity: f.severity,
    ...(f.span ? { span: f.span } : {}),
    excerpt,
    message: f.message,
    score: f.score ?? 1,
    action,
    ...(f.replacement !== undefined ? { replacement: f.replacement } : {}),
    ...(f.review ? { review: true } : {}),
  };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
