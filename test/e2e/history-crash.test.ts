import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { historyKysely } from '../../src/history/log-store.js';
import { HistoricalLogProcessor } from '../../src/index.js';
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

describe.runIf(TEST_DATABASE_URL)('HistoricalLogProcessor crash recovery (PostgreSQL, SIGKILL)', () => {
  it('entries acknowledged by flush() into the spool survive SIGKILL and are stored once by the next processor', async () => {
    const proxy = await startTcpProxy({ targetPort: Number(new URL(TEST_DATABASE_URL!).port || 5432) });
    const db = await openTestDatabase('postgres');
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

      const next = new HistoricalLogProcessor({ db, spoolDir });
      const k = historyKysely(db);
      for (let i = 0; i < 100 && (await readdir(spoolDir)).length > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      await next.close();
      expect(await readdir(spoolDir)).toEqual([]);
      const stored = new Set(
        (await k.selectFrom('inference_logs').select('id').where('use_case', '=', 'crash').execute()).map(
          (r) => r.id,
        ),
      );
      expect(ack.ids.filter((id) => !stored.has(id))).toEqual([]);
      const dup = await sql<{
        n: unknown;
        d: unknown;
      }>`select count(*) as n, count(distinct id) as d from inference_logs`.execute(k);
      expect(Number(dup.rows[0]!.n)).toBe(Number(dup.rows[0]!.d));
      expect(next.metrics().replayed).toBeGreaterThanOrEqual(2000);
    } finally {
      child.kill('SIGKILL');
      await proxy.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
