/**
 * Persistence of guardrail violations and the review queue (table `guardrail_violations`).
 * Writes go through the generic {@link BatchWriter}, so `check()` never waits on the database. The
 * table is partitioned by `created_at` on PostgreSQL and PGlite (migration 0010); its partitions are
 * kept by the generic time-partition maintenance, with this store's own lease.
 * @module
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/index.js';
import { translateDbError } from '../db/pg-errors.js';
import { BatchWriter } from '../internal/batch-writer.js';
import type { Clock } from '../internal/clock.js';
import { uuidv7 } from '../internal/ids.js';
import { storableJson, stripNul } from '../internal/storable-text.js';
import {
  type MaintenanceReport,
  maintainPartitions,
  type PartitionFamily,
  type PartitionSettings,
} from '../internal/time-partitions.js';
import type { CheckInput, GuardrailAction, GuardrailStage, Severity, Violation } from './types.js';

/** A stored violation. */
export interface ViolationRecord {
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly checkId: string;
  readonly category: string;
  readonly severity: Severity;
  readonly action: GuardrailAction;
  readonly stage: GuardrailStage;
  readonly useCase: string | null;
  readonly modelId: string | null;
  readonly logId: string | null;
  /** Redacted excerpt (PII and secrets replaced by placeholders). */
  readonly excerpt: string;
  readonly message: string;
  readonly score: number;
  readonly spanStart: number | null;
  readonly spanEnd: number | null;
  readonly context: Readonly<Record<string, unknown>> | null;
  /** `pending` needs a reviewer; `not_required` is stored for statistics only. */
  readonly reviewStatus: ReviewStatus;
  readonly verdict: ReviewVerdict | null;
  readonly reviewer: string | null;
  readonly reviewNote: string | null;
  readonly reviewedAt: number | null;
}

/** Review state of a stored violation. */
export type ReviewStatus = 'pending' | 'resolved' | 'not_required';

/** A reviewer's verdict. */
export type ReviewVerdict = 'confirmed' | 'false_positive';

/** Where the monitor sends violation records; the history module's `BatchWriter` fits. */
export interface ViolationSink {
  /** Accepts a record without waiting; returns `false` if it had to be dropped. */
  add(record: ViolationRecord): boolean | undefined;
}

/** @internal */
export function violationRecord(
  v: Violation,
  input: CheckInput,
  now: number,
  review: boolean,
): ViolationRecord {
  const { rating, locale, npcId, questProgress } = input.context ?? {};
  const context = { rating, locale, npcId, questProgress };
  return {
    id: uuidv7(),
    createdAt: now,
    checkId: v.checkId,
    category: v.category,
    severity: v.severity,
    action: v.action,
    stage: input.stage,
    useCase: input.useCase ?? null,
    modelId: input.modelId ?? null,
    logId: input.logId ?? null,
    excerpt: v.excerpt,
    message: v.message,
    score: v.score,
    spanStart: v.span?.start ?? null,
    spanEnd: v.span?.end ?? null,
    context: input.context ? JSON.parse(JSON.stringify(context)) : null,
    reviewStatus: review ? 'pending' : 'not_required',
    verdict: null,
    reviewer: null,
    reviewNote: null,
    reviewedAt: null,
  };
}

/** @internal */
export interface ViolationsTable {
  id: string;
  created_at: Date | string;
  check_id: string;
  category: string;
  severity: string;
  action: string;
  stage: string;
  use_case: string | null;
  model_id: string | null;
  log_id: string | null;
  excerpt: string;
  message: string;
  score: number;
  span_start: number | null;
  span_end: number | null;
  context: unknown;
  review_status: string;
  verdict: string | null;
  reviewer: string | null;
  review_note: string | null;
  reviewed_at: Date | string | null;
}

/** @internal */
export type Tables = { guardrail_violations: ViolationsTable };

/** Advisory-lock namespace of the violations' maintenance lease ("MMSV"), apart from the history's. */
const LEASE_NAMESPACE = 0x4d4d5356;

/** Data access for `guardrail_violations`. @internal */
export class ViolationStore {
  readonly k: Kysely<Tables>;
  private readonly family: PartitionFamily;
  constructor(readonly db: Database) {
    this.k = db.kysely.withTables<Tables>();
    this.family = {
      tables: [{ parent: 'guardrail_violations', column: 'created_at' }],
      leaseNamespace: LEASE_NAMESPACE,
      deleteUnpartitioned: (cutoff) => this.deleteBefore(cutoff),
    };
  }

