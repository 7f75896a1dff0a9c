/**
 * Aho–Corasick term matcher over {@link NormalizedText}, compiled once into a dense DFA table so a scan
 * is one table lookup per normalised character, whatever the number of terms (linear time, no regex).
 * @module
 */
import { ValidationError } from '../errors.js';
import { type NormalizedText, normalizeText } from './normalize.js';

/** One term to compile. `*` at either end lifts the word boundary on that side (`fuck*`, `*shit*`). */
export interface TermEntry<T> {
  readonly term: string;
  readonly data: T;
  /** Allowlist entry: suppresses every term match lying inside its own match. */
  readonly allow?: boolean;
}

/** A match, in normalised indices `[start, end)` and original indices `[origStart, origEnd)`. */
export interface TermMatch<T> {
  readonly data: T;
  readonly term: string;
  readonly start: number;
  readonly end: number;
  readonly origStart: number;
  readonly origEnd: number;
}

const SEP = 32;
/** Letters normalisation keeps distinct (see `normalize.ts`) → the plain letter they fold to elsewhere. */
const LOCALE_LETTERS: ReadonlyArray<readonly [number, number]> = [
  [0x131, 0x69], // ı → i
  [0xf1, 0x6e], // ñ → n
];

/**
 * Compiled multi-term matcher.
 * @example
 * ```ts
 * const m = new TermMatcher([{ term: 'fuck*', data: 'profanity' }, { term: 'fuckwit', data: 'x', allow: true }]);
 * m.scan(normalizeText('f.u.c.k off')); // one match, origStart 0, origEnd 7
 * ```
 */
export class TermMatcher<T> {
  /** Number of compiled terms (allowlist included). */
  readonly size: number;
  /** Longest compiled term in normalised characters (stream checkers keep this much overlap). */
  readonly maxTermLength: number;
  private readonly classOf: Uint16Array;
  private readonly classes: number;
  /** `table` re-encoded for scanning: entry = next state's row offset, bitwise-negated when it has outputs. */
  private readonly jump: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  private readonly patLen: Int32Array;
  private readonly patNeed: Array<number[] | null>;
  private readonly startBound: Uint8Array;
  private readonly endBound: Uint8Array;
  private readonly allow: Uint8Array;
  private readonly entries: readonly TermEntry<T>[];

