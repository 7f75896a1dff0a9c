import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { DatabaseError } from '../errors.js';
import { hash32 } from '../internal/hashing.js';
import type { Database } from './database.js';
import { EMBEDDED_MIGRATIONS } from './migrations.generated.js';
import { translateDbError } from './pg-errors.js';

/** One migration file. */
export interface Migration {
  /** File name, e.g. `0001_registry.sql`; the order key. */
  readonly name: string;
  /** The SQL text. */
  readonly sql: string;
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** Files applied by this call, in order. */
  readonly applied: string[];
  /** Files that were already applied. */
  readonly skipped: string[];
}

const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;
const LOCK_NAMESPACE = 0x4d4d53; // "MMS"

/**
 * The SDK's migrations, in order: embedded at build time (`src/db/migrations.generated.ts`, made from
 * `migrations/*.sql` by `npm run migrations:embed`), so nothing is looked up on disk at run time.
 * `dir` reads a folder of `NNNN_name.sql` files instead (for tools and tests).
 */
export function loadMigrations(dir?: string): Migration[] {
  if (dir === undefined) return [...EMBEDDED_MIGRATIONS];
  return readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), 'utf8') }));
}

/** Splits a migration into statements: each ends with `;` at the end of a line (no DO blocks). */
export function splitStatements(text: string): string[] {
  return text
    .split(/;[ \t]*(?:--[^\n]*)?\r?\n|;[ \t]*$/)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

/**
 * Keeps the parts of a migration this backend can run. Lines `-- @if <capability>`, `-- @else` and
 * `-- @end` bracket statements that need a capability (e.g. `partitioning`) and their plain fallback,
 * so a backend lacking a feature gets an explicit alternative instead of a failing statement.
 */
export function selectSections(text: string, capabilities: object): string {
  const caps = capabilities as Record<string, unknown>;
  const out: string[] = [];
  let keep = true;
  let inside = false;
  for (const line of text.split('\n')) {
    const directive = /^\s*--\s*@(if\s+([a-zA-Z]+)|else|end)\s*$/.exec(line);
    if (!directive) {
      if (keep) out.push(line);
      continue;
    }
    if (directive[2] !== undefined) {
      if (inside) throw new DatabaseError('Nested `-- @if` sections are not supported in migrations');
      inside = true;
      keep = caps[directive[2]] === true;
    } else if (directive[1] === 'else') {
      keep = inside && !keep;
    } else {
      inside = false;
      keep = true;
    }
  }
  return out.join('\n');
}

function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Applies pending migrations in order, one transaction each, recording them in `mms_migrations`.
 * On PostgreSQL an advisory lock serialises concurrent callers, so ten replicas booting together apply
 * each file once. A file changed after it was applied is refused with a `DatabaseError`.
 * @example
 * ```ts
 * const db = await createDatabase({ connectionString, migrate: false });
 * const { applied } = await migrate(db);
 * ```
 */
export async function migrate(
  db: Pick<Database, 'kysely' | 'capabilities' | 'schema'>,
  migrations: Migration[] = loadMigrations(),
): Promise<MigrationResult> {
  const lockKey = hash32(db.schema) | 0;
  const lock = async (trx: Kysely<object>) => {
    if (db.capabilities.advisoryLocks) {
      await sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${lockKey})`.execute(trx);
    }
  };
  const applied: string[] = [];
  const skipped: string[] = [];
  try {
    await db.kysely.transaction().execute(async (trx) => {
      await lock(trx);
      // Checked first: pg-mem cannot re-run `create table if not exists` over an existing table.
      const exists = await sql<{ n: number | string }>`
        select count(*) as n from information_schema.tables
        where table_name = 'mms_migrations' and table_schema = current_schema()`.execute(trx);
      if (Number(exists.rows[0]?.n ?? 0) > 0) return;
      await sql`create table if not exists mms_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`.execute(trx);
    });
    for (const migration of migrations) {
      await db.kysely.transaction().execute(async (trx) => {
        await lock(trx);
        const done = await sql<{ checksum: string }>`
          select checksum from mms_migrations where name = ${migration.name}`.execute(trx);
        const sum = checksum(migration.sql);
        const existing = done.rows[0];
        if (existing) {
          if (existing.checksum !== sum) {
            throw new DatabaseError(
              `Migration ${migration.name} was changed after it was applied (checksum ${existing.checksum}, file ${sum}); add a new migration instead`,
            );
          }
          skipped.push(migration.name);
          return;
        }
        for (const statement of splitStatements(selectSections(migration.sql, db.capabilities))) {
          await sql.raw(statement).execute(trx);
        }
        await sql`insert into mms_migrations (name, checksum) values (${migration.name}, ${sum})`.execute(
          trx,
        );
        applied.push(migration.name);
      });
    }
  } catch (error) {
    throw translateDbError(error, 'applying migrations');
  }
  return { applied, skipped };
}
