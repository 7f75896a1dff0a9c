import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import { TypedEmitter } from '../events.js';
import type { Clock } from '../internal/clock.js';
import { translateDbError } from './pg-errors.js';

/** One committed change: `topic` (e.g. `models`), the `key` that changed, and the topic's new version. */
export interface Change {
  readonly topic: string;
  readonly key: string;
  readonly version: number;
}

/** Events of a {@link ChangeFeed}. */
export interface ChangeFeedEvents {
  /** A change committed by this or any other replica. Delivered at most once per (topic, version) here. */
  change: (change: Change) => void;
  /** The LISTEN connection failed; it reconnects by itself. Consumers should re-read what they cache. */
  'feed:error': (error: Error) => void;
  /** The LISTEN connection is (re)established; changes may have been missed while it was down. */
  'feed:connected': (info: { readonly reconnect: boolean }) => void;
}

/** How notifications travel between replicas; `null` when the backend has none (pg-mem, a bare Kysely). */
export interface ChangeTransport {
  /** The LISTEN/NOTIFY channel. */
  readonly channel: string;
  /** Starts listening; calls `deliver` with each raw payload. */
  start(deliver: (payload: string) => void, onState: (state: 'connected' | Error) => void): Promise<void>;
  close(): Promise<void>;
}

const SEEN_LIMIT = 4096;

/**
 * The change feed behind every cache of the SDK. Writers call {@link ChangeFeed.publish} after their
 * commit; it bumps the topic's version row (the cheap poll target, see {@link ChangeFeed.versions}) and
 * notifies every replica (LISTEN/NOTIFY on PostgreSQL and PGlite, in-process on pg-mem).
 */
export class ChangeFeed extends TypedEmitter<ChangeFeedEvents> {
  private readonly seen = new Set<string>();

  /** @internal */
  constructor(
    private readonly kysely: Kysely<object>,
    private readonly transport: ChangeTransport | null,
  ) {
    super();
  }

  /** True when changes from other processes arrive by notification (otherwise only by polling). */
  get crossProcess(): boolean {
    return this.transport !== null;
  }

  /** @internal Starts the transport. */
  async start(): Promise<void> {
    await this.transport?.start(
      (payload) => this.receive(payload),
      (state) => {
        if (state === 'connected') this.emitSafely('feed:connected', { reconnect: this.connectedOnce });
        else this.emitSafely('feed:error', state);
        if (state === 'connected') this.connectedOnce = true;
      },
    );
  }
  private connectedOnce = false;

  /**
   * Records a change of `topic`/`key` and tells every replica. Called after a commit, or inside the
   * writer's transaction (`executor` = the transaction): then the version bump and the NOTIFY commit
   * with the write — one commit instead of two, and nothing is announced if the write rolls back.
   */
  async publish(topic: string, key: string, executor: Kysely<object> = this.kysely): Promise<Change> {
    const inTransaction = executor !== this.kysely;
    let version: number;
    try {
      // One statement: the version bump and, where there is a channel, the NOTIFY (sent at commit).
      const row = this.transport
        ? await sql<{ version: number | string }>`
            with bumped as (
              insert into mms_change_versions (topic, version) values (${topic}, 1)
              on conflict (topic) do update set version = mms_change_versions.version + 1
              returning version)
            select version, pg_notify(${this.transport.channel}, json_build_object(
              'topic', ${topic}::text, 'key', ${key}::text, 'version', version)::text)
            from bumped`.execute(executor)
        : await sql<{ version: number | string }>`
            insert into mms_change_versions (topic, version) values (${topic}, 1)
            on conflict (topic) do update set version = mms_change_versions.version + 1
            returning version`.execute(executor);
      version = Number(row.rows[0]?.version ?? 0);
    } catch (error) {
      throw translateDbError(error, `publishing a change of ${topic}`);
    }
    const change: Change = { topic, key, version };
    // Our own LISTEN hears the NOTIFY too; deliver at once only what is already committed.
    if (!this.transport || !inTransaction) this.deliver(change);
    return change;
  }

  /** Current version of every topic: the safety-net poll compares these with what a cache has. */
  async versions(): Promise<Map<string, number>> {
    try {
      const result = await sql<{
        topic: string;
        version: number | string;
      }>`select topic, version from mms_change_versions`.execute(this.kysely);
      return new Map(result.rows.map((r) => [r.topic, Number(r.version)]));
    } catch (error) {
      throw translateDbError(error, 'reading change versions');
    }
  }

  /** @internal */
  async close(): Promise<void> {
    await this.transport?.close();
    this.removeAllListeners();
  }

  private receive(payload: string): void {
    try {
      const parsed = JSON.parse(payload) as Partial<Change>;
      if (typeof parsed.topic !== 'string' || typeof parsed.key !== 'string') return;
      this.deliver({ topic: parsed.topic, key: parsed.key, version: Number(parsed.version) });
    } catch {
      this.emitSafely(
        'feed:error',
        new Error(`Ignored a malformed change notification: ${payload.slice(0, 100)}`),
      );
    }
  }

  private deliver(change: Change): void {
    const id = `${change.topic}\u0000${change.version}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.emitSafely('change', change);
  }
}

/**
 * LISTEN/NOTIFY over a dedicated `pg` client (a pooled client cannot hold LISTEN), reconnecting with
 * capped exponential backoff.
 */
export class PgNotifyTransport implements ChangeTransport {
  private client: pg.Client | null = null;
  private closed = false;
  private cancelRetry: (() => void) | null = null;
  private attempt = 0;

  constructor(
    private readonly config: pg.ClientConfig,
    readonly channel: string,
    private readonly clock: Clock,
  ) {}

  async start(
    deliver: (payload: string) => void,
    onState: (state: 'connected' | Error) => void,
  ): Promise<void> {
    const connect = async (): Promise<void> => {
      if (this.closed) return;
      const client = new pg.Client(this.config);
      const fail = (error: Error) => {
        if (this.client !== client) return;
        this.client = null;
        client.removeAllListeners('notification');
        client.end().catch(() => {});
        if (this.closed) return;
        onState(error);
        const delay = Math.min(5000, 100 * 2 ** this.attempt++);
        this.cancelRetry = this.clock.setTimeout(() => void connect(), delay);
      };
      this.client = client;
      client.on('error', fail);
      client.on('end', () => fail(new Error('change feed connection ended')));
      client.on('notification', (msg) => {
        if (msg.channel === this.channel && msg.payload !== undefined) deliver(msg.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN "${this.channel}"`);
        this.attempt = 0;
        onState('connected');
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    };
    await connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelRetry?.();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
