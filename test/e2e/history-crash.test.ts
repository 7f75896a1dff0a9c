import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { historyKysely } from '../../src/history/log-store.js';
import { type Database, HistoricalLogProcessor } from '../../src/index.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const CHILD = new URL('../fixtures/history/crash-child.ts', import.meta.url).pathname;

function waitForLine(child: ChildProcess, wanted: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.split('\n').includes(wanted)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before ${wanted}`)));
  });
}

/** Non-empty lines in the spool's segment files (a torn last line counts: it is pending too). */
async function spooledLines(dir: string): Promise<number> {
  let lines = 0;
  for (const name of await readdir(dir)) {
    const text = await readFile(join(dir, name), 'utf8');
    lines += text.split('\n').filter((l) => l.length > 0).length;
  }
  return lines;
}

describe.runIf(TEST_DATABASE_URL)('HistoricalLogProcessor crash recovery (PostgreSQL, SIGKILL)', () => {
  it('entries acknowledged by flush() into the spool survive SIGKILL, are counted pending at the next start, and flush({ untilStored }) waits until they are stored once', async () => {
    const proxy = await startTcpProxy({ targetPort: Number(new URL(TEST_DATABASE_URL!).port || 5432) });
    const db = await openTestDatabase('postgres');
    let via: Database | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'mms-crash-'));
    const spoolDir = join(dir, 'spool');
    const ackFile = join(dir, 'ack.json');
    const url = new URL(TEST_DATABASE_URL!);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, url.toString(), db.schema, spoolDir, ackFile],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      await waitForLine(child, 'READY');
      proxy.cut(); // the child's database goes away
      const acked = waitForLine(child, 'ACK');
      child.stdin!.write('go\n');
      await acked;
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const ack = JSON.parse(await readFile(ackFile, 'utf8')) as { ids: string[]; spooled: number };
      expect(ack.ids).toHaveLength(2500);
      expect(ack.spooled).toBeGreaterThanOrEqual(2000);
      expect((await readdir(spoolDir)).length).toBeGreaterThan(0);

      const leftLines = await spooledLines(spoolDir);
      expect(leftLines).toBeGreaterThanOrEqual(2000);

      // The next process starts while the database is still down: what waits on disk is counted.
      proxy.restore();
      via = await openTestDatabase('postgres', { viaPort: proxy.port, schema: db.schema, poolSize: 2 });
      proxy.cut();
      const next = new HistoricalLogProcessor({ db: via, spoolDir });
      await next.flush();
      expect(next.metrics().spoolPendingRows).toBe(leftLines);

      // flush({ untilStored: true }) waits for the replay, which waits for the database.
      let settled = false;
      const drained = next.flush({ untilStored: true }).finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(settled).toBe(false);
      proxy.restore();
      await drained;
      expect(await readdir(spoolDir)).toEqual([]);
      expect(next.metrics().spoolPendingRows).toBe(0);
      const k = historyKysely(db);
      const stored = new Set(
        (await k.selectFrom('inference_logs').select('id').where('use_case', '=', 'crash').execute()).map(
          (r) => r.id,
        ),
      );
      await next.close();
      expect(ack.ids.filter((id) => !stored.has(id))).toEqual([]);
      const dup = await sql<{
        n: unknown;
        d: unknown;
      }>`select count(*) as n, count(distinct id) as d from inference_logs`.execute(k);
      expect(Number(dup.rows[0]!.n)).toBe(Number(dup.rows[0]!.d));
      expect(next.metrics().replayed).toBeGreaterThanOrEqual(2000);
    } finally {
      child.kill('SIGKILL');
      await via?.close();
      await proxy.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
