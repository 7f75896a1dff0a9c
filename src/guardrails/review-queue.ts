/**
 * The review queue over `guardrail_violations`: keyset-paginated listing, resolution with a verdict,
 * false-positive counts per check and per-model violation counts for rollout analysis.
 * @module
 */

import { translateDbError } from '../db/pg-errors.js';
import { ConflictError, ModelManagementError, NotFoundError, ValidationError } from '../errors.js';
import { decodeIdCursor, encodeIdCursor, type Page } from '../internal/cursor.js';
import { isUuid } from '../internal/ids.js';
import { isSeverity } from '../severity.js';
import type { Severity } from './types.js';
import {
  fromRow,
  type ReviewStatus,
  type ReviewVerdict,
  type ViolationRecord,
  type ViolationStore,
} from './violation-store.js';

/** Filters of {@link ReviewQueue.list}. */
export interface ReviewListQuery {
  /** @default every status */
  readonly status?: ReviewStatus;
  readonly severity?: Severity;
  readonly useCase?: string;
  readonly modelId?: string;
  readonly checkId?: string;
  /** Inclusive lower bound on `createdAt`. */
  readonly from?: Date | number;
  /** Exclusive upper bound on `createdAt`. */
  readonly to?: Date | number;
  /** Page size, 1–500. @default 50 */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/**
 * One page of review items, newest first.
 * @deprecated Use `Page<ViolationRecord>`; this alias goes in the next release.
 */
export type ReviewPage = Page<ViolationRecord>;

/** Input of {@link ReviewQueue.resolve}. */
export interface ReviewResolution {
  readonly verdict: ReviewVerdict;
  readonly reviewer: string;
  readonly note?: string;
}

/** Violations per model and severity (rollout analysis input). */
export interface ViolationCount {
  readonly modelId: string | null;
  readonly severity: Severity;
  readonly count: number;
}

const STATUSES = new Set(['pending', 'resolved', 'not_required']);

/**
 * Review queue of stored violations (available when the monitor has a `db`).
 * @example
 * ```ts
 * const page = await guardrails.reviews.list({ status: 'pending', severity: 'critical', limit: 20 });
 * await guardrails.reviews.resolve(page.items[0].id, { verdict: 'false_positive', reviewer: 'ana' });
 * ```
 */
export class ReviewQueue {
  constructor(
    private readonly store: ViolationStore | undefined,
    private readonly onFalsePositive: (checkId: string) => void = () => {},
    private readonly ready: () => Promise<void> = async () => {},
  ) {}

  /** Lists stored violations, newest first, with keyset pagination. */
  async list(query: ReviewListQuery = {}): Promise<Page<ViolationRecord>> {
    const store = await this.storeReady();
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new ValidationError(`Expected \`limit\` to be an integer from 1 to 500, got ${String(limit)}`, {
        field: 'limit',
      });
    }
    if (query.status !== undefined && !STATUSES.has(query.status)) {
      throw new ValidationError(
        `Expected \`status\` to be pending/resolved/not_required, got ${JSON.stringify(query.status)}`,
        {
          field: 'status',
        },
      );
    }
    if (query.severity !== undefined && !isSeverity(query.severity)) {
      throw new ValidationError(
        `Expected \`severity\` to be low/medium/high/critical, got ${JSON.stringify(query.severity)}`,
        {
          field: 'severity',
        },
      );
    }
    const after = query.cursor === undefined ? undefined : decodeIdCursor(query.cursor);
    let q = store.k.selectFrom('guardrail_violations').selectAll();
    if (query.status !== undefined) q = q.where('review_status', '=', query.status);
    if (query.severity !== undefined) q = q.where('severity', '=', query.severity);
    if (query.useCase !== undefined) q = q.where('use_case', '=', query.useCase);
    if (query.modelId !== undefined) q = q.where('model_id', '=', query.modelId);
    if (query.checkId !== undefined) q = q.where('check_id', '=', query.checkId);
    if (query.from !== undefined) q = q.where('created_at', '>=', toDate(query.from, 'from'));
    if (query.to !== undefined) q = q.where('created_at', '<', toDate(query.to, 'to'));
    if (after !== undefined) q = q.where('id', '<', after);
    try {
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(fromRow);
      return { items, nextCursor: rows.length > limit ? encodeIdCursor(items[items.length - 1]!.id) : null };
    } catch (error) {
      throw translateDbError(error, 'listing guardrail violations');
    }
  }

