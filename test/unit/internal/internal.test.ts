import { describe, expect, it } from 'vitest';
import { bucketOf, hash32, hash32Joined } from '../../../src/internal/hashing.js';
import { Histogram } from '../../../src/internal/histogram.js';
import { isUuid, uuidv7 } from '../../../src/internal/ids.js';
import { KeyedMutex } from '../../../src/internal/keyed-mutex.js';
import { ManualClock } from '../../../src/testing.js';

describe('uuidv7', () => {
  it('is a version-7, variant-10 UUID carrying its millisecond timestamp', () => {
    const at = Date.UTC(2026, 10, 26, 21, 14);
    const id = uuidv7(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('is strictly increasing within one process, even within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7(Date.UTC(2030, 0, 1)));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('hashing', () => {
  it('is stable across calls and spreads keys over buckets', () => {
    expect(hash32('player-1')).toBe(hash32('player-1'));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) counts[bucketOf('salt', `p${i}`, 10)]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it('keeps its values (sticky routing and fallback choice depend on them)', () => {
    expect(hash32('player-1')).toBe(1881865559);
    expect(hash32('')).toBe(2872998923);
    expect(hash32Joined(['innkeeper', 'npc-7', '', 'Hello there'], '\u0000')).toBe(2290514856);
  });

  it('hashes joined parts as the joined string, without building it', () => {
    const parts = ['', 'npc', 'ѕһіt '.repeat(500), '씨발', '\u{1F600}'];
    expect(hash32Joined(parts, '\u0000')).toBe(hash32(parts.join('\u0000')));
    expect(hash32Joined([], '|')).toBe(hash32(''));
  });
});

describe('Histogram', () => {
  it('answers quantiles within one bucket (< 22 % relative) and merges additively', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i);
    a.merge(b);
    expect(a.count).toBe(1000);
    for (const [q, exact] of [
      [0.5, 500],
      [0.95, 950],
      [0.99, 990],
    ] as const) {
      expect(a.quantile(q)).toBeGreaterThanOrEqual(exact);
      expect(a.quantile(q) / exact).toBeLessThan(1.22);
    }
    a.record(Number.NaN);
    a.record(-1);
    expect(a.count).toBe(1000);
  });
});

describe('ManualClock', () => {
  it('fires due timers in time order and lets them be cancelled', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    const cancel = clock.setTimeout(() => fired.push('never'), 15);
    cancel();
    clock.advance(25);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(25);
  });
});

describe('KeyedMutex', () => {
  it('runs tasks of one key one at a time, in order, even when one fails', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    await Promise.allSettled([mutex.run('k', task('1', true)), mutex.run('k', task('2'))]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });
});