  /**
   * One partition maintenance pass: partitions ahead, rows moved out of the default partition,
   * retention by dropping whole partitions (pg-mem: deleting rows).
   */
  maintain(settings: PartitionSettings, now: number): Promise<MaintenanceReport> {
    return maintainPartitions(this.db, this.family, settings, now);
  }

  /** Deletes violations created before `cutoff` (the plain table of pg-mem); returns how many. */
  async deleteBefore(cutoff: number): Promise<number> {
    const r = await this.k
      .deleteFrom('guardrail_violations')
      .where('created_at', '<', new Date(cutoff))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * Idempotent batch insert (`ON CONFLICT (id, created_at) DO NOTHING`: the unique key holds the
   * partition key); NUL bytes are stripped (PostgreSQL text cannot hold them).
   */
  async insert(rows: readonly ViolationRecord[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.k
        .insertInto('guardrail_violations')
        .values(
          rows.map((r) => ({
            id: r.id,
            created_at: new Date(r.createdAt),
            check_id: stripNul(r.checkId),
            category: stripNul(r.category),
            severity: r.severity,
            action: r.action,
            stage: r.stage,
            use_case: r.useCase === null ? null : stripNul(r.useCase),
            model_id: r.modelId === null ? null : stripNul(r.modelId),
            log_id: r.logId === null ? null : stripNul(r.logId),
            excerpt: stripNul(r.excerpt),
            message: stripNul(r.message),
            score: r.score,
            span_start: r.spanStart,
            span_end: r.spanEnd,
            context: r.context === null ? null : sql<unknown>`cast(${storableJson(r.context)} as jsonb)`,
            review_status: r.reviewStatus,
            verdict: null,
            reviewer: null,
            review_note: null,
            reviewed_at: null,
          })),
        )
        .onConflict((oc) => oc.columns(['id', 'created_at']).doNothing())
        .execute();
    } catch (error) {
      throw translateDbError(error, 'storing guardrail violations');
    }
  }

  /** A batch writer feeding {@link ViolationStore.insert}; each write first awaits `ready` (partitions made). */
  createWriter(
    clock: Clock,
    onFailure: (error: unknown, count: number) => void,
    ready: () => Promise<void> = async () => {},
  ): BatchWriter<ViolationRecord> {
    return new BatchWriter<ViolationRecord>({
      write: async (rows) => {
        await ready();
        await this.insert(rows);
      },
      batchSize: 200,
      flushIntervalMs: 250,
      maxBufferedEntries: 10_000,
      sizeOf: (r) => 512 + r.excerpt.length * 2 + r.message.length * 2,
      clock,
      onEvent: (e) => {
        if (e.type === 'dropped')
          onFailure(new Error(`Dropped ${e.count} violation records (${e.reason})`), e.count);
        else if (e.type === 'rejected') onFailure(e.error, 1);
        else if (e.type === 'write_failed' && !e.willRetry) onFailure(e.error, e.rows);
      },
    });
  }
}

/** @internal */
export function fromRow(r: ViolationsTable): ViolationRecord {
  const ms = (d: Date | string | null) => (d === null ? null : new Date(d).getTime());
  return {
    id: r.id,
    createdAt: ms(r.created_at)!,
    checkId: r.check_id,
    category: r.category,
    severity: r.severity as Severity,
    action: r.action as GuardrailAction,
    stage: r.stage as GuardrailStage,
    useCase: r.use_case,
    modelId: r.model_id,
    logId: r.log_id,
    excerpt: r.excerpt,
    message: r.message,
    score: Number(r.score),
    spanStart: r.span_start === null ? null : Number(r.span_start),
    spanEnd: r.span_end === null ? null : Number(r.span_end),
    context: (typeof r.context === 'string'
      ? JSON.parse(r.context)
      : r.context) as ViolationRecord['context'],
    reviewStatus: r.review_status as ReviewStatus,
    verdict: r.verdict as ReviewVerdict | null,
    reviewer: r.reviewer,
    reviewNote: r.review_note,
    reviewedAt: ms(r.reviewed_at),
  };
}
