/**
 * Fast, stable, non-cryptographic 32-bit hashing (FNV-1a over UTF-16 code units, then a murmur3
 * finaliser for avalanche). Identical on every replica and every Node version, which is what sticky
 * routing and deterministic fallback choice need.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Maps `key` under `salt` onto one of `buckets` buckets, uniformly. */
export function bucketOf(salt: string, key: string, buckets: number): number {
  return hash32(`${salt}\u0000${key}`) % buckets;
}
