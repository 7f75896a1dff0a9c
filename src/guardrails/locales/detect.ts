/**
 * Which term lists apply to a text: `context.locale` when given; otherwise the scripts present
 * (Cyrillic → ru, Hangul → ko, kana → ja, Han without kana → zh) and, for Latin script, the language
 * whose function words the text uses. English terms that are innocent words elsewhere apply only when
 * the text is English or its language is unknown.
 * @module
 */
import {
  type NormalizedText,
  SCRIPT_CYRILLIC,
  SCRIPT_HAN,
  SCRIPT_HANGUL,
  SCRIPT_KANA,
  SCRIPT_NON_ASCII,
} from '../normalize.js';
import { keptMatches, TermMatcher } from '../term-matcher.js';
import { STOPWORDS } from './curation.js';
import { isSupportedLocale, languageOf, type SupportedLocale } from './locale-terms.js';

/** The lists that apply to one text. */
export interface LocaleSelection {
  /** Every English term applies (English or unknown language); otherwise only the unambiguous ones. */
  readonly englishFull: boolean;
  /** Locale lists to scan, besides English. */
  readonly locales: readonly SupportedLocale[];
}

const LANGUAGES = Object.keys(STOPWORDS);
let stopwords: TermMatcher<readonly number[]> | undefined;

/** The compiled matcher (compiled once per process). */
export function stopwordMatcher(): TermMatcher<readonly number[]> {
  if (stopwords) return stopwords;
  const byWord = new Map<string, number[]>();
  LANGUAGES.forEach((lang, i) => {
    for (const w of STOPWORDS[lang]!) {
      const list = byWord.get(w) ?? [];
      list.push(i);
      byWord.set(w, list);
    }
  });
  stopwords = new TermMatcher([...byWord].map(([term, data]) => ({ term, data })));
  return stopwords;
}

const counts = new Int32Array(LANGUAGES.length);
/** Function words are counted in the first normalised characters only: a few sentences tell a language. */
const WORD_SAMPLE = 480;

/**
 * The Latin-script language of `nt` by the function words (and distinctive letters of `text`) near its
 * start: a language needs a score of two and strictly more than any other; words shared by several
 * languages count for each.
 */
export function latinLanguage(nt: NormalizedText, text: string): string | undefined {
  const m = stopwordMatcher();
  const n = m.scanKept(nt, 0, WORD_SAMPLE);
  counts.fill(0);
  const { p } = keptMatches();
  for (let k = 0; k < n; k++) for (const lang of m.dataOf(p[k]!)) counts[lang]!++;
  if (nt.scripts & SCRIPT_NON_ASCII) countLetters(text);
  let best = -1;
  let second = 0;
  for (let i = 0; i < counts.length; i++) {
    if (best < 0 || counts[i]! > counts[best]!) {
      if (best >= 0) second = Math.max(second, counts[best]!);
      best = i;
    } else second = Math.max(second, counts[i]!);
  }
  return counts[best]! >= 2 && counts[best]! > second ? LANGUAGES[best] : undefined;
}

/** Letters that belong to one listed language only (Latin-1 and Latin Extended-A): each counts twice. */
const LETTERS = new Int8Array(0x180).fill(-1);
for (const [lang, letters] of [
  ['tr', 'ıİğĞşŞ'],
  ['pl', 'łŁąĄęĘśŚźŹżŻńŃćĆ'],
  ['es', 'ñÑ¿¡'],
  ['de', 'ß'],
  ['pt', 'ãÃõÕ'],
  ['sv', 'åÅ'],
] as const) {
  for (const ch of letters) LETTERS[ch.charCodeAt(0)] = LANGUAGES.indexOf(lang);
}
/** Letters are counted in the first characters only: enough to tell a language, bounded on huge texts. */
const LETTER_SAMPLE = 480;

function countLetters(text: string): void {
  const n = Math.min(text.length, LETTER_SAMPLE);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xa1 || c >= 0x180) continue;
    const lang = LETTERS[c]!;
    if (lang >= 0) counts[lang]! += 2;
  }
}

const ENGLISH_ONLY: LocaleSelection = { englishFull: true, locales: [] };

/**
 * The lists for `text` (normalised as `nt`, whose `scripts` tell the non-Latin scripts present), among
 * `enabled` locales. `locale` is `context.locale`.
 */
export function selectLocales(
  text: string,
  nt: NormalizedText,
  locale: unknown,
  enabled: ReadonlySet<SupportedLocale>,
): LocaleSelection {
  const language = languageOf(locale);
  const picked: SupportedLocale[] = [];
  const add = (l: SupportedLocale) => {
    if (enabled.has(l) && !picked.includes(l)) picked.push(l);
  };
  if (language !== undefined && isSupportedLocale(language)) add(language);
  // The scripts present were gathered while normalising `text` (no scan of the text here).
  const scripts = nt.scripts;
  if (scripts & SCRIPT_CYRILLIC) add('ru');
  if (scripts & SCRIPT_HANGUL) add('ko');
  const kana = (scripts & SCRIPT_KANA) !== 0;
  if (kana && language !== 'zh') add('ja');
  if (!kana && language !== 'ja' && scripts & SCRIPT_HAN) add('zh');
  if (language !== undefined) return { englishFull: language === 'en', locales: picked };
  const latin = latinLanguage(nt, text);
  if (latin === undefined || latin === 'en') {
    return picked.length ? { englishFull: true, locales: picked } : ENGLISH_ONLY;
  }
  if (isSupportedLocale(latin)) add(latin);
  return { englishFull: false, locales: picked };
}
