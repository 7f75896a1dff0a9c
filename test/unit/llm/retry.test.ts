import { describe, expect, it } from 'vitest';
import {
  ProviderError,
  ProviderRateLimitError,
  ProviderTimeoutError,
  ValidationError,
} from '../../../src/index.js';
import { countsAgainstBreaker, isRetryableFailure, parseRetryAfter } from '../../../src/llm/index.js';
import { networkCode, toProviderError, withRetry } from '../../../src/llm/retry.js';

describe('retry classification', () => {
  it.each([
    ['429', new ProviderRateLimitError('rl', { retryAfterMs: 10 }), true, true],
    ['timeout', new ProviderTimeoutError('t'), true, true],
    ['500', new ProviderError('x', { status: 500, retryable: true }), true, true],
    ['503', new ProviderError('x', { status: 503 }), true, true],
    [
      'connection',
      new ProviderError('x', { code: 'PROVIDER_CONNECTION_ERROR', retryable: true }),
      true,
      true,
    ],
    ['400', new ProviderError('x', { status: 400 }), false, false],
    ['401', new ProviderError('x', { status: 401 }), false, false],
    ['404', new ProviderError('x', { status: 404 }), false, false],
    ['408 (other 4xx)', new ProviderError('x', { status: 408 }), false, false],
    ['malformed', new ProviderError('x', { code: 'PROVIDER_BAD_RESPONSE' }), false, true],
    ['circuit open', new ProviderError('x', { code: 'PROVIDER_CIRCUIT_OPEN' }), false, false],
    ['validation', new ValidationError('v'), false, false],
    ['plain Error', new Error('boom'), false, false],
  ])('%s: retryable=%s, counts against breaker=%s', (_n, error, retry, breaker) => {
    expect(isRetryableFailure(error)).toBe(retry);
    expect(countsAgainstBreaker(error)).toBe(breaker);
  });

  it('maps fetch network failures to retryable PROVIDER_CONNECTION_ERROR, naming the code', () => {
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(networkCode(reset)).toBe('ECONNRESET');
    const e = toProviderError(reset, 'ollama http://x', {});
    expect(e).toMatchObject({ code: 'PROVIDER_CONNECTION_ERROR', retryable: true });
    expect(e.message).toContain('ECONNRESET');
    expect(isRetryableFailure(e)).toBe(true);
    const other = toProviderError(new RangeError('bad'), 'custom', {});
    expect(other).toMatchObject({ code: 'PROVIDER_ERROR', retryable: false });
    const same = new ProviderTimeoutError('t');
    expect(toProviderError(same, 'x', {})).toBe(same);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it('reads delta seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
  });
  it('reads an HTTP date relative to now; past dates give 0', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 12:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores missing or garbage values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('withRetry', () => {
  const policy = {
    retries: 3,
    minTimeoutMs: 1,
    maxTimeoutMs: 2,
    factor: 2,
    randomize: false,
    maxRetryAfterMs: 50,
  };
  const ctx = () => ({ signal: new AbortController().signal, remainingMs: () => 10_000 });

  it('retries retryable failures up to `retries` times, then throws the last typed error', async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new ProviderError('down', { status: 503 });
      },
      policy,
      ctx(),
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(err).toBeInstanceOf(ProviderError);
  });

  it('stops at once on a non-retryable failure and throws it unchanged', async () => {
    let calls = 0;
    const original = new ProviderError('bad', { status: 422 });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw original;
        },
        policy,
        ctx(),
      ),
    ).rejects.toBe(original);
    expect(calls).toBe(1);
  });

  it('waits Retry-After when it fits, refuses one longer than maxRetryAfterMs or the time left', async () => {
    const waits: Array<number | undefined> = [];
    let calls = 0;
    const t0 = performance.now();
    const v = await withRetry(
      async () => {
        if (++calls === 1) throw new ProviderRateLimitError('rl', { retryAfterMs: 40 });
        return 'ok';
      },
      policy,
      { ...ctx(), onRetry: (i) => waits.push(i.retryAfterMs) },
    );
    expect(v).toBe('ok');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(39);
    expect(waits).toEqual([40]);
    let tooLong = 0;
    await expect(
      withRetry(
        async () => {
          tooLong++;
          throw new ProviderRateLimitError('rl', { retryAfterMs: 51 });
        },
        policy,
        ctx(),
      ),
    ).rejects.toBeInstanceOf(ProviderRateLimitError);
    expect(tooLong).toBe(1);
    let noTime = 0;
    await expect(
      withRetry(
        async () => {
          noTime++;
          throw new ProviderRateLimitError('rl', { retryAfterMs: 30 });
        },
        policy,
        { ...ctx(), remainingMs: () => 20 },
      ),
    ).rejects.toBeInstanceOf(ProviderRateLimitError);
    expect(noTime).toBe(1);
  });
});
