import { performance } from 'node:perf_hooks';
import { type Database, resolveDatabase } from '../db/index.js';
import { translateDbError } from '../db/pg-errors.js';
import { ClosedError, NotFoundError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import type { Page } from '../internal/cursor.js';
import { Histogram } from '../internal/histogram.js';
import { KeyedMutex } from '../internal/keyed-mutex.js';
import {
  optionalString,
  requireDate,
  requireNumber,
  requireObject,
  requireString,
  requireUuid,
} from '../internal/validate.js';
import { logEvents, resolveLogger } from '../logger.js';
import { currentModelIdAt, listModels, selectHistory } from './model-queries.js';
import { type RegistryTables, selectByIdentity, selectModel, toModel } from './model-store.js';
import { applyTransition, insertRegistration } from './model-writes.js';
import { MODELS_TOPIC, RegistryCache } from './registry-cache.js';
import {
  DEFAULT_REGISTRY_OPTIONS,
  type ModelRegistryEvents,
  type ModelRegistryOptions,
  type RegistryMetrics,
} from './registry-options.js';
import type {
  JsonObject,
  ListModelsQuery,
  Model,
  ModelStatus,
  RegisterModelInput,
  RegistrySnapshot,
  StatusChangeOptions,
  StatusHistoryEntry,
} from './types.js';
import {
  DEFAULT_PROVIDERS,
  ID_RULES,
  refuseSecretText,
  requireStatus,
  requireUseCase,
  validateMetadata,
  validateRegistration,
  validateTags,
} from './validation.js';

/**
 * Versioned models per use case with lifecycle status, audit history and a cached lookup.
 * @example
 * ```ts
 * const registry = new ModelRegistry({ db });
 * const model = await registry.registerModel({ modelName: 'foundation-model-v1', modelType: 'self_hosted',
 *   provider: 'ollama', useCase: 'foundation_layer', version: '1.0',
 *   configuration: { endpoint: 'http://localhost:11434' } });
 * await registry.updateModelStatus(model.id, 'current');
 * const current = await registry.getCurrentModel('foundation_layer');
 * ```
 */
export class ModelRegistry extends TypedEmitter<ModelRegistryEvents> {
  private readonly clock: Clock;
  private readonly providers: readonly string[];
  private readonly actor: string;
  private readonly mutex = new KeyedMutex();
  private readonly lookupLatency = new Histogram();
  private readonly counters = { lookups: 0, registrationsOk: 0, registrationsFailed: 0, statusChanges: 0 };
  private readonly opened: Promise<{ db: Database; cache: RegistryCache }>;
  private cache: RegistryCache | null = null;
  private closed = false;

  constructor(options: ModelRegistryOptions = {}) {
    super();
    logEvents(this, resolveLogger(options?.logger), {
      'registry:unavailable': [
        'warn',
        'model registry unreachable',
        (e: { since: Date; error: Error }) => ({ since: e.since, err: e.error }),
      ],
      'registry:unavailable_alert': [
        'error',
        'model registry unreachable past the alert threshold',
        (e: object) => e,
      ],
      'registry:recovered': ['info', 'model registry reachable again', (e: object) => e],
    });
    this.clock = options.clock ?? systemClock;
    const pollIntervalMs = positive(
      options.pollIntervalMs,
      'pollIntervalMs',
      DEFAULT_REGISTRY_OPTIONS.pollIntervalMs,
    );
    const alertMs = positive(
      options.unavailableAlertMs,
      'unavailableAlertMs',
      DEFAULT_REGISTRY_OPTIONS.unavailableAlertMs,
    );
    this.providers = [...(options.providers ?? DEFAULT_PROVIDERS), ...(options.extraProviders ?? [])];
    this.actor = requireString(options.actor ?? DEFAULT_REGISTRY_OPTIONS.actor, 'actor', ID_RULES.actor);
    this.opened = resolveDatabase(options.db).then((db) => {
      const cache = new RegistryCache(db, this.clock, pollIntervalMs, alertMs, {
        changed: (useCase, version) => this.emitSafely('registry:changed', { useCase, version }),
        unavailable: (since, error) =>
          this.emitSafely('registry:unavailable', { since: new Date(since), error }),
        unavailableAlert: (since, durationMs) =>
          this.emitSafely('registry:unavailable_alert', { since: new Date(since), durationMs }),
        recovered: (downtimeMs) => this.emitSafely('registry:recovered', { downtimeMs }),
      });
      if (this.closed) cache.close();
      this.cache = cache;
      return { db, cache };
    });
    this.opened.catch(() => {}); // surfaced by the first call that needs the database
  }

  /** Resolves when the snapshot is loaded (lookups are then served from memory). */
  async ready(): Promise<void> {
    const { cache } = await this.open();
    await cache.ready();
  }

  /** Registers a new model version as `candidate`. `ConflictError` if (useCase, modelName, version) exists. */
  async registerModel(input: RegisterModelInput): Promise<Model> {
    try {
      const valid = validateRegistration(input, this.providers);
      const { db, cache } = await this.open();
      const actor = valid.actor ?? this.actor;
      const model = await this.mutex.run(valid.useCase, () =>
        insertRegistration({ db, cache }, valid, actor, new Date(this.clock.now())),
      );
      cache.apply([model]);
      this.counters.registrationsOk++;
      this.emitSafely('registry:model_registered', { model, actor });
      return model;
    } catch (error) {
      this.counters.registrationsFailed++;
      throw error;
    }
  }

  /**
   * Moves a model through its lifecycle. Making a model `current` demotes the previous current model
   * of its use case to `standby` in the same transaction; the database guarantees one current model per
   * use case even under concurrent calls from many processes. Setting the status it already has is a no-op.
   */
  async updateModelStatus(
    id: string,
    status: ModelStatus,
    options: StatusChangeOptions = {},
  ): Promise<Model> {
    const modelId = requireUuid(id, 'id');
    const to = requireStatus(status);
    requireObject(options, 'options ({ reason?, actor? })');
    const reason = optionalString(options.reason, 'reason', ID_RULES.reason) ?? null;
    const actor = optionalString(options.actor, 'actor', ID_RULES.actor) ?? this.actor;
    // Reasons and actors are stored and emitted: a key pasted into one is refused, never echoed.
    if (reason !== null) refuseSecretText(reason, 'reason');
    refuseSecretText(actor, 'actor');
    const { db, cache } = await this.open();
    const target = await this.getModel(modelId);
    const changes = await this.mutex.run(target.useCase, () =>
      applyTransition({ db, cache }, target, to, { reason, actor, at: () => new Date(this.clock.now()) }),
    );
    if (changes.length === 0) return target.status === to ? target : await this.getModel(modelId);
    // Committed with its change notifications; our own view follows at once (read-your-writes).
    cache.apply(changes.map((c) => c.model));
    this.counters.statusChanges += changes.length;
    for (const change of changes) this.emitSafely('registry:status_changed', change);
    return changes[changes.length - 1]!.model;
  }

  /**
   * The current model of a use case, or `null`. Served from the in-memory snapshot (the hot path: no
   * database I/O once loaded); keeps answering from the last snapshot while the database is unreachable.
   */
  async getCurrentModel(useCase: string): Promise<Model | null> {
    const start = performance.now();
    const cache = this.cache?.loaded ? this.cache : await this.loadedCache();
    const hit = cache.currentOf(useCase);
    // A hit proves the name valid; only a miss pays for validation.
    if (!hit) requireUseCase(useCase);
    this.counters.lookups++;
    this.lookupLatency.record(performance.now() - start);
    return hit;
  }

  /** Synchronous in-memory view for the traffic router. Empty until {@link ModelRegistry.ready} resolves. */
  snapshot(): RegistrySnapshot {
    return (
      this.cache?.snapshot() ??
      Object.freeze({ version: 0, currentByUseCase: new Map(), models: new Map(), refreshedAt: 0 })
    );
  }

  /** One model by id (from the database). `NotFoundError` when absent. */
  async getModel(id: string): Promise<Model> {
    const modelId = requireUuid(id, 'id');
    const { db } = await this.open();
    const model = await selectModel(db.kysely.withTables<RegistryTables>(), modelId).catch((e: unknown) => {
      throw translateDbError(e, `reading model ${modelId}`);
    });
    if (!model) throw new NotFoundError(`No model with id ${modelId}`, { details: { modelId } });
    return model;
  }

  /** The model registered as (useCase, modelName, version), or `null`. */
  async findModel(query: { useCase: string; modelName: string; version: string }): Promise<Model | null> {
    const useCase = requireUseCase(query?.useCase);
    const modelName = requireString(query.modelName, 'modelName', ID_RULES.modelName);
    const version = requireString(query.version, 'version', ID_RULES.version);
    const { db } = await this.open();
    return selectByIdentity(db.kysely.withTables<RegistryTables>(), { useCase, modelName, version }).catch(
      (error: unknown) => {
        throw translateDbError(error, 'finding a model');
      },
    );
  }

  /** Models matching the filters, newest first, with keyset pagination. */
  async listModels(query: ListModelsQuery = {}): Promise<Page<Model>> {
    const { db } = await this.open();
    return listModels(db.kysely.withTables<RegistryTables>(), query, this.providers);
  }

  /** Replaces a model's tags. */
  async setTags(id: string, tags: string[]): Promise<Model> {
    const valid = validateTags(tags);
    return this.updateColumns(id, { tags: JSON.stringify(valid) }, 'setting tags');
  }

  /** Replaces a model's metadata (plain JSON ≤ 64 KB). */
  async setMetadata(id: string, metadata: JsonObject): Promise<Model> {
    const json = validateMetadata(metadata);
    return this.updateColumns(id, { metadata: json }, 'setting metadata');
  }

  /** Every status transition of a model, oldest first. */
  async getStatusHistory(modelId: string): Promise<StatusHistoryEntry[]> {
    const id = requireUuid(modelId, 'modelId');
    const { db } = await this.open();
    return selectHistory(db.kysely.withTables<RegistryTables>(), id);
  }

  /**
   * The model that was current for `useCase` at instant `at` ("what answered this player yesterday at
   * 21:14?"), or `null` if none was. The model is returned as it is now (its status may have moved on).
   */
  async getModelAt(useCase: string, at: Date): Promise<Model | null> {
    const uc = requireUseCase(useCase);
    const when = requireDate(at, 'at');
    const { db } = await this.open();
    const id = await currentModelIdAt(db.kysely.withTables<RegistryTables>(), uc, when);
    return id ? this.getModel(id) : null;
  }

  /** Lookup latency, registrations, status changes, snapshot age. */
  metrics(): RegistryMetrics {
    return {
      lookups: this.counters.lookups,
      lookupLatencyMs: this.lookupLatency.summary(),
      registrations: { ok: this.counters.registrationsOk, failed: this.counters.registrationsFailed },
      statusChanges: this.counters.statusChanges,
      snapshotVersion: this.cache?.snapshot().version ?? 0,
      snapshotAgeMs: this.cache?.ageMs() ?? null,
      unavailable: this.cache?.unavailable ?? false,
    };
  }

  /** Stops polling and listening; idempotent. Does not close the database it was given. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache?.close();
    this.removeAllListeners();
  }

  /** Same as {@link ModelRegistry.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async open(): Promise<{ db: Database; cache: RegistryCache }> {
    if (this.closed) throw new ClosedError('The ModelRegistry is closed');
    return this.opened;
  }

  private async loadedCache(): Promise<RegistryCache> {
    const { cache } = await this.open();
    await cache.ready();
    return cache;
  }

  private async updateColumns(
    id: string,
    set: { tags?: string; metadata?: string },
    what: string,
  ): Promise<Model> {
    const modelId = requireUuid(id, 'id');
    const { db, cache } = await this.open();
    const at = new Date(this.clock.now());
    let row: RegistryTables['models'] | undefined;
    try {
      row = await db.transaction(async (t) => {
        const updated = await t
          .withTables<RegistryTables>()
          .updateTable('models')
          .set({ ...set, updated_at: at })
          .where('id', '=', modelId)
          .returningAll()
          .executeTakeFirst();
        if (updated) cache.expectOwn((await db.changes.publish(MODELS_TOPIC, modelId, t)).version);
        return updated;
      });
    } catch (error) {
      throw translateDbError(error, `${what} of model ${modelId}`);
    }
    if (!row) throw new NotFoundError(`No model with id ${modelId}`, { details: { modelId } });
    const model = toModel(row);
    cache.apply([model]);
    return model;
  }
}

function positive(value: number | undefined, field: string, fallback: number): number {
  return value === undefined
    ? fallback
    : requireNumber(value, field, { min: 1, expected: 'a positive number of ms' });
}
