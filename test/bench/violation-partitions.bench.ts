/**
 * Stored guardrail violations partitioned by time (issue 15), on local PostgreSQL
 * (MMS_TEST_DATABASE_URL), in a schema of its own that is dropped at the end: MMS_VIOLATION_ROWS rows
 * (default 300,000) over 30 daily partitions, then
 * 1. `reviews.resolve(id)` by id alone (probes every partition's primary-key index) p50/p99, and the
 *    plan of the lookup (index scans vs sequential scans);
 * 2. `reviews.list({ status: 'pending' })` first page p50/p99;
 * 3. retention dropping the oldest day's partition (`maintain()`).
 * Run: `npm run bench -- violation-partitions` (~1 min on 2 cores).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { createDatabase } from '../../src/db/index.js';
import { GuardrailsMonitor, type ViolationRecord } from '../../src/guardrails/index.js';
import { ViolationStore } from '../../src/guardrails/violation-store.js';
import { ManualClock } from '../../src/internal/clock.js';
import { uuidv7 } from '../../src/internal/ids.js';
import { dropSchema, TEST_DATABASE_URL } from '../helpers/backends.js';

if (!TEST_DATABASE_URL) {
  console.log('violation-partitions: set MMS_TEST_DATABASE_URL (local PostgreSQL) to run this benchmark');
  process.exit(0);
}
const ROWS = Number(process.env.MMS_VIOLATION_ROWS ?? 300_000);
const DAYS = 30;
const DAY = 86_400_000;
const schema = `bench_vp_${randomBytes(4).toString('hex')}`;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

function row(at: number, i: number): ViolationRecord {
  return {
    id: uuidv7(at),
    createdAt: at,
    checkId: 'terms',
    category: 'self_harm',
    severity: i % 10 ? 'high' : 'critical',
    action: 'block',
    stage: 'output',
    useCase: 'npc',
    modelId: `m${i % 4}`,
    logId: null,
    excerpt: `excerpt ${i} ${'x'.repeat(80)}`,
    message: 'Matched a self-harm term',
    score: 1,
    spanStart: 0,
    spanEnd: 3,
    context: { npcId: `npc-${i % 50}` },
    reviewStatus: i % 10 ? 'not_required' : 'pending',
    verdict: null,
    reviewer: null,
    reviewNote: null,
    reviewedAt: null,
  };
}

const db = await createDatabase({ connectionString: TEST_DATABASE_URL, schema });
try {
  const start = Date.UTC(2026, 0, 1);
  const clock = new ManualClock(start);
  const g = new GuardrailsMonitor({
    db,
    clock,
    autoMaintenance: false,
    partitionsAhead: DAYS,
    retention: `${DAYS - 1}d`,
  });
  await g.maintain();
  const store = new ViolationStore(db);
  let t = performance.now();
  const pendingIds: string[] = [];
  // Ids in time order per row (uuidv7 is monotonic in this process): rows are made oldest first.
  for (let i = 0; i < ROWS; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, ROWS - i) }, (_, j) =>
      row(start + Math.floor(((i + j) / ROWS) * DAYS * DAY), i + j),
    );
    await store.insert(batch);
    for (const r of batch) if (r.reviewStatus === 'pending') pendingIds.push(r.id);
  }
  const loadS = (performance.now() - t) / 1000;
  await sql`vacuum analyze guardrail_violations`.execute(db.kysely);
  console.log(
    `loaded ${ROWS.toLocaleString('en-US')} violations over ${DAYS} daily partitions in ${loadS.toFixed(1)} s (${Math.round(ROWS / loadS).toLocaleString('en-US')} rows/s, ON CONFLICT (id, created_at)); load average ${loadavg()[0]!.toFixed(1)}`,
  );

  const probe = pendingIds[Math.floor(pendingIds.length / 2)]!;
  const plan = await sql<{
    'QUERY PLAN': string;
  }>`explain select * from guardrail_violations where id = ${probe}`.execute(db.kysely);
  const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
  const indexScans = (text.match(/Index (Only )?Scan/g) ?? []).length;
  const seqScans = (text.match(/Seq Scan/g) ?? []).length;
  console.log(`lookup by id: ${indexScans} index scans, ${seqScans} sequential scans (31 partitions)`);

  const resolveMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const id = pendingIds[Math.floor(Math.random() * pendingIds.length)]!;
    t = performance.now();
    await g.reviews.resolve(id, { verdict: 'confirmed', reviewer: 'bench' }).catch(() => {}); // a repeat is a conflict
    resolveMs.push(performance.now() - t);
  }
  console.log(
    `resolve(id) p50 ${percentile(resolveMs, 0.5).toFixed(2)} ms, p99 ${percentile(resolveMs, 0.99).toFixed(2)} ms (update + read back)`,
  );

  const listMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    t = performance.now();
    await g.reviews.list({ status: 'pending', limit: 50 });
    listMs.push(performance.now() - t);
  }
  console.log(
    `list({ status: 'pending' }) first page p50 ${percentile(listMs, 0.5).toFixed(2)} ms, p99 ${percentile(listMs, 0.99).toFixed(2)} ms`,
  );

  clock.advance(DAYS * DAY + DAY / 2);
  t = performance.now();
  const report = await g.maintain();
  console.log(
    `retention: dropped ${report.dropped.join(', ')} (${ROWS / DAYS} rows each): transaction ${report.retentionMs?.toFixed(1)} ms, whole pass ${(performance.now() - t).toFixed(1)} ms`,
  );
  await g.close();
} finally {
  await db.close();
  await dropSchema(schema);
}
