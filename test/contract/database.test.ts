import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Change,
  createDatabase,
  type Database,
  loadMigrations,
  migrate,
  translateDbError,
} from '../../src/db/index.js';
import { ConflictError, DatabaseUnavailableError, ValidationError } from '../../src/index.js';
import {
  dropSchema,
  openTestDatabase,
  TEST_DATABASE_URL,
  testBackends,
  uniqueSchema,
} from '../helpers/backends.js';

describe('createDatabase options', () => {
  it.each([
    [
      {},
      /exactly one of `connectionString`, `pool`, `kysely`, `embedded`, `memory` in database options, got none/,
    ],
    [{ memory: true, embedded: {} }, /got `embedded` and `memory`/],
    [{ connectionString: 'mysql://x' }, /`connectionString` to be a postgres:\/\/ URL/],
    [{ memory: true, schema: 'Bad-Name' }, /`schema` to match/],
    [{ memory: true, schema: 'other' }, /`schema` works with `connectionString` and `embedded` only/],
    [{ memory: true, poolSize: 0 }, /`poolSize` to be a positive integer, got 0/],
    [{ embedded: { dataDir: '' } }, /`embedded.dataDir` to be a non-empty path/],
    [{ embedded: { workerThread: 'yes' } }, /`embedded.workerThread` to be a boolean, got "yes"/],
    [{ embedded: { dataDri: './x' } }, /"dataDri".*did you mean `dataDir`/],
  ])('refuses %j', async (options, message) => {
    const error = await createDatabase(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
  });

  it('maps SQLSTATEs and socket errors onto typed errors', () => {
    expect(translateDbError(Object.assign(new Error('dup'), { code: '23505' }), 'x')).toBeInstanceOf(
      ConflictError,
    );
    const down = translateDbError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'x',
    );
    expect(down).toBeInstanceOf(DatabaseUnavailableError);
    expect(down.retryable).toBe(true);
    expect(translateDbError(Object.assign(new Error('admin'), { code: '57P01' }), 'x').retryable).toBe(true);
    expect(translateDbError(Object.assign(new Error('bad'), { code: '22P02' }), 'x')).toBeInstanceOf(
      ValidationError,
    );
    expect(translateDbError(new Error('Connection terminated unexpectedly'), 'x').code).toBe(
      'DATABASE_UNAVAILABLE',
    );
    const serial = translateDbError(Object.assign(new Error('ser'), { code: '40001' }), 'x');
    expect(serial).toBeInstanceOf(ConflictError);
    expect(serial.retryable).toBe(true);
  });
});

describe.each(testBackends())('database layer on %s', (backend) => {
  let db: Database;
  afterEach(async () => {
    await db?.close();
  });

  it('applies every migration once and records it; a second run applies nothing', async () => {
    db = await openTestDatabase(backend);
    const again = await migrate(db);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(loadMigrations().map((m) => m.name));
    const rows = await sql<{ name: string }>`select name from mms_migrations order by name`.execute(
      db.kysely,
    );
    expect(rows.rows.map((r) => r.name)).toEqual(loadMigrations().map((m) => m.name));
  });

  it('refuses a migration file that changed after it was applied', async () => {
    db = await openTestDatabase(backend);
    const [first] = loadMigrations();
    await expect(migrate(db, [{ name: first!.name, sql: `${first!.sql}\n-- edited` }])).rejects.toThrow(
      /was changed after it was applied/,
    );
  });

  it('publishes changes with increasing versions and delivers them to listeners', async () => {
    db = await openTestDatabase(backend);
    const seen: Change[] = [];
    db.changes.on('change', (c) => seen.push(c));
    const a = await db.changes.publish('models', 'foundation_layer');
    const b = await db.changes.publish('models', 'interaction_layer');
    expect(b.version).toBe(a.version + 1);
    await expect.poll(() => seen.length).toBe(2);
    expect(seen.map((c) => c.key)).toEqual(['foundation_layer', 'interaction_layer']);
    expect((await db.changes.versions()).get('models')).toBe(b.version);
  });

  it('reports capabilities that match the engine', async () => {
    db = await openTestDatabase(backend);
    expect(db.backend).toBe(backend);
    expect(db.capabilities.transactions).toBe(backend !== 'pg-mem');
    expect(db.capabilities.notify).toBe(backend !== 'pg-mem');
    expect(db.capabilities.advisoryLocks).toBe(backend === 'postgres');
  });

  it('rolls back a failed transaction where the engine can (pg-mem cannot, and says so)', async () => {
    db = await openTestDatabase(backend);
    await db
      .transaction(async (trx) => {
        await sql`insert into mms_change_versions (topic, version) values ('t', 1)`.execute(trx);
        throw new Error('boom');
      })
      .catch(() => {});
    const rows = await sql`select topic from mms_change_versions where topic = 't'`.execute(db.kysely);
    expect(rows.rows.length).toBe(db.capabilities.transactions ? 0 : 1);
  });

  it('close() is idempotent', async () => {
    db = await openTestDatabase(backend);
    await db.close();
    await db.close();
  });
});

describe.runIf(TEST_DATABASE_URL)('database layer on PostgreSQL, several processes', () => {
  it('ten handles migrating one schema at once apply each file exactly once', async () => {
    const schema = uniqueSchema('mig');
    const handles = await Promise.all(
      Array.from({ length: 10 }, () =>
        createDatabase({ connectionString: TEST_DATABASE_URL!, schema, migrate: false, poolSize: 1 }),
      ),
    );
    try {
      const results = await Promise.all(handles.map((h) => migrate(h)));
      const applied = results.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(loadMigrations().map((m) => m.name));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await dropSchema(schema);
    }
  });

  it('a change published by one process reaches another by NOTIFY', async () => {
    const schema = uniqueSchema('feed');
    const a = await createDatabase({ connectionString: TEST_DATABASE_URL!, schema });
    const b = await createDatabase({ connectionString: TEST_DATABASE_URL!, schema });
    try {
      const got: Change[] = [];
      b.changes.on('change', (c) => got.push(c));
      const sent = await a.changes.publish('deployments', 'interaction_layer');
      await expect.poll(() => got, { timeout: 2000 }).toEqual([sent]);
    } finally {
      await a.close();
      await b.close();
      await dropSchema(schema);
    }
  });

  it('uses the host pool without ending it', async () => {
    const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL!, max: 2 });
    const db = await createDatabase({ pool, migrate: false });
    await db.close();
    const r = await pool.query('select 1 as one');
    expect(r.rows[0].one).toBe(1);
    await pool.end();
  });
});
