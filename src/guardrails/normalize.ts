/**
 * Text normalisation for term matching, with an index map back to the original text.
 *
 * Steps, in one linear pass plus three linear passes over the result:
 * 1. per code point: zero-width and combining characters dropped; NFKD compatibility decomposition
 *    (covers NFKC's fullwidth/ligature/math-alphabet folding) with diacritics stripped; lower case;
 *    Cyrillic/Greek look-alike letters folded to Latin;
 * 2. leetspeak inside tokens that contain a letter (`h3ll0` → `hello`, `$h!t` → `shit`; a trailing `!`
 *    stays punctuation; pure numbers are left alone);
 * 3. spaced-out words: three or more single letters separated by short separator runs are joined
 *    (`f u c k`, `f.u.c.k`, `f-u-c-k`);
 * 4. every run of separators becomes one space, and repeated letters collapse to one character whose
 *    `runs` entry keeps the repeat count (so `fuuuuck` matches `fuck` while `as` does not match `ass`).
 * @module
 */

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
}

const SEP = 32;
const K_REMOVED = -1;
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
  ı: 'i',
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

function foldCodePoint(cp: number): string {
  const cached = foldCache.get(cp);
  if (cached !== undefined) return cached;
  let out = '';
  if (!ZERO_WIDTH.has(cp) && !(cp >= 0xfe00 && cp <= 0xfe0f)) {
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
// BMP code point → (kind << 16 | folded code), FOLD_REMOVED, FOLD_MULTI, or FOLD_UNKNOWN until first seen.
const FOLD1 = new Int32Array(65536).fill(FOLD_UNKNOWN);

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
  return WORD.test(String.fromCharCode(c)) ? K_LETTER : K_SEP;
}

/**
 * Normalises `text` for term matching. Linear in `text.length`.
 * @example
 * ```ts
 * normalizedString(normalizeText('F.U.C.K  y0u!!')); // 'fuck you '
 * ```
 */
export function normalizeText(text: string): NormalizedText {
  const n = text.length;
  let cap = n + 16;
  let code = new Int32Array(cap);
  let kind = new Int8Array(cap);
  let st = new Int32Array(cap);
  let m = 0;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    if (m + 4 >= cap) {
      cap *= 2;
      code = grow(code, new Int32Array(cap));
      kind = grow(kind, new Int8Array(cap));
      st = grow(st, new Int32Array(cap));
    }
    if (c < 128) {
      const cls = ASCII_KIND[c]!;
      code[m] = cls === K_SEP ? SEP : c >= 65 && c <= 90 ? c + 32 : c;
      kind[m] = cls;
      st[m++] = i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    if (len === 1) {
      // Fast path: BMP code points folding to one character (or none), cached in a flat table.
      let v = FOLD1[cp]!;
      if (v === FOLD_UNKNOWN) v = fillFold1(cp);
      if (v === FOLD_REMOVED) {
        i++;
        continue;
      }
      if (v >= 0) {
        const kd = v >>> 16;
        code[m] = v & 0xffff;
        kind[m] = kd;
        st[m++] = i++;
        continue;
      }
    }
    const folded = foldCodePoint(cp);
    for (let k = 0; k < folded.length; k++) {
      if (m + 4 >= cap) {
        cap *= 2;
        code = grow(code, new Int32Array(cap));
        kind = grow(kind, new Int8Array(cap));
        st = grow(st, new Int32Array(cap));
      }
      const f = folded.charCodeAt(k);
      const kd = kindOfFolded(f);
      code[m] = kd === K_SEP ? SEP : f;
      kind[m] = kd;
      // Every folded character maps to the whole source code point; ends are recovered below.
      st[m++] = i;
    }
    i += len;
  }

  // Pass 2: leetspeak inside tokens that hold a letter; symbols elsewhere are punctuation.
  for (let a = 0; a < m; ) {
    if (kind[a] === K_SEP) {
      a++;
      continue;
    }
    let b = a;
    let hasLetter = false;
    let hasOther = false;
    while (b < m && kind[b] !== K_SEP) {
      if (kind[b] === K_LETTER) hasLetter = true;
      else hasOther = true;
      b++;
    }
    if (hasOther) {
      // A trailing `!`/`|` run is punctuation ("hello!!"), never a letter.
      let end = b;
      while (end > a && kind[end - 1] === K_SYM && (code[end - 1] === 33 || code[end - 1] === 124)) {
        kind[end - 1] = K_SEP;
        code[end - 1] = SEP;
        end--;
      }
      if (hasLetter) {
        hasLetter = false;
        for (let j = a; j < end; j++) if (kind[j] === K_LETTER) hasLetter = true;
      }
      for (let j = a; j < end; j++) {
        const kd = kind[j];
        if (kd === K_SYM || (kd === K_DIGIT && hasLetter)) {
          const l = hasLetter ? LEET_CODE[code[j]!]! : -1;
          if (l >= 0) {
            code[j] = l;
            kind[j] = K_LETTER;
          } else {
            code[j] = SEP;
            kind[j] = K_SEP;
          }
        }
      }
    }
    a = b;
  }

  // Pass 3: join three or more single-letter tokens separated by 1–3 separator characters.
  let groupStart = -1;
  let groupCount = 0;
  let prevSingle = -1;
  for (let a = 0; a <= m; ) {
    if (a < m && kind[a] === K_SEP) {
      a++;
      continue;
    }
    let b = a;
    while (b < m && kind[b] !== K_SEP) b++;
    const single = a < m && b - a === 1 && kind[a] === K_LETTER && code[a]! < 128;
    if (single && prevSingle >= 0 && a - prevSingle - 1 <= 3) {
      groupCount++;
    } else {
      if (groupCount >= 3) {
        for (let j = groupStart; j < prevSingle; j++) if (kind[j] === K_SEP) kind[j] = K_REMOVED;
      }
      groupStart = single ? a : -1;
      groupCount = single ? 1 : 0;
    }
    prevSingle = single ? a : -1;
    a = b === a ? a + 1 : b;
  }

  // Pass 4: collapse separator runs and repeated characters.
  const codes = new Int32Array(m);
  const starts = new Int32Array(m);
  const ends = new Int32Array(m);
  const runs = new Int32Array(m);
  let last = -1;
  let lastCode = -1;
  for (let j = 0; j < m; j++) {
    const kd = kind[j]!;
    if (kd === K_REMOVED) continue;
    const c = code[j]!;
    const s = st[j]!;
    const e = j + 1 < m && st[j + 1] !== s ? st[j + 1]! : endOf(text, s);
    if (c === lastCode) {
      ends[last] = e;
      if (c !== SEP) runs[last]!++;
      continue;
    }
    last++;
    codes[last] = c;
    starts[last] = s;
    ends[last] = e;
    runs[last] = 1;
    lastCode = c;
  }
  const len = last + 1;
  return {
    codes: codes.subarray(0, len),
    starts: starts.subarray(0, len),
    ends: ends.subarray(0, len),
    runs: runs.subarray(0, len),
  };
}

function endOf(text: string, start: number): number {
  const c = text.charCodeAt(start);
  return c >= 0xd800 && c <= 0xdbff && start + 1 < text.length ? start + 2 : start + 1;
}

function grow<T extends Int32Array | Int8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The normalised characters as a string (for debugging and tests). */
export function normalizedString(text: NormalizedText): string {
  let s = '';
  for (const c of text.codes) s += String.fromCharCode(c);
  return s;
}
