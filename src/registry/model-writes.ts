import type { Database } from '../db/database.js';
import { translateDbError } from '../db/pg-errors.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { hash32 } from '../internal/hashing.js';
import { uuidv7 } from '../internal/ids.js';
import { assertTransition } from './lifecycle.js';
import {
  insertHistory,
  lockUseCase,
  type RegistryDb,
  type RegistryTables,
  selectByIdentity,
  selectCurrent,
  selectModel,
  setStatus,
  toModel,
} from './model-store.js';
import type { RegistryCache } from './registry-cache.js';
import { MODELS_TOPIC } from './registry-cache.js';
import type { StatusChangedEvent } from './registry-options.js';
import type { Model, ModelStatus } from './types.js';
import type { ValidRegistration } from './validation.js';

/** What a registry write needs: the database, and the cache told which notifications are its own. */
export interface WriteContext {
  readonly db: Database;
  readonly cache: RegistryCache;
}

type Identity = { useCase: string; modelName: string; version: string };

function duplicate(identity: Identity, id: string): ConflictError {
  return new ConflictError(
    `Model ${identity.modelName} version ${identity.version} is already registered for use case '${identity.useCase}' (id ${id}); register a new version instead`,
    { details: { modelId: id } },
  );
}

async function publishOwn(ctx: WriteContext, trx: Parameters<Database['changes']['publish']>[2], id: string) {
  // Inside the transaction: the NOTIFY goes out at commit, and our own copy of it is not re-read.
  ctx.cache.expectOwn((await ctx.db.changes.publish(MODELS_TOPIC, id, trx)).version);
}

/** Inserts a new `candidate` with its first history row, in one transaction. */
export async function insertRegistration(
  ctx: WriteContext,
  valid: ValidRegistration,
  actor: string,
  now: Date,
): Promise<Model> {
  const id = uuidv7(now.getTime());
  try {
    return await ctx.db.transaction(async (t) => {
      const trx = t.withTables<RegistryTables>();
      // Checked first rather than ON CONFLICT DO NOTHING: pg-mem returns the row it did not insert.
      const existing = await selectByIdentity(trx, valid);
      if (existing) throw duplicate(valid, existing.id);
      const row = await trx
        .insertInto('models')
        .values({
          id,
          model_name: valid.modelName,
          model_type: valid.modelType,
          provider: valid.provider,
          use_case: valid.useCase,
          version: valid.version,
          status: 'candidate',
          configuration: valid.configurationJson,
          tags: JSON.stringify(valid.tags),
          metadata: valid.metadataJson,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await insertHistory(trx, {
        id: uuidv7(now.getTime()),
        model_id: id,
        use_case: valid.useCase,
        from_status: null,
        to_status: 'candidate',
        reason: 'registered',
        actor,
        changed_at: now,
      });
      await publishOwn(ctx, t, id);
      return toModel(row);
    });
  } catch (error) {
    const mapped = translateDbError(error, `registering ${valid.modelName} ${valid.version}`);
    if (mapped instanceof ConflictError && !mapped.details.modelId) {
      // Another process inserted the same identity between our check and our insert.
      const winner = await selectByIdentity(ctx.db.kysely.withTables<RegistryTables>(), valid).catch(
        () => null,
      );
      if (winner) throw duplicate(valid, winner.id);
    }
    throw mapped;
  }
}

/**
 * Moves `target` to `to` in one transaction (serialised per use case by an advisory lock on
 * PostgreSQL); making it `current` first demotes the previous current model to `standby`. Returns the
 * committed transitions, none when the model already had that status.
 */
export async function applyTransition(
  ctx: WriteContext,
  target: Model,
  to: ModelStatus,
  how: { reason: string | null; actor: string; at: () => Date },
): Promise<StatusChangedEvent[]> {
  const { db } = ctx;
  try {
    return await db.transaction(async (t) => {
      const trx = t.withTables<RegistryTables>();
      if (db.capabilities.advisoryLocks) await lockUseCase(trx, hash32(target.useCase) | 0);
      const fresh = await selectModel(trx, target.id);
      if (!fresh)
        throw new NotFoundError(`No model with id ${target.id}`, { details: { modelId: target.id } });
      if (fresh.status === to) return [];
      assertTransition(target.id, fresh.status, to);
      const at = how.at();
      const done: StatusChangedEvent[] = [];
      const move = async (m: Model, next: ModelStatus, reason: string | null) => {
        await moveOne(trx, m, next, reason, how.actor, at);
        const model = Object.freeze({ ...m, status: next, updatedAt: at });
        done.push({ model, from: m.status, to: next, reason, actor: how.actor, at });
      };
      if (to === 'current') {
        const previous = await selectCurrent(trx, fresh.useCase);
        if (previous && previous.id !== fresh.id) {
          await move(previous, 'standby', `replaced by ${fresh.modelName} ${fresh.version}`);
        }
      }
      await move(fresh, to, how.reason);
      for (const change of done) await publishOwn(ctx, t, change.model.id);
      return done;
    });
  } catch (error) {
    const mapped = translateDbError(error, `setting model ${target.id} to '${to}'`);
    if (mapped instanceof ConflictError && mapped.details.sqlstate === '23505') {
      throw new ConflictError(
        `Another model of use case '${target.useCase}' became current concurrently; read the current model and retry`,
        { cause: error, retryable: true },
      );
    }
    throw mapped;
  }
}

async function moveOne(
  trx: RegistryDb,
  m: Model,
  next: ModelStatus,
  reason: string | null,
  actor: string,
  at: Date,
): Promise<void> {
  if ((await setStatus(trx, m.id, m.status, next, at)) !== 1) {
    throw new ConflictError(`Model ${m.id} changed status concurrently; read it again and retry`, {
      retryable: true,
    });
  }
  await insertHistory(trx, {
    id: uuidv7(at.getTime()),
    model_id: m.id,
    use_case: m.useCase,
    from_status: m.status,
    to_status: next,
    reason,
    actor,
    changed_at: at,
  });
}
