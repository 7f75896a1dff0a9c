import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CompiledQuery } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from './database.js';

/**
 * `COPY … FROM STDIN` for the parts that write in bulk (history), on PostgreSQL opened from a
 * connection string or a `pg` Pool: PostgreSQL's fastest way in, with no bind-parameter limit and no
 * array parsing. Not available on PGlite, pg-mem or a host's own Kysely (no pool to take a client from).
 * @internal
 */
export interface BulkCopier {
  /**
   * In one transaction on one pooled connection: `copy` (a `COPY … FROM STDIN` statement in text
   * format) fed with `data`, then each of `then`. Rolls back and rethrows on any failure.
   */
  copy(copy: string, data: string, then: readonly CompiledQuery[]): Promise<void>;
}

const copiers = new WeakMap<Database, BulkCopier>();

/** Makes COPY available on `db` through `pool` (called by `createDatabase`). @internal */
export function registerBulkCopier(db: Database, pool: pg.Pool): void {
  copiers.set(db, {
    async copy(copy, data, then) {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query('begin');
        await pipeline(Readable.from([data]), client.query(copyFrom(copy)));
        for (const q of then) await client.query(q.sql, q.parameters as unknown[]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch((e: unknown) => {
          broken = e; // the connection itself failed: do not hand it back to the pool
        });
        throw error;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  });
}

/** The COPY path of `db`, if it has one. @internal */
export function bulkCopier(db: Database): BulkCopier | undefined {
  return copiers.get(db);
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeChar = (c: string) => ESCAPES[c]!;

/** One field of COPY's text format: `\N` for null, backslash, tab and line breaks escaped. @internal */
export function copyField(value: string | number | boolean | null): string {
  if (value === null) return '\\N';
  if (typeof value !== 'string') return typeof value === 'boolean' ? (value ? 't' : 'f') : String(value);
  return SPECIAL.test(value) ? value.replace(SPECIALS, escapeChar) : value;
}
