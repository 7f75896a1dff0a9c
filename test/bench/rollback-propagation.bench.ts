/**
 * Rollback propagation across two SDK instances (separate pools) on PostgreSQL: time from the
 * rollback call on replica A until replica B's router sends a player to the stable model. Beside it,
 * the raw limit: a bare NOTIFY round trip between two connections. Needs MMS_TEST_DATABASE_URL.
 * Run: MMS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/rollback-propagation.bench.ts
 */

import pg from 'pg';
import { DeploymentManager } from '../../src/deployment/index.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { dropSchema, openTestDatabase, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { registerNpc } from '../helpers/models.js';

const ROUNDS = 10;
if (!TEST_DATABASE_URL) {
  console.log('rollback propagation: skipped (set MMS_TEST_DATABASE_URL)');
  process.exit(0);
}
const schema = uniqueSchema('rbb');
const open = async () => {
  const db = await openTestDatabase('postgres', { schema });
  const registry = new ModelRegistry({ db });
  await registry.ready();
  const manager = new DeploymentManager({ db, registry, drive: false });
  await manager.router.ready();
  return { db, registry, manager };
};
const a = await open();
const b = await open();
const until = async (check: () => boolean) => {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > 5000) throw new Error('no propagation within 5 s');
    await new Promise((r) => setImmediate(r));
  }
};
const times: number[] = [];
const durations: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const useCase = `bench_${i}`;
  const reg = (v: string) => registerNpc(a.registry, useCase, v);
  const stable = await reg('1');
  await a.registry.updateModelStatus(stable.id, 'current');
  const cand = await reg('2');
  await a.manager.startDeployment({ useCase, newModelId: cand.id, strategy: 'all_at_once' });
  await a.manager.tick();
  await until(() => b.manager.router.route(useCase, { stickyKey: 'p' }).model.id === cand.id);
  const t0 = performance.now();
  const rb = a.manager.rollbacks.rollback(useCase, { reason: 'bench', actor: 'bench' });
  await until(() => b.manager.router.route(useCase, { stickyKey: 'p' }).model.id === stable.id);
  times.push(performance.now() - t0);
  durations.push((await rb).durationMs ?? 0);
}
// Raw limit: NOTIFY from one connection to a LISTENing other.
const listener = new pg.Client({ connectionString: TEST_DATABASE_URL });
const sender = new pg.Client({ connectionString: TEST_DATABASE_URL });
await listener.connect();
await sender.connect();
await listener.query('listen bench_raw');
const raw: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const got = new Promise<void>((r) => listener.once('notification', () => r()));
  const t0 = performance.now();
  await sender.query(`notify bench_raw, 'x'`);
  await got;
  raw.push(performance.now() - t0);
}
await listener.end();
await sender.end();
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);
console.log(
  `rollback call → other replica routes stable: median ${med(times).toFixed(1)} ms, max ${max(times).toFixed(1)} ms (target ≤ 1000 ms)`,
);
console.log(
  `recorded rollback durationMs (decision → registry restored, deployment rolled_back): median ${med(durations).toFixed(1)} ms`,
);
console.log(
  `raw NOTIFY round trip: median ${med(raw).toFixed(2)} ms · ratio ${(med(times) / med(raw)).toFixed(1)}×`,
);
for (const r of [a, b]) {
  await r.manager.close();
  await r.registry.close();
  await r.db.close();
}
await dropSchema(schema);
