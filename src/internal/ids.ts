import { randomBytes } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a canonical UUID string (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

let lastMs = 0;
let counter = 0;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
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
  const r = pool;
  const h = HEX;
  // Built straight from byte lookups: this runs on every logged inference, so no arrays, no map().
  const hi = Math.floor(ms / 2 ** 32);
  return (
    h[(hi >>> 8) & 0xff]! +
    h[hi & 0xff]! +
    h[(ms >>> 24) & 0xff]! +
    h[(ms >>> 16) & 0xff]! +
    '-' +
    h[(ms >>> 8) & 0xff]! +
    h[ms & 0xff]! +
    '-' +
    h[0x70 | ((counter >>> 8) & 0x0f)]! +
    h[counter & 0xff]! +
    '-' +
    h[0x80 | (r[o + 0]! & 0x3f)]! +
    h[r[o + 1]!]! +
    '-' +
    h[r[o + 2]!]! +
    h[r[o + 3]!]! +
    h[r[o + 4]!]! +
    h[r[o + 5]!]! +
    h[r[o + 6]!]! +
    h[r[o + 7]!]!
  );
}
