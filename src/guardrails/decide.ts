/**
 * The policy decision for one check: each finding's action, the strongest action, and the redacted
 * text. Linear in the number of findings (no per-finding allocation beyond the acting list).
 * @module
 */

import { type BulkSpans, starsFor } from './builtin-checks.js';
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
  if (!bulk?.starts.length) return applyReplacements(text, spans);
  // Merge the (sorted) bulk spans into the sorted full spans without materialising them.
  const redacted = new Set<Finding>();
  for (let i = 0; i < acting.length; i++) if (actions[i] === 'redact') redacted.add(acting[i]!);
  const sorted = sortSpans(spans);
  const { starts, ends, like } = bulk;
  let out = '';
  let pos = 0;
  let i = 0;
  let j = 0;
  while (i < starts.length || j < sorted.length) {
    let start: number;
    let end: number;
    let replacement: string;
    const useBulk =
      j >= sorted.length ||
      (i < starts.length &&
        (starts[i]! < sorted[j]!.start || (starts[i] === sorted[j]!.start && ends[i]! >= sorted[j]!.end)));
    if (useBulk) {
      if (!redacted.has(like[i]!)) {
        i++;
        continue;
      }
      start = starts[i]!;
      end = ends[i]!;
      replacement = starsFor(end - start);
      i++;
    } else {
      ({ start, end, replacement } = sorted[j]!);
      j++;
    }
    if (start < pos) continue;
    out += text.slice(pos, start) + replacement;
    pos = end;
  }
  return out + text.slice(pos);
}
