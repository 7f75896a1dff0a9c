import { type Kysely, sql, type Transaction } from 'kysely';
import type { JsonObject, Model, ModelStatus, StatusHistoryEntry } from './types.js';

/** Row shapes of the registry's tables. */
export type RegistryTables = {
  models: {
    id: string;
    model_name: string;
    model_type: string;
    provider: string;
    use_case: string;
    version: string;
    status: ModelStatus;
    configuration: unknown;
    tags: unknown;
    metadata: unknown;
    created_at: Date;
    updated_at: Date;
  };
  model_status_history: {
    id: string;
    model_id: string;
    use_case: string;
    from_status: ModelStatus | null;
    to_status: ModelStatus;
    reason: string | null;
    actor: string;
    changed_at: Date;
  };
};

export type RegistryDb = Kysely<RegistryTables> | Transaction<RegistryTables>;
type ModelRow = RegistryTables['models'];
type HistoryRow = RegistryTables['model_status_history'];

/** jsonb arrives parsed from pg and PGlite, but as text from some drivers: accept both. */
function json<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') return JSON.parse(value) as T;
  return value as T;
}

function date(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

/** Maps a `models` row to a frozen {@link Model}. */
export function toModel(row: ModelRow): Model {
  return Object.freeze({
    id: row.id,
    modelName: row.model_name,
    modelType: row.model_type,
    provider: row.provider,
    useCase: row.use_case,
    version: row.version,
    status: row.status,
    configuration: Object.freeze(json<JsonObject>(row.configuration, {})),
    tags: Object.freeze(json<string[]>(row.tags, [])),
    metadata: Object.freeze(json<JsonObject>(row.metadata, {})),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  });
}

/** Maps a history row. */
export function toHistoryEntry(row: HistoryRow): StatusHistoryEntry {
  return Object.freeze({
    id: row.id,
    modelId: row.model_id,
    useCase: row.use_case,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    reason: row.reason,
    actor: row.actor,
    changedAt: date(row.changed_at),
  });
}

/** Reads one model. */
export async function selectModel(db: RegistryDb, id: string): Promise<Model | null> {
  const row = await db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toModel(row) : null;
}

/** Reads the model registered as (useCase, modelName, version). */
export async function selectByIdentity(
  db: RegistryDb,
  identity: { useCase: string; modelName: string; version: string },
): Promise<Model | null> {
  const row = await db
    .selectFrom('models')
    .selectAll()
    .where('use_case', '=', identity.useCase)
    .where('model_name', '=', identity.modelName)
    .where('version', '=', identity.version)
    .executeTakeFirst();
  return row ? toModel(row) : null;
}

/** Reads the current model of a use case. */
export async function selectCurrent(db: RegistryDb, useCase: string): Promise<Model | null> {
  const row = await db
    .selectFrom('models')
    .selectAll()
    .where('use_case', '=', useCase)
    .where('status', '=', 'current')
    .executeTakeFirst();
  return row ? toModel(row) : null;
}

/** Reads every model of one use case, or of all use cases. */
export async function selectModels(db: RegistryDb, useCase?: string): Promise<Model[]> {
  let q = db.selectFrom('models').selectAll();
  if (useCase !== undefined) q = q.where('use_case', '=', useCase);
  return (await q.execute()).map(toModel);
}

/** Inserts one status-history row. */
export async function insertHistory(
  db: RegistryDb,
  entry: Omit<HistoryRow, 'changed_at'> & { changed_at: Date },
): Promise<void> {
  await db.insertInto('model_status_history').values(entry).execute();
}

/** Sets a model's status and `updated_at`; returns how many rows changed. */
export async function setStatus(
  db: RegistryDb,
  id: string,
  from: ModelStatus,
  to: ModelStatus,
  at: Date,
): Promise<number> {
  const result = await db
    .updateTable('models')
    .set({ status: to, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Takes the per-use-case transaction lock on PostgreSQL (serialises promotions across processes). */
export async function lockUseCase(trx: Transaction<RegistryTables>, key: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${0x4d4d52}, ${key})`.execute(trx);
}
