/**
 * The policy decision for one check: each finding's action, the strongest action, and the redacted
 * text. Linear in the number of findings (no per-finding allocation beyond the acting list).
 * @module
 */

import type { BulkSpans } from './builtin-checks.js';
import { CodeUnits } from './code-units.js';
import { applyReplacements, sortSpans } from './pii.js';
import { ACTION_RANK, actionFor, type PolicyTable, SEVERITY_RANK } from './policy.js';
import type { Finding, GuardrailAction } from './types.js';

/** Findings the policy acts on, with their actions (parallel arrays) and the strongest action. */
export interface Decision {
  readonly action: GuardrailAction;
  readonly acting: Finding[];
  readonly actions: GuardrailAction[];
  /** The most severe acting finding (first of equals). */
  readonly worst: Finding | undefined;
}

/** Applies `table` to every finding; findings whose action is `allow` are dropped. */
export function decide(findings: readonly Finding[], table: PolicyTable): Decision {
  const actionRank = ACTION_RANK;
  const severityRank = SEVERITY_RANK;
  let action: GuardrailAction = 'allow';
  let rank = 0;
  const acting: Finding[] = [];
  const actions: GuardrailAction[] = [];
  let worst: Finding | undefined;
  let worstRank = -1;
  // Findings come in runs of one category and severity: remember the last lookup.
  let lastCategory: string | undefined;
  let lastSeverity: string | undefined;
  let lastAction: GuardrailAction = 'allow';
  for (const f of findings) {
    let a = f.action;
    if (a === undefined) {
      if (f.category !== lastCategory || f.severity !== lastSeverity) {
        lastCategory = f.category;
        lastSeverity = f.severity;
        lastAction = actionFor(table, f.category, f.severity);
      }
      a = lastAction;
    }
    if (a === 'allow') continue;
    acting.push(f);
    actions.push(a);
    if (a !== action) {
      const r = actionRank[a];
      if (r > rank) {
        rank = r;
        action = a;
      }
    }
    if (worstRank < 3) {
      const s = severityRank[f.severity];
      if (s > worstRank) {
        worstRank = s;
        worst = f;
      }
    }
  }
  return { action, acting, actions, worst };
}

/**
 * `text` with every span of a finding whose action is `redact` replaced by its replacement, plus the
 * bulk term spans whose kind is redacted (bulk spans come first: the term check runs before the
 * others, so on identical spans the term's replacement wins, as it would as a full finding).
 */
export function redactText(
  text: string,
  acting: readonly Finding[],
  actions: readonly GuardrailAction[],
  bulk?: BulkSpans,
): string {
  const spans: Array<{ start: number; end: number; replacement: string }> = [];
  for (let i = 0; i < acting.length; i++) {
    const f = acting[i]!;
    if (actions[i] === 'redact' && f.span)
      spans.push({ start: f.span.start, end: f.span.end, replacement: f.replacement ?? '[REDACTED]' });
  }
  if (!bulk || bulk.count === 0) return applyReplacements(text, spans);
  // Merge the (sorted) bulk spans into the sorted full spans without materialising them, writing the
  // result as code units into one buffer (no string per span).
  const redacted = new Set<Finding>();
  for (let i = 0; i < acting.length; i++) if (actions[i] === 'redact') redacted.add(acting[i]!);
  const kindRedacted = new Uint8Array(bulk.like.length);
  for (let k = 0; k < bulk.like.length; k++) {
    const f = bulk.like[k];
    kindRedacted[k] = f !== undefined && redacted.has(f) ? 1 : 0;
  }
  const sorted = sortSpans(spans);
  const { starts, ends, kinds, count } = bulk;
  const src = srcUnits.load(text);
  const out = outBuffer(text.length + 16);
  let len = 0;
  let pos = 0;
  let i = 0;
  let j = 0;
  while (i < count || j < sorted.length) {
    let start: number;
    let end: number;
    let replacement: string | undefined;
    const useBulk =
      j >= sorted.length ||
      (i < count &&
        (starts[i]! < sorted[j]!.start || (starts[i] === sorted[j]!.start && ends[i]! >= sorted[j]!.end)));
    if (useBulk) {
      if (kindRedacted[kinds[i]!] !== 1) {
        i++;
        continue;
      }
      start = starts[i]!;
      end = ends[i]!;
      i++;
    } else {
      ({ start, end, replacement } = sorted[j]!);
      j++;
    }
    if (start < pos) continue;
    const stars = replacement === undefined ? Math.min(end - start, 16) : 0;
    const room = len + (start - pos) + (replacement === undefined ? stars : replacement.length);
    if (room > out.units.length) out.grow(room + (text.length - end) + 16, len);
    const u = out.units;
    for (let q = pos; q < start; q++) u[len++] = src[q]!;
    if (replacement === undefined) {
      for (let q = 0; q < stars; q++) u[len++] = 42; // '*', one per original character (at most 16)
    } else {
      for (let q = 0; q < replacement.length; q++) u[len++] = replacement.charCodeAt(q);
    }
    pos = end;
  }
  const tail = text.length - pos;
  if (len + tail > out.units.length) out.grow(len + tail, len);
  out.units.set(src.subarray(pos, text.length), len);
  len += tail;
  return out.toString(len);
}

const srcUnits = new CodeUnits();

/** A growable scratch buffer of output code units, decoded to a string in one native call. */
class UnitBuffer {
  // Small at first, so that the growth path runs (and has type feedback) before it is optimised.
  bytes: Buffer = Buffer.allocUnsafeSlow(2 * 256);
  units = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, 256);

  /** Grows to at least `size` units, keeping the first `keep`. */
  grow(size: number, keep: number): void {
    if (size <= this.units.length) return;
    const cap = Math.max(size, this.units.length * 2);
    const bytes = Buffer.allocUnsafeSlow(2 * cap);
    const units = new Uint16Array(bytes.buffer, bytes.byteOffset, cap);
    units.set(this.units.subarray(0, keep));
    this.bytes = bytes;
    this.units = units;
  }

  toString(len: number): string {
    return this.bytes.toString('utf16le', 0, 2 * len);
  }
}

const outScratch = new UnitBuffer();

function outBuffer(size: number): UnitBuffer {
  outScratch.grow(size, 0);
  return outScratch;
}
