/**
 * Text normalisation for term matching, with an index map back to the original text.
 *
 * Steps, in one linear pass plus two linear passes over the result:
 * 1. per code point: zero-width and combining characters dropped; NFKD compatibility decomposition
 *    (covers NFKC's fullwidth/ligature/math-alphabet folding) with diacritics stripped, except the
 *    letters that tell words apart in one language (Spanish ñ, Turkish dotless ı: kept, and matched as
 *    n and i by lists that do not spell them); lower case; Cyrillic/Greek look-alike letters folded to
 *    Latin; Hangul, kana and CJK by NFKC instead (syllables and voiced kana stay whole, half-width
 *    forms and their voicing marks compose), katakana folded onto hiragana;
 * 2. one walk over the tokens (skipped when the text holds no letter or leetspeak symbol; the join
 *    alone when it holds no digit or symbol):
 *    leetspeak inside tokens that contain a letter (`h3ll0` → `hello`, `$h!t` → `shit`; a trailing `!`
 *    stays punctuation; pure numbers are left alone), then
 *    spaced-out words: three or more single letters separated by short separator runs are joined
 *    (`f u c k`, `f.u.c.k`, `f-u-c-k`);
 * 3. every run of separators becomes one space, and repeated letters collapse to one character whose
 *    `runs` entry keeps the repeat count (so `fuuuuck` matches `fuck` while `as` does not match `ass`).
 * @module
 */
import { CodeUnits } from './code-units.js';

/** Normalised text: parallel arrays, one entry per normalised character. */
export interface NormalizedText {
  /** Normalised UTF-16 code units; 32 (space) is the only separator. */
  readonly codes: Int32Array;
  /** Original start index (inclusive) of each normalised character. */
  readonly starts: Int32Array;
  /** Original end index (exclusive) of each normalised character. */
  readonly ends: Int32Array;
  /** How many times the character repeated in a row before collapsing (≥ 1). */
  readonly runs: Int32Array;
  /**
   * The `SCRIPT_*` bits of the original text's code units (non-ASCII, Cyrillic, Hangul, kana, Han),
   * gathered by the fold pass so that choosing the locale lists needs no extra scan of the text.
   */
  readonly scripts: number;
}

/** A code unit above U+007F. */
export const SCRIPT_NON_ASCII = 1;
/** U+0400–U+04FF. */
export const SCRIPT_CYRILLIC = 2;
/** Hangul jamo, compatibility jamo and syllables (U+1100–U+11FF, U+3130–U+318F, U+AC00–U+D7AF). */
export const SCRIPT_HANGUL = 4;
/** Hiragana, katakana and half-width katakana (U+3040–U+30FF, U+FF66–U+FF9F). */
export const SCRIPT_KANA = 8;
/** CJK ideographs (U+3400–U+9FFF, U+F900–U+FAFF). */
export const SCRIPT_HAN = 16;

// Code unit → SCRIPT_* bits (every entry from U+0080 has SCRIPT_NON_ASCII).
const SCRIPT = new Uint8Array(65536);
SCRIPT.fill(SCRIPT_NON_ASCII, 0x80);
for (const [bit, ranges] of [
  [SCRIPT_CYRILLIC, [[0x400, 0x4ff]]],
  [
    SCRIPT_HANGUL,
    [
      [0x1100, 0x11ff],
      [0x3130, 0x318f],
      [0xac00, 0xd7af],
    ],
  ],
  [
    SCRIPT_KANA,
    [
      [0x3040, 0x30ff],
      [0xff66, 0xff9f],
    ],
  ],
  [
    SCRIPT_HAN,
    [
      [0x3400, 0x9fff],
      [0xf900, 0xfaff],
    ],
  ],
] as const) {
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) SCRIPT[c]! |= bit;
}

