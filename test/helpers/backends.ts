import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createDatabase, type Database, type DatabaseBackend } from '../../src/db/index.js';

/** The PostgreSQL URL the contract tests use; CI sets it and requires it. */
export const TEST_DATABASE_URL = process.env.MMS_TEST_DATABASE_URL;

/** Backends to run contract suites on: pg-mem and PGlite always, PostgreSQL when configured (required in CI). */
export function testBackends(): DatabaseBackend[] {
  if (process.env.CI && !TEST_DATABASE_URL) {
    throw new Error(
      'CI requires MMS_TEST_DATABASE_URL: the PostgreSQL contract tests must run, not be skipped',
    );
  }
  return TEST_DATABASE_URL ? ['pg-mem', 'pglite', 'postgres'] : ['pg-mem', 'pglite'];
}

function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/** A fresh schema name; PostgreSQL tests each get one, dropped when the handle closes. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * Opens a migrated, isolated database: a new in-memory instance for pg-mem and PGlite, a new schema
 * for PostgreSQL (dropped on close). `viaPort` routes PostgreSQL through a test TCP proxy; `schema`
 * shares one schema between several handles (the caller drops it).
 */
export async function openTestDatabase(
  backend: DatabaseBackend,
  options: { viaPort?: number; schema?: string; poolSize?: number } = {},
): Promise<Database> {
  if (backend === 'pg-mem') return createDatabase({ memory: true });
  if (backend === 'pglite') return openSharedPglite();
  if (!TEST_DATABASE_URL) throw new Error('MMS_TEST_DATABASE_URL is not set');
  const schema = options.schema ?? uniqueSchema();
  const url = options.viaPort ? withPort(TEST_DATABASE_URL, options.viaPort) : TEST_DATABASE_URL;
  const db = await createDatabase({ connectionString: url, schema, poolSize: options.poolSize ?? 5 });
  if (options.schema) return db;
  const close = db.close;
  const dropAndClose = async () => {
    await close();
    await dropSchema(schema);
  };
  return Object.assign(db, { close: dropAndClose, [Symbol.asyncDispose]: dropAndClose });
}

let sharedPglite: Promise<PGlite> | null = null;

/**
 * PGlite takes seconds to start on a loaded 2-core machine, so each test process starts one and every
 * test gets a fresh schema in it (dropped on close). Handles must be used one after the other.
 */
async function openSharedPglite(): Promise<Database> {
  sharedPglite ??= PGlite.create();
  const pglite = await sharedPglite;
  const schema = uniqueSchema();
  const db = await createDatabase({ embedded: { pglite }, schema });
  const close = db.close;
  const dropAndClose = async () => {
    await close();
    await pglite.exec(`drop schema if exists "${schema}" cascade`);
  };
  return Object.assign(db, { close: dropAndClose, [Symbol.asyncDispose]: dropAndClose });
}

/** Drops a test schema on the PostgreSQL test server. */
export async function dropSchema(schema: string): Promise<void> {
  if (!TEST_DATABASE_URL) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
