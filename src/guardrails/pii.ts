/**
 * PII detection and redaction to typed placeholders. Hand-written scanners (no backtracking regex):
 * every scanner is linear in the input, and the monitor caps the scanned length (`maxScanChars`).
 * @module
 */
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

/** Finds every PII occurrence in `text`, sorted by start. Linear time. */
export function findPii(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  findEmails(text, out);
  findDigitRuns(text, out);
  findIbans(text, out);
  findIpv6(text, out);
  findAddresses(text, out);
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

function findEmails(text: string, out: PiiMatch[]): void {
  const n = text.length;
  let at = text.indexOf('@');
  while (at !== -1) {
    let a = at;
    while (a > 0 && at - a < 64 && isLocal(text.charCodeAt(a - 1))) a--;
    while (a < at && text.charCodeAt(a) === 46) a++;
    let b = at + 1;
    while (b < n && b - at <= 253 && isDomain(text.charCodeAt(b))) b++;
    while (b > at + 1 && (text.charCodeAt(b - 1) === 46 || text.charCodeAt(b - 1) === 45)) b--;
    let lastDot = -1;
    for (let i = b - 1; i > at; i--) {
      if (text.charCodeAt(i) === 46) {
        lastDot = i;
        break;
      }
    }
    let ok = a < at && lastDot > at + 1 && b - lastDot - 1 >= 2;
    for (let i = lastDot + 1; ok && i < b; i++) ok = isAlpha(text.charCodeAt(i));
    if (ok) out.push({ type: 'email', start: a, end: b });
    at = text.indexOf('@', Math.max(b, at + 1));
  }
}

interface Group {
  start: number;
  end: number;
  /** Separator text before this group ('' for the first). */
  sep: string;
}

const VERSION_BEFORE = /(?:version|ver|v|build|patch|release|update|firmware|rev)\s*$/i;

function findDigitRuns(text: string, out: PiiMatch[]): void {
  const n = text.length;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    const prefixed = (c === 43 || c === 40) && i + 1 < n && isDigit(text.charCodeAt(i + 1));
    if (!isDigit(c) && !prefixed) {
      i++;
      continue;
    }
    const runStart = i;
    const glued = runStart > 0 && isAlpha(text.charCodeAt(runStart - 1));
    if (prefixed) i++;
    const groups: Group[] = [];
    let sep = '';
    for (;;) {
      const gs = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      groups.push({ start: gs, end: i, sep });
      let g = i;
      while (g < n && g - i < 2 && isGapChar(text.charCodeAt(g))) g++;
      if (g > i && g < n && isDigit(text.charCodeAt(g))) {
        sep = text.slice(i, g);
        i = g;
      } else break;
    }
    if (!glued && !(i < n && isAlpha(text.charCodeAt(i)))) classifyRun(text, runStart, groups, out);
  }
}

function isGapChar(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 40 || c === 41;
}

// Separator codes between digit groups (one or two gap characters).
const S_SPACE = 1;
const S_DASH = 2;
const S_DOT = 3;
const S_PAREN = 4; // ')', ') ', ' (' or '(' combinations

function sepCode(sep: string): number {
  if (sep === ' ') return S_SPACE;
  if (sep === '-') return S_DASH;
  if (sep === '.') return S_DOT;
  if (sep.includes('(') || sep.includes(')')) return S_PAREN;
  return 0; // mixed, e.g. ' -'
}

function classifyRun(text: string, runStart: number, groups: Group[], out: PiiMatch[]): void {
  const count = groups.length;
  const lens = new Int32Array(count);
  const seps = new Int8Array(count); // seps[i]: separator before group i (0 for the first)
  for (let i = 0; i < count; i++) {
    lens[i] = groups[i]!.end - groups[i]!.start;
    seps[i] = i === 0 ? 0 : sepCode(groups[i]!.sep);
  }
  const plus = text.charCodeAt(runStart) === 43;
  const paren = text.charCodeAt(runStart) === 40;
  let pos = 0;
  while (pos < count) {
    let matched = false;
    const g = groups[pos]!;
    const len = lens[pos]!;
    const nextSep = pos + 1 < count ? seps[pos + 1]! : 0;
    const zeroZero = len >= 2 && text.charCodeAt(g.start) === 48 && text.charCodeAt(g.start + 1) === 48;
    // Cheap pruning: a group of 1–2 digits can only start an IPv4 address (dotted), a '+' number or a
    // '00'-prefixed number; a dotted group can only start an IPv4 address (four groups).
    const afterDot = pos > 0 && seps[pos] === S_DOT;
    const startsSomething =
      !afterDot && ((pos === 0 && plus) || (len <= 2 ? nextSep === S_DOT || zeroZero : len <= 19));
    const maxCount = nextSep === S_DOT ? 4 : (pos === 0 && plus) || zeroZero ? 8 : 5;
    for (let k = startsSomething ? Math.min(count, pos + maxCount) : pos; k > pos; k--) {
      const type = classifyWindow(text, groups, lens, seps, pos, k, pos === 0 && plus, pos === 0 && paren);
      if (type) {
        let start = pos === 0 ? runStart : g.start;
        if (pos > 0 && g.sep.endsWith('(')) start = g.start - 1;
        out.push({ type, start, end: groups[k - 1]!.end });
        pos = k;
        matched = true;
        break;
      }
    }
    if (!matched) pos++;
  }
}