  /** Records a reviewer's verdict. Throws `NotFoundError` for an unknown id, `ConflictError` if already resolved. */
  async resolve(id: string, resolution: ReviewResolution): Promise<ViolationRecord> {
    const store = await this.storeReady();
    if (typeof id !== 'string' || !isUuid(id)) {
      throw new ValidationError(`Expected \`id\` to be a violation id (UUID), got ${JSON.stringify(id)}`, {
        field: 'id',
      });
    }
    const { verdict, reviewer, note } = resolution ?? ({} as ReviewResolution);
    if (verdict !== 'confirmed' && verdict !== 'false_positive') {
      throw new ValidationError(
        `Expected \`verdict\` to be 'confirmed' or 'false_positive', got ${JSON.stringify(verdict)}`,
        {
          field: 'verdict',
        },
      );
    }
    if (typeof reviewer !== 'string' || reviewer.length === 0) {
      throw new ValidationError(
        `Expected \`reviewer\` to be a non-empty string, got ${JSON.stringify(reviewer)}`,
        { field: 'reviewer' },
      );
    }
    if (note !== undefined && typeof note !== 'string') {
      throw new ValidationError(`Expected \`note\` to be a string, got ${typeof note}`, { field: 'note' });
    }
    try {
      const res = await store.k
        .updateTable('guardrail_violations')
        .set({
          review_status: 'resolved',
          verdict,
          reviewer,
          review_note: note ?? null,
          reviewed_at: new Date(),
        })
        .where('id', '=', id)
        .where('verdict', 'is', null)
        .executeTakeFirst();
      const row = await store.k
        .selectFrom('guardrail_violations')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`No guardrail violation with id ${id}`);
      if (Number(res.numUpdatedRows) === 0) {
        throw new ConflictError(`Guardrail violation ${id} was already resolved as ${row.verdict}`);
      }
      if (verdict === 'false_positive') this.onFalsePositive(row.check_id);
      return fromRow(row);
    } catch (error) {
      if (error instanceof ModelManagementError) throw error;
      throw translateDbError(error, 'resolving a guardrail violation');
    }
  }

  /** Reviewed false positives per check id (which check needs tuning). */
  async falsePositives(): Promise<Record<string, number>> {
    return this.countBy('false_positive');
  }

  /** Confirmed violations per check id. */
  async confirmed(): Promise<Record<string, number>> {
    return this.countBy('confirmed');
  }

  /** Violations waiting for a reviewer, per severity (the review backlog an operator watches). */
  async pendingBySeverity(): Promise<Record<Severity, number>> {
    const store = await this.storeReady();
    try {
      const rows = await store.k
        .selectFrom('guardrail_violations')
        .select((eb) => ['severity', eb.fn.countAll().as('n')])
        .where('review_status', '=', 'pending')
        .groupBy('severity')
        .execute();
      const out: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
      for (const r of rows) if (isSeverity(r.severity)) out[r.severity as Severity] = Number(r.n);
      return out;
    } catch (error) {
      throw translateDbError(error, 'counting pending guardrail reviews');
    }
  }

  /** Stored violations per model and severity in `[from, to)`, for rollout analysis. */
  async countsByModel(
    range: { from?: Date | number; to?: Date | number; modelId?: string } = {},
  ): Promise<ViolationCount[]> {
    const store = await this.storeReady();
    let q = store.k
      .selectFrom('guardrail_violations')
      .select((eb) => ['model_id', 'severity', eb.fn.countAll().as('n')])
      .groupBy(['model_id', 'severity']);
    if (range.modelId !== undefined) q = q.where('model_id', '=', range.modelId);
    if (range.from !== undefined) q = q.where('created_at', '>=', toDate(range.from, 'from'));
    if (range.to !== undefined) q = q.where('created_at', '<', toDate(range.to, 'to'));
    try {
      const rows = await q.execute();
      return rows
        .map((r) => ({ modelId: r.model_id, severity: r.severity as Severity, count: Number(r.n) }))
        .sort(
          (a, b) => (a.modelId ?? '').localeCompare(b.modelId ?? '') || a.severity.localeCompare(b.severity),
        );
    } catch (error) {
      throw translateDbError(error, 'counting guardrail violations');
    }
  }

  private async countBy(verdict: ReviewVerdict): Promise<Record<string, number>> {
    const store = await this.storeReady();
    try {
      const rows = await store.k
        .selectFrom('guardrail_violations')
        .select((eb) => ['check_id', eb.fn.countAll().as('n')])
        .where('verdict', '=', verdict)
        .groupBy('check_id')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.check_id, Number(r.n)]));
    } catch (error) {
      throw translateDbError(error, 'counting reviewed guardrail violations');
    }
  }

  /** The store, once the first partition maintenance pass is over (it starts at first use). */
  private async storeReady(): Promise<ViolationStore> {
    const store = this.requireStore();
    await this.ready();
    return store;
  }

  private requireStore(): ViolationStore {
    if (!this.store) {
      throw new ValidationError('The review queue needs a database: create the GuardrailsMonitor with `db`', {
        field: 'db',
      });
    }
    return this.store;
  }
}

function toDate(v: Date | number, field: string): Date {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new ValidationError(`Expected \`${field}\` to be a Date or epoch ms, got ${String(v)}`, { field });
  return d;
}
