/**
 * The built-in synchronous checks, compiled once: one normalisation and one term-matcher scan serve the
 * word lists, spoilers, prompt-injection phrases and character-break phrases; PII and secrets use their
 * own linear scanners on the original text.
 * @module
 */
import { CodeUnits } from './code-units.js';
import { DEFAULT_ALLOWLIST, DEFAULT_TERM_GROUPS, type TermGroup } from './default-terms.js';
import { classifyThreats, markerMatcher, threatContext } from './fiction.js';
import { ENGLISH_AMBIGUOUS, ENGLISH_NAMES } from './locales/curation.js';
import { type LocaleSelection, selectLocales, stopwordMatcher } from './locales/detect.js';
import {
  isLocaleCompiled,
  type LocaleTerms,
  localeKindCount,
  localeTerms,
  type SupportedLocale,
} from './locales/locale-terms.js';
import type { NormalizedText } from './normalize.js';
import { normalizeTransient } from './normalize.js';
import { CHARACTER_BREAK_RULES, DEFAULT_ANACHRONISMS, expandTemplate, INJECTION_RULES } from './phrases.js';
import { findPii, PII_PLACEHOLDERS, type PiiMatch, type PiiType } from './pii.js';
import { findSecrets } from './secrets.js';
import { keptMatches, type TermEntry, TermMatcher } from './term-matcher.js';
import type { Finding, GuardrailCategory, GuardrailContext, GuardrailStage, Severity } from './types.js';

/** What a compiled term means. */
export interface TermData {
  readonly checkId: 'terms' | 'spoilers' | 'prompt_injection' | 'character_break';
  readonly category: GuardrailCategory;
  readonly severity: Severity;
  readonly stage?: GuardrailStage;
  readonly unlockedBy?: string;
  readonly weight?: number;
  readonly ruleId?: string;
}

/** Which built-in checks run. All default to `true`. */
export interface BuiltinCheckToggles {
  /** Word lists (profanity, slurs, sexual, self-harm, custom blocklists) and spoilers. @default true */
  readonly terms?: boolean;
  /** PII detection and redaction. @default true */
  readonly pii?: boolean;
  /** API keys, JWTs, private keys. @default true */
  readonly secrets?: boolean;
  /** Prompt-injection heuristics on `input`. @default true */
  readonly promptInjection?: boolean;
  /** AI disclosure, assistant refusals and anachronisms on `output`. @default true */
  readonly characterBreaks?: boolean;
}

/** Compile-time configuration of {@link BuiltinChecks}. */
export interface BuiltinChecksConfig {
  readonly termGroups: readonly TermGroup[];
  readonly allowlist: readonly string[];
  readonly anachronisms: readonly string[];
  readonly toggles: Required<BuiltinCheckToggles>;
  /** Locales whose lists may apply (by `context.locale` or the text's scripts and language). */
  readonly locales: readonly SupportedLocale[];
}

const PII_SEVERITY: Readonly<Record<PiiType, Severity>> = {
  email: 'medium',
  phone: 'medium',
  card: 'high',
  iban: 'high',
  ssn: 'high',
  ipv4: 'low',
  ipv6: 'low',
  address: 'medium',
};

/**
 * Term matches beyond the first `limit` of one kind, kept as bare spans in growable typed arrays: with
 * tens of thousands of matches (a 100 KB adversarial text) only the first few per kind can be reported
 * as violations, and the rest matter only for redaction. Span `i` is `[starts[i], ends[i])` and
 * `like[kinds[i]]` is the first full finding of its kind (same category, severity and replacement rule).
 * No allocation until the first span is added.
 */
