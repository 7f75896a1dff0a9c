/**
 * PII detection and redaction to typed placeholders. Hand-written scanners (no backtracking regex):
 * every scanner is linear in the input, and the monitor caps the scanned length (`maxScanChars`).
 * @module
 */
import { CodeUnits } from './code-units.js';
import { findSecrets } from './secrets.js';

/** Kinds of personal data the PII check recognises. */
export type PiiType = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ipv4' | 'ipv6' | 'address';

/** A PII occurrence in original indices `[start, end)`. */
export interface PiiMatch {
  readonly type: PiiType;
  readonly start: number;
  readonly end: number;
}

/** Typed placeholders used by redaction. */
export const PII_PLACEHOLDERS: Readonly<Record<PiiType, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  iban: '[IBAN]',
  ssn: '[SSN]',
  ipv4: '[IP]',
  ipv6: '[IP]',
  address: '[ADDRESS]',
};

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number) => isDigit(c) || isAlpha(c);
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isLocal = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const isDomain = (c: number) => isAlnum(c) || c === 46 || c === 45;

const piiUnits = new CodeUnits();
const DIGIT = /[0-9]/;

/** Finds every PII occurrence in `text`, sorted by start. Linear time. */
export function findPii(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  const units = piiUnits.load(text);
  const n = text.length;
  // Every scanner runs on every text and skips natively to its first candidate ('@', ':', a digit): a
  // scanner that only ran on rare texts stayed unoptimised, and the first 100 KB text full of digits
  // or '@' then ran it in the baseline tier at ~10× the optimised cost (issue #14).
  findEmails(text, units, out);
  // Every other PII shape (phone, card, IBAN, SSN, IPv4/IPv6, street number) holds a digit.
  const firstDigit = text.search(DIGIT);
  findDigitRuns(text, units, n, out, firstDigit);
  findIbans(units, n, out, firstDigit);
  findIpv6(text, units, n, out, firstDigit);
  if (firstDigit !== -1) findAddresses(text, out);
  if (out.length === 0) return out;
  out.sort((a, b) => a.start - b.start || b.end - a.end);
  // Drop overlaps (first, longest wins).
  const kept: PiiMatch[] = [];
  let maxEnd = -1;
  for (const m of out) {
    if (m.start < maxEnd) continue;
    kept.push(m);
    maxEnd = m.end;
  }
  return kept;
}

function findEmails(text: string, u: Uint16Array, out: PiiMatch[]): void {
  const n = text.length;
  // The first '@' is found natively; from there a plain loop (an indexOf call per '@' costs more when
  // they are dense).
  const first = text.indexOf('@');
  if (first === -1) return;
  for (let at = first; at < n; at++) {
    if (u[at] !== 64) continue;
    let a = at;
    while (a > 0 && at - a < 64 && isLocal(u[a - 1]!)) a--;
    while (a < at && u[a]! === 46) a++;
    let b = at + 1;
    while (b < n && b - at <= 253 && isDomain(u[b]!)) b++;
    while (b > at + 1 && (u[b - 1]! === 46 || u[b - 1]! === 45)) b--;
    let lastDot = -1;
    for (let i = b - 1; i > at; i--) {
      if (u[i]! === 46) {
        lastDot = i;
        break;
      }
    }
    let ok = a < at && lastDot > at + 1 && b - lastDot - 1 >= 2;
    for (let i = lastDot + 1; ok && i < b; i++) ok = isAlpha(u[i]!);
    if (ok) out.push({ type: 'email', start: a, end: b });
    if (b > at + 1) at = b - 1; // resume after the domain
  }
}

const VERSION_BEFORE = /(?:version|ver|v|build|patch|release|update|firmware|rev)\s*$/i;

// Separator codes between digit groups (one or two gap characters).
const S_SPACE = 1;
const S_DASH = 2;
const S_DOT = 3;
const S_PAREN = 4; // ')', ') ', ' (' or '(' combinations

/**
 * Digit groups of one run, in reused typed arrays: group `i` spans `[gs[i], ge[i])`, `sep[i]` codes the
 * separator before it (0 for the first group or a mixed separator) and `open[i]` says that separator
 * ended with '('.
 */
let gs = new Int32Array(256);
let ge = new Int32Array(256);
let gsep = new Int8Array(256);
let gopen = new Uint8Array(256);

function growGroups(): void {
  const size = gs.length * 2;
  const s2 = new Int32Array(size);
  const e2 = new Int32Array(size);
  const sep2 = new Int8Array(size);
  const open2 = new Uint8Array(size);
  s2.set(gs);
  e2.set(ge);
  sep2.set(gsep);
  open2.set(gopen);
  gs = s2;
  ge = e2;
  gsep = sep2;
  gopen = open2;
}

