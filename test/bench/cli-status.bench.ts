/**
 * `mms status` against a database holding 1 M inference history rows: the command must answer in
 * under 300 ms because it never scans the history. Loads the rows with INSERT … SELECT
 * generate_series into a schema of its own, adds a live canary with windowed metrics, then times the
 * built command as a child process beside the raw limits (a bare `node` start, `mms --help` with no
 * database) and shows, from pg_stat_user_tables, that no sequential scan touched the history.
 * Run: npm run build && MMS_TEST_DATABASE_URL=postgres://… npx tsx test/bench/cli-status.bench.ts [rows]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { MMS_BIN, mmsJson, simulatedRollout } from '../helpers/cli.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 7;

if (!TEST_DATABASE_URL) {
  console.log('cli-status bench: set MMS_TEST_DATABASE_URL (PostgreSQL) to run it');
  process.exit(0);
}
if (!existsSync(MMS_BIN)) {
  console.log('cli-status bench: run `npm run build` first (it times the built command)');
  process.exit(1);
}

const schema = uniqueSchema('bench_cli');
const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
await client.connect();

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null; // GNU time: CPU seconds of the child

interface ChildFigures {
  median: number;
  min: number;
  max: number;
  /** Median user+system CPU ms of the child (what a loaded machine does not inflate much), when GNU time is there. */
  cpu: number | null;
}

function timeChild(args: string[]): ChildFigures {
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const run = spawnSync(
      TIME ?? process.execPath,
      TIME ? ['-f', 'CPU %U %S', process.execPath, ...args] : args,
      {
        env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
        encoding: 'utf8',
      },
    );
    samples.push(performance.now() - t);
    if (run.status !== 0 && !args.includes('--help'))
      throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(run.stderr);
    if (m) cpu.push((Number(m[1]) + Number(m[2])) * 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(RUNS / 2)]!,
    min: samples[0]!,
    max: samples[RUNS - 1]!,
    cpu: cpu.length ? median(cpu) : null,
  };
}

async function historyScans(): Promise<{ seq: number; idx: number }> {
  // This session's own statements (the count above) reach the statistics only when flushed.
  await client.query('select pg_stat_force_next_flush()').catch(() => {}); // PostgreSQL ≥ 15
  await new Promise((r) => setTimeout(r, 1500)); // other sessions publish theirs with a short delay
  const r = await client.query<{ seq: string; idx: string }>(
    `select coalesce(sum(seq_scan), 0) as seq, coalesce(sum(idx_scan), 0) as idx
       from pg_stat_user_tables where schemaname = $1 and relname like 'inference_logs%'`,
    [schema],
  );
  return { seq: Number(r.rows[0]!.seq), idx: Number(r.rows[0]!.idx) };
}

try {
  await mmsJson(schema, ['migrate']);
  // A finished canary (rollback, models, metrics) and its history, made by the SDK itself.
  await simulatedRollout(schema, ['seed', 'canary-rollback']);
  const t0 = performance.now();
  await client.query(`
    insert into "${schema}".inference_logs (id, created_at, model_id, use_case, status, prompt, generated_output,
      latency_ms, tokens_in, tokens_out, player_id, violation_count, truncated)
    select (lpad(to_hex(1600000000000 + g), 12, '0') || '-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
           now() - make_interval(secs => g), null, 'bulk_layer', 'ok', 'prompt ' || g, 'answer ' || g,
           (g % 200)::float8, 20, 40, 'player-' || (g % 5000), 0, false
      from generate_series(1, ${ROWS}) as g`);
  await client.query(`analyze "${schema}".inference_logs`);
  const loadMs = performance.now() - t0;
  const count = await client.query<{ n: string }>(`select count(*) as n from "${schema}".inference_logs`);
  console.log(
    `history rows: ${Number(count.rows[0]!.n).toLocaleString('en')} (loaded ${ROWS.toLocaleString('en')} in ${(loadMs / 1000).toFixed(1)} s)`,
  );
  // A live canary too, so status reads an active deployment, its arms and the judge's evidence.
  const stable = await mmsJson(schema, [
    ...['models', 'register', '--use-case', 'quest_layer', '--name', 'quest', '--version', '1'],
    ...['--provider', 'simulated', '--config', '{"endpoint":"http://simulated.invalid/q/1"}'],
  ]);
  await mmsJson(schema, ['models', 'promote', stable.id as string]);
  const candidate = await mmsJson(schema, [
    ...['models', 'register', '--use-case', 'quest_layer', '--name', 'quest', '--version', '2'],
    ...['--provider', 'simulated', '--config', '{"endpoint":"http://simulated.invalid/q/2"}'],
  ]);
  await mmsJson(schema, [
    ...[
      'deploy',
      'start',
      '--use-case',
      'quest_layer',
      '--model',
      candidate.id as string,
      '--strategy',
      'canary',
    ],
  ]);

  const before = await historyScans();
  const status = timeChild([MMS_BIN, 'status', '--schema', schema]);
  const statusJson = timeChild([MMS_BIN, 'status', '--json', '--schema', schema]);
  const after = await historyScans();
  const help = timeChild([MMS_BIN, '--help']);
  const bare = timeChild(['-e', '']);

  const row = (name: string, f: { median: number; min: number; max: number }) =>
    console.log(
      `${name.padEnd(34)} median ${f.median.toFixed(0).padStart(4)} ms  (min ${f.min.toFixed(0)}, max ${f.max.toFixed(0)})`,
    );
  console.log(`\nchild-process wall time, ${RUNS} runs each:`);
  row('node -e "" (raw limit: Node start)', bare);
  row('mms --help (no database)', help);
  row('mms status', status);
  row('mms status --json', statusJson);
  console.log(
    `\nmms status: ${status.median.toFixed(0)} ms median against ${ROWS.toLocaleString('en')} history rows ` +
      `(budget 300 ms: ${status.median < 300 ? 'within' : 'OVER'}); ${(status.median / bare.median).toFixed(1)}× a bare Node start` +
      (status.cpu === null
        ? ''
        : `; CPU ${status.cpu.toFixed(0)} ms (load average ${loadavg()[0]!.toFixed(1)}: wall time grows with it)`),
  );
  console.log(
    `history scans during the ${RUNS * 2} status runs: ${after.seq - before.seq} sequential, ${after.idx - before.idx} index (one index probe per run for "last entry")`,
  );
} finally {
  await client.end();
  await dropSchema(schema);
}