export class BulkSpans {
  /** Full findings per kind before spans become bare. */
  readonly limit: number;
  /** Number of bare spans. */
  count = 0;
  starts: Int32Array = EMPTY;
  ends: Int32Array = EMPTY;
  kinds: Int32Array = EMPTY;
  /** First full finding of each kind, by kind index. */
  readonly like: Finding[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Appends span `[start, end)` of kind `kind`. */
  add(start: number, end: number, kind: number): void {
    const k = this.count;
    if (k === this.starts.length) this.grow();
    this.starts[k] = start;
    this.ends[k] = end;
    this.kinds[k] = kind;
    this.count = k + 1;
  }

  /** Makes room for `n` more spans at once (one allocation instead of repeated doubling). */
  reserve(n: number): void {
    if (this.count + n > this.starts.length) this.grow(this.count + n);
  }

  /**
   * Hands this instance's arrays to the next instance that needs room (call once the spans are no
   * longer read): 100 KB adversarial texts then cost no new megabyte of spans per check, hence fewer
   * scavenges. Arrays in use by a pending async check are never shared.
   */
  release(): void {
    if (this.starts.length > (spare?.starts.length ?? 0)) {
      spare = { starts: this.starts, ends: this.ends, kinds: this.kinds };
    }
    this.starts = this.ends = this.kinds = EMPTY;
    this.count = 0;
  }

  private grow(min = 0): void {
    const size = Math.max(256, this.starts.length * 2, min);
    if (this.count === 0 && spare && spare.starts.length >= size) {
      ({ starts: this.starts, ends: this.ends, kinds: this.kinds } = spare);
      spare = undefined;
      return;
    }
    const s = new Int32Array(size);
    const e = new Int32Array(size);
    const kd = new Int32Array(size);
    s.set(this.starts);
    e.set(this.ends);
    kd.set(this.kinds);
    this.starts = s;
    this.ends = e;
    this.kinds = kd;
  }
}

const EMPTY = new Int32Array(0);
/** Span arrays released by a finished check, reused by the next one (see {@link BulkSpans.release}). */
let spare: { starts: Int32Array; ends: Int32Array; kinds: Int32Array } | undefined;
const TERM_INPUT = 1;
const TERM_OUTPUT = 2;
const TERM_LOCKED = 4;
const TERM_INJECTION = 8;
/** An English term that is an innocent word in another language: applies only to English text. */
const TERM_AMBIGUOUS = 16;
/** A term that is also a given name: title-cased, at most `low`. */
const TERM_NAME = 32;
const THREAT_SEEN = 1;

/** Compiled built-in checks. */
export class BuiltinChecks {
  readonly matcher: TermMatcher<TermData>;
  /** Data and finding message of each compiled term, by term index. */
  private readonly termData: readonly TermData[];
  private readonly messages: readonly string[];
  /** Kind (distinct data object) of each compiled term, and how many kinds there are. */
  private readonly dataIds: Int32Array;
  private readonly kinds: number;
  /**
   * Per compiled term: `TERM_INPUT`/`TERM_OUTPUT` (stage-only term), `TERM_LOCKED` (has `unlockedBy`),
   * `TERM_INJECTION` (prompt-injection phrase). Read in the match loop instead of the (differently
   * shaped) data objects.
   */
  private readonly flags: Uint8Array;
  private readonly toggles: Required<BuiltinCheckToggles>;
  /** Locales whose lists may apply. */
  private readonly locales: ReadonlySet<SupportedLocale>;

  constructor(config: BuiltinChecksConfig) {
    this.toggles = config.toggles;
    this.locales = new Set(config.toggles.terms ? config.locales : []);
    const entries: TermEntry<TermData>[] = [];
    if (config.toggles.terms) {
      for (const group of config.termGroups) {
        const data: TermData = {
          checkId: group.category === 'spoiler' ? 'spoilers' : 'terms',
          category: group.category,
          severity: group.severity,
          ...(group.unlockedBy !== undefined ? { unlockedBy: group.unlockedBy } : {}),
        };
        for (const term of group.terms) entries.push({ term, data });
      }
    }
    if (config.toggles.promptInjection) {
      for (const rule of INJECTION_RULES) {
        const data: TermData = {
          checkId: 'prompt_injection',
          category: 'prompt_injection',
          severity: rule.severity,
          stage: 'input',
          weight: rule.weight,
          ruleId: rule.id,
        };
        for (const t of rule.templates) for (const term of expandTemplate(t)) entries.push({ term, data });
      }
    }
    if (config.toggles.characterBreaks) {
      for (const rule of CHARACTER_BREAK_RULES) {
        const data: TermData = {
          checkId: 'character_break',
          category: 'character_break',
          severity: rule.severity,
          stage: 'output',
          ruleId: rule.id,
        };
        for (const t of rule.templates) for (const term of expandTemplate(t)) entries.push({ term, data });
      }
      const anachronism: TermData = {
        checkId: 'character_break',
        category: 'character_break',
        severity: 'low',
        stage: 'output',
        ruleId: 'anachronism',
      };
      for (const term of config.anachronisms) entries.push({ term, data: anachronism });
    }
    const allowData: TermData = { checkId: 'terms', category: 'allow', severity: 'low' };
    for (const term of config.allowlist) entries.push({ term, data: allowData, allow: true });
    this.matcher = new TermMatcher(entries);
    this.termData = entries.map((e) => e.data);
    const ids = new Map<TermData, number>();
    this.dataIds = Int32Array.from(entries, (e) => {
      let id = ids.get(e.data);
      if (id === undefined) {
        id = ids.size;
        ids.set(e.data, id);
      }
      return id;
    });
    this.kinds = ids.size;
    this.flags = Uint8Array.from(entries, ({ term, data: d }) => {
      const stage = d.stage === 'input' ? TERM_INPUT : d.stage === 'output' ? TERM_OUTPUT : 0;
      const listed = d.checkId === 'terms';
      return (
        stage |
        (d.unlockedBy !== undefined ? TERM_LOCKED : 0) |
        (d.checkId === 'prompt_injection' ? TERM_INJECTION : 0) |
        (listed && Object.hasOwn(ENGLISH_AMBIGUOUS, term) ? TERM_AMBIGUOUS : 0) |
        (listed && ENGLISH_NAMES.includes(term) ? TERM_NAME : 0)
      );
    });
    this.messages = entries.map((e) => messageOf(e.data));
    // Compiled now: compiling inside a check would overwrite the text's transient normalisation.
    stopwordMatcher();
    markerMatcher();
  }