  constructor(entries: readonly TermEntry<T>[]) {
    this.entries = entries;
    this.size = entries.length;
    this.classOf = new Uint16Array(65536).fill(1);
    this.classOf[SEP] = 0;
    let classes = 2;
    const patterns: number[][] = [];
    this.patLen = new Int32Array(entries.length);
    this.patNeed = [];
    this.startBound = new Uint8Array(entries.length);
    this.endBound = new Uint8Array(entries.length);
    this.allow = new Uint8Array(entries.length);
    let maxLen = 0;
    entries.forEach((entry, idx) => {
      if (typeof entry.term !== 'string') {
        throw new ValidationError(
          `Expected \`terms[${idx}].term\` to be a string, got ${typeof entry.term}`,
          {
            field: `terms[${idx}].term`,
          },
        );
      }
      let raw = entry.term;
      const lead = raw.startsWith('*');
      const trail = raw.endsWith('*') && raw.length > 1;
      raw = raw.slice(lead ? 1 : 0, trail ? -1 : undefined);
      const nt = normalizeText(raw);
      let a = 0;
      let b = nt.codes.length;
      while (a < b && nt.codes[a] === SEP) a++;
      while (b > a && nt.codes[b - 1] === SEP) b--;
      if (a === b) {
        throw new ValidationError(
          `Expected \`terms[${idx}].term\` to contain a letter or digit, got ${JSON.stringify(entry.term)}`,
          { field: `terms[${idx}].term` },
        );
      }
      const codes = Array.from(nt.codes.subarray(a, b));
      const need = Array.from(nt.runs.subarray(a, b));
      for (const c of codes) if (this.classOf[c] === 1 && c !== SEP) this.classOf[c] = classes++;
      patterns.push(codes);
      this.patLen[idx] = codes.length;
      this.patNeed.push(need.some((r) => r > 1) ? need : null);
      this.startBound[idx] = lead ? 0 : 1;
      this.endBound[idx] = trail ? 0 : 1;
      this.allow[idx] = entry.allow ? 1 : 0;
      if (codes.length > maxLen) maxLen = codes.length;
    });
    this.maxTermLength = maxLen;
    // Letters kept apart by normalisation for the locales where they matter (Turkish dotless ı, Spanish
    // ñ) match their plain letter unless one of this matcher's own terms spells them.
    for (const [special, plain] of LOCALE_LETTERS) {
      if (this.classOf[special] === 1 && this.classOf[plain] !== 1)
        this.classOf[special] = this.classOf[plain]!;
    }
    this.classes = classes;

    // Trie.
    const goto: Array<Map<number, number>> = [new Map()];
    const outs: number[][] = [[]];
    patterns.forEach((codes, idx) => {
      let s = 0;
      for (const c of codes) {
        const cls = this.classOf[c]!;
        let next = goto[s]!.get(cls);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          outs.push([]);
          goto[s]!.set(cls, next);
        }
        s = next;
      }
      outs[s]!.push(idx);
    });
    // BFS: failure links folded into a dense DFA table; outputs merged along failure links.
    const states = goto.length;
    const table = new Int32Array(states * classes);
    const fail = new Int32Array(states);
    const queue: number[] = [];
    for (let cls = 0; cls < classes; cls++) {
      const next = goto[0]!.get(cls);
      if (next !== undefined) {
        table[cls] = next;
        fail[next] = 0;
        queue.push(next);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      if (outs[f]!.length) outs[s] = outs[s]!.concat(outs[f]!);
      for (let cls = 0; cls < classes; cls++) {
        const next = goto[s]!.get(cls);
        if (next !== undefined) {
          table[s * classes + cls] = next;
          fail[next] = table[f * classes + cls]!;
          queue.push(next);
        } else {
          table[s * classes + cls] = table[f * classes + cls]!;
        }
      }
    }
    this.outStart = new Int32Array(states + 1);
    let total = 0;
    for (let s = 0; s < states; s++) {
      this.outStart[s] = total;
      total += outs[s]!.length;
    }
    this.outStart[states] = total;
    this.outIds = new Int32Array(total);
    let k = 0;
    for (const list of outs) for (const id of list) this.outIds[k++] = id;
    this.jump = new Int32Array(table.length);
    for (let i = 0; i < table.length; i++) {
      const next = table[i]!;
      this.jump[i] = outs[next]!.length ? ~(next * classes) : next * classes;
    }
  }

  /**
   * Finds every term occurrence in `text` that respects its word boundaries and repeat counts and is
   * not inside an allowlisted phrase. Matches nested inside a longer match are dropped.
   * Scans from normalised index `from` (default 0).
   */
  scan(text: NormalizedText, from = 0): TermMatch<T>[] {
    const count = this.scanKept(text, from);
    const out: TermMatch<T>[] = [];
    for (let k = 0; k < count; k++) {
      const a = keptA[k]!;
      const b = keptB[k]!;
      const entry = this.entries[keptP[k]!]!;
      out.push({
        data: entry.data,
        term: entry.term,
        start: a,
        end: b,
        origStart: text.starts[a]!,
        origEnd: text.ends[b - 1]!,
      });
    }
    return out;
  }

  /** Bytes held by the compiled tables (class map, DFA, outputs). */
  get byteSize(): number {
    return (
      this.classOf.byteLength +
      this.jump.byteLength +
      this.outStart.byteLength +
      this.outIds.byteLength +
      this.patLen.byteLength +
      3 * this.size
    );
  }

  /** Compiled term `p` as written (with its `*` wildcards). */
  termOf(p: number): string {
    return this.entries[p]!.term;
  }

  /** The data of compiled term `p` (an index from {@link TermMatcher.scanKept}). */
  dataOf(p: number): T {
    return this.entries[p]!.data;
  }

