/**
 * Persistence of paired comparisons (tables of migration 0009): the shadow strategy's windowed pair
 * counts and stored replay comparisons. Only this module touches these tables.
 * @module
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { translateDbError } from '../db/pg-errors.js';
import type { Verdict } from './judge.js';
import { emptyShadowWindow, type ShadowWindow } from './shadow-judge.js';

type ShadowMetricRow = {
  deployment_id: string;
  replica_id: string;
  window_start: number | string;
  pairs: number | string;
  counts: unknown;
  updated_at: Date;
};

type ReplayRow = {
  id: string;
  use_case: string;
  stable_model_id: string;
  candidate_model_id: string;
  range_from: Date;
  range_to: Date;
  requested_sample: number;
  pairs: number;
  scanned: number;
  skipped: number;
  verdict: string;
  result: unknown;
  actor: string;
  created_at: Date;
};

type ShadowTables = { deployment_shadow_metrics: ShadowMetricRow; replay_comparisons: ReplayRow };

/** A stored replay comparison: the candidate against what the previous model answered then. */
export interface ReplayComparison {
  readonly id: string;
  readonly useCase: string;
  /** The model that answered the historic prompts (the use case's current model). */
  readonly stableModelId: string;
  readonly candidateModelId: string;
  readonly from: Date;
  readonly to: Date;
  /** `sample` as asked. */
  readonly requestedSample: number;
  /** Prompts replayed (pairs judged). */
  readonly pairs: number;
  /** History rows of the stable model read in the range. */
  readonly scanned: number;
  /** Rows read but not reusable (blocked, truncated, redaction failed, not player traffic). */
  readonly skipped: number;
  /** The paired judgement (`pass` needs every pair replayed without harm; `inconclusive` when too few). */
  readonly verdict: Verdict;
  readonly actor: string;
  readonly createdAt: Date;
}

/** Data access of paired comparisons. @internal */
export class ShadowStore {
  private readonly k: Kysely<ShadowTables>;

  constructor(readonly db: Database) {
    this.k = db.kysely.withTables<ShadowTables>();
  }

  /** Replaces this replica's rows of the given windows. */
  async upsertWindows(
    deploymentId: string,
    replicaId: string,
    windows: readonly ShadowWindow[],
    at: Date,
  ): Promise<void> {
    for (const w of windows) {
      const values = {
        deployment_id: deploymentId,
        replica_id: replicaId,
        window_start: w.windowStart,
        pairs: w.pairs,
        counts: JSON.stringify(sparse(w)),
        updated_at: at,
      };
      await this.run('writing shadow metrics', () =>
        this.k
          .insertInto('deployment_shadow_metrics')
          .values(values)
          .onConflict((oc) =>
            oc
              .columns(['deployment_id', 'replica_id', 'window_start'])
              .doUpdateSet({ pairs: values.pairs, counts: values.counts, updated_at: at }),
          )
          .execute(),
      );
    }
  }

  /** Every replica's windows of a deployment (not yet summed). */
  async windows(deploymentId: string): Promise<ShadowWindow[]> {
    const rows = await this.run('reading shadow metrics', () =>
      this.k
        .selectFrom('deployment_shadow_metrics')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .execute(),
    );
    return rows.map((r) => dense(Number(r.window_start), Number(r.pairs), parse(r.counts)));
  }

  /** Stores a replay comparison. */
  async insertReplay(c: ReplayComparison): Promise<void> {
    await this.run('storing a replay comparison', () =>
      this.k
        .insertInto('replay_comparisons')
        .values({
          id: c.id,
          use_case: c.useCase,
          stable_model_id: c.stableModelId,
          candidate_model_id: c.candidateModelId,
          range_from: c.from,
          range_to: c.to,
          requested_sample: c.requestedSample,
          pairs: c.pairs,
          scanned: c.scanned,
          skipped: c.skipped,
          verdict: c.verdict.verdict,
          result: JSON.stringify(c.verdict),
          actor: c.actor,
          created_at: c.createdAt,
        })
        .execute(),
    );
  }

  /** Stored replay comparisons, newest first. */
  async listReplays(filter: { useCase?: string; id?: string; limit: number }): Promise<ReplayComparison[]> {
    const rows = await this.run('reading replay comparisons', () => {
      let q = this.k.selectFrom('replay_comparisons').selectAll();
      if (filter.useCase !== undefined) q = q.where('use_case', '=', filter.useCase);
      if (filter.id !== undefined) q = q.where('id', '=', filter.id);
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    });
    return rows.map((r) => ({
      id: r.id,
      useCase: r.use_case,
      stableModelId: r.stable_model_id,
      candidateModelId: r.candidate_model_id,
      from: new Date(r.range_from),
      to: new Date(r.range_to),
      requestedSample: Number(r.requested_sample),
      pairs: Number(r.pairs),
      scanned: Number(r.scanned),
      skipped: Number(r.skipped),
      verdict: parse(r.result) as unknown as Verdict,
      actor: r.actor,
      createdAt: new Date(r.created_at),
    }));
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translateDbError(error, what);
    }
  }
}

type Stored = Record<string, unknown>;
const ARRAYS = ['candidateLatency', 'stableLatency', 'candidateAbove', 'stableAbove'] as const;

/** The window's counts with histograms as `{ index: count }` (most buckets are empty). */
function sparse(w: ShadowWindow): Stored {
  const out: Stored = {
    errors: w.errors,
    violations: w.violations,
    criticalViolations: w.criticalViolations,
    fallbacks: w.fallbacks,
  };
  for (const k of ARRAYS) {
    const m: Record<string, number> = {};
    w[k].forEach((n, i) => {
      if (n > 0) m[i] = n;
    });
    out[k] = m;
  }
  return out;
}

function dense(windowStart: number, pairs: number, s: Stored): ShadowWindow {
  const w = emptyShadowWindow(windowStart);
  w.pairs = pairs;
  for (const f of ['errors', 'violations', 'criticalViolations', 'fallbacks'] as const) {
    const c = (s[f] ?? {}) as Record<string, unknown>;
    for (const k of ['candidate', 'stable', 'candidateOnly', 'stableOnly'] as const)
      w[f][k] = Number(c[k] ?? 0);
  }
  for (const k of ARRAYS) {
    for (const [i, n] of Object.entries((s[k] ?? {}) as Record<string, unknown>)) w[k][Number(i)] = Number(n);
  }
  return w;
}

function parse(v: unknown): Stored {
  return (typeof v === 'string' ? JSON.parse(v) : v) as Stored;
}