  /**
   * Term-based findings (word lists, spoilers, injection phrases, character breaks) in `text`. `pii` is
   * `findPii(text)` when the caller already has it (a threat's classification asks whether PII is near).
   */
  scanTerms(
    text: string,
    stage: GuardrailStage,
    context: GuardrailContext | undefined,
    out: Finding[],
    bulk?: BulkSpans,
    pii?: readonly PiiMatch[],
  ): void {
    let nt = normalizeTransient(text);
    const from = out.length;
    // Selecting the lists may scan for function words: before the term scan (they share buffers).
    const selection: LocaleSelection = selectLocales(text, nt, context?.locale, this.locales);
    const fresh = selection.locales.some((l) => !isLocaleCompiled(l));
    const lists = selection.locales.map((l) => localeTerms(l));
    // Compiling a list normalises its terms, overwriting the transient normalisation of `text`.
    if (fresh) {
      for (const list of lists) this.primeLocale(list);
      nt = normalizeTransient(text);
    }
    // Per kind of term (its data), findings beyond the first `bulk.limit` become bare spans.
    const perKind = bulk ? new Int32Array(this.kinds + localeKindCount()) : undefined;
    let seen = this.scanEnglish(text, nt, stage, context, out, selection.englishFull, perKind, bulk);
    for (const list of lists) seen |= this.scanLocale(text, nt, list, out, perKind, bulk);
    if (seen & THREAT_SEEN)
      classifyThreats(out, from, threatContext(nt, out, from), (pii ?? findPii(text)).length > 0);
  }

  /** The built-in (English) lists, phrases and custom terms; returns THREAT_SEEN when a threat matched. */
  private scanEnglish(
    text: string,
    nt: NormalizedText,
    stage: GuardrailStage,
    context: GuardrailContext | undefined,
    out: Finding[],
    englishFull: boolean,
    perKind: Int32Array | undefined,
    bulk: BulkSpans | undefined,
  ): number {
    const count = this.matcher.scanKept(nt);
    if (count === 0) return 0;
    const { a: ka, b: kb, p: kp } = keptMatches();
    const { starts, ends } = nt;
    const progress = context?.questProgress;
    const injection: Array<{ rule: string; weight: number; start: number; end: number }> = [];
    const { termData, messages, dataIds, flags } = this;
    const stageFlag = stage === 'input' ? TERM_INPUT : TERM_OUTPUT;
    let seen = 0;
    const limit = bulk ? bulk.limit : 0;
    // More kept matches than one kind may report: the rest are bare spans, at most `count` of them.
    if (bulk && count > limit) bulk.reserve(count - limit);
    for (let k = 0; k < count; k++) {
      const p = kp[k]!;
      const fl = flags[p]!;
      const termStage = fl & (TERM_INPUT | TERM_OUTPUT);
      if (termStage !== 0 && termStage !== stageFlag) continue;
      if (fl & TERM_LOCKED && progress?.includes(termData[p]!.unlockedBy!)) continue;
      if (fl & TERM_AMBIGUOUS && !englishFull) continue;
      const start = starts[ka[k]!]!;
      const end = ends[kb[k]! - 1]!;
      if (perKind && !(fl & TERM_INJECTION)) {
        const kind = dataIds[p]!;
        if (perKind[kind]!++ >= limit) {
          bulk!.add(start, end, kind);
          continue;
        }
      }
      const d = termData[p]!;
      const span = { start, end };
      if (d.checkId === 'prompt_injection') {
        injection.push({ rule: d.ruleId ?? 'injection', weight: d.weight ?? 0.5, ...span });
        continue;
      }
      if (d.category === 'threat') seen = THREAT_SEEN;
      const finding: Finding = {
        checkId: d.checkId,
        category: d.category,
        severity: fl & TERM_NAME && isTitleCase(text, start, end) ? 'low' : d.severity,
        span,
        message: messages[p]!,
        score: 1,
        replacement: STARS[Math.min(end - start, 16)]!,
      };
      out.push(finding);
      if (bulk) bulk.like[dataIds[p]!] ??= finding;
    }
    if (injection.length) pushInjection(injection, out);
    return seen;
  }

