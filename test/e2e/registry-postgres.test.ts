import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, type Database, ModelRegistry } from '../../src/index.js';
import { dropSchema, openTestDatabase, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const base = { modelType: 'self_hosted', provider: 'ollama', useCase: 'foundation_layer', version: '1.0' };

// PostgreSQL-only behaviour: CI sets MMS_TEST_DATABASE_URL and requires it (see .ci/run).
describe.runIf(TEST_DATABASE_URL)('ModelRegistry on PostgreSQL, several processes', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn();
    cleanup.length = 0;
  });

  it('20 concurrent promotions from two pools leave exactly one current model and a consistent history', async () => {
    const schema = uniqueSchema('reg');
    const dbA = await openTestDatabase('postgres', { schema, poolSize: 10 });
    const dbB = await openTestDatabase('postgres', { schema, poolSize: 10 });
    const a = new ModelRegistry({ db: dbA });
    const b = new ModelRegistry({ db: dbB });
    cleanup.push(async () => {
      await a.close();
      await b.close();
      await dbA.close();
      await dbB.close();
      await dropSchema(schema);
    });
    const models = [];
    for (let i = 0; i < 20; i++) models.push(await a.registerModel({ ...base, modelName: `m${i}` }));
    const results = await Promise.allSettled(
      models.map((m, i) => (i % 2 ? a : b).updateModelStatus(m.id, 'current', { actor: `p${i % 2}` })),
    );
    // The advisory lock serialises them: every call wins in turn, none is lost.
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const current = await a.listModels({ useCase: 'foundation_layer', status: 'current' });
    expect(current.items).toHaveLength(1);
    const standby = await a.listModels({ useCase: 'foundation_layer', status: 'standby' });
    expect(standby.items).toHaveLength(19);
    // History: each model went candidate → current, and all but the last current → standby.
    let promotions = 0;
    for (const m of models) {
      const h = await b.getStatusHistory(m.id);
      expect(h[0]?.toStatus).toBe('candidate');
      for (let i = 1; i < h.length; i++) expect(h[i]?.fromStatus).toBe(h[i - 1]?.toStatus);
      promotions += h.filter((e) => e.toStatus === 'current').length;
    }
    expect(promotions).toBe(20);
  });

  it('the unique index refuses a second current model even when the lock is bypassed', async () => {
    const db = await openTestDatabase('postgres');
    const registry = new ModelRegistry({ db });
    cleanup.push(async () => {
      await registry.close();
      await db.close();
    });
    const m1 = await registry.registerModel({ ...base, modelName: 'a' });
    const m2 = await registry.registerModel({ ...base, modelName: 'b' });
    await registry.updateModelStatus(m1.id, 'current');
    const error = await db.kysely
      .withTables<{ models: { id: string; status: string } }>()
      .updateTable('models')
      .set({ status: 'current' })
      .where('id', '=', m2.id)
      .execute()
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/models_one_current_per_use_case/);
  });

  it('keeps answering from the snapshot while the connection is cut, alerts, and recovers by itself', async () => {
    const proxy: TcpProxy = await startTcpProxy({
      targetPort: Number(new URL(TEST_DATABASE_URL!).port || 5432),
    });
    const schema = uniqueSchema('reg');
    const db: Database = await openTestDatabase('postgres', { viaPort: proxy.port, schema, poolSize: 2 });
    const registry = new ModelRegistry({ db, pollIntervalMs: 50, unavailableAlertMs: 300 });
    cleanup.push(async () => {
      await registry.close();
      await db.close();
      await proxy.close();
      await dropSchema(schema);
    });
    const model = await registry.registerModel({ ...base, modelName: 'a' });
    await registry.updateModelStatus(model.id, 'current');
    await registry.ready();
    const events: string[] = [];
    registry.on('registry:unavailable', () => events.push('unavailable'));
    registry.on('registry:unavailable_alert', () => events.push('alert'));
    registry.on('registry:recovered', () => events.push('recovered'));

    proxy.cut();
    await expect.poll(() => events.includes('alert'), { timeout: 5000, interval: 50 }).toBe(true);
    expect(events.slice(0, 2)).toEqual(['unavailable', 'alert']);
    // Lookups are served from memory while the database is away.
    expect((await registry.getCurrentModel('foundation_layer'))?.id).toBe(model.id);
    expect(registry.metrics().unavailable).toBe(true);
    const write = await registry.registerModel({ ...base, modelName: 'b' }).catch((e: unknown) => e);
    expect((write as { code?: string }).code).toBe('DATABASE_UNAVAILABLE');
    expect((write as { retryable?: boolean }).retryable).toBe(true);

    proxy.restore();
    await expect.poll(() => events.includes('recovered'), { timeout: 10_000, interval: 50 }).toBe(true);
    const m2 = await registry.registerModel({ ...base, modelName: 'c' });
    expect((await registry.getModel(m2.id)).status).toBe('candidate');
    expect(registry.metrics().unavailable).toBe(false);
  });

  it('a duplicate registered concurrently from two processes yields one model and one ConflictError', async () => {
    const schema = uniqueSchema('reg');
    const dbA = await openTestDatabase('postgres', { schema });
    const dbB = await openTestDatabase('postgres', { schema });
    const a = new ModelRegistry({ db: dbA });
    const b = new ModelRegistry({ db: dbB });
    cleanup.push(async () => {
      await a.close();
      await b.close();
      await dbA.close();
      await dbB.close();
      await dropSchema(schema);
    });
    const results = await Promise.allSettled([
      a.registerModel({ ...base, modelName: 'same' }),
      b.registerModel({ ...base, modelName: 'same' }),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect((rejected[0] as PromiseRejectedResult).reason.message).toMatch(/already registered/);
  });
});
