import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, type Database, DeploymentManager, ModelRegistry } from '../../src/index.js';
import { dropSchema, openTestDatabase, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { registerNpc } from '../helpers/models.js';

interface Replica {
  db: Database;
  registry: ModelRegistry;
  manager: DeploymentManager;
}

async function replica(schema: string, leaseMs = 1500): Promise<Replica> {
  const db = await openTestDatabase('postgres', { schema });
  const registry = new ModelRegistry({ db });
  await registry.ready();
  const manager = new DeploymentManager({ db, registry, tickIntervalMs: 200, leaseMs, drive: false });
  await manager.router.ready();
  return { db, registry, manager };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - t0;
}

describe.skipIf(!TEST_DATABASE_URL)('two replicas on PostgreSQL', () => {
  const schema = uniqueSchema('dep');
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    a = await replica(schema);
    b = await replica(schema);
  });

  afterAll(async () => {
    for (const r of [a, b]) {
      await r?.manager.close();
      await r?.registry.close();
      await r?.db.close();
    }
    await dropSchema(schema);
  });

  async function models(useCase: string) {
    const reg = (v: string) => registerNpc(a.registry, useCase, v);
    const stable = await reg('1');
    await a.registry.updateModelStatus(stable.id, 'current');
    const c1 = await reg('2');
    const c2 = await reg('3');
    return { stable: stable.id, c1: c1.id, c2: c2.id };
  }

  it('concurrent startDeployment for one use case: exactly one wins', async () => {
    const m = await models('race');
    const results = await Promise.allSettled([
      a.manager.startDeployment({ useCase: 'race', newModelId: m.c1, strategy: 'canary' }),
      b.manager.startDeployment({ useCase: 'race', newModelId: m.c2, strategy: 'canary' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      ConflictError,
    );
  });

  it('a rollback on one replica is routed to stable by the other within 1 s', async () => {
    const m = await models('rb');
    const d = await a.manager.startDeployment({ useCase: 'rb', newModelId: m.c1, strategy: 'all_at_once' });
    await a.manager.tick();
    // A player the switched rollout sends to the candidate (the plan's 10 % holdback stays on stable).
    const onCandidate = (r: Replica, player: string) =>
      r.manager.router.route('rb', { stickyKey: player }).model.id === m.c1;
    const players = Array.from({ length: 50 }, (_, i) => `p${i + 1}`);
    await waitFor(() => players.some((p) => onCandidate(a, p)), 3000);
    const player = players.find((p) => onCandidate(a, p))!;
    await waitFor(() => onCandidate(b, player), 3000);
    const t0 = performance.now();
    await a.manager.rollbacks.rollback('rb', { reason: 'test', actor: 'oncall' });
    const decided = performance.now();
    await waitFor(() => b.manager.router.route('rb', { stickyKey: player }).model.id === m.stable, 1000);
    const seen = performance.now();
    expect(seen - t0).toBeLessThan(1000);
    expect((await b.manager.getDeployment(d.id)).status).toBe('rolled_back');
    expect(seen - decided).toBeLessThan(1000);
  });
  // Lease takeover after a real SIGKILL of the driving process: deployment-takeover.test.ts.
});
