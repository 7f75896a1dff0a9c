import { describe, expect, it } from 'vitest';
import { buildRow } from '../../../src/history/entry-builder.js';
import {
  HistoricalLogProcessor,
  type HistoryDropped,
  type InferenceLogInput,
} from '../../../src/history/index.js';
import { percentileCont } from '../../../src/history/log-reader.js';
import { safeJson, truncateUtf8 } from '../../../src/history/sanitize.js';
import { ClosedError, type Database, DatabaseUnavailableError, ValidationError } from '../../../src/index.js';
import { isUuid } from '../../../src/internal/ids.js';

const MODEL = '0190a6c2-7a3e-7cc1-8f00-000000000001';
const ok: InferenceLogInput = {
  modelId: MODEL,
  useCase: 'u',
  prompt: 'p',
  generatedOutput: 'o',
  context: {},
};
const settings = { maxFieldBytes: 32 * 1024, redact: undefined, onRedactionFailure: () => {} };
const build = (over: Partial<InferenceLogInput> | Record<string, unknown>) =>
  buildRow({ ...ok, ...over } as InferenceLogInput, 'id', 0, settings);

/** A database that never answers: every write hangs, so entries stay buffered. */
const neverDb = new Promise<Database>(() => {});

describe('entry validation (bad input list of the issue)', () => {
  it.each([
    [{ modelId: 'not-a-uuid' }, /`modelId` to be a UUID or null/],
    [{ modelId: 42 }, /`modelId`/],
    [{ latencyMs: Number.NaN }, /`latencyMs` to be a finite number ≥ 0, got NaN/],
    [{ latencyMs: -1 }, /`latencyMs`/],
    [{ status: 'weird' }, /`status` to be one of ok, error, fallback, blocked/],
    [{ variant: 'beta' }, /`variant`/],
    [{ useCase: '' }, /`useCase`/],
    [{ prompt: undefined }, /`prompt` to be a string/],
    [{ generatedOutput: 5 }, /`generatedOutput`/],
    [{ tokensIn: -3 }, /`tokensIn`/],
    [{ tokensOut: 1.5 }, /`tokensOut`/],
    [{ guardrails: [{ check: 'x' }] }, /`severity`/],
    [{ guardrails: 'x' }, /`guardrails`/],
    [{ guardrails: { action: 'block' } }, /`guardrails`/],
    [{ context: 'text' }, /`context` to be a plain object/],
    [{ context: [1, 2] }, /`context`/],
    [
      {
        metadata: {
          x: {
            toJSON: () => {
              throw new Error('nope');
            },
          },
        },
      },
      /`metadata` to be JSON-serialisable/,
    ],
    [{ playerId: '' }, /`playerId`/],
    [{ error: 42 }, /`error`/],
  ])('%o → ValidationError', (over, message) => {
    expect(() => build(over)).toThrow(ValidationError);
    expect(() => build(over)).toThrow(message);
  });

  it('documented sanitising: circular → "[Circular]", BigInt → string, functions/symbols/undefined omitted, NUL stripped, lone surrogates replaced', () => {
    const ctx: Record<string, unknown> = {
      big: 2n ** 70n,
      fn: () => 1,
      sym: Symbol('s'),
      u: undefined,
      s: 'a\u0000b',
      bad: 'x\ud800y',
    };
    ctx.me = ctx;
    ctx.list = [1, () => 2, ctx];
    expect(JSON.parse(safeJson(ctx, 'context')!)).toEqual({
      big: '1180591620717411303424',
      s: 'ab',
      bad: 'x\ufffdy',
      me: '[Circular]',
      list: [1, null, '[Circular]'],
    });
    // shared (non-circular) references are kept
    const shared = { a: 1 };
    expect(JSON.parse(safeJson({ x: shared, y: shared }, 'context')!)).toEqual({ x: { a: 1 }, y: { a: 1 } });
    const row = build({ prompt: 'he\u0000llo' });
    expect(row.prompt).toBe('hello');
  });

  it('cuts long fields at maxFieldBytes on a character boundary and flags the entry', () => {
    const row = build({ prompt: 'x'.repeat(10 * 1024 * 1024), generatedOutput: 'é'.repeat(20_000) });
    expect(row.truncated).toBe(true);
    expect(row.prompt.length).toBe(32 * 1024);
    expect(Buffer.byteLength(row.generatedOutput!)).toBe(32 * 1024);
    expect(truncateUtf8('😀😀😀', 5)).toEqual({ text: '😀', cut: true });
    expect(truncateUtf8('short', 5)).toEqual({ text: 'short', cut: false });
    const big = build({ context: { blob: 'y'.repeat(100_000) } });
    expect(big.truncated).toBe(true);
    expect(JSON.parse(big.context!)).toMatchObject({ $truncated: true });
    expect(build({}).truncated).toBe(false);
  });

  it('ranks guardrail severities', () => {
    const row = build({
      guardrails: [{ severity: 'low' }, { severity: 'critical' }, { severity: 'medium' }],
    });
    expect(row).toMatchObject({ violationCount: 3, maxSeverity: 'critical' });
  });

  it('percentileCont interpolates like PostgreSQL', () => {
    expect(percentileCont([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileCont([5], 0.99)).toBe(5);
    expect(percentileCont([], 0.5)).toBeNull();
  });
});

describe('HistoricalLogProcessor without a database round trip', () => {
  it('validates options with a message naming the field', () => {
    expect(() => new HistoricalLogProcessor({ db: neverDb, flushIntervalMs: -1 })).toThrow(
      'Expected `flushIntervalMs` to be a positive number, got -1',
    );
    expect(() => new HistoricalLogProcessor({ db: neverDb, failureRateThreshold: 2 })).toThrow(
      /failureRateThreshold/,
    );
  });

  it('runs the redact hook before anything is buffered; a throwing hook stores a placeholder and reports', async () => {
    const p = new HistoricalLogProcessor({
      db: neverDb,
      closeTimeoutMs: 10,
      redact: (text, field) => {
        if (field === 'generatedOutput') throw new Error('bug');
        return text.replace(/\d{3}-\d{4}/g, '[PHONE]');
      },
    });
    const failures: string[] = [];
    p.on('history:redaction_failed', (e) => failures.push(e.field));
    const settingsWithRedact = {
      ...settings,
      redact: (t: string) => t.replace(/\d{3}-\d{4}/g, '[PHONE]'),
    };
    expect(buildRow({ ...ok, prompt: 'call 555-1234' }, 'id', 0, settingsWithRedact).prompt).toBe(
      'call [PHONE]',
    );
    await p.logInference({ ...ok, prompt: 'call 555-1234' });
    expect(failures).toEqual(['generatedOutput']);
    expect(p.metrics().redactionFailures).toBe(1);
    await p.close();
  });

  it('overflow without spool: memory stays bounded, history:dropped counts exactly what was dropped, ids still returned', async () => {
    const p = new HistoricalLogProcessor({
      db: neverDb,
      maxBufferedEntries: 1000,
      batchSize: 100,
      closeTimeoutMs: 10,
    });
    const dropped: HistoryDropped[] = [];
    p.on('history:dropped', (e) => dropped.push(e));
    const ids = await Promise.all(
      Array.from({ length: 1500 }, (_, i) => p.logInference({ ...ok, prompt: `p${i}` })),
    );
    expect(ids.every(isUuid)).toBe(true);
    expect(p.metrics().queueDepth).toBe(1000);
    await new Promise((r) => setTimeout(r, 300)); // coalesced dropped events arrive within one flush interval
    expect(dropped.reduce((n, e) => n + e.count, 0)).toBe(500);
    expect(dropped.every((e) => e.reason === 'buffer_full')).toBe(true);
    expect(p.metrics().dropped).toBe(500);
    expect(p.health().healthy).toBe(false);
    await p.close();
    // close timed out against a dead database: the buffered 1000 are counted too, never silently lost
    expect(p.metrics().dropped).toBe(1500);
    await expect(p.logInference(ok)).rejects.toThrow(ClosedError);
  });

  it('emits history:failure_rate_alert when failed writes exceed 5% of the window', async () => {
    const down = Promise.reject(new DatabaseUnavailableError('database down'));
    const p = new HistoricalLogProcessor({ db: down, flushIntervalMs: 5, closeTimeoutMs: 10 });
    const alerts: number[] = [];
    p.on('history:failure_rate_alert', (e) => alerts.push(e.failureRate));
    await p.logInference(ok);
    for (let i = 0; i < 40 && alerts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(alerts).toEqual([1]);
    expect(p.health()).toMatchObject({ healthy: false, failureRate: 1 });
    expect(p.metrics().failedWrites).toBeGreaterThan(0);
    await p.close();
  });

  it('enabled: false returns ids without touching anything', async () => {
    const p = new HistoricalLogProcessor({ db: neverDb, enabled: false });
    expect(isUuid(await p.logInference(ok))).toBe(true);
    expect(p.metrics()).toMatchObject({ logged: 0, queueDepth: 0 });
    await p.close();
  });
});