const SEP = 32;
const K_SEP = 0;
const K_LETTER = 1;
const K_DIGIT = 2;
const K_SYM = 3;

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'i',
  '+': 't',
};
const LEET_CODE = new Int32Array(128).fill(-1);
for (const [k, v] of Object.entries(LEET)) LEET_CODE[k.charCodeAt(0)] = v.charCodeAt(0);
const ASCII_KIND = new Int8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_KIND[c] =
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90)
      ? K_LETTER
      : c >= 48 && c <= 57
        ? K_DIGIT
        : LEET_CODE[c]! >= 0
          ? K_SYM
          : K_SEP;
}

/** Cyrillic and Greek letters that look like Latin ones (lower case, after case folding). */
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ԁ: 'd',
  һ: 'h',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  γ: 'y',
  ω: 'w',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ł: 'l',
  ս: 'u',
  ц: 'u',
  օ: 'o',
  ց: 'g',
  ɑ: 'a',
  ɡ: 'g',
};

/** Capital Greek/Cyrillic letters whose look-alike differs from their lower-case one (Η looks like H, η like n). */
const UPPER_CONFUSABLES: Record<string, string> = {
  Α: 'a',
  Β: 'b',
  Ε: 'e',
  Ζ: 'z',
  Η: 'h',
  Ι: 'i',
  Κ: 'k',
  Μ: 'm',
  Ν: 'n',
  Ο: 'o',
  Ρ: 'p',
  Τ: 't',
  Υ: 'y',
  Χ: 'x',
  А: 'a',
  В: 'b',
  Е: 'e',
  К: 'k',
  М: 'm',
  Н: 'h',
  О: 'o',
  Р: 'p',
  С: 'c',
  Т: 't',
  Х: 'x',
};

const ZERO_WIDTH = new Set([
  0x00ad, 0x034f, 0x180e, 0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff,
]);
const MARK = /\p{M}/gu;
const WORD = /[\p{L}\p{N}]/u;

// Bounded per-process cache of folded non-ASCII code points (the distinct set in real text is small).
const foldCache = new Map<number, string>();
const FOLD_CACHE_MAX = 4096;

/**
 * Hangul, kana and CJK: compatibility composition (NFKC), so half-width and full-width forms fold onto
 * the usual ones while syllables and voiced kana stay whole (ガ is not カ, 보지 is not 봊이); katakana
 * then folds onto hiragana.
 */
function isComposedScript(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0x2e80 && cp <= 0x9fff) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xac00 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xff61 && cp <= 0xffdc) ||
    cp >= 0x20000
  );
}

function foldComposed(cp: number): string {
  let out = '';
  for (const ch of String.fromCodePoint(cp).normalize('NFKC')) {
    const c = ch.codePointAt(0)!;
    out += c >= 0x30a1 && c <= 0x30f6 ? String.fromCharCode(c - 0x60) : ch.toLowerCase();
  }
  return out;
}

function foldCodePoint(cp: number): string {
  const cached = foldCache.get(cp);
  if (cached !== undefined) return cached;
  let out = '';
  if (cp === 0xf1 || cp === 0xd1)
    out = '\u00f1'; // ñ: Spanish "coño" is not "cono" (kept apart, see TermMatcher)
  else if (isComposedScript(cp)) out = foldComposed(cp);
  else if (!ZERO_WIDTH.has(cp) && !(cp >= 0xfe00 && cp <= 0xfe0f)) {
    const folded = String.fromCodePoint(cp).normalize('NFKD').replace(MARK, '');
    for (const ch of folded) {
      const lower = ch.toLowerCase();
      out += UPPER_CONFUSABLES[ch] ?? CONFUSABLES[lower] ?? lower;
    }
  }
  if (foldCache.size < FOLD_CACHE_MAX) foldCache.set(cp, out);
  return out;
}

const FOLD_UNKNOWN = -2;
const FOLD_REMOVED = -3;
const FOLD_MULTI = -1;
/** A kana voicing mark: composed with the previous character (half-width ｶﾞ → が). */
const FOLD_VOICE = -4;
// BMP code point → (kind << 16 | folded code), FOLD_REMOVED, FOLD_MULTI, or FOLD_UNKNOWN until first seen.
const FOLD1 = new Int32Array(65536).fill(FOLD_UNKNOWN);
const VOICED = 0x3099;
const SEMI_VOICED = 0x309a;
for (const c of [0xff9e, 0x3099, 0x309b]) FOLD1[c] = FOLD_VOICE;
for (const c of [0xff9f, 0x309a, 0x309c]) FOLD1[c] = FOLD_VOICE;

