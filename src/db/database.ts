import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import {
  describe,
  nonEmptyString,
  optionKeys,
  positiveInt,
  rejectUnknownKeys,
  requireObject,
} from '../internal/validate.js';
import { registerBulkCopier } from './bulk-copy.js';
import { ChangeFeed, type ChangeTransport, PgNotifyTransport } from './change-feed.js';
import { migrate } from './migrate.js';
import { translateDbError } from './pg-errors.js';
import { PGliteDialect } from './pglite-dialect.js';
import { type PGliteLike, PGliteThread } from './pglite-thread.js';

/** Which engine a {@link Database} runs on. */
export type DatabaseBackend = 'postgres' | 'pglite' | 'pg-mem';

/** What the backend can do; code branches on these instead of on the backend name. */
export interface DatabaseCapabilities {
  /** Changes reach other processes by LISTEN/NOTIFY (else only by polling). */
  readonly notify: boolean;
  /** Transactions roll back on error (false on pg-mem). */
  readonly transactions: boolean;
  /** `percentile_cont` and friends are available. */
  readonly percentiles: boolean;
  /** Window functions are available. */
  readonly windowFunctions: boolean;
  /** `pg_advisory_xact_lock` serialises work across processes. */
  readonly advisoryLocks: boolean;
  /** Several processes may share this database. */
  readonly multiProcess: boolean;
  /** Declarative table partitioning (`PARTITION BY RANGE`); pg-mem keeps plain tables. */
  readonly partitioning: boolean;
}

/**
 * Options of {@link createDatabase}: exactly one of `connectionString`, `pool`, `kysely`, `embedded`, `memory`.
 */
export interface DatabaseOptions {
  /** PostgreSQL connection string, e.g. `postgres://user@host:5432/db`. The SDK creates and owns the pool. */
  connectionString?: string;
  /** The host's existing `pg` Pool. The SDK uses it and never ends it. */
  pool?: pg.Pool;
  /** The host's Kysely instance on PostgreSQL. The SDK never destroys it; changes then travel by polling only. */
  kysely?: Kysely<object>;
  /**
   * PGlite, the embedded real PostgreSQL: in memory, or persisted to `dataDir`, on a worker thread
   * of its own (`workerThread: false` runs it on the calling thread); or an existing `pglite`
   * instance, which the SDK uses (on the thread it runs on) and never closes.
   */
  embedded?: {
    /** Directory that persists the database; in memory when unset. */
    dataDir?: string;
    /** An existing PGlite instance (not closed by the SDK); excludes `dataDir` and `workerThread`. */
    pglite?: PGlite;
    /**
     * Run PostgreSQL on a worker thread: its work (log batches, migrations, queries) never blocks the
     * host's event loop. `false` runs it on the calling thread (where worker threads are unavailable).
     * @default true
     */
    workerThread?: boolean;
  };
  /** pg-mem, the in-memory test double (no rollback; see the README). */
  memory?: true;
  /**
   * PostgreSQL schema for the SDK's tables (created if missing). Not available with `pool`/`kysely`
   * (set `search_path` on your own connections) nor with `memory`.
   * @default 'public'
   */
  schema?: string;
  /**
   * Apply pending migrations while opening.
   * @default true
   */
  migrate?: boolean;
  /**
   * Maximum connections of a pool the SDK creates.
   * @default 10
   */
  poolSize?: number;
  /** Clock for reconnect back-off timers. @default systemClock */
  clock?: Clock;
}

/** Events of a {@link Database}. */
export interface DatabaseEvents {
  /** An idle pooled connection failed (the pool replaces it); reported so it is never silent. */
  'db:error': (error: Error) => void;
}

/**
 * A handle on the one database every part of the SDK shares.
 * @example
 * ```ts
 * const db = await createDatabase({ connectionString: process.env.DATABASE_URL });
 * const registry = new ModelRegistry({ db });
 * await db.close();
 * ```
 */