  /**
   * Like {@link TermMatcher.scan} without allocating per match: fills the module's kept-match buffers
   * (`keptA`, `keptB`, `keptP`: normalised start, end and term index, in text order) and returns their
   * count. The buffers are valid until the next scan. Linear in the text plus the number of raw hits.
   * `to` (default: the end) stops the scan early, e.g. to sample the start of a long text.
   */
  scanKept(text: NormalizedText, from = 0, to = text.codes.length): number {
    const { codes, runs } = text;
    const n = Math.min(codes.length, to);
    const { jump, classes, classOf, outStart, outIds, patLen, patNeed, startBound, endBound, allow } = this;
    let hits = 0;
    let allows = 0;
    let row = 0;
    for (let j = from; j < n; j++) {
      const v = jump[row + classOf[codes[j]!]!]!;
      if (v >= 0) {
        row = v;
        continue;
      }
      row = ~v;
      const s = row / classes;
      const o1 = outStart[s + 1]!;
      for (let o = outStart[s]!; o < o1; o++) {
        const p = outIds[o]!;
        const a = j - patLen[p]! + 1;
        if (a < from) continue;
        if (startBound[p] && a > 0 && codes[a - 1] !== SEP) continue;
        if (endBound[p] && j + 1 < n && codes[j + 1] !== SEP) continue;
        const need = patNeed[p];
        if (need) {
          let ok = true;
          for (let q = 0; q < need.length; q++) {
            if (runs[a + q]! < need[q]!) {
              ok = false;
              break;
            }
          }
          if (!ok) continue;
        }
        if (allow[p]) {
          if (allows === allowA.length) growAllows();
          allowA[allows] = a;
          allowB[allows++] = j + 1;
        } else {
          if (hits === hitA.length) growHits();
          hitA[hits] = a;
          hitB[hits] = j + 1;
          hitP[hits++] = p;
        }
      }
    }
    if (hits === 0) return 0;
    return selectKept(hits, allows);
  }
}

// Raw hits and allow spans, in scan order (end ascending); kept matches in text order. Reused buffers.
let hitA: Int32Array = new Int32Array(64);
let hitB: Int32Array = new Int32Array(64);
let hitP: Int32Array = new Int32Array(64);
let allowA: Int32Array = new Int32Array(64);
let allowB: Int32Array = new Int32Array(64);
let keptA: Int32Array = new Int32Array(64);
let keptB: Int32Array = new Int32Array(64);
let keptP: Int32Array = new Int32Array(64);

function grown(from: Int32Array): Int32Array {
  const to = new Int32Array(from.length * 2);
  to.set(from);
  return to;
}

function growHits(): void {
  hitA = grown(hitA);
  hitB = grown(hitB);
  hitP = grown(hitP);
}

function growAllows(): void {
  allowA = grown(allowA);
  allowB = grown(allowB);
}

/**
 * Keeps each hit not contained in another hit with a different span (the first of equal spans wins)
 * and not inside an allowlisted span, in text order. Hits arrive by ascending end, so one backward
 * sweep suffices: at most one hit per end survives (the one starting earliest), and it survives when
 * every hit ending later starts after it and no allow span ending at or after it starts at or before it.
 */
function selectKept(hits: number, allows: number): number {
  if (keptA.length < hits) {
    keptA = new Int32Array(hitA.length);
    keptB = new Int32Array(hitA.length);
    keptP = new Int32Array(hitA.length);
  }
  let kept = 0;
  let minLaterA = 0x7fffffff; // min start over hits ending after the current end
  let minAllowA = 0x7fffffff; // min start over allow spans ending at or after the current end
  let ai = allows - 1;
  for (let h = hits - 1; h >= 0; ) {
    const b = hitB[h]!;
    // The group of hits sharing end b is [g, h]; the first (lowest index) with the lowest start wins.
    let g = h;
    let best = h;
    while (g > 0 && hitB[g - 1] === b) {
      g--;
      if (hitA[g]! <= hitA[best]!) best = g;
    }
    const a = hitA[best]!;
    while (ai >= 0 && allowB[ai]! >= b) {
      if (allowA[ai]! < minAllowA) minAllowA = allowA[ai]!;
      ai--;
    }
    if (a < minLaterA && a < minAllowA) {
      keptA[kept] = a;
      keptB[kept] = b;
      keptP[kept++] = hitP[best]!;
    }
    if (a < minLaterA) minLaterA = a;
    h = g - 1;
  }
  keptA.subarray(0, kept).reverse();
  keptB.subarray(0, kept).reverse();
  keptP.subarray(0, kept).reverse();
  return kept;
}

/** Kept-match buffers of the last {@link TermMatcher.scanKept} call (start, end, term index). */
export function keptMatches(): { readonly a: Int32Array; readonly b: Int32Array; readonly p: Int32Array } {
  return { a: keptA, b: keptB, p: keptP };
}