// Composed kana by (previous character, voicing kind), filled on first use.
const voicedCache = new Map<number, number>();

/** The character `prev` with the voicing mark of `c` composed in, or `prev` when they do not compose. */
function voiced(prev: number, c: number): number {
  const mark = c === 0xff9e || c === 0x3099 || c === 0x309b ? VOICED : SEMI_VOICED;
  const key = prev * 2 + (mark === VOICED ? 0 : 1);
  let out = voicedCache.get(key);
  if (out === undefined) {
    const composed = String.fromCharCode(prev, mark).normalize('NFC');
    out = composed.length === 1 ? composed.charCodeAt(0) : prev;
    if (voicedCache.size < 4096) voicedCache.set(key, out);
  }
  return out;
}

function fillFold1(cp: number): number {
  const folded = foldCodePoint(cp);
  let v = FOLD_MULTI;
  if (folded.length === 0) v = FOLD_REMOVED;
  else if (folded.length === 1) {
    const c = folded.charCodeAt(0);
    const kd = kindOfFolded(c);
    v = (kd << 16) | (kd === K_SEP ? SEP : c);
  }
  FOLD1[cp] = v;
  return v;
}

function kindOfFolded(c: number): number {
  if (c >= 97 && c <= 122) return K_LETTER;
  if (c >= 48 && c <= 57) return K_DIGIT;
  if (c < 128) return c < 128 && LEET_CODE[c]! >= 0 ? K_SYM : K_SEP;
  if (c >= 0xd800 && c <= 0xdfff) return K_LETTER; // half of an astral letter (CJK extensions)
  return WORD.test(String.fromCharCode(c)) ? K_LETTER : K_SEP;
}

// ASCII code unit → (kind << 16 | folded code): letters lower-cased, separators mapped to SEP.
const ASCII_FOLD = new Int32Array(128);
for (let c = 0; c < 128; c++) {
  const cls = ASCII_KIND[c]!;
  ASCII_FOLD[c] = (cls << 16) | (cls === K_SEP ? SEP : c >= 65 && c <= 90 ? c + 32 : c);
}
const PACKED_SEP = (K_SEP << 16) | SEP;
const PACKED_REMOVED = -1;
const KIND_OTHER_BIT = 2 << 16; // set in K_DIGIT and K_SYM entries
const KIND_LETTER_BIT = 1 << 16; // set in K_LETTER and K_SYM entries

const foldUnits = new CodeUnits();

// Scratch buffers reused across calls (normalisation is synchronous and never re-entered).
// `sCv[j]` packs `kind << 16 | code` (PACKED_REMOVED for dropped separators); `sSt[j]` is the original
// start index, written only once the map stops being the identity (a character removed or expanded).
// They start small so that ordinary texts (and the priming in `prime.ts`) already take the growth path
// before it is optimised: a first growth inside optimised code deoptimised the whole pass.
let sCv = new Int32Array(256);
let sSt = new Int32Array(256);
let sOut = new Int32Array(4 * 256);
let sIdentity = true;
let sMask = 0;
let sScripts = 0;

function ensureScratch(cap: number, keep: number): void {
  if (cap <= sCv.length) return;
  const size = Math.max(cap, sCv.length * 2);
  const cv = new Int32Array(size);
  const st = new Int32Array(size);
  cv.set(sCv.subarray(0, keep));
  st.set(sSt.subarray(0, keep));
  sCv = cv;
  sSt = st;
}

/**
 * Normalises `text` for term matching. Linear in `text.length`: three tight passes over one packed
 * typed array (fold, leetspeak with spaced-out letters, collapse), no per-character allocation, and no
 * index map at all while every character maps to exactly one normalised character.
 * @example
 * ```ts
 * normalizedString(normalizeText('F.U.C.K  y0u!!')); // 'fuck you '
 * ```
 */
