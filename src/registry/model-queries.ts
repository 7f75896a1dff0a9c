import { sql } from 'kysely';
import { translateDbError } from '../db/pg-errors.js';
import { ValidationError } from '../errors.js';
import { decodeIdCursor, encodeIdCursor, type Page } from '../internal/cursor.js';
import { describe, isPlainObject, optionalString, requireNumber } from '../internal/validate.js';
import { type RegistryDb, toHistoryEntry, toModel } from './model-store.js';
import type { ListModelsQuery, Model, StatusHistoryEntry } from './types.js';
import { ID_RULES, requireStatus, requireUseCase, TAG_PATTERN } from './validation.js';

/** Page size of `listModels` when none is given. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page `listModels` returns. */
export const MAX_PAGE_SIZE = 500;

/** `listModels`: filters, newest first, keyset pagination. */
export async function listModels(
  db: RegistryDb,
  query: ListModelsQuery,
  providers: readonly string[],
): Promise<Page<Model>> {
  if (!isPlainObject(query)) {
    throw new ValidationError(`Expected the list query to be an object, got ${describe(query)}`);
  }
  const limit =
    query.limit === undefined
      ? DEFAULT_PAGE_SIZE
      : requireNumber(query.limit, 'limit', { min: 1, max: MAX_PAGE_SIZE, integer: true });
  const useCase = query.useCase === undefined ? undefined : requireUseCase(query.useCase);
  const status = query.status === undefined ? undefined : requireStatus(query.status);
  const provider = optionalString(query.provider, 'provider', { max: 64 });
  if (provider !== undefined && !providers.includes(provider)) {
    throw new ValidationError(
      `Unknown provider ${describe(provider)}; expected one of ${providers.join(', ')}`,
      {
        field: 'provider',
      },
    );
  }
  const modelName = optionalString(query.modelName, 'modelName', ID_RULES.modelName);
  const tag = optionalString(query.tag, 'tag', { max: 64, pattern: TAG_PATTERN, expected: 'a tag' });
  const after = query.cursor === undefined ? undefined : decodeIdCursor(query.cursor);

  let q = db.selectFrom('models').selectAll();
  if (useCase !== undefined) q = q.where('use_case', '=', useCase);
  if (status !== undefined) q = q.where('status', '=', status);
  if (provider !== undefined) q = q.where('provider', '=', provider);
  if (modelName !== undefined) q = q.where('model_name', '=', modelName);
  if (tag !== undefined) q = q.where(sql<boolean>`tags @> ${JSON.stringify([tag])}::jsonb`);
  if (after !== undefined) q = q.where('id', '<', after);
  try {
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(toModel);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeIdCursor(last.id) : null };
  } catch (error) {
    throw translateDbError(error, 'listing models');
  }
}

/** Every status transition of a model, oldest first. */
export async function selectHistory(db: RegistryDb, modelId: string): Promise<StatusHistoryEntry[]> {
  try {
    const rows = await db
      .selectFrom('model_status_history')
      .selectAll()
      .where('model_id', '=', modelId)
      .orderBy('changed_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(toHistoryEntry);
  } catch (error) {
    throw translateDbError(error, `reading the history of model ${modelId}`);
  }
}

/**
 * The id of the model that was current for `useCase` at `when`: the last transition into or out of
 * `current` at or before that instant decides (into → that model; out of → none).
 */
export async function currentModelIdAt(db: RegistryDb, useCase: string, when: Date): Promise<string | null> {
  try {
    const row = await db
      .selectFrom('model_status_history')
      .select(['model_id', 'to_status'])
      .where('use_case', '=', useCase)
      .where('changed_at', '<=', when)
      .where((eb) => eb.or([eb('to_status', '=', 'current'), eb('from_status', '=', 'current')]))
      .orderBy('changed_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.to_status === 'current' ? row.model_id : null;
  } catch (error) {
    throw translateDbError(error, `finding the model current at ${when.toISOString()}`);
  }
}