  /**
   * Scans three copies of a list's first term with a bulk limit of one, so that the bulk branch of
   * {@link BuiltinChecks.scanLocale} has type feedback before it is optimised (see `prime.ts`: the first
   * 100 KB text repeating a locale term deoptimised it). Runs when lists have just been compiled.
   */
  private primeLocale(list: LocaleTerms): void {
    if (list.terms === 0) return;
    const term = list.matcher.termOf(0).replace(/^\*|\*$/g, '');
    const sample = `${term} ${term} ${term}`;
    const bulk = new BulkSpans(1);
    const perKind = new Int32Array(this.kinds + localeKindCount());
    this.scanLocale(sample, normalizeTransient(sample), list, [], perKind, bulk);
    bulk.release();
  }

  /** One locale's list; returns THREAT_SEEN when a threat matched. */
  private scanLocale(
    text: string,
    nt: NormalizedText,
    list: LocaleTerms,
    out: Finding[],
    perKind: Int32Array | undefined,
    bulk: BulkSpans | undefined,
  ): number {
    const { matcher } = list;
    const count = matcher.scanKept(nt);
    if (count === 0) return 0;
    const { a: ka, b: kb, p: kp } = keptMatches();
    const { starts, ends } = nt;
    const limit = bulk ? bulk.limit : 0;
    if (bulk && count > limit) bulk.reserve(count - limit);
    let seen = 0;
    for (let k = 0; k < count; k++) {
      const d = matcher.dataOf(kp[k]!);
      const start = starts[ka[k]!]!;
      const end = ends[kb[k]! - 1]!;
      const kind = this.kinds + d.kind;
      if (perKind && perKind[kind]!++ >= limit) {
        bulk!.add(start, end, kind);
        continue;
      }
      if (d.category === 'threat') seen = THREAT_SEEN;
      const finding: Finding = {
        checkId: 'terms',
        category: d.category,
        severity: d.name && isTitleCase(text, start, end) ? 'low' : d.severity,
        span: { start, end },
        message: d.message,
        score: 1,
        replacement: STARS[Math.min(end - start, 16)]!,
      };
      out.push(finding);
      if (bulk) bulk.like[kind] ??= finding;
    }
    return seen;
  }