function classifyWindow(
  text: string,
  groups: Group[],
  lens: Int32Array,
  seps: Int8Array,
  a: number,
  b: number,
  plus: boolean,
  paren: boolean,
): PiiType | null {
  const count = b - a;
  let digitCount = 0;
  for (let i = a; i < b; i++) digitCount += lens[i]!;
  // The window's inner separators are seps[a+1 .. b-1].
  let allDot = count > 1;
  let allSpace = count > 1;
  let allDash = count > 1;
  for (let i = a + 1; i < b; i++) {
    const sc = seps[i]!;
    if (sc !== S_DOT) allDot = false;
    if (sc !== S_SPACE) allSpace = false;
    if (sc !== S_DASH) allDash = false;
  }
  if (allDot) {
    // IPv4: four dotted octets, not part of a longer dotted run, not a version number.
    const before = a > 0 ? seps[a]! : 0;
    const after = b < groups.length ? seps[b]! : 0;
    if (before === S_DOT || after === S_DOT || plus || paren) return null;
    if (count === 3 && lens[a] === 3 && lens[a + 1] === 3 && lens[a + 2] === 4) {
      const s0 = groups[a]!.start;
      return VERSION_BEFORE.test(text.slice(Math.max(0, s0 - 12), s0)) ? null : 'phone'; // 555.123.4567
    }
    if (count !== 4) return null;
    for (let i = a; i < b; i++) {
      const gs = groups[i]!.start;
      const l = lens[i]!;
      if (l > 3 || (l > 1 && text.charCodeAt(gs) === 48) || Number(text.slice(gs, gs + l)) > 255) return null;
    }
    const s0 = groups[a]!.start;
    return VERSION_BEFORE.test(text.slice(Math.max(0, s0 - 12), s0)) ? null : 'ipv4';
  }
  if (digitCount < 7 || digitCount > 19) return null;
  const digits = () => {
    let d = '';
    for (let i = a; i < b; i++) d += text.slice(groups[i]!.start, groups[i]!.end);
    return d;
  };
  // US SSN: AAA-GG-SSSS (dash or space), with the never-issued ranges excluded.
  if (
    count === 3 &&
    lens[a] === 3 &&
    lens[a + 1] === 2 &&
    lens[a + 2] === 4 &&
    !plus &&
    !paren &&
    (allDash || allSpace)
  ) {
    const d = digits();
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
    for (let i = a; i < b - 1; i++) if (lens[i] !== 4) fours = false;
    fours = fours && lens[b - 1]! <= 4;
    const amex =
      count === 3 && lens[a] === 4 && lens[a + 1] === 6 && (lens[a + 2] === 5 || lens[a + 2] === 4);
    if ((count === 1 || fours || amex) && luhn(digits())) return 'card';
  }
  if (count === 1 && !plus) return null;
  if (digitCount > 15) return null;
  // Phones.
  if (plus && digitCount >= 8) return 'phone';
  const first = groups[a]!.start;
  const zero = text.charCodeAt(first) === 48;
  const zeroZero = zero && text.charCodeAt(first + 1) === 48;
  if (zeroZero && digitCount >= 10 && count >= 2) return 'phone';
  const nanp =
    digitCount === 10 &&
    ((count === 3 && lens[a] === 3 && lens[a + 1] === 3 && lens[a + 2] === 4) ||
      (count === 2 && lens[a] === 3 && lens[a + 1] === 7));
  if (nanp && (paren || allDash || allSpace || allDot || seps[a + 1] === S_PAREN)) return 'phone';
  if (count === 2 && lens[a] === 3 && lens[a + 1] === 4 && seps[a + 1] === S_DASH && !paren) return 'phone';
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

// Fixed-size groups: bounded backtracking (≤ 7 × 5 alternatives per candidate start).
const IBAN = /\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g;

function findIbans(text: string, out: PiiMatch[]): void {
  IBAN.lastIndex = 0;
  for (let m = IBAN.exec(text); m; m = IBAN.exec(text)) {
    if (ibanValid(m[0])) out.push({ type: 'iban', start: m.index, end: m.index + m[0].length });
  }
}

/** ISO 13616 IBAN check: length 15–34 and mod-97 remainder 1. */
export function ibanValid(candidate: string): boolean {
  const s = candidate.replace(/ /g, '').toUpperCase();
  if (s.length < 15 || s.length > 34) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    const v = c >= 65 ? c - 55 : c - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

function findIpv6(text: string, out: PiiMatch[]): void {
  const n = text.length;
  const isTok = (c: number) => isHex(c) || c === 58;
  let colon = text.indexOf(':');
  let scannedTo = 0; // characters before this were already part of a rejected token
  while (colon !== -1) {
    let a = colon;
    while (a > scannedTo && colon - a < 40 && isTok(text.charCodeAt(a - 1))) a--;
    let b = colon + 1;
    while (b < n && isTok(text.charCodeAt(b))) b++; // maximal token: each character is visited once here
    const boundedLeft = a === 0 || !isAlnum(text.charCodeAt(a - 1));
    const boundedRight = b === n || !isAlnum(text.charCodeAt(b));
    if (b - a <= 45 && boundedLeft && boundedRight && ipv6Valid(text.slice(a, b)))
      out.push({ type: 'ipv6', start: a, end: b });
    scannedTo = b;
    colon = text.indexOf(':', b + 1);
  }
}

function ipv6Valid(s: string): boolean {
  if (!/[0-9]/.test(s)) return false; // 'a::b', 'cafe::bad' are not addresses in prose
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

function findAddresses(text: string, out: PiiMatch[]): void {
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
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let pos = 0;
  for (const s of sorted) {
    if (s.start < pos) continue;
    out += text.slice(pos, s.start) + s.replacement;
    pos = s.end;
  }
  return out + text.slice(pos);
}
