/**
 * Bulk access to a string's UTF-16 code units. `String.prototype.charCodeAt` costs several nanoseconds
 * per call on the concatenated/sliced strings that real callers pass; one native `Buffer.write` into a
 * reused buffer followed by typed-array reads is several times faster for every linear scanner here.
 * @module
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A reusable scratch buffer of code units; each `load` overwrites the previous contents. */
export class CodeUnits {
  private bytes: Buffer;
  private units: Uint16Array;

  // Small at first: the growth path then runs on ordinary texts, before it is optimised, instead of
  // first running (and deoptimising the caller's optimised code) on the first long text.
  constructor(initial = 256) {
    this.bytes = Buffer.allocUnsafeSlow(initial * 2);
    this.units = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, initial);
  }

  /**
   * Copies `text`'s code units (lone surrogates kept) into the buffer and returns it; indices
   * `[0, text.length)` are valid until the next `load`, plus one zero sentinel at `text.length`.
   */
  load(text: string): Uint16Array {
    const n = text.length;
    if (n + 1 > this.units.length) {
      const size = Math.max(n + 1, this.units.length * 2);
      this.bytes = Buffer.allocUnsafeSlow(size * 2);
      this.units = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, size);
    }
    const units = this.units;
    if (LITTLE_ENDIAN) this.bytes.write(text, 0, 'utf16le');
    else for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
    units[n] = 0;
    return units;
  }
}
