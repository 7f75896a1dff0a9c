/**
 * Term lists per locale: the maintained source list (`naughty-words`, a data dependency updated by
 * bumping it) with the project's curation applied, compiled once per process on first use.
 * @module
 */
import { createRequire } from 'node:module';
import { ValidationError } from '../../errors.js';
import { TermMatcher } from '../term-matcher.js';
import type { GuardrailCategory, Severity } from '../types.js';
import { LOCALE_CURATION } from './curation.js';

/** Locales with built-in term lists besides English. */
export const SUPPORTED_LOCALES = [
  'es',
  'de',
  'fr',
  'pt',
  'it',
  'ru',
  'pl',
  'tr',
  'nl',
  'ja',
  'ko',
  'zh',
] as const;

/** A locale with a built-in term list besides English. */
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];

/** Locales written without spaces between words (or with particles glued on): no word boundaries. */
const NO_BOUNDARY: ReadonlySet<string> = new Set(['ja', 'ko', 'zh']);

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_LOCALES);

/**
 * The language of a BCP 47 tag, lower-cased (`pt-BR` → `pt`, `zh-Hant-TW` → `zh`), or `undefined` for
 * anything that is not a tag.
 */
export function languageOf(tag: unknown): string | undefined {
  if (typeof tag !== 'string') return undefined;
  const m = /^\s*([A-Za-z]{2,3})(?:[-_]|$)/.exec(tag);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** Whether `language` has a built-in list. */
export function isSupportedLocale(language: string): language is SupportedLocale {
  return SUPPORTED.has(language);
}

/** Throws `ValidationError` unless every entry names a supported locale. */
export function validateLocales(locales: unknown, field = 'locales'): readonly SupportedLocale[] {
  if (!Array.isArray(locales)) {
    throw new ValidationError(`Expected \`${field}\` to be an array of locale tags, got ${typeof locales}`, {
      field,
    });
  }
  return locales.map((tag, i) => {
    const language = languageOf(tag);
    if (!language || !isSupportedLocale(language)) {
      throw new ValidationError(
        `Expected \`${field}[${i}]\` to be one of ${SUPPORTED_LOCALES.join(', ')}, got ${JSON.stringify(tag)}`,
        { field: `${field}[${i}]` },
      );
    }
    return language;
  });
}

/** What one compiled locale term means. */
export interface LocaleTermData {
  readonly category: GuardrailCategory;
  readonly severity: Severity;
  /** Also a given name: title-cased, the finding is at most `low`. */
  readonly name: boolean;
  /** Process-wide index of this distinct data object (bulk-span kinds are offset past the built-in ones). */
  readonly kind: number;
  readonly message: string;
}

/** One locale's compiled list. */
export interface LocaleTerms {
  readonly locale: SupportedLocale;
  readonly matcher: TermMatcher<LocaleTermData>;
  /** Number of listed terms (allowlist excluded). */
  readonly terms: number;
}

const require = createRequire(import.meta.url);
const compiled = new Map<string, LocaleTerms>();
const kindsByKey = new Map<string, LocaleTermData>();

/** Number of distinct locale term kinds compiled so far (sizes per-kind counters). */
export function localeKindCount(): number {
  return kindsByKey.size;
}

function dataFor(locale: string, category: GuardrailCategory, severity: Severity, name: boolean) {
  const key = `${locale}\u0000${category}\u0000${severity}\u0000${name}`;
  let d = kindsByKey.get(key);
  if (!d) {
    d = { category, severity, name, kind: kindsByKey.size, message: `Listed ${category} term (${locale})` };
    kindsByKey.set(key, d);
  }
  return d;
}

/** The source list of `locale` from the `naughty-words` package. */
export function sourceTerms(locale: SupportedLocale): readonly string[] {
  return require(`naughty-words/${locale}.json`) as string[];
}

/** The compiled list of `locale` (compiled on first use, then shared by every monitor in the process). */
export function localeTerms(locale: SupportedLocale): LocaleTerms {
  let lt = compiled.get(locale);
  if (lt) return lt;
  const curation = LOCALE_CURATION[locale]!;
  const open = NO_BOUNDARY.has(locale);
  const rated = new Map<string, { category: GuardrailCategory; severity: Severity }>();
  for (const r of curation.rate ?? []) for (const t of r.terms) rated.set(t.toLowerCase(), r);
  const names = new Set((curation.names ?? []).map((n) => n.toLowerCase()));
  const entries: Array<{ term: string; data: LocaleTermData; allow?: boolean }> = [];
  const seen = new Set<string>();
  const push = (raw: string, category: GuardrailCategory, severity: Severity, allow = false) => {
    const term = raw.toLowerCase().trim();
    if (!term || seen.has(term)) return;
    seen.add(term);
    const bare = term.replace(/^\*|\*$/g, '');
    const data = dataFor(locale, category, severity, names.has(bare));
    entries.push({
      term: open && !term.includes('*') ? `*${term}*` : term,
      data,
      ...(allow ? { allow } : {}),
    });
  };
  for (const raw of sourceTerms(locale)) {
    const term = raw.toLowerCase().trim();
    if (Object.hasOwn(curation.remove, term)) continue;
    const r = rated.get(term);
    push(term, r?.category ?? 'profanity', r?.severity ?? 'medium');
  }
  for (const group of curation.add) for (const t of group.terms) push(t, group.category, group.severity);
  const terms = entries.length;
  for (const t of curation.allow ?? []) push(t, 'allow', 'low', true);
  lt = { locale, matcher: new TermMatcher(entries), terms };
  compiled.set(locale, lt);
  return lt;
}

/** Whether `locale`'s list is already compiled in this process. */
export function isLocaleCompiled(locale: SupportedLocale): boolean {
  return compiled.has(locale);
}

/** Locales compiled so far in this process and the bytes their matchers hold. */
export function loadedLocales(): { locales: string[]; terms: number; bytes: number } {
  let bytes = 0;
  let terms = 0;
  for (const lt of compiled.values()) {
    bytes += lt.matcher.byteSize;
    terms += lt.terms;
  }
  return { locales: [...compiled.keys()], terms, bytes };
}
