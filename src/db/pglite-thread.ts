import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What the SDK uses of a PGlite instance (satisfied by `PGlite` itself and by {@link PGliteThread}). @internal */
export interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

type Request =
  | { op: 'query'; sql: string; params: unknown[] }
  | { op: 'exec'; sql: string }
  | { op: 'listen' | 'unlisten'; channel: string }
  | { op: 'close' };

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; fields: Record<string, unknown> } }
  | { notify: string; payload: string };

// The worker's whole program: one PGlite, requests answered in order (PGlite runs one at a time),
// errors sent as plain fields (a structured clone of an Error drops `code`, which the SDK maps).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.module);
const ready = PGlite.create(workerData.dataDir);
const unlisteners = new Map();
let chain = Promise.resolve();
parentPort.on('message', ({ id, op, sql, params, channel }) => {
  chain = chain.then(async () => {
    try {
      const db = await ready;
      let result;
      if (op === 'query') {
        const r = await db.query(sql, params);
        result = { rows: r.rows, affectedRows: r.affectedRows };
      } else if (op === 'exec') {
        await db.exec(sql);
      } else if (op === 'listen') {
        if (!unlisteners.has(channel)) {
          unlisteners.set(channel, await db.listen(channel, (payload) => parentPort.postMessage({ notify: channel, payload })));
        }
      } else if (op === 'unlisten') {
        await unlisteners.get(channel)?.();
        unlisteners.delete(channel);
      } else if (op === 'close') {
        await db.close();
      }
      parentPort.postMessage({ id, ok: true, result });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      const fields = {};
      for (const [k, v] of Object.entries(error)) if (['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
      parentPort.postMessage({ id, ok: false, error: { message: error.message, fields } });
    }
  });
});
`;

/**
 * The embedded PostgreSQL (PGlite) on a worker thread. PGlite runs PostgreSQL as WebAssembly on the
 * thread that calls it: in-thread, storing a batch of inference logs blocks the host's event loop for
 * milliseconds and costs ~100 µs of its CPU per row. Here every query runs on the worker; the host's
 * thread only posts the SQL and parameters. The worker does not keep the process alive while idle.
 * @internal
 */
export class PGliteThread implements PGliteLike {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, (payload: string) => void>();
  private nextId = 1;
  private closed: Promise<void> | undefined;
  private failure: Error | undefined;

  private constructor(dataDir: string | undefined) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: createRequire(import.meta.url).resolve('@electric-sql/pglite'), dataDir },
    });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => this.onReply(m));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) =>
      this.fail(new Error(`PGlite is closed (its worker thread exited with code ${code})`)),
    );
  }

  /** Starts the worker and waits until PGlite is ready (in memory, or persisted to `dataDir`). */
  static async create(dataDir?: string): Promise<PGliteThread> {
    const thread = new PGliteThread(dataDir);
    try {
      await thread.exec('select 1');
    } catch (error) {
      await thread.worker.terminate();
      throw error;
    }
    return thread;
  }

  query<R>(sql: string, params: unknown[] = []): Promise<{ rows: R[]; affectedRows?: number }> {
    return this.call({ op: 'query', sql, params }) as Promise<{ rows: R[]; affectedRows?: number }>;
  }

  async exec(sql: string): Promise<unknown> {
    return this.call({ op: 'exec', sql });
  }

  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    this.listeners.set(channel, callback);
    await this.call({ op: 'listen', channel });
    return async () => {
      this.listeners.delete(channel);
      if (!this.closed) await this.call({ op: 'unlisten', channel });
    };
  }

  /** Closes PGlite (a persisted `dataDir` is flushed) and ends the worker. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      try {
        if (!this.failure) await this.call({ op: 'close' });
      } finally {
        await this.worker.terminate();
      }
    })();
    return this.closed;
  }

  private call(request: Request): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed && request.op !== 'close') return Promise.reject(new Error('PGlite is closed'));
    const id = this.nextId++;
    // Keeps the process alive while an answer is awaited, as a socket to PostgreSQL would.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...request });
    });
  }

  private onReply(m: Reply): void {
    if ('notify' in m) {
      this.listeners.get(m.notify)?.(m.payload);
      return;
    }
    const waiter = this.pending.get(m.id);
    if (!waiter) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.ok) waiter.resolve(m.result);
    else waiter.reject(Object.assign(new Error(m.error.message), m.error.fields));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
  }
}
