import { sql } from 'kysely';
import { translateDbError } from '../db/pg-errors.js';
import { ValidationError } from '../errors.js';
import { describe, isPlainObject, optionalString, requireNumber, requireUuid } from '../internal/validate.js';
import { type RegistryDb, toModel } from './model-store.js';
import type { ListModelsQuery, ModelPage } from './types.js';
import { ID_RULES, requireStatus, requireUseCase, TAG_PATTERN } from './validation.js';

/** Page size of `listModels` when none is given. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page `listModels` returns. */
export const MAX_PAGE_SIZE = 500;

/** Encodes the keyset position after `id` (ids are UUIDv7, so id order is creation order). */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id }), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; `ValidationError` if it is not one. */
export function decodeCursor(cursor: unknown): string {
  const bad = () =>
    new ValidationError(
      `Expected \`cursor\` to be a \`nextCursor\` from a previous page, got ${describe(cursor)}`,
      { field: 'cursor' },
    );
  if (typeof cursor !== 'string' || cursor.length > 200) throw bad();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!isPlainObject(parsed)) throw bad();
    return requireUuid(parsed.id, 'cursor');
  } catch {
    throw bad();
  }
}

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
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);

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
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  } catch (error) {
    throw translateDbError(error, 'listing models');
  }
}
