import { sql } from 'kysely';
import { translateDbError } from '../db/pg-errors.js';
import { ValidationError } from '../errors.js';
import { decodeIdCursor, encodeIdCursor } from '../internal/cursor.js';
import { describe, isPlainObject, optionalString, requireNumber } from '../internal/validate.js';
import { type RegistryDb, toModel } from './model-store.js';
import type { ListModelsQuery, ModelPage } from './types.js';
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
): Promise<ModelPage> {
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
