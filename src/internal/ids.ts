import { randomBytes } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a canonical UUID string (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

let lastMs = 0;
let counter = 0;
const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1');
/** The 36 bytes of the id being written; the dashes never change. */
const OUT = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

function hexAt(b: Buffer, at: number, byte: number): void {
  b[at] = HEX_CODES[byte >> 4]!;
  b[at + 1] = HEX_CODES[byte & 15]!;
}
let pool = randomBytes(4096);
let poolOffset = 0;

/** Reserves `n` random bytes; returns their offset in `pool` (no Buffer view allocated). */
function take(n: number): number {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix-ms timestamp, then a 12-bit counter that keeps ids made in the
 * same millisecond strictly increasing within this process, then random bits. Time-ordered ids
 * keep B-tree inserts local and make `ORDER BY id` follow creation order.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = pool.readUInt16BE(take(2)) & 0x3ff; // random start, leaves room to count up
  } else {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs;
  const o = take(8);
  const hi = Math.floor(ms / 2 ** 32);
  // Hex digits written into one reused byte buffer, then one flat latin1 string: this runs on every
  // logged inference, and a string glued from pieces would keep ~600 bytes of garbage per id.
  const b = OUT;
  hexAt(b, 0, (hi >>> 8) & 0xff);
  hexAt(b, 2, hi & 0xff);
  hexAt(b, 4, (ms >>> 24) & 0xff);
  hexAt(b, 6, (ms >>> 16) & 0xff);
  hexAt(b, 9, (ms >>> 8) & 0xff);
  hexAt(b, 11, ms & 0xff);
  hexAt(b, 14, 0x70 | ((counter >>> 8) & 0x0f));
  hexAt(b, 16, counter & 0xff);
  hexAt(b, 19, 0x80 | (pool[o]! & 0x3f));
  hexAt(b, 21, pool[o + 1]!);
  for (let k = 2; k < 8; k++) hexAt(b, 24 + (k - 2) * 2, pool[o + k]!);
  return b.toString('latin1', 0, 36);
}
