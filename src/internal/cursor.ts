import { ValidationError } from '../errors.js';
import { isUuid } from './ids.js';
import { describe } from './validate.js';

/**
 * Keyset cursors of every paged query in the SDK: the opaque form of the last id of a page (ids are
 * UUIDv7, so id order is creation order and `id < cursor` is the next page, newest first).
 */
export function encodeIdCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeIdCursor}; `ValidationError` naming `field` otherwise. */
export function decodeIdCursor(cursor: unknown, field = 'cursor'): string {
  const id =
    typeof cursor === 'string' && cursor.length <= 64
      ? Buffer.from(cursor, 'base64url').toString('utf8')
      : undefined;
  if (!isUuid(id)) {
    throw new ValidationError(
      `Expected \`${field}\` to be a \`nextCursor\` from a previous page, got ${describe(cursor)}`,
      {
        field,
      },
    );
  }
  return id.toLowerCase();
}

/**
 * One page of a list method, newest first. Pass `nextCursor` as `cursor` to get the next page; it is
 * `null` on the last page.
 */
export interface Page<T> {
  /** The records of this page. */
  readonly items: T[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}