export interface Database {
  /** Kysely over the backend; modules type it with `db.kysely.withTables<Tables>()`. */
  readonly kysely: Kysely<object>;
  /** The engine. */
  readonly backend: DatabaseBackend;
  /** What the engine can do. */
  readonly capabilities: DatabaseCapabilities;
  /** The schema holding the SDK's tables. */
  readonly schema: string;
  /** Committed changes from every replica. */
  readonly changes: ChangeFeed;
  /** Pool-level failures. */
  readonly events: TypedEmitter<DatabaseEvents>;
  /** Runs `fn` in a transaction (on pg-mem it runs, but cannot roll back). */
  transaction<T>(fn: (trx: Transaction<object>) => Promise<T>): Promise<T>;
  /** Closes what `createDatabase` created (pool, PGlite, listener); idempotent. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,39}$/;
const SOURCES = ['connectionString', 'pool', 'kysely', 'embedded', 'memory'] as const;
type EmbeddedOptions = NonNullable<DatabaseOptions['embedded']>;
const EMBEDDED_KEYS = optionKeys<EmbeddedOptions>({ dataDir: true, pglite: true, workerThread: true });
const OPTION_KEYS = optionKeys<DatabaseOptions>({
  connectionString: true,
  pool: true,
  kysely: true,
  embedded: true,
  memory: true,
  schema: true,
  migrate: true,
  poolSize: true,
  clock: true,
});

/**
 * Opens the shared database on one of three engines and (by default) applies the SDK's migrations.
 * @example
 * ```ts
 * const prod = await createDatabase({ connectionString: 'postgres://postgres@127.0.0.1:5432/game' });
 * const dev = await createDatabase({ embedded: { dataDir: './.mms-data' } });
 * const test = await createDatabase({ memory: true });
 * ```
 */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  requireObject(options, 'database options');
  rejectUnknownKeys(options, OPTION_KEYS, 'database options');
  const given = SOURCES.filter((k) => options[k] !== undefined);
  if (given.length === 0 && 'connectionString' in options) {
    throw new ValidationError(
      '`connectionString` is undefined (an unset environment variable?): pass a postgres:// URL, or `{ embedded: {} }` for the embedded PGlite database',
      { field: 'connectionString' },
    );
  }
  if (given.length !== 1) {
    throw new ValidationError(
      `Expected exactly one of ${SOURCES.map((s) => `\`${s}\``).join(', ')} in database options, got ${
        given.length === 0 ? 'none' : given.map((s) => `\`${s}\``).join(' and ')
      }`,
    );
  }
  const schema = options.schema ?? 'public';
  if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema)) {
    throw new ValidationError(
      `Expected \`schema\` to match ${SCHEMA_PATTERN} (lower-case letters, digits, _; at most 40), got ${describe(schema)}`,
      { field: 'schema' },
    );
  }
  if (schema !== 'public' && (options.pool || options.kysely || options.memory)) {
    throw new ValidationError(
      `\`schema\` works with \`connectionString\` and \`embedded\` only; with \`${given[0]}\` set search_path on your own connections`,
      { field: 'schema' },
    );
  }
  if (options.memory !== undefined && options.memory !== true) {
    throw new ValidationError(`Expected \`memory\` to be true, got ${describe(options.memory)}`, {
      field: 'memory',
    });
  }
  if (options.connectionString !== undefined) nonEmptyString(options.connectionString, 'connectionString');
  if (options.migrate !== undefined && typeof options.migrate !== 'boolean') {
    throw new ValidationError(`Expected \`migrate\` to be a boolean, got ${describe(options.migrate)}`, {
      field: 'migrate',
    });
  }
  const poolSize = positiveInt(options.poolSize ?? 10, 'poolSize');
  const clock = options.clock ?? systemClock;
  const handle = await open(options, schema, poolSize, clock);
  if (options.migrate !== false) {
    try {
      await migrate(handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  await handle.changes.start();
  return handle;
}

function channelFor(schema: string): string {
  return schema === 'public' ? 'mms_changes' : `mms_changes_${schema}`;
}

async function open(options: DatabaseOptions, schema: string, poolSize: number, clock: Clock) {
  if (options.memory !== undefined) return openMemory();
  if (options.embedded !== undefined) return openEmbedded(options.embedded, schema);
  if (options.kysely !== undefined) {
    if (!(options.kysely instanceof Kysely)) {
      throw new ValidationError('Expected `kysely` to be a Kysely instance', { field: 'kysely' });
    }
    return makeHandle({ kysely: options.kysely, backend: 'postgres', schema, transport: null, release: [] });
  }
  const events = new TypedEmitter<DatabaseEvents>();
  let pool: pg.Pool;
  const release: Array<() => Promise<void>> = [];
  let config: pg.ClientConfig;
  if (options.pool !== undefined) {
    if (!(options.pool instanceof pg.Pool) && typeof (options.pool as pg.Pool).connect !== 'function') {
      throw new ValidationError('Expected `pool` to be a pg Pool', { field: 'pool' });
    }
    pool = options.pool;
    config = (pool as unknown as { options: pg.ClientConfig }).options;
  } else {
    const connectionString = options.connectionString;
    if (typeof connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(connectionString)) {
      throw new ValidationError(
        `Expected \`connectionString\` to be a postgres:// URL, got ${typeof connectionString === 'string' ? 'a string of another form' : typeof connectionString}`,
        { field: 'connectionString' },
      );
    }
    config = { connectionString, ...(schema === 'public' ? {} : { options: `-c search_path=${schema}` }) };
    if (schema !== 'public') await createSchema(connectionString, schema);
    pool = new pg.Pool({ ...config, max: poolSize });
    // Idle clients fail on the pool; a checked-out client whose socket dies mid-query emits 'error' on
    // itself, which would crash the host process without a listener.
    pool.on('error', (error) => events.emitSafely('db:error', error));
    pool.on('connect', (client) => client.on('error', (error) => events.emitSafely('db:error', error)));
    release.push(() => pool.end());
  }
  const kysely = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
  const channel = channelFor(schema);
  const transport = new PgNotifyTransport(config, channel, clock);
  const handle = makeHandle({ kysely, backend: 'postgres', schema, transport, release, events });
  registerBulkCopier(handle, pool);
  return handle;
}

async function createSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    await client.query(`create schema if not exists "${schema}"`);
  } catch (error) {
    // Replicas starting together race on `if not exists`; the loser finds the schema made.
    if ((error as { code?: string }).code === '23505') return;
    throw translateDbError(error, `creating schema ${schema}`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function openEmbedded(embedded: EmbeddedOptions, schema: string) {
  if (typeof embedded !== 'object' || embedded === null) {
    throw new ValidationError('Expected `embedded` to be an object such as `{ dataDir: "./data" }`');
  }
  rejectUnknownKeys(embedded, EMBEDDED_KEYS, 'embedded database options');
  if (
    embedded.dataDir !== undefined &&
    (typeof embedded.dataDir !== 'string' || embedded.dataDir === '' || embedded.dataDir.includes('\0'))
  ) {
    throw new ValidationError(
      `Expected \`embedded.dataDir\` to be a non-empty path without NUL bytes, got ${describe(embedded.dataDir)}`,
      {
        field: 'embedded.dataDir',
      },
    );
  }
  if (embedded.dataDir !== undefined && embedded.pglite !== undefined) {
    throw new ValidationError('Give `embedded.dataDir` or `embedded.pglite`, not both', {
      field: 'embedded',
    });
  }
  if (embedded.workerThread !== undefined && typeof embedded.workerThread !== 'boolean') {
    throw new ValidationError(
      `Expected \`embedded.workerThread\` to be a boolean, got ${describe(embedded.workerThread)}`,
      { field: 'embedded.workerThread' },
    );
  }
  if (embedded.pglite !== undefined && embedded.workerThread !== undefined) {
    throw new ValidationError(
      'Give `embedded.pglite` or `embedded.workerThread`, not both: an existing PGlite runs on its own thread',
      { field: 'embedded' },
    );
  }
  const release: Array<() => Promise<void>> = [];
  let pglite: PGliteLike;
  if (embedded.pglite) {
    pglite = embedded.pglite;
  } else {
    const own: PGliteLike =
      embedded.workerThread === false
        ? await (await import('@electric-sql/pglite')).PGlite.create(embedded.dataDir)
        : await PGliteThread.create(embedded.dataDir);
    pglite = own;
    release.push(() => own.close());
  }
  // PGlite is one session: search_path set here holds for every query of this handle.
  await pglite.exec(
    schema === 'public'
      ? 'set search_path to public'
      : `create schema if not exists "${schema}"; set search_path to "${schema}"`,
  );
  const kysely = new Kysely<object>({ dialect: new PGliteDialect(pglite) });
  const channel = channelFor(schema);
  let unlisten: (() => Promise<void>) | null = null;
  const transport: ChangeTransport = {
    async start(deliver, onState) {
      unlisten = await pglite.listen(channel, deliver);
      onState('connected');
    },
    channel,
    async close() {
      await unlisten?.();
    },
  };
  return makeHandle({ kysely, backend: 'pglite', schema, transport, release });
}

async function openMemory() {
  let pgMem: typeof import('pg-mem');
  try {
    pgMem = await import('pg-mem');
  } catch (error) {
    throw new ValidationError(
      '`{ memory: true }` needs the optional peer dependency pg-mem (a test double): run `npm install --save-dev pg-mem`, or use `{ embedded: {} }` for an in-process PostgreSQL',
      { field: 'memory', cause: error },
    );
  }
  const { newDb } = pgMem;
  const mem = newDb();
  const { Pool } = mem.adapters.createPg();
  const kysely = new Kysely<object>({ dialect: new PostgresDialect({ pool: new Pool() }) });
  return makeHandle({ kysely, backend: 'pg-mem', schema: 'public', transport: null, release: [] });
}

function makeHandle(parts: {
  kysely: Kysely<object>;
  backend: DatabaseBackend;
  schema: string;
  transport: ChangeTransport | null;
  release: Array<() => Promise<void>>;
  events?: TypedEmitter<DatabaseEvents>;
}): Database {
  const real = parts.backend !== 'pg-mem';
  const capabilities: DatabaseCapabilities = Object.freeze({
    notify: parts.transport !== null,
    transactions: real,
    percentiles: real,
    windowFunctions: real,
    advisoryLocks: parts.backend === 'postgres',
    multiProcess: parts.backend === 'postgres',
    partitioning: real,
  });
  const changes = new ChangeFeed(parts.kysely, parts.transport);
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await changes.close();
      // Close only what we created, last created first.
      for (const release of [...parts.release].reverse()) await release();
    })();
    return closing;
  };
  return {
    kysely: parts.kysely,
    backend: parts.backend,
    capabilities,
    schema: parts.schema,
    changes,
    events: parts.events ?? new TypedEmitter<DatabaseEvents>(),
    transaction: (fn) => parts.kysely.transaction().execute(fn),
    close,
    [Symbol.asyncDispose]: close,
  };
}