export function normalizeText(text: string): NormalizedText {
  const t = normalizeTransient(text);
  const len = t.codes.length;
  const buf = new Int32Array(4 * len);
  buf.set(t.codes, 0);
  buf.set(t.starts, len);
  buf.set(t.ends, 2 * len);
  buf.set(t.runs, 3 * len);
  return {
    codes: buf.subarray(0, len),
    starts: buf.subarray(len, 2 * len),
    ends: buf.subarray(2 * len, 3 * len),
    runs: buf.subarray(3 * len, 4 * len),
    scripts: t.scripts,
  };
}

/**
 * {@link normalizeText} without copying the result out of the module's scratch buffers: the returned
 * arrays are views that the next normalisation overwrites. For the built-in checks' hot path.
 */
export function normalizeTransient(text: string): NormalizedText {
  const m = foldPass(text, text.length);
  const cv = sCv;
  // Without any letter or leetspeak symbol (e.g. digits and separators only) both passes are no-ops.
  if (sMask & KIND_LETTER_BIT) {
    // Leetspeak only changes tokens holding a digit or symbol; without any, the join alone runs.
    if (sMask & KIND_OTHER_BIT) leetAndSpacedPass(cv, m);
    else spacedLettersPass(cv, m);
  }
  return sIdentity ? collapseIdentity(cv, m) : collapseMapped(text, cv, sSt, m);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Pass 1: case/compatibility/confusable folding into the scratch buffers; returns their length. */
function foldPass(text: string, n: number): number {
  ensureScratch(n + 16, 0);
  const units = foldUnits.load(text);
  let cv = sCv;
  let mask = 0;
  let scripts = 0;
  let i = 0;
  // Fast loop while each code unit folds to exactly one character (the index map is the identity).
  for (; i < n; i++) {
    const c = units[i]!;
    let v: number;
    if (c < 128) v = ASCII_FOLD[c]!;
    else {
      scripts |= SCRIPT[c]!;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(units[i + 1]!)) break;
      v = FOLD1[c]!;
      if (v === FOLD_UNKNOWN) v = fillFold1(c);
      if (v < 0) break; // removed or expanded
    }
    cv[i] = v;
    mask |= v;
  }
  sIdentity = i === n;
  if (sIdentity) {
    sMask = mask;
    sScripts = scripts;
    return n;
  }
  let st = sSt;
  for (let j = 0; j < i; j++) st[j] = j;
  let m = i;
  for (; i < n; i++) {
    const c = units[i]!;
    let v: number;
    if (c < 128) v = ASCII_FOLD[c]!;
    else {
      scripts |= SCRIPT[c]!;
      const astral = c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(units[i + 1]!);
      v = astral ? FOLD_MULTI : FOLD1[c]!;
      if (v === FOLD_UNKNOWN) v = fillFold1(c);
      if (v === FOLD_REMOVED) continue;
      if (v === FOLD_VOICE) {
        if (m > 0 && cv[m - 1]! >> 16 === K_LETTER)
          cv[m - 1] = (K_LETTER << 16) | voiced(cv[m - 1]! & 0xffff, c);
        continue;
      }
      if (v === FOLD_MULTI) {
        const cp = astral ? ((c - 0xd800) << 10) + (units[i + 1]! - 0xdc00) + 0x10000 : c;
        const folded = foldCodePoint(cp);
        const k = folded.length;
        // Keep room for every remaining code unit plus this expansion.
        if (m + k + (n - i) + 16 > cv.length) {
          ensureScratch(m + k + (n - i) + 16, m);
          cv = sCv;
          st = sSt;
        }
        for (let q = 0; q < k; q++) {
          const f = folded.charCodeAt(q);
          const kd = kindOfFolded(f);
          const packed = (kd << 16) | (kd === K_SEP ? SEP : f);
          cv[m] = packed;
          mask |= packed;
          // Every folded character maps to the whole source code point; ends are recovered later.
          st[m++] = i;
        }
        if (astral) i++;
        continue;
      }
    }
    cv[m] = v;
    mask |= v;
    st[m++] = i;
  }
  sMask = mask;
  sScripts = scripts;
  return m;
}

