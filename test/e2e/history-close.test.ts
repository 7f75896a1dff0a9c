import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import type { HistoryMetrics } from '../../src/history/index.js';
import { historyKysely } from '../../src/history/log-store.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const CHILD = new URL('../fixtures/history/close-child.ts', import.meta.url).pathname;

interface ChildOut {
  ids: string[];
  metrics: HistoryMetrics;
  droppedEvents: number;
}

/** Runs the child to its natural end; resolves with its exit code and what it wrote (or null). */
async function runChild(
  args: string[],
  outFile: string,
): Promise<{ code: number | null; out: ChildOut | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args, outFile], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const out = existsSync(outFile) ? (JSON.parse(await readFile(outFile, 'utf8')) as ChildOut) : null;
  return { code, out };
}

async function spooledLines(dir: string): Promise<number> {
  let lines = 0;
  for (const name of await readdir(dir)) {
    const text = await readFile(join(dir, name), 'utf8');
    lines += text.split('\n').filter((l) => l.length > 0).length;
  }
  return lines;
}

describe.runIf(TEST_DATABASE_URL)(
  'HistoricalLogProcessor close() with the database down (child processes)',
  () => {
    let proxy: TcpProxy;
    let db: Database;
    let dir: string;
    let deadUrl: string;

    beforeAll(async () => {
      proxy = await startTcpProxy({ targetPort: Number(new URL(TEST_DATABASE_URL!).port || 5432) });
      proxy.cut(); // every connection through it is closed at once: the database is down
      const url = new URL(TEST_DATABASE_URL!);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      deadUrl = url.toString();
      db = await openTestDatabase('postgres');
      dir = await mkdtemp(join(tmpdir(), 'mms-close-'));
    });

    afterAll(async () => {
      await proxy?.close();
      await db?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('with a spool: close() resolves, exit code 0, every accepted entry is in the spool; a new process stores each once', async () => {
      const spoolDir = join(dir, 'spool');
      const down = await runChild(['spool', deadUrl, db.schema, spoolDir], join(dir, 'down.json'));
      expect(down.code).toBe(0);
      expect(down.out).not.toBeNull();
      expect(down.out!.ids).toHaveLength(1000);
      expect(down.out!.metrics.dropped).toBe(0);
      expect(down.out!.metrics.spooled).toBe(1000);
      expect(await spooledLines(spoolDir)).toBe(1000);

      const up = await runChild(['replay', TEST_DATABASE_URL!, db.schema, spoolDir], join(dir, 'up.json'));
      expect(up.code).toBe(0);
      expect(up.out!.metrics.replayed).toBe(1000);
      expect(up.out!.metrics.spoolPendingRows).toBe(0);
      expect(await readdir(spoolDir)).toEqual([]);
      const k = historyKysely(db);
      const rows = await k
        .selectFrom('inference_logs')
        .select('id')
        .where('use_case', '=', 'close')
        .execute();
      const stored = new Set(rows.map((r) => r.id));
      expect(down.out!.ids.filter((id) => !stored.has(id))).toEqual([]);
      const dup = await sql<{ n: unknown; d: unknown }>`select count(*) as n, count(distinct id) as d
      from inference_logs where use_case = 'close'`.execute(k);
      expect(Number(dup.rows[0]!.n)).toBe(1000);
      expect(Number(dup.rows[0]!.d)).toBe(1000);
    }, 60_000);

    it('without a spool: close() resolves after closeTimeoutMs, exit code 0, every entry counted dropped and announced', async () => {
      const down = await runChild(
        ['nospool', deadUrl, db.schema, join(dir, 'unused')],
        join(dir, 'nospool.json'),
      );
      expect(down.code).toBe(0);
      expect(down.out).not.toBeNull();
      expect(down.out!.metrics.dropped).toBe(1000);
      expect(down.out!.droppedEvents).toBe(1000);
      expect(down.out!.metrics.written).toBe(0);
    }, 60_000);

    it('the guardrails violation store (same batch writer, no spool): close() resolves, exit code 0, every record counted failed', async () => {
      const down = await runChild(
        ['guardrails', deadUrl, db.schema, join(dir, 'unused')],
        join(dir, 'guardrails.json'),
      );
      expect(down.code).toBe(0);
      expect(down.out).toEqual({ persistFailed: 3 });
    }, 90_000);
  },
);