/** Digit runs from `firstDigit` (the first digit's index, -1 for none), a '+' or '(' prefix included. */
function findDigitRuns(text: string, u: Uint16Array, n: number, out: PiiMatch[], firstDigit: number): void {
  if (firstDigit === -1) return;
  for (let i = Math.max(0, firstDigit - 1); i < n; ) {
    const c = u[i]!;
    const prefixed = (c === 43 || c === 40) && i + 1 < n && isDigit(u[i + 1]!);
    if (!isDigit(c) && !prefixed) {
      i++;
      continue;
    }
    const runStart = i;
    const glued = runStart > 0 && isAlpha(u[runStart - 1]!);
    if (prefixed) i++;
    let count = 0;
    let sep = 0;
    let open = 0;
    for (;;) {
      const start = i;
      while (i < n && isDigit(u[i]!)) i++;
      if (count === gs.length) growGroups();
      gs[count] = start;
      ge[count] = i;
      gsep[count] = sep;
      gopen[count] = open;
      count++;
      let g = i;
      while (g < n && g - i < 2 && isGapChar(u[g]!)) g++;
      if (g > i && g < n && isDigit(u[g]!)) {
        sep = sepCode(u, i, g);
        open = u[g - 1] === 40 ? 1 : 0;
        i = g;
      } else break;
    }
    if (!glued && !(i < n && isAlpha(u[i]!))) classifyRun(text, u, runStart, count, out);
  }
}

function isGapChar(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 40 || c === 41;
}

/** Code of the separator `[a, b)` (one or two gap characters). */
function sepCode(u: Uint16Array, a: number, b: number): number {
  const c0 = u[a]!;
  if (b - a === 1) {
    if (c0 === 32) return S_SPACE;
    if (c0 === 45) return S_DASH;
    if (c0 === 46) return S_DOT;
    return c0 === 40 || c0 === 41 ? S_PAREN : 0;
  }
  const c1 = u[a + 1]!;
  return c0 === 40 || c0 === 41 || c1 === 40 || c1 === 41 ? S_PAREN : 0; // mixed, e.g. ' -'
}

function classifyRun(text: string, u: Uint16Array, runStart: number, count: number, out: PiiMatch[]): void {
  const plus = u[runStart] === 43;
  const paren = u[runStart] === 40;
  let pos = 0;
  while (pos < count) {
    let matched = false;
    const start = gs[pos]!;
    const len = ge[pos]! - start;
    const nextSep = pos + 1 < count ? gsep[pos + 1]! : 0;
    const zeroZero = len >= 2 && u[start] === 48 && u[start + 1] === 48;
    // Cheap pruning: a group of 1–2 digits can only start an IPv4 address (dotted), a '+' number or a
    // '00'-prefixed number; a dotted group can only start an IPv4 address (four groups).
    const afterDot = pos > 0 && gsep[pos] === S_DOT;
    const startsSomething =
      !afterDot && ((pos === 0 && plus) || (len <= 2 ? nextSep === S_DOT || zeroZero : len <= 19));
    const maxCount = nextSep === S_DOT ? 4 : (pos === 0 && plus) || zeroZero ? 8 : 5;
    for (let k = startsSomething ? Math.min(count, pos + maxCount) : pos; k > pos; k--) {
      const type = classifyWindow(text, u, count, pos, k, pos === 0 && plus, pos === 0 && paren);
      if (type) {
        let from = pos === 0 ? runStart : start;
        if (pos > 0 && gopen[pos]) from = start - 1;
        out.push({ type, start: from, end: ge[k - 1]! });
        pos = k;
        matched = true;
        break;
      }
    }
    if (!matched) pos++;
  }
}

function digitsOf(text: string, a: number, b: number): string {
  let d = '';
  for (let i = a; i < b; i++) d += text.slice(gs[i]!, ge[i]!);
  return d;
}

/**
 * {@link classifyWindowShape}, minus what is reserved for fiction and documentation: NANP numbers
 * 555-0100…555-0199 (with or without an area code) and the documentation IPv4 ranges.
 */
function classifyWindow(
  text: string,
  u: Uint16Array,
  groupCount: number,
  a: number,
  b: number,
  plus: boolean,
  paren: boolean,
): PiiType | null {
  const type = classifyWindowShape(text, u, groupCount, a, b, plus, paren);
  if (type === 'phone' && isFictionalPhone(digitsOf(text, a, b))) return null;
  if (type === 'ipv4' && isDocumentationIpv4(u, a)) return null;
  return type;
}