/**
 * Passes 2 and 3 in one walk over the tokens: leetspeak inside each token that holds a letter (symbols
 * elsewhere are punctuation), then the token, or the pieces leetspeak split it into, feeds the
 * spaced-letter state, which joins three or more single letters separated by 1–3 separator characters.
 * The join only rewrites separators behind the current token, which leetspeak never touches again.
 */
function leetAndSpacedPass(cv: Int32Array, m: number): void {
  sp[0] = -1;
  sp[1] = 0;
  sp[2] = -1;
  let a = 0;
  let hasLetter = false;
  let hasDigit = false;
  let hasSym = false;
  for (let j = 0; j <= m; j++) {
    if (j < m) {
      const kd = cv[j]! >> 16;
      if (kd !== K_SEP) {
        if (kd === K_LETTER) hasLetter = true;
        else if (kd === K_DIGIT) hasDigit = true;
        else hasSym = true;
        continue;
      }
    }
    if (a < j) {
      // Only symbols, or digits next to letters, change: a pure number or word is left alone.
      if ((hasSym || (hasDigit && hasLetter)) && leetToken(cv, a, j, hasLetter)) spacedPieces(cv, a, j);
      else spacedToken(cv, a, j);
    }
    a = j + 1;
    hasLetter = false;
    hasDigit = false;
    hasSym = false;
  }
  spacedToken(cv, m, m); // end of text: close the last group
}

/** Leetspeak in token `[a, b)`; returns whether any character became a separator. */
function leetToken(cv: Int32Array, a: number, b: number, hadLetter: boolean): boolean {
  // A trailing `!`/`|` run is punctuation ("hello!!"), never a letter.
  let end = b;
  let split = false;
  while (end > a && (cv[end - 1] === ((K_SYM << 16) | 33) || cv[end - 1] === ((K_SYM << 16) | 124))) {
    cv[end - 1] = PACKED_SEP;
    end--;
    split = true;
  }
  let hasLetter = false;
  if (hadLetter) for (let j = a; j < end && !hasLetter; j++) hasLetter = cv[j]! >> 16 === K_LETTER;
  for (let j = a; j < end; j++) {
    const v = cv[j]!;
    const kd = v >> 16;
    if (kd === K_SYM || (kd === K_DIGIT && hasLetter)) {
      const l = hasLetter ? LEET_CODE[v & 0xffff]! : -1;
      if (l >= 0) cv[j] = (K_LETTER << 16) | l;
      else {
        cv[j] = PACKED_SEP;
        split = true;
      }
    }
  }
  return split;
}

/** Pass 2 when no token holds a digit or symbol: join three or more single letters separated by 1–3 separators. */
function spacedLettersPass(cv: Int32Array, m: number): void {
  let groupStart = -1;
  let groupCount = 0;
  let prevSingle = -1;
  for (let a = 0; a <= m; ) {
    if (a < m && cv[a]! >> 16 === K_SEP) {
      a++;
      continue;
    }
    let b = a;
    while (b < m && cv[b]! >> 16 !== K_SEP) b++;
    const single = b - a === 1 && cv[a]! >> 16 === K_LETTER && (cv[a]! & 0xffff) < 128;
    if (single && prevSingle >= 0 && a - prevSingle - 1 <= 3) {
      groupCount++;
    } else {
      if (groupCount >= 3) {
        for (let j = groupStart; j < prevSingle; j++) if (cv[j] === PACKED_SEP) cv[j] = PACKED_REMOVED;
      }
      groupStart = single ? a : -1;
      groupCount = single ? 1 : 0;
    }
    prevSingle = single ? a : -1;
    a = b === a ? a + 1 : b;
  }
}

// Spaced-letter state of leetAndSpacedPass: start of the current group of single letters, their count, last single's index.
const sp = new Int32Array(3);

