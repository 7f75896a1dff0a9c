import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  type Database,
  GuardrailsMonitor,
  NotFoundError,
  ValidationError,
} from '../../src/index.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';

describe.each(testBackends())('guardrails review queue on %s', (backend) => {
  let db: Database;
  let g: GuardrailsMonitor;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    g = new GuardrailsMonitor({ db });
  });
  afterEach(async () => {
    await g.close();
    await db.close();
  });

  it('stores critical violations as pending with redacted excerpts, without blocking check()', async () => {
    const r = await g.check({
      text: 'kys, mail bob@example.com',
      stage: 'output',
      useCase: 'interaction_layer',
      modelId: '00000000-0000-7000-8000-000000000001',
      logId: 'log-1',
      context: { npcId: 'innkeeper', questProgress: ['act1'], rating: 'T' },
    });
    expect(r.fallbackUsed).toBe(true);
    await g.flush();
    const page = await g.reviews.list({ status: 'pending' });
    expect(page.items).toHaveLength(1);
    const item = page.items[0]!;
    expect(item).toMatchObject({
      checkId: 'terms',
      category: 'self_harm',
      severity: 'critical',
      action: 'block',
      stage: 'output',
      useCase: 'interaction_layer',
      modelId: '00000000-0000-7000-8000-000000000001',
      logId: 'log-1',
      reviewStatus: 'pending',
      verdict: null,
      context: { npcId: 'innkeeper', questProgress: ['act1'], rating: 'T' },
    });
    expect(item.excerpt).toContain('[EMAIL]');
    expect(item.excerpt).not.toContain('bob@example.com');
  });

  it('a critical violation whose text holds NUL bytes reaches the review queue (NUL stripped, nothing fails)', async () => {
    const failures: unknown[] = [];
    g.on('guardrails:persist_failed', (e) => failures.push(e));
    const r = await g.check({
      text: 'kys\u0000 now\u0000, mail bob@example.com',
      stage: 'output',
      useCase: 'interaction_layer',
      modelId: '00000000-0000-7000-8000-0000000000ff',
      context: { npcId: 'inn\u0000keeper', questProgress: ['act\u00001'], rating: 'T' },
    });
    expect(r.action).toBe('block');
    await g.flush();
    expect(failures).toEqual([]);
    const page = await g.reviews.list({ status: 'pending', modelId: '00000000-0000-7000-8000-0000000000ff' });
    expect(page.items).toHaveLength(1);
    const item = page.items[0]!;
    expect(item.severity).toBe('critical');
    expect(JSON.stringify(item)).not.toContain('\\u0000');
    expect(item.excerpt).not.toContain('\u0000');
    expect(item.context).toMatchObject({ npcId: 'innkeeper', questProgress: ['act1'] });
  });

  it('pages newest first with a keyset cursor and filters', async () => {
    for (let i = 0; i < 5; i++)
      await g.check({
        text: `kys ${i}`,
        stage: 'output',
        modelId: i % 2 ? '00000000-0000-7000-8000-00000000000a' : '00000000-0000-7000-8000-00000000000b',
        useCase: 'npc',
      });
    await g.check({
      text: 'card 4111 1111 1111 1111',
      stage: 'input',
      modelId: '00000000-0000-7000-8000-00000000000a',
      useCase: 'chat',
    });
    await g.flush();
    const first = await g.reviews.list({ limit: 4 });
    expect(first.items).toHaveLength(4);
    expect(first.nextCursor).not.toBeNull();
    const second = await g.reviews.list({ limit: 4, cursor: first.nextCursor! });
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items].map((x) => x.id);
    expect(new Set(ids).size).toBe(6);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(
      (await g.reviews.list({ modelId: '00000000-0000-7000-8000-00000000000a', severity: 'critical' })).items,
    ).toHaveLength(2);
    expect((await g.reviews.list({ useCase: 'chat' })).items[0]).toMatchObject({
      category: 'pii',
      reviewStatus: 'not_required',
    });
    expect((await g.reviews.list({ from: Date.now() + 60_000 })).items).toHaveLength(0);
    const counts = await g.reviews.countsByModel();
    expect(counts).toEqual([
      { modelId: '00000000-0000-7000-8000-00000000000a', severity: 'critical', count: 2 },
      { modelId: '00000000-0000-7000-8000-00000000000a', severity: 'high', count: 1 },
      { modelId: '00000000-0000-7000-8000-00000000000b', severity: 'critical', count: 3 },
    ]);
  });

  it('resolves with a verdict and counts false positives per check', async () => {
    await g.check({ text: 'kys', stage: 'output' });
    await g.check({ text: 'you should die', stage: 'output' });
    await g.flush();
    const { items } = await g.reviews.list({ status: 'pending' });
    const resolved = await g.reviews.resolve(items[0]!.id, {
      verdict: 'false_positive',
      reviewer: 'ana',
      note: 'quoting a villain',
    });
    expect(resolved).toMatchObject({
      reviewStatus: 'resolved',
      verdict: 'false_positive',
      reviewer: 'ana',
      reviewNote: 'quoting a villain',
    });
    await g.reviews.resolve(items[1]!.id, { verdict: 'confirmed', reviewer: 'ben' });
    expect(await g.reviews.falsePositives()).toEqual({ terms: 1 });
    expect(await g.reviews.confirmed()).toEqual({ terms: 1 });
    expect((await g.reviews.list({ status: 'pending' })).items).toHaveLength(0);
    await expect(g.reviews.resolve(items[0]!.id, { verdict: 'confirmed', reviewer: 'x' })).rejects.toThrow(
      ConflictError,
    );
    await expect(
      g.reviews.resolve('0190a3b2-7c1d-7e5f-8a9b-0c1d2e3f4a5b', { verdict: 'confirmed', reviewer: 'x' }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      g.reviews.resolve(items[0]!.id, { verdict: 'maybe' as never, reviewer: 'x' }),
    ).rejects.toThrow(ValidationError);
    await expect(g.reviews.list({ cursor: 'nope' })).rejects.toThrow(ValidationError);
  });

  it('refuses a modelId that is not a UUID before anything is stored', async () => {
    const bad = { text: 'kys', stage: 'output' as const, useCase: 'npc', modelId: 'x'.repeat(10_000) };
    await expect(g.check(bad)).rejects.toThrow(ValidationError);
    await expect(g.check(bad)).rejects.toThrow(/`modelId` to be a UUID/);
    expect(() => g.checkSync(bad)).toThrow(/`modelId` to be a UUID/);
    expect(() => g.createStreamChecker({ modelId: 'not-a-uuid' })).toThrow(/`modelId` to be a UUID/);
    await g.flush();
    expect((await g.reviews.list()).items).toEqual([]);
    expect(g.metrics()).toEqual([]);
  });
});

describe('guardrails review queue without a database', () => {
  it('says that it needs one', async () => {
    await expect(new GuardrailsMonitor().reviews.list()).rejects.toThrow(/needs a database/);
  });
});