/** 555-0100…555-0199: the numbers reserved for fiction (the last seven digits). */
function isFictionalPhone(digits: string): boolean {
  const n = digits.length;
  return (n === 7 || n === 10 || n === 11) && digits.startsWith('55501', n - 7);
}

/** 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737): addresses for examples and fiction. */
function isDocumentationIpv4(u: Uint16Array, a: number): boolean {
  const octet = (i: number) => {
    let v = 0;
    for (let q = gs[i]!; q < ge[i]!; q++) v = v * 10 + (u[q]! - 48);
    return v;
  };
  const o1 = octet(a);
  const o2 = octet(a + 1);
  const o3 = octet(a + 2);
  return (
    (o1 === 192 && o2 === 0 && o3 === 2) ||
    (o1 === 198 && o2 === 51 && o3 === 100) ||
    (o1 === 203 && o2 === 0 && o3 === 113)
  );
}

function classifyWindowShape(
  text: string,
  u: Uint16Array,
  groupCount: number,
  a: number,
  b: number,
  plus: boolean,
  paren: boolean,
): PiiType | null {
  const count = b - a;
  const lens = (i: number) => ge[i]! - gs[i]!;
  let digitCount = 0;
  for (let i = a; i < b; i++) digitCount += ge[i]! - gs[i]!;
  // The window's inner separators are gsep[a+1 .. b-1].
  let allDot = count > 1;
  let allSpace = count > 1;
  let allDash = count > 1;
  for (let i = a + 1; i < b; i++) {
    const sc = gsep[i]!;
    if (sc !== S_DOT) allDot = false;
    if (sc !== S_SPACE) allSpace = false;
    if (sc !== S_DASH) allDash = false;
  }
  if (allDot) {
    // IPv4: four dotted octets, not part of a longer dotted run, not a version number.
    const before = a > 0 ? gsep[a]! : 0;
    const after = b < groupCount ? gsep[b]! : 0;
    if (before === S_DOT || after === S_DOT || plus || paren) return null;
    const s0 = gs[a]!;
    if (count === 3 && lens(a) === 3 && lens(a + 1) === 3 && lens(a + 2) === 4) {
      return VERSION_BEFORE.test(text.slice(Math.max(0, s0 - 12), s0)) ? null : 'phone'; // 555.123.4567
    }
    if (count !== 4) return null;
    for (let i = a; i < b; i++) {
      const g0 = gs[i]!;
      const l = lens(i);
      if (l > 3 || (l > 1 && u[g0] === 48)) return null;
      let v = 0;
      for (let q = g0; q < g0 + l; q++) v = v * 10 + (u[q]! - 48);
      if (v > 255) return null;
    }
    return VERSION_BEFORE.test(text.slice(Math.max(0, s0 - 12), s0)) ? null : 'ipv4';
  }
  if (digitCount < 7 || digitCount > 19) return null;
  // US SSN: AAA-GG-SSSS (dash or space), with the never-issued ranges excluded.
  if (
    count === 3 &&
    lens(a) === 3 &&
    lens(a + 1) === 2 &&
    lens(a + 2) === 4 &&
    !plus &&
    !paren &&
    (allDash || allSpace)
  ) {
    const d = digitsOf(text, a, b);
    const area = d.slice(0, 3);
    if (
      area !== '000' &&
      area !== '666' &&
      area[0] !== '9' &&
      d.slice(3, 5) !== '00' &&
      d.slice(5) !== '0000'
    )
      return 'ssn';
  }
  // Payment card: 13–19 digits in card-like grouping, Luhn-valid.
  if (digitCount >= 13 && !plus && !paren && (count === 1 || allSpace || allDash)) {
    let fours = true;
    for (let i = a; i < b - 1; i++) if (lens(i) !== 4) fours = false;
    fours = fours && lens(b - 1) <= 4;
    const amex =
      count === 3 && lens(a) === 4 && lens(a + 1) === 6 && (lens(a + 2) === 5 || lens(a + 2) === 4);
    if ((count === 1 || fours || amex) && luhn(digitsOf(text, a, b))) return 'card';
  }
  if (count === 1 && !plus) return null;
  if (digitCount > 15) return null;
  // Phones.
  if (plus && digitCount >= 8) return 'phone';
  const first = gs[a]!;
  const zero = u[first] === 48;
  const zeroZero = zero && u[first + 1] === 48;
  if (zeroZero && digitCount >= 10 && count >= 2) return 'phone';
  const nanp =
    digitCount === 10 &&
    ((count === 3 && lens(a) === 3 && lens(a + 1) === 3 && lens(a + 2) === 4) ||
      (count === 2 && lens(a) === 3 && lens(a + 1) === 7));
  if (nanp && (paren || allDash || allSpace || allDot || gsep[a + 1] === S_PAREN)) return 'phone';
  if (count === 2 && lens(a) === 3 && lens(a + 1) === 4 && gsep[a + 1] === S_DASH && !paren) return 'phone';
  if (zero && !zeroZero && digitCount >= 10 && digitCount <= 11 && count >= 2) return 'phone';
  return null;
}