/** Feeds the non-separator pieces of `[a, b)` to the spaced-letter state, in order. */
function spacedPieces(cv: Int32Array, a: number, b: number): void {
  for (let q = a; q < b; ) {
    if (cv[q]! >> 16 === K_SEP) {
      q++;
      continue;
    }
    let r = q + 1;
    while (r < b && cv[r]! >> 16 !== K_SEP) r++;
    spacedToken(cv, q, r);
    q = r;
  }
}

/** One token `[a, b)` (or the end of the text, `a === b`) for the spaced-letter join. */
function spacedToken(cv: Int32Array, a: number, b: number): void {
  const single = b - a === 1 && cv[a]! >> 16 === K_LETTER && (cv[a]! & 0xffff) < 128;
  const prevSingle = sp[2]!;
  if (single && prevSingle >= 0 && a - prevSingle - 1 <= 3) {
    sp[1] = sp[1]! + 1;
  } else {
    if (sp[1]! >= 3) {
      for (let j = sp[0]!; j < prevSingle; j++) if (cv[j] === PACKED_SEP) cv[j] = PACKED_REMOVED;
    }
    sp[0] = single ? a : -1;
    sp[1] = single ? 1 : 0;
  }
  sp[2] = single ? a : -1;
}

function scratchOut(m: number): Int32Array {
  if (sOut.length < 4 * m) sOut = new Int32Array(Math.max(4 * m, sOut.length * 2));
  return sOut;
}

/** Pass 3 when every character maps to itself: start `j`, end `j + 1`. */
function collapseIdentity(cv: Int32Array, m: number): NormalizedText {
  const out = scratchOut(m);
  // Layout in the scratch output: codes [0, m), starts [m, 2m), ends [2m, 3m), runs [3m, 4m).
  const oS = m;
  const oE = 2 * m;
  const oR = 3 * m;
  let last = -1;
  let lastCode = -1;
  let run = 0;
  let end = 0;
  for (let j = 0; j < m; j++) {
    const v = cv[j]!;
    if (v < 0) continue;
    const c = v & 0xffff;
    if (c === lastCode) {
      if (c !== SEP) run++;
      end = j + 1;
      continue;
    }
    if (last >= 0) {
      out[oE + last] = end;
      out[oR + last] = run;
    }
    last++;
    out[last] = c;
    out[oS + last] = j;
    run = 1;
    end = j + 1;
    lastCode = c;
  }
  if (last >= 0) {
    out[oE + last] = end;
    out[oR + last] = run;
  }
  return packOut(out, m, last + 1);
}

/** Pass 3 with an index map: collapse separator runs and repeated characters. */
function collapseMapped(text: string, cv: Int32Array, st: Int32Array, m: number): NormalizedText {
  const out = scratchOut(m);
  const oS = m;
  const oE = 2 * m;
  const oR = 3 * m;
  let last = -1;
  let lastCode = -1;
  for (let j = 0; j < m; j++) {
    const v = cv[j]!;
    if (v < 0) continue;
    const c = v & 0xffff;
    const s = st[j]!;
    const e = j + 1 < m && st[j + 1] !== s ? st[j + 1]! : endOf(text, s);
    if (c === lastCode) {
      out[oE + last] = e;
      if (c !== SEP) out[oR + last]!++;
      continue;
    }
    last++;
    out[last] = c;
    out[oS + last] = s;
    out[oE + last] = e;
    out[oR + last] = 1;
    lastCode = c;
  }
  return packOut(out, m, last + 1);
}

function packOut(out: Int32Array, m: number, len: number): NormalizedText {
  return {
    codes: out.subarray(0, len),
    starts: out.subarray(m, m + len),
    ends: out.subarray(2 * m, 2 * m + len),
    runs: out.subarray(3 * m, 3 * m + len),
    scripts: sScripts,
  };
}

function endOf(text: string, start: number): number {
  const c = text.charCodeAt(start);
  return c >= 0xd800 && c <= 0xdbff && start + 1 < text.length ? start + 2 : start + 1;
}

/** The normalised characters as a string (for debugging and tests). */
export function normalizedString(text: NormalizedText): string {
  let s = '';
  for (const c of text.codes) s += String.fromCharCode(c);
  return s;
}
