import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  type Database,
  ModelRegistry,
  NotFoundError,
  type RegisterModelInput,
  ValidationError,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';

const base: RegisterModelInput = {
  modelName: 'foundation-model-v1',
  modelType: 'self_hosted',
  provider: 'ollama',
  useCase: 'foundation_layer',
  version: '1.0',
  configuration: { endpoint: 'http://localhost:11434' },
};

describe.each(testBackends())('ModelRegistry on %s', (backend) => {
  let db: Database;
  let registry: ModelRegistry;
  let clock: ManualClock;

  beforeEach(async () => {
    db = await openTestDatabase(backend);
    clock = new ManualClock(Date.UTC(2026, 10, 26, 12));
    registry = new ModelRegistry({ db, clock });
  });
  afterEach(async () => {
    await registry.close();
    await db.close();
  });

  it('registers a candidate, promotes it, and serves it as current (the host guide flow)', async () => {
    const model = await registry.registerModel(base);
    expect(model.status).toBe('candidate');
    expect(model.configuration).toEqual({ endpoint: 'http://localhost:11434' });
    expect(await registry.getCurrentModel('foundation_layer')).toBeNull();
    const current = await registry.updateModelStatus(model.id, 'current', { reason: 'launch', actor: 'ops' });
    expect(current.status).toBe('current');
    expect((await registry.getCurrentModel('foundation_layer'))?.id).toBe(model.id);
    expect((await registry.getModel(model.id)).status).toBe('current');
  });

  it('demotes the previous current model to standby atomically and records both transitions', async () => {
    const v1 = await registry.registerModel(base);
    const v2 = await registry.registerModel({ ...base, version: '2.0' });
    await registry.updateModelStatus(v1.id, 'current');
    clock.advance(1000);
    await registry.updateModelStatus(v2.id, 'current', { reason: 'better' });
    expect((await registry.getModel(v1.id)).status).toBe('standby');
    expect((await registry.getCurrentModel('foundation_layer'))?.id).toBe(v2.id);
    const history = await registry.getStatusHistory(v1.id);
    expect(history.map((h) => [h.fromStatus, h.toStatus])).toEqual([
      [null, 'candidate'],
      ['candidate', 'current'],
      ['current', 'standby'],
    ]);
    expect(history[2]?.reason).toBe('replaced by foundation-model-v1 2.0');
    const currents = await registry.listModels({ useCase: 'foundation_layer', status: 'current' });
    expect(currents.items.map((m) => m.id)).toEqual([v2.id]);
  });

  it('refuses a duplicate (useCase, modelName, version) with a ConflictError naming it', async () => {
    const first = await registry.registerModel(base);
    const error = await registry.registerModel(base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain('foundation-model-v1 version 1.0 is already registered');
    expect((error as Error).message).toContain(first.id);
  });

  it('refuses illegal transitions and leaves the model unchanged', async () => {
    const m = await registry.registerModel(base);
    await registry.updateModelStatus(m.id, 'retired');
    await expect(registry.updateModelStatus(m.id, 'current')).rejects.toThrow(
      /cannot go from 'retired' to 'current'; from 'retired' it can go to nothing/,
    );
    expect((await registry.getModel(m.id)).status).toBe('retired');
    expect(await registry.getStatusHistory(m.id)).toHaveLength(2);
  });

  it('setting the same status twice is a no-op without a history row', async () => {
    const m = await registry.registerModel(base);
    await registry.updateModelStatus(m.id, 'current');
    await registry.updateModelStatus(m.id, 'current');
    expect(await registry.getStatusHistory(m.id)).toHaveLength(2);
  });

  it('answers which model was current at a past instant', async () => {
    const t0 = clock.now();
    const v1 = await registry.registerModel(base);
    const v2 = await registry.registerModel({ ...base, version: '2.0' });
    clock.advance(60_000);
    await registry.updateModelStatus(v1.id, 'current');
    clock.advance(60_000);
    await registry.updateModelStatus(v2.id, 'current');
    clock.advance(60_000);
    await registry.updateModelStatus(v2.id, 'deprecated');
    expect(await registry.getModelAt('foundation_layer', new Date(t0))).toBeNull();
    expect((await registry.getModelAt('foundation_layer', new Date(t0 + 90_000)))?.id).toBe(v1.id);
    expect((await registry.getModelAt('foundation_layer', new Date(t0 + 120_000)))?.id).toBe(v2.id);
    expect(await registry.getModelAt('foundation_layer', new Date(t0 + 200_000))).toBeNull();
  });

  it('lists with filters and keyset pagination, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (await registry.registerModel({ ...base, version: `1.${i}`, tags: i % 2 ? ['odd'] : ['even'] })).id,
      );
    }
    await registry.registerModel({ ...base, useCase: 'interaction_layer', provider: 'openai' });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await registry.listModels({ useCase: 'foundation_layer', limit: 3, cursor });
      seen.push(...page.items.map((m) => m.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    const odd = await registry.listModels({ tag: 'odd' });
    expect(odd.items).toHaveLength(3);
    expect((await registry.listModels({ provider: 'openai' })).items).toHaveLength(1);
    await expect(registry.listModels({ cursor: 'nonsense' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('finds by identity, sets tags and metadata', async () => {
    const m = await registry.registerModel(base);
    expect(
      (await registry.findModel({ useCase: 'foundation_layer', modelName: base.modelName, version: '1.0' }))
        ?.id,
    ).toBe(m.id);
    expect(
      await registry.findModel({ useCase: 'foundation_layer', modelName: base.modelName, version: '9' }),
    ).toBeNull();
    expect((await registry.setTags(m.id, ['a', 'b', 'a'])).tags).toEqual(['a', 'b']);
    expect((await registry.setMetadata(m.id, { run: 'r-17', note: 'صباح الخير 🐉' })).metadata).toEqual({
      run: 'r-17',
      note: 'صباح الخير 🐉',
    });
    await expect(registry.getModel('0190d7a0-0000-7000-8000-000000000000')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('keeps the snapshot fresh for a second registry instance on the same database', async () => {
    const other = new ModelRegistry({ db, clock });
    await other.ready();
    const m = await registry.registerModel(base);
    await registry.updateModelStatus(m.id, 'current');
    // Same process: the change feed delivers at once (in-process on pg-mem, NOTIFY elsewhere).
    await expect
      .poll(() => other.snapshot().currentByUseCase.get('foundation_layer')?.id, { timeout: 2000 })
      .toBe(m.id);
    await other.close();
  });

  it('counts lookups, registrations and status changes', async () => {
    const m = await registry.registerModel(base);
    await registry.registerModel(base).catch(() => {});
    await registry.updateModelStatus(m.id, 'current');
    await registry.getCurrentModel('foundation_layer');
    const metrics = registry.metrics();
    expect(metrics.registrations).toEqual({ ok: 1, failed: 1 });
    expect(metrics.statusChanges).toBe(1);
    expect(metrics.lookups).toBe(1);
    expect(metrics.lookupLatencyMs.count).toBe(1);
  });
});