  /** Runs every enabled synchronous check on `text`, appending findings to `out`. */
  run(
    text: string,
    stage: GuardrailStage,
    context: GuardrailContext | undefined,
    out: Finding[],
    bulk?: BulkSpans,
  ): void {
    // PII first (its findings still come after the terms'): the threat classification reuses it.
    const pii = this.toggles.pii ? findPii(text) : undefined;
    if (this.matcher.size > 0) this.scanTerms(text, stage, context, out, bulk, pii);
    if (this.toggles.promptInjection && stage === 'input') scanEncodedPayloads(text, this, context, out);
    if (pii) {
      for (const m of pii) {
        out.push({
          checkId: 'pii',
          category: 'pii',
          severity: PII_SEVERITY[m.type],
          span: { start: m.start, end: m.end },
          message: `Personal data: ${m.type}`,
          score: 1,
          replacement: PII_PLACEHOLDERS[m.type],
        });
      }
    }
    if (this.toggles.secrets) {
      for (const m of findSecrets(text)) {
        out.push({
          checkId: 'secrets',
          category: 'secret',
          severity: m.type === 'private_key' ? 'critical' : 'high',
          span: { start: m.start, end: m.end },
          message: `Secret: ${m.type}`,
          score: 1,
          replacement: m.replacement,
        });
      }
    }
  }
}

const STARS = Array.from({ length: 17 }, (_, i) => '*'.repeat(i));

/** Whether `text[start, end)` is written as a name: one capital, then lower case ("Dick", not "DICK"). */
function isTitleCase(text: string, start: number, end: number): boolean {
  const first = text[start]!;
  if (first === first.toLowerCase()) return false;
  const rest = text.slice(start + 1, end);
  return rest === rest.toLowerCase();
}
function messageOf(d: TermData): string {
  return d.checkId === 'character_break'
    ? `NPC output breaks character (${d.ruleId})`
    : d.checkId === 'spoilers'
      ? `Spoiler locked until quest ${d.unlockedBy}`
      : `Listed ${d.category} term`;
}

function pushInjection(
  hits: Array<{ rule: string; weight: number; start: number; end: number }>,
  out: Finding[],
): void {
  const best = new Map<string, number>();
  for (const h of hits) best.set(h.rule, Math.max(best.get(h.rule) ?? 0, h.weight));
  let keep = 1;
  for (const w of best.values()) keep *= 1 - w;
  const score = Math.round((1 - keep) * 1000) / 1000;
  const severity: Severity = score >= 0.75 ? 'high' : score >= 0.5 ? 'medium' : 'low';
  const first = hits[0]!;
  out.push({
    checkId: 'prompt_injection',
    category: 'prompt_injection',
    severity,
    span: { start: first.start, end: first.end },
    message: `Prompt injection heuristics: ${[...best.keys()].join(', ')} (score ${score})`,
    score,
  });
}

const MAX_DECODED_TOKENS = 4;
const MAX_TOKEN_CHARS = 4096;
const b64Units = new CodeUnits();
const B64 = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  B64[c] =
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 61
      ? 1
      : 0;
}

/** Long base64 tokens in the input that decode to readable text: an encoded payload. */
function isB64(c: number): boolean {
  return c < 128 && B64[c] === 1;
}

function scanEncodedPayloads(
  text: string,
  checks: BuiltinChecks,
  context: GuardrailContext | undefined,
  out: Finding[],
): void {
  const n = text.length;
  const u = b64Units.load(text);
  let decoded = 0;
  for (let i = 0; i < n && decoded < MAX_DECODED_TOKENS; ) {
    if (!isB64(u[i]!)) {
      i++;
      continue;
    }
    const a = i;
    i++;
    while (i < n && isB64(u[i]!)) i++;
    const len = i - a;
    if (len < 24 || len > MAX_TOKEN_CHARS) continue;
    const token = text.slice(a, i);
    if (!/[0-9+/=]/.test(token) || !/[A-Z]/.test(token) || !/[a-z]/.test(token)) continue;
    decoded++;
    const plain = Buffer.from(token, 'base64').toString('latin1');
    let printable = 0;
    for (let k = 0; k < plain.length; k++) {
      const c = plain.charCodeAt(k);
      if ((c >= 32 && c < 127) || c === 10) printable++;
    }
    if (plain.length < 12 || printable / plain.length < 0.9 || !plain.includes(' ')) continue;
    const inner: Finding[] = [];
    checks.scanTerms(plain, 'input', context, inner);
    const hidden = inner.some((f) => f.category === 'prompt_injection');
    out.push({
      checkId: 'prompt_injection',
      category: 'prompt_injection',
      severity: hidden ? 'high' : 'low',
      span: { start: a, end: i },
      message: hidden ? 'Base64-encoded prompt injection' : 'Base64-encoded text payload',
      score: hidden ? 0.9 : 0.3,
    });
  }
}

/** Default term groups, allowlist and anachronisms, for composing your own lists. */
export const DEFAULT_LISTS = {
  termGroups: DEFAULT_TERM_GROUPS,
  allowlist: DEFAULT_ALLOWLIST,
  anachronisms: DEFAULT_ANACHRONISMS,
} as const;