/** Luhn checksum over a digit string. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

const isUpperLetter = (c: number) => c >= 65 && c <= 90;
const isIbanChar = (c: number) => isDigit(c) || isUpperLetter(c);
const isWordChar = (c: number) => isAlnum(c) || c === 95;
const ibanEnds = new Int32Array(8);

/**
 * IBAN candidates, scanned by hand with the exact semantics of the global RegExp
 * `\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b` (greedy groups, backtracking to
 * the longest form that ends on a word boundary), then the mod-97 check; the scan resumes after each
 * candidate, as the RegExp would. No allocation per candidate.
 */
function findIbans(u: Uint16Array, n: number, out: PiiMatch[], firstDigit: number): void {
  if (firstDigit === -1) return;
  // An IBAN's first digit follows its two letters.
  for (let p = Math.max(0, firstDigit - 2); p + 12 <= n; ) {
    if (!isUpperLetter(u[p]!) || (p > 0 && isWordChar(u[p - 1]!))) {
      p++;
      continue;
    }
    const e = ibanAt(u, n, p);
    if (e < 0) {
      p++;
      continue;
    }
    if (ibanValidRange(u, p, e)) out.push({ type: 'iban', start: p, end: e });
    p = e;
  }
}

function ibanAt(u: Uint16Array, n: number, p: number): number {
  if (!isUpperLetter(u[p + 1]!) || !isDigit(u[p + 2]!) || !isDigit(u[p + 3]!)) return -1;
  let q = p + 4;
  let groups = 0;
  ibanEnds[0] = q;
  while (groups < 7) {
    const r = u[q] === 32 ? q + 1 : q;
    if (
      r + 4 > n ||
      !isIbanChar(u[r]!) ||
      !isIbanChar(u[r + 1]!) ||
      !isIbanChar(u[r + 2]!) ||
      !isIbanChar(u[r + 3]!)
    )
      break;
    q = r + 4;
    ibanEnds[++groups] = q;
  }
  for (let k = groups; k >= 2; k--) {
    const end = ibanEnds[k]!;
    const r = end < n && u[end] === 32 ? end + 1 : end;
    let t = 0;
    while (t < 3 && r + t < n && isIbanChar(u[r + t]!)) t++;
    for (let tt = t; tt >= 1; tt--) if (r + tt === n || !isWordChar(u[r + tt]!)) return r + tt;
    if (end === n || !isWordChar(u[end]!)) return end;
  }
  return -1;
}

function ibanValidRange(u: Uint16Array, a: number, b: number): boolean {
  let len = 0;
  for (let i = a; i < b; i++) if (u[i] !== 32) len++;
  if (len < 15 || len > 34) return false;
  let rem = 0;
  let seen = 0;
  let headEnd = a;
  for (let i = a; i < b; i++) {
    const c = u[i]!;
    if (c === 32) continue;
    if (seen++ < 4) {
      headEnd = i + 1;
      continue;
    }
    rem = ibanStep(rem, c);
  }
  for (let i = a; i < headEnd; i++) if (u[i] !== 32) rem = ibanStep(rem, u[i]!);
  return rem === 1;
}

function ibanStep(rem: number, c: number): number {
  const upper = c >= 97 && c <= 122 ? c - 32 : c;
  const v = upper >= 65 ? upper - 55 : upper - 48;
  return mod97(v >= 10 ? rem * 100 + v : rem * 10 + v);
}

/**
 * `x % 97` without an integer division on the hot path: `(x · 10811) >>> 20` is `⌊x / 97⌋` exactly for
 * 0 ≤ x < 11542 (checked exhaustively), which covers every step over letters and digits (x ≤ 9635).
 */
function mod97(x: number): number {
  return x >= 0 && x < 11542 ? x - 97 * ((x * 10811) >>> 20) : x % 97;
}

