/**
 * ModelRegistry figures: cached getCurrentModel beside a bare Map.get (the raw limit), then cold
 * lookups (PK select through getModel) and registerModel on PGlite and PostgreSQL, beside a raw
 * Kysely PK select on the same database.
 * Run: npx tsx test/bench/registry.bench.ts   (PostgreSQL rows need MMS_TEST_DATABASE_URL)
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Database } from '../../src/db/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';

interface Figures {
  p50: number;
  p99: number;
  opsPerSec: number;
}

function quantiles(samplesNs: Float64Array, totalMs: number): Figures {
  const sorted = [...samplesNs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), opsPerSec: samplesNs.length / (totalMs / 1000) };
}

async function timeAsync(n: number, fn: (i: number) => Promise<unknown>): Promise<Figures> {
  const samples = new Float64Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await fn(i);
    samples[i] = Number(process.hrtime.bigint() - s);
  }
  return quantiles(samples, performance.now() - t0);
}

function timeSync(n: number, fn: (i: number) => unknown): Figures {
  const samples = new Float64Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    fn(i);
    samples[i] = Number(process.hrtime.bigint() - s);
  }
  return quantiles(samples, performance.now() - t0);
}

const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;
const row = (name: string, f: Figures, unit: (ns: number) => string, extra = '') =>
  console.log(
    `${name.padEnd(44)} p50 ${unit(f.p50).padStart(10)}  p99 ${unit(f.p99).padStart(10)}  ${Math.round(f.opsPerSec).toLocaleString('en').padStart(11)} ops/s ${extra}`,
  );

const base = { modelType: 'self_hosted', provider: 'ollama', useCase: 'foundation_layer' };

async function hotPath(): Promise<void> {
  const db = await openTestDatabase('pg-mem');
  const registry = new ModelRegistry({ db });
  const m = await registry.registerModel({ ...base, modelName: 'npc', version: '1' });
  await registry.updateModelStatus(m.id, 'current');
  await registry.ready();
  const map = new Map([['foundation_layer', m]]);
  const N = 200_000;
  // Warm both paths before measuring.
  for (let i = 0; i < 20_000; i++) {
    map.get('foundation_layer');
    await registry.getCurrentModel('foundation_layer');
  }
  const raw = timeSync(N, () => map.get('foundation_layer'));
  const ours = await timeAsync(N, () => registry.getCurrentModel('foundation_layer'));
  const awaitOnly = await timeAsync(N, async () => map.get('foundation_layer'));
  console.log('\n== Cached lookup (target p99 ≤ 5 µs; host guide < 100 ms) ==');
  row('Map.get (raw limit, timer included)', raw, us);
  row('async fn returning Map.get (await floor)', awaitOnly, us);
  row(
    'registry.getCurrentModel (cached)',
    ours,
    us,
    `p99 ratio to await floor ${(ours.p99 / awaitOnly.p99).toFixed(2)}×`,
  );
  await registry.close();
  await db.close();
}

async function coldAndRegister(label: string, db: Database, n: number): Promise<void> {
  const registry = new ModelRegistry({ db });
  const ids: string[] = [];
  const reg = await timeAsync(n, async (i) => {
    ids.push((await registry.registerModel({ ...base, modelName: `bench-${label}`, version: `1.${i}` })).id);
  });
  const raw = await timeAsync(n, (i) =>
    sql`select * from models where id = ${ids[i % ids.length]}`.execute(db.kysely),
  );
  const cold = await timeAsync(n, (i) => registry.getModel(ids[i % ids.length]!));
  await sql`create table bench_commit (id int)`.execute(db.kysely);
  const commit = await timeAsync(n, (i) => sql`insert into bench_commit values (${i})`.execute(db.kysely));
  console.log(`\n== ${label} (target registration p99 ≤ 10 ms on local PostgreSQL; host guide < 500 ms) ==`);
  row('raw Kysely PK select (limit)', raw, ms);
  row('registry.getModel (cold lookup)', cold, ms, `p50 ratio ${(cold.p50 / raw.p50).toFixed(2)}×`);
  row('raw single-row INSERT commit (durable-commit floor)', commit, ms);
  row(
    'registry.registerModel (one txn, 6 statements)',
    reg,
    ms,
    `p50 ratio to one commit ${(reg.p50 / commit.p50).toFixed(2)}×`,
  );
  await registry.close();
  await db.close();
}

await hotPath();
await coldAndRegister('PGlite', await openTestDatabase('pglite'), 500);
if (TEST_DATABASE_URL) await coldAndRegister('PostgreSQL', await openTestDatabase('postgres'), 1000);
else console.log('\n(PostgreSQL rows skipped: set MMS_TEST_DATABASE_URL)');
process.exit(0);
