/**
 * Fast, stable, non-cryptographic 32-bit hashing (FNV-1a over UTF-16 code units, then a murmur3
 * finaliser for avalanche). Identical on every replica and every Node version, which is what sticky
 * routing and deterministic fallback choice need.
 */
export function hash32(text: string): number {
  return finish(fnv1a(FNV_OFFSET, text));
}

/**
 * `hash32(parts.join(separator))` without building the joined string: hashing a 100 KB text inside a
 * template literal cost a flattened 200 KB copy and ran ~10× slower than hashing the parts.
 */
export function hash32Joined(parts: readonly string[], separator: string): number {
  let h = FNV_OFFSET;
  for (let k = 0; k < parts.length; k++) {
    if (k > 0) h = fnv1a(h, separator);
    h = fnv1a(h, parts[k]!);
  }
  return finish(h);
}

/** Maps `key` under `salt` onto one of `buckets` buckets, uniformly. */
export function bucketOf(salt: string, key: string, buckets: number): number {
  return hash32(`${salt}\u0000${key}`) % buckets;
}

// The offset basis as an int32 (same bits as 0x811c9dc5): the state stays an int32 from the first step,
// so optimised code never deoptimises on it (a double start value made long texts deoptimise repeatedly).
const FNV_OFFSET = 0x811c9dc5 | 0;

function fnv1a(state: number, text: string): number {
  let h = state;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

function finish(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
