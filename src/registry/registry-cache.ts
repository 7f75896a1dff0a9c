import type { Kysely } from 'kysely';
import type { Change } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import { translateDbError } from '../db/pg-errors.js';
import type { ModelManagementError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { type RegistryTables, selectCurrent, selectModel, selectModels } from './model-store.js';
import type { Model, RegistrySnapshot } from './types.js';

/** Topic of the change feed the registry publishes on; the key is the changed model's id. */
export const MODELS_TOPIC = 'models';

/** What the cache reports to its registry. */
export interface RegistryCacheListener {
  changed(useCase: string, version: number): void;
  unavailable(since: number, error: ModelManagementError): void;
  unavailableAlert(since: number, durationMs: number): void;
  recovered(downtimeMs: number): void;
}

/**
 * The registry's in-memory snapshot: loaded once, kept fresh by the change feed, confirmed by a cheap
 * version poll. While the database is unreachable it keeps serving the last snapshot.
 */
export class RegistryCache {
  private models = new Map<string, Model>();
  private current = new Map<string, Model>();
  private view: RegistrySnapshot | null = null;
  private version = 0;
  private topicVersion = -1;
  private refreshedAt = 0;
  private loading: Promise<void> | null = null;
  private unavailableSince: number | null = null;
  private alerted = false;
  private cancelPoll: (() => void) | null = null;
  private closed = false;
  private readonly kysely: Kysely<RegistryTables>;
  private readonly onChange = (c: Change) => {
    if (c.topic !== MODELS_TOPIC || !this.loaded) return;
    // Notifications in sequence keep the poll quiet; a gap means one was missed and the poll reloads.
    if (c.version === this.topicVersion + 1) this.topicVersion = c.version;
    // Our own write comes back through LISTEN too; it is applied from the commit, not re-read.
    if (this.own.delete(c.version)) return;
    void this.refreshModel(c.key).catch(() => {});
  };
  /** Versions this registry published itself (bounded: a rolled-back write never comes back). */
  private readonly own = new Set<number>();
  private readonly onReconnect = (info: { reconnect: boolean }) => {
    if (info.reconnect) void this.reloadAll().catch(() => {});
  };

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly pollIntervalMs: number,
    private readonly alertAfterMs: number,
    private readonly listener: RegistryCacheListener,
  ) {
    this.kysely = db.kysely.withTables<RegistryTables>();
    db.changes.on('change', this.onChange);
    db.changes.on('feed:connected', this.onReconnect);
    this.schedulePoll();
  }

  /** Resolves once the first full load is done (rejects with the DB error if it cannot be done). */
  ready(): Promise<void> {
    if (this.refreshedAt > 0) return Promise.resolve();
    this.loading ??= this.reloadAll().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** True once a snapshot exists. */
  get loaded(): boolean {
    return this.refreshedAt > 0;
  }

  /** The current model of `useCase` from memory. */
  currentOf(useCase: string): Model | null {
    return this.current.get(useCase) ?? null;
  }

  /** A model from memory. */
  modelOf(id: string): Model | undefined {
    return this.models.get(id);
  }

  /** Milliseconds since the snapshot was last confirmed, or null before the first load. */
  ageMs(): number | null {
    return this.refreshedAt ? this.clock.now() - this.refreshedAt : null;
  }

  /** True while the database is unreachable. */
  get unavailable(): boolean {
    return this.unavailableSince !== null;
  }

  /** An immutable snapshot (rebuilt only after a change). */
  snapshot(): RegistrySnapshot {
    this.view ??= Object.freeze({
      version: this.version,
      currentByUseCase: new Map(this.current),
      models: new Map(this.models),
      refreshedAt: this.refreshedAt,
    });
    return this.view;
  }

  /**
   * Re-reads one model (a change notification from any replica) together with the current model of its
   * use case, and applies both at once: a promotion changes two rows, and applying only the demoted one
   * would show the use case without a current model for a moment.
   */
  async refreshModel(id: string): Promise<void> {
    await this.readThenApply(async () => {
      const model = await this.guard(() => selectModel(this.kysely, id));
      if (!model) return null;
      const current = await this.guard(() => selectCurrent(this.kysely, model.useCase));
      return () => this.apply(current && current.id !== model.id ? [model, current] : [model]);
    });
  }

  /** Marks a change version as this registry's own write, so its notification is not re-read. */
  expectOwn(version: number): void {
    this.own.add(version);
    if (this.own.size > 1024) this.own.delete(this.own.values().next().value as number);
  }

  /** Applies models this process just wrote (no read needed: the commit returned them). */
  apply(models: readonly Model[]): void {
    if (!this.loaded || models.length === 0) return;
    for (const m of models) {
      if (this.current.get(m.useCase)?.id === m.id && m.status !== 'current') this.current.delete(m.useCase);
      this.put(m);
    }
    this.bump([...new Set(models.map((m) => m.useCase))]);
  }

  /** Re-reads everything (first load, missed notifications). */
  async reloadAll(): Promise<void> {
    await this.readThenApply(async () => {
      // Read the version first: a change after it is caught by the next poll.
      const versions = await this.guard(() => this.db.changes.versions());
      const models = await this.guard(() => selectModels(this.kysely));
      return () => {
        const before = new Set([...this.models.values()].map((m) => m.useCase));
        this.models = new Map();
        this.current = new Map();
        for (const m of models) this.put(m);
        this.topicVersion = versions.get(MODELS_TOPIC) ?? 0;
        this.bump([...new Set([...before, ...models.map((m) => m.useCase)])]);
      };
    });
  }

  /**
   * Runs a read and applies its result only if nothing was applied meanwhile: a read that started
   * before a newer write landed (our own, or another notification's) would otherwise overwrite it with
   * stale rows. Such a read is simply done again.
   */
  private async readThenApply(read: () => Promise<(() => void) | null>): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const seen = this.version;
      const commit = await read();
      if (this.version !== seen) continue;
      commit?.();
      return;
    }
    // Still racing after five reads: the next notification or poll settles it.
  }

  close(): void {
    this.closed = true;
    this.cancelPoll?.();
    this.db.changes.off('change', this.onChange);
    this.db.changes.off('feed:connected', this.onReconnect);
  }

  private put(m: Model): void {
    this.models.set(m.id, m);
    if (m.status === 'current') this.current.set(m.useCase, m);
  }

  private bump(useCases: string[]): void {
    this.version++;
    this.refreshedAt = this.clock.now();
    this.view = null;
    for (const useCase of useCases) this.listener.changed(useCase, this.version);
  }

  /** Runs a read, tracking availability: first failure → unavailable, long outage → alert, success → recovered. */
  private async guard<T>(read: () => Promise<T>): Promise<T> {
    try {
      const value = await read();
      if (this.unavailableSince !== null) {
        const downtime = this.clock.now() - this.unavailableSince;
        this.unavailableSince = null;
        this.alerted = false;
        this.listener.recovered(downtime);
      }
      return value;
    } catch (cause) {
      const error = translateDbError(cause, 'refreshing the model registry');
      if (error.retryable) {
        const now = this.clock.now();
        if (this.unavailableSince === null) {
          this.unavailableSince = now;
          this.listener.unavailable(now, error);
        }
        this.checkAlert();
      }
      throw error;
    }
  }

  private checkAlert(): void {
    if (this.unavailableSince === null || this.alerted) return;
    const duration = this.clock.now() - this.unavailableSince;
    if (duration >= this.alertAfterMs) {
      this.alerted = true;
      this.listener.unavailableAlert(this.unavailableSince, duration);
    }
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.cancelPoll = this.clock.setTimeout(() => {
      void this.poll().finally(() => this.schedulePoll());
    }, this.pollIntervalMs);
  }

  private async poll(): Promise<void> {
    try {
      if (!this.loaded) {
        await this.ready();
        return;
      }
      const versions = await this.guard(() => this.db.changes.versions());
      if ((versions.get(MODELS_TOPIC) ?? 0) !== this.topicVersion) await this.reloadAll();
    } catch {
      // Reported through guard(); the snapshot keeps serving. Retried on the next tick.
      this.checkAlert();
    }
  }
}
