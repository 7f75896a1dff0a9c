/**
 * History at scale (issue 15), on local PostgreSQL (MMS_TEST_DATABASE_URL), in a schema of its own
 * that is dropped at the end:
 * 1. loads MMS_SCALE_ROWS rows (default 3,000,000; ~420 bytes of text each, 8 days, daily partitions)
 *    with COPY (pg-copy-streams), builds their rollups, VACUUM ANALYZE — and prints how long each took;
 * 2. `stats` over a day, a week and everything (edges not minute-aligned): p50/p99 from rollups, beside
 *    one raw computation (`exactStatsUpTo` above the row count) of the day;
 * 3. `query` first page and deep pages (cursor in the middle of the data) p50/p99;
 * 4. dropping the oldest day's partition through retention (`maintain()`);
 * 5. write throughput of 1.3 KB rows in 500-row COPY batches, 2 in flight (the writer's path) with
 *    rollups vs without (interleaved).
 * Run: `npm run bench -- history-scale` (the load dominates: ~1–3 min for 3 M rows on 2 cores).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { bulkCopier, createDatabase } from '../../src/db/index.js';
import { buildRow } from '../../src/history/entry-builder.js';
import { HistoricalLogProcessor } from '../../src/history/index.js';
import { historyKysely, insertRows } from '../../src/history/log-store.js';
import { listPartitions } from '../../src/history/partitions.js';
import { rollupUpsert } from '../../src/history/rollups.js';
import type { LogRow } from '../../src/history/types.js';
import { ManualClock } from '../../src/internal/clock.js';
import { encodeIdCursor } from '../../src/internal/cursor.js';
import { uuidv7 } from '../../src/internal/ids.js';
import { dropSchema, TEST_DATABASE_URL } from '../helpers/backends.js';

if (!TEST_DATABASE_URL) {
  console.log('history-scale: set MMS_TEST_DATABASE_URL (local PostgreSQL) to run this benchmark');
  process.exit(0);
}
const ROWS = Number(process.env.MMS_SCALE_ROWS ?? 3_000_000);
const DAYS = 8;
const DAY = 86_400_000;
const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const schema = `bench_hs_${randomBytes(4).toString('hex')}`;
// Data ends an hour ago; partitions exist from the first day to a few days ahead.
const end = Date.now() - 3_600_000;
const start = Math.floor((end - DAYS * DAY) / DAY) * DAY + DAY / 2;

const USE_CASES = ['interaction_layer', 'foundation_layer', 'customization_layer'];
const MODELS = Array.from({ length: 4 }, (_, i) => `0190a6c2-7a3e-7cc1-8f00-00000000000${i}`);
const STATUSES = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'error', 'fallback', 'blocked'];
const PROMPT = 'The player asks the innkeeper about the dragon near the northern pass. '.repeat(3);
const OUTPUT = 'The innkeeper lowers his voice: "Three caravans gone since the thaw." '.repeat(3);

function copyLine(i: number, at: number): string {
  const h = (i * 2654435761) >>> 0;
  const status = STATUSES[h % STATUSES.length]!;
  const violated = h % 17 === 0;
  // As in production: a use case has its current model, its candidate during a rollout, one deployment.
  const uc = (h >>> 3) % 3;
  const candidate = (h >>> 5) % 4 === 0;
  const cols = [
    uuidv7(at),
    new Date(at).toISOString(),
    MODELS[uc + (candidate ? 1 : 0)],
    USE_CASES[uc],
    status,
    candidate ? 'candidate' : 'stable',
    `dep-${uc}`,
    PROMPT,
    status === 'error' ? '\\N' : OUTPUT,
    `{"npc":"innkeeper","turn":${i % 40}}`,
    '\\N',
    status === 'error' ? 'ProviderError: timeout' : '\\N',
    String(80 + ((h >>> 9) % 2000) + (h % 1000) / 1000),
    String(150 + (h % 100)),
    String(120 + ((h >>> 2) % 200)),
    `player-${i % 100_000}`,
    '\\N',
    `conv-${i % 400_000}`,
    violated ? '[{"severity":"medium","checkId":"profanity"}]' : '\\N',
    violated ? '1' : '0',
    violated ? 'medium' : '\\N',
    'f',
  ];
  return `${cols.join('\t')}\n`;
}

async function* copyText(): AsyncGenerator<string> {
  const step = (end - start) / ROWS;
  let chunk = '';
  for (let i = 0; i < ROWS; i++) {
    chunk += copyLine(i, Math.floor(start + i * step));
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return `p50 ${fmt(at(0.5), 2)} ms  p99 ${fmt(at(0.99), 2)} ms  (n=${s.length})`;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; schema ${schema}; ${fmt(ROWS)} rows`,
);
const db = await createDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 });
const k = historyKysely(db);
try {
  const clock = new ManualClock(start);
  const setup = new HistoricalLogProcessor({ db, clock, autoMaintenance: false, partitionsAhead: DAYS + 3 });
  await setup.maintain();
  await setup.close();

  // 1. Load with COPY.
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`set search_path to "${schema}"`);
  const [loadMs] = await time(() =>
    pipeline(copyText(), client.query(copyFrom('COPY inference_logs FROM STDIN'))),
  );
  await client.end();
  console.log(`COPY ${fmt(ROWS)} rows: ${fmt(loadMs / 1000, 1)} s (${fmt(ROWS / (loadMs / 1000))} rows/s)`);
  const [rollupMs] = await time(async () => {
    for (const p of await listPartitions(db.kysely, 'inference_logs'))
      await rollupUpsert(sql.id(p.name), 1, 'rollups').execute(k);
  });
  const [vacuumMs] = await time(() => sql`vacuum analyze`.execute(k));
  const nRollups = Number(
    (await sql<{ n: string }>`select count(*) as n from inference_log_rollups`.execute(k)).rows[0]!.n,
  );
  console.log(
    `rollups built from the loaded rows: ${fmt(rollupMs / 1000, 1)} s (${fmt(nRollups)} rollup rows); VACUUM ANALYZE ${fmt(vacuumMs / 1000, 1)} s`,
  );

  // 2. stats.
  const now = new ManualClock(end + 3_600_000);
  const p = new HistoricalLogProcessor({ db, clock: now, autoMaintenance: false });
  const odd = (t: number) => new Date(t + 17_321); // never minute-aligned: raw edges every time
  const ranges = {
    day: (i: number) => ({ from: odd(end - DAY - i * 3_600_000), to: odd(end - i * 3_600_000) }),
    week: (i: number) => ({ from: odd(end - 7 * DAY - i * 3_600_000), to: odd(end - i * 3_600_000) }),
    all: () => ({}),
  };
  for (const [name, range] of Object.entries(ranges)) {
    for (const extra of [{}, { useCase: 'interaction_layer', groupBy: 'variant' as const }]) {
      const samples: number[] = [];
      let count = 0;
      for (let i = 0; i < 60; i++) {
        const [ms, s] = await time(() => p.stats({ ...range(i % 12), ...extra }));
        if (i >= 5) samples.push(ms);
        count = s.count;
      }
      console.log(
        `stats ${name.padEnd(4)} ${extra.groupBy ? 'useCase+groupBy ' : 'all use cases   '}${fmt(count).padStart(10)} rows: ${summary(samples)}`,
      );
    }
  }
  const exact = new HistoricalLogProcessor({ db, clock: now, autoMaintenance: false, exactStatsUpTo: 1e9 });
  const [rawMs, rawDay] = await time(() => exact.stats(ranges.day(0)));
  console.log(
    `  raw computation of one day (${fmt(rawDay.count)} rows, percentile_cont): ${fmt(rawMs, 0)} ms`,
  );
  await exact.close();

  // 3. query pages.
  const mid = (
    await sql<{ id: string }>`select id from inference_logs where created_at < ${new Date((start + end) / 2)}
      order by created_at desc limit 1`.execute(k)
  ).rows[0]!.id;
  const pages = {
    'first page': () => p.query({ limit: 100 }),
    'first page, one use case': () => p.query({ useCase: 'customization_layer', limit: 100 }),
    'deep page (mid-data cursor)': () => p.query({ cursor: encodeIdCursor(mid), limit: 100 }),
    'deep page, one use case': () =>
      p.query({ useCase: 'customization_layer', cursor: encodeIdCursor(mid), limit: 100 }),
  };
  for (const [name, run] of Object.entries(pages)) {
    const samples: number[] = [];
    for (let i = 0; i < 110; i++) {
      const [ms] = await time(run);
      if (i >= 10) samples.push(ms);
    }
    console.log(`query ${name.padEnd(28)} ${summary(samples)}`);
  }

  // 4. Retention drops the oldest day's partition.
  const firstDay = Math.floor(start / DAY) * DAY;
  const later = new ManualClock(firstDay + DAY + 30 * DAY);
  const ahead = new HistoricalLogProcessor({ db, clock: later, autoMaintenance: false, partitionsAhead: 0 });
  await ahead.maintain(); // the partition of that later day, so the timed pass only drops
  await ahead.close();
  const retention = new HistoricalLogProcessor({
    db,
    clock: later,
    retention: '30d',
    autoMaintenance: false,
    partitionsAhead: 0,
  });
  const partitions = await listPartitions(db.kysely, 'inference_logs');
  const oldest = partitions[0]!;
  const rowsInOldest = Number(
    (await sql<{ n: string }>`select count(*) as n from ${sql.id(oldest.name)}`.execute(k)).rows[0]!.n,
  );
  // Only the first day is older than 30 days at that clock; maintain() also lists and checks the others.
  const [dropMs, report] = await time(() => retention.maintain());
  console.log(
    `retention: detach + drop of ${report.dropped.join(' + ')} (${fmt(rowsInOldest)} rows and their rollups), one transaction: ${fmt(report.retentionMs ?? Number.NaN, 1)} ms; whole maintenance pass ${fmt(dropMs, 1)} ms`,
  );
  await retention.close();

  // 5. Writes with rollups vs without (1.3 KB rows, 500-row unnest batches, interleaved).
  const settings = { maxFieldBytes: 32 * 1024, redact: undefined, onRedactionFailure: () => {} };
  const batch = (n: number): LogRow[] =>
    Array.from({ length: n }, (_, i) => {
      const t = Date.now();
      return buildRow(
        {
          modelId: MODELS[(i % 3) + (i % 4 === 0 ? 1 : 0)]!,
          useCase: USE_CASES[i % 3]!,
          deploymentId: `dep-${i % 3}`,
          prompt: PROMPT.repeat(3),
          generatedOutput: OUTPUT.repeat(3),
          context: { npc: 'innkeeper', turn: i },
          latencyMs: 100 + (i % 900),
          status: i % 10 ? 'ok' : 'error',
          variant: i % 4 === 0 ? 'candidate' : 'stable',
          tokensIn: 150,
          tokensOut: 180,
          playerId: `player-${i}`,
        },
        uuidv7(t),
        t,
        settings,
      );
    });
  // The writer's own path on PostgreSQL: COPY, 500-row batches, 2 in flight (its default concurrency).
  const copier = bulkCopier(db);
  const rates: Record<'with' | 'without', number[]> = { with: [], without: [] };
  const REPS = 7;
  for (let rep = 0; rep < REPS; rep++) {
    for (const mode of rep % 2 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
      const batches = Array.from({ length: 40 }, () => batch(500));
      let next = 0;
      const [ms] = await time(() =>
        Promise.all(
          [0, 1].map(async () => {
            while (next < batches.length)
              await insertRows(k, batches[next++]!, copier ? 'copy' : 'unnest', mode === 'with', copier);
          }),
        ),
      );
      rates[mode].push(20_000 / (ms / 1000));
    }
  }
  const best = (xs: number[]) => Math.max(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[REPS >> 1]!;
  console.log(
    `writes, 1.3 KB rows, 500-row COPY batches, 2 in flight (median of ${REPS}): without rollups ${fmt(median(rates.without))} rows/s (best ${fmt(best(rates.without))}), with rollups ${fmt(median(rates.with))} rows/s (best ${fmt(best(rates.with))}); ratio ${fmt(median(rates.with) / median(rates.without), 2)} (target ≥ 0.90)`,
  );
  const storage = await p.storage();
  console.log(
    `storage: ${storage.parts.length} parts, ${fmt(storage.totalBytes / 2 ** 20)} MiB (largest partition ${fmt(
      Math.max(...storage.parts.map((x) => x.tableBytes + x.indexBytes)) / 2 ** 20,
    )} MiB)`,
  );
  await p.close();
} finally {
  await db.close();
  await dropSchema(schema);
  console.log(`dropped schema ${schema}`);
}
