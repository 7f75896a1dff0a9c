/**
 * Runs the built `mms` command in a child process against a PostgreSQL schema of its own, and the
 * simulated rollout fixture beside it.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { TEST_DATABASE_URL } from './backends.js';

/** The built command; CI builds before testing. */
export const MMS_BIN = fileURLToPath(new URL('../../dist/cli/mms.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/cli/simulated-rollout.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** True when the CLI e2e tests can run; in CI their absence is a failure, never a skip. */
export function cliTestsCanRun(): boolean {
  const built = existsSync(MMS_BIN);
  if (process.env.CI && !built)
    throw new Error('CI builds dist/ before the tests: run `npm run build` first');
  if (process.env.CI && !TEST_DATABASE_URL)
    throw new Error('CI requires MMS_TEST_DATABASE_URL: the CLI e2e tests must run, not be skipped');
  return built && TEST_DATABASE_URL !== undefined;
}

/** What one `mms` run printed and returned. */
export interface MmsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment of a child: the test database, no colour, no inherited DATABASE_URL surprises. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ...extra };
  delete env.POSTGRES_HOST;
  delete env.NO_COLOR;
  return env;
}

/** Runs `mms ...args --schema schema` and resolves with its exit code and output. */
export function mms(
  schema: string,
  args: readonly string[],
  extra: Record<string, string> = {},
): Promise<MmsResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MMS_BIN, ...args, '--schema', schema],
      { env: childEnv(extra), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `mms … --json` and parses stdout; throws with stderr when it did not exit 0. */
export async function mmsJson<T = Record<string, unknown>>(
  schema: string,
  args: readonly string[],
): Promise<T> {
  const r = await mms(schema, [...args, '--json']);
  if (r.code !== 0) throw new Error(`mms ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs the simulated rollout fixture (see test/fixtures/cli/simulated-rollout.ts); resolves with its stdout. */
export function simulatedRollout(schema: string, args: readonly string[], paceMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [FIXTURE, ...args], {
      env: childEnv({ MMS_TEST_SCHEMA: schema, MMS_TEST_PACE_MS: String(paceMs) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`fixture exited ${code}: ${err}`)),
    );
  });
}

/** Row counts of every SDK table in `schema`, to prove a refused command changed nothing. */
export async function tableCounts(schema: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = $1 order by table_name`,
      [schema],
    );
    const counts: Record<string, number> = {};
    for (const { table_name } of tables.rows) {
      const r = await client.query<{ n: string; v: string }>(
        `select count(*) as n, coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as v from "${schema}"."${table_name}" t`,
      );
      counts[`${table_name}`] = Number(r.rows[0]!.n);
      counts[`${table_name}#digest`] = Number.parseInt(r.rows[0]!.v.slice(0, 8) || '0', 16);
    }
    return counts;
  } finally {
    await client.end();
  }
}

/** Subtrees whose keys are data, not schema (free JSON of the host, analysis settings, raw verdicts). */
const FREE_FORM = new Set(['configuration', 'metadata', 'analysis', 'lastVerdict', 'context', 'details']);

/**
 * Sorted key paths of a JSON value (arrays contribute their first element as `[]`), to pin `--json`
 * schemas. Free-form subtrees (see FREE_FORM) are pinned by name only.
 */
export function keyPaths(value: unknown, prefix = ''): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, at: string) => {
    if (Array.isArray(v)) {
      if (v.length) walk(v[0], `${at}[]`);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const path = at ? `${at}.${k}` : k;
      out.add(path);
      if (!FREE_FORM.has(k)) walk(child, path);
    }
  };
  walk(value, prefix);
  return [...out].sort();
}
