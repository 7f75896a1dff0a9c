import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { translateDbError } from '../../src/db/index.js';
import { ConflictError, createDatabase, ModelRegistry } from '../../src/index.js';

/** The embedded database on its worker thread (the default) behaves as PGlite on the calling thread. */
describe('embedded PGlite on a worker thread', () => {
  it('answers queries off the calling thread: the event loop keeps turning during a long statement', async () => {
    const db = await createDatabase({ embedded: {} });
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      // ~0.5 s of work inside PostgreSQL: in-thread it would stop every timer for that long.
      await sql`select count(*) from generate_series(1, 3000000)`.execute(db.kysely);
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(10);
    } finally {
      await db.close();
    }
  });

  it('keeps SQLSTATEs on errors, so they map onto the typed errors', async () => {
    const db = await createDatabase({ embedded: {} });
    try {
      await sql`create table t (id int primary key)`.execute(db.kysely);
      await sql`insert into t values (1)`.execute(db.kysely);
      const error = await sql`insert into t values (1)`.execute(db.kysely).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('23505');
      expect(translateDbError(error, 'inserting')).toBeInstanceOf(ConflictError);
    } finally {
      await db.close();
    }
  });

  it('persists to dataDir across handles, and a closed handle refuses queries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mms-pglite-'));
    try {
      const first = await createDatabase({ embedded: { dataDir: dir } });
      const registry = new ModelRegistry({ db: first });
      const model = await registry.registerModel({
        modelName: 'npc',
        modelType: 'self_hosted',
        provider: 'ollama',
        useCase: 'interaction_layer',
        version: '1.0',
        configuration: { endpoint: 'http://127.0.0.1:11434', model: 'npc' },
      });
      await registry.close();
      await first.close();
      await expect(sql`select 1`.execute(first.kysely)).rejects.toThrow(/closed/i);
      const second = await createDatabase({ embedded: { dataDir: dir } });
      const again = new ModelRegistry({ db: second });
      expect((await again.getModel(model.id))?.modelName).toBe('npc');
      await again.close();
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('delivers NOTIFY payloads to the change feed (what another writer of the same database sends)', async () => {
    const db = await createDatabase({ embedded: {} });
    try {
      const seen: string[] = [];
      db.changes.on('change', (c) => seen.push(`${c.topic}/${c.key}/${c.version}`));
      const payload = JSON.stringify({ topic: 'models', key: 'npc', version: 41 });
      await sql`select pg_notify('mms_changes', ${payload})`.execute(db.kysely);
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual(['models/npc/41']);
    } finally {
      await db.close();
    }
  });

  it('workerThread: false runs PGlite on the calling thread, with the same SQL and errors', async () => {
    const db = await createDatabase({ embedded: { workerThread: false } });
    try {
      await sql`create table t (id int primary key)`.execute(db.kysely);
      await sql`insert into t values (1)`.execute(db.kysely);
      const error = await sql`insert into t values (1)`.execute(db.kysely).catch((e: unknown) => e);
      expect(translateDbError(error, 'inserting')).toBeInstanceOf(ConflictError);
    } finally {
      await db.close();
    }
  });

  it('does not keep the host process alive when the host forgets close()', () => {
    const fixture = join(import.meta.dirname, '../fixtures/db/forgotten-close.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', fixture], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout).toContain('queried');
    expect(run.signal).toBeNull(); // exited by itself, not killed by the timeout
    expect(run.status).toBe(0);
  });
});