function findIpv6(text: string, u: Uint16Array, n: number, out: PiiMatch[], firstDigit: number): void {
  if (firstDigit === -1 || text.indexOf(':') === -1) return;
  const isTok = (c: number) => isHex(c) || c === 58;
  let scannedTo = 0; // characters before this were already part of a rejected token
  for (let colon = 0; colon < n; colon++) {
    if (u[colon] !== 58) continue;
    let a = colon;
    while (a > scannedTo && colon - a < 40 && isTok(u[a - 1]!)) a--;
    let b = colon + 1;
    while (b < n && isTok(u[b]!)) b++; // maximal token: each character is visited once here
    const boundedLeft = a === 0 || !isAlnum(u[a - 1]!);
    const boundedRight = b === n || !isAlnum(u[b]!);
    if (b - a <= 45 && boundedLeft && boundedRight && ipv6Valid(text.slice(a, b)))
      out.push({ type: 'ipv6', start: a, end: b });
    scannedTo = b;
    colon = b; // the next colon search starts at b + 1
  }
}

function ipv6Valid(s: string): boolean {
  if (!/[0-9]/.test(s)) return false; // 'a::b', 'cafe::bad' are not addresses in prose
  if (/^2001:0{0,1}db8(?::|$)/i.test(s)) return false; // 2001:db8::/32 is for documentation (RFC 3849)
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => g.length >= 1 && g.length <= 4)) return false;
  if (halves.length === 2) return groups.length >= 1 && groups.length <= 7;
  return groups.length === 8;
}

// Number, one to four capitalised words, a street-type word. Each repetition starts with a capital and
// ends with a space, so repetitions cannot overlap: bounded backtracking.
const ADDRESS =
  /\b\d{1,5}[A-Za-z]? (?:[A-Z][a-z]+\.? ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Highway|Hwy|Square|Sq|Close|Crescent)\b\.?/g;

// Cheap test that a street-type word is present at all before running the full pattern.
const STREET_WORD =
  /(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Highway|Hwy|Square|Sq|Close|Crescent)\b/;

function findAddresses(text: string, out: PiiMatch[]): void {
  if (!STREET_WORD.test(text)) return;
  ADDRESS.lastIndex = 0;
  for (let m = ADDRESS.exec(text); m; m = ADDRESS.exec(text)) {
    out.push({ type: 'address', start: m.index, end: m.index + m[0].length });
  }
}

/**
 * Replaces PII and secrets in `text` with typed placeholders (`[EMAIL]`, `[CARD]`, `[OPENAI_KEY]`…).
 * Usable as the history module's `redact` hook.
 * @example
 * ```ts
 * redact('mail bob@example.com'); // 'mail [EMAIL]'
 * ```
 */
export function redact(text: string): string {
  if (typeof text !== 'string' || text.length === 0) return text;
  const spans: Array<{ start: number; end: number; replacement: string }> = [
    ...findPii(text).map((m) => ({ start: m.start, end: m.end, replacement: PII_PLACEHOLDERS[m.type] })),
    ...findSecrets(text).map((m) => ({ start: m.start, end: m.end, replacement: m.replacement })),
  ];
  return applyReplacements(text, spans);
}

/** Replaces non-overlapping spans (overlaps: the earliest, longest wins). */
export function applyReplacements(
  text: string,
  spans: ReadonlyArray<{ start: number; end: number; replacement: string }>,
): string {
  if (spans.length === 0) return text;
  const sorted = sortSpans(spans);
  let out = '';
  let pos = 0;
  for (const s of sorted) {
    if (s.start < pos) continue;
    out += text.slice(pos, s.start) + s.replacement;
    pos = s.end;
  }
  return out + text.slice(pos);
}

const IDX_BITS = 2 ** 21;

/** Stable sort by start ascending, then end descending; native numeric sort for many spans. */
export function sortSpans<S extends { start: number; end: number }>(spans: ReadonlyArray<S>): S[] {
  const n = spans.length;
  const cmp = (a: S, b: S) => a.start - b.start || b.end - a.end;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = cmp(spans[i - 1]!, spans[i]!) <= 0;
  if (sorted) return spans as S[];
  if (n <= 64 || n >= IDX_BITS) return [...spans].sort(cmp);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = spans[i]!.start;
    if (!(start >= 0 && start < 2 ** 31)) return [...spans].sort(cmp);
    keys[i] = start * IDX_BITS + i;
  }
  keys.sort();
  const out: S[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = spans[keys[i]! % IDX_BITS]!;
  // Equal starts: longest first (stable), as the comparator sort would order them.
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && out[j]!.start === out[i]!.start) j++;
    if (j - i > 1) {
      const group = out.slice(i, j).sort(cmp);
      for (let k = i; k < j; k++) out[k] = group[k - i]!;
    }
    i = j;
  }
  return out;
}
