import { type SqlBool, sql } from 'kysely';
import type { Database } from '../db/index.js';
import { translateDbError } from '../db/pg-errors.js';
import { ValidationError } from '../errors.js';
import { decodeIdCursor, encodeIdCursor, type Page } from '../internal/cursor.js';
import {
  describe,
  optionalSignal,
  requireDate,
  requireNumber,
  requireOneOf,
  requireString,
  requireUuid,
} from '../internal/validate.js';
import { and, filterConditions, historyKysely, toEntry } from './log-store.js';
import { deleteRowsBefore } from './partitions.js';
import { statsFromRollups } from './rollup-stats.js';
import {
  type ExportOptions,
  type InferenceLogRecord,
  type InferenceStatus,
  type InferenceVariant,
  type LogFilter,
  type LogQuery,
  type LogStats,
  type LogStatsResult,
  type PurgeOptions,
  SEVERITIES,
  type StatsGroupBy,
  type StatsQuery,
} from './types.js';

const GROUP_COLUMNS: Record<StatsGroupBy, string> = {
  modelId: 'model_id',
  useCase: 'use_case',
  deploymentId: 'deployment_id',
  variant: 'variant',
  status: 'status',
};

/** Validates a filter (unknown keys, bad ids, invalid dates) and returns a clean copy. @internal */
export function validateFilter(f: unknown, extra: readonly string[] = []): LogFilter {
  if (f === undefined) return {};
  if (typeof f !== 'object' || f === null) {
    throw new ValidationError(`Expected the filter to be an object, got ${describe(f)}`);
  }
  const allowed = new Set([
    'modelId',
    'useCase',
    'deploymentId',
    'variant',
    'status',
    'playerId',
    'conversationId',
    'from',
    'to',
    ...extra,
  ]);
  const src = f as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    if (!allowed.has(key))
      throw new ValidationError(`Unknown filter \`${key}\`; expected one of ${[...allowed].join(', ')}`, {
        field: key,
      });
  }
  const out: LogFilter = {};
  if (src.modelId !== undefined) out.modelId = requireUuid(src.modelId, 'modelId');
  for (const key of ['useCase', 'deploymentId', 'playerId', 'conversationId'] as const) {
    if (src[key] !== undefined) out[key] = requireString(src[key], key, { max: 256 });
  }
  if (src.variant !== undefined)
    out.variant = requireOneOf<InferenceVariant>(src.variant, 'variant', ['stable', 'candidate', 'shadow']);
  if (src.status !== undefined)
    out.status = requireOneOf<InferenceStatus>(src.status, 'status', ['ok', 'error', 'fallback', 'blocked']);
  if (src.from !== undefined) out.from = requireDate(src.from, 'from');
  if (src.to !== undefined) out.to = requireDate(src.to, 'to');
  if (out.from && out.to && out.from.getTime() > out.to.getTime()) {
    throw new ValidationError(
      `Expected \`from\` (${out.from.toISOString()}) to be before \`to\` (${out.to.toISOString()})`,
      { field: 'from' },
    );
  }
  return out;
}

/** Keyset pagination, newest first (UUIDv7 ids are time-ordered). @internal */
export async function queryLogs(db: Database, q: LogQuery = {}): Promise<Page<InferenceLogRecord>> {
  const filter = validateFilter(q, ['limit', 'cursor']);
  const limit =
    q.limit === undefined ? 100 : requireNumber(q.limit, 'limit', { min: 1, max: 1000, integer: true });
  const conditions = filterConditions(filter);
  if (q.cursor !== undefined) conditions.push(sql<SqlBool>`id < ${decodeIdCursor(q.cursor)}`);
  try {
    const rows = await historyKysely(db)
      .selectFrom('inference_logs')
      .selectAll()
      .where(and(conditions))
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    const entries = rows.slice(0, limit).map((r) => toEntry(r as unknown as Record<string, unknown>));
    return { items: entries, nextCursor: more ? encodeIdCursor(entries.at(-1)!.id) : null };
  } catch (error) {
    throw translateDbError(error, 'querying inference logs');
  }
}

type AggRow = Record<string, unknown>;

function toStats(r: AggRow, pct?: { p50: number | null; p95: number | null; p99: number | null }): LogStats {
  const count = Number(r.n ?? 0);
  const rate = (x: unknown) => (count === 0 ? 0 : Number(x ?? 0) / count);
  const numOrNull = (x: unknown) => (x === null || x === undefined ? null : Number(x));
  return {
    count,
    errorRate: rate(r.errors),
    fallbackRate: rate(r.fallbacks),
    blockedRate: rate(r.blocked),
    violationRate: rate(r.violated),
    violationRateBySeverity: {
      low: rate(r.sev_low),
      medium: rate(r.sev_medium),
      high: rate(r.sev_high),
      critical: rate(r.sev_critical),
    },
    latencyMs: pct
      ? { ...pct, mean: numOrNull(r.mean) }
      : { p50: numOrNull(r.p50), p95: numOrNull(r.p95), p99: numOrNull(r.p99), mean: numOrNull(r.mean) },
    tokensIn: Number(r.tokens_in ?? 0),
    tokensOut: Number(r.tokens_out ?? 0),
  };
}

/** Same interpolation as PostgreSQL's `percentile_cont` over sorted values. @internal */
export function percentileCont(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Largest row count pg-mem percentiles are computed from (pg-mem is a test double). */
const MAX_JS_PERCENTILE_ROWS = 1_000_000;

/** `stats()` computes exactly from raw rows up to this many matching entries. @internal */
export const DEFAULT_EXACT_PERCENTILES_UP_TO = 10_000;

/**
 * Aggregates. Up to `exactPercentilesUpTo` matching entries, exactly from raw rows. Beyond, where the backend keeps rollups (PostgreSQL, PGlite), whole minutes come from them and
 * only partial edge minutes from raw rows; otherwise (pg-mem, or a filter rollups do not keep) from
 * raw rows: SQL percentiles where the backend has them, exact JS percentiles on pg-mem. @internal
 */
export async function statsOf(
  db: Database,
  q: StatsQuery = {},
  exactPercentilesUpTo = DEFAULT_EXACT_PERCENTILES_UP_TO,
): Promise<LogStatsResult> {
  const filter = validateFilter(q, ['groupBy']);
  const groupBy =
    q.groupBy === undefined
      ? undefined
      : requireOneOf(q.groupBy, 'groupBy', Object.keys(GROUP_COLUMNS) as StatsGroupBy[]);
  if (db.capabilities.partitioning) {
    try {
      const fromRollups = await statsFromRollups(db.kysely, filter, groupBy);
      // Few rows: exact percentiles from the raw rows cost little.
      if (fromRollups && fromRollups.count > exactPercentilesUpTo) return fromRollups;
    } catch (error) {
      throw translateDbError(error, 'computing inference log stats');
    }
  }
  return rawStats(db, filter, groupBy);
}

/** Aggregates over raw rows (exact percentiles). @internal */
export async function rawStats(
  db: Database,
  filter: LogFilter,
  groupBy: StatsGroupBy | undefined,
): Promise<LogStatsResult> {
  const where = and(filterConditions(filter));
  const sqlPct = db.capabilities.percentiles;
  const k = historyKysely(db);
  const agg = sql`count(*) as n,
    sum(case when status = 'error' then 1 else 0 end) as errors,
    sum(case when status = 'fallback' then 1 else 0 end) as fallbacks,
    sum(case when status = 'blocked' then 1 else 0 end) as blocked,
    sum(case when violation_count > 0 then 1 else 0 end) as violated,
    ${sql.join(SEVERITIES.map((s) => sql`sum(case when max_severity = ${s} then 1 else 0 end) as ${sql.ref(`sev_${s}`)}`))},
    avg(latency_ms) as mean, sum(tokens_in) as tokens_in, sum(tokens_out) as tokens_out
    ${
      sqlPct
        ? sql`, percentile_cont(0.5) within group (order by latency_ms) as p50,
      percentile_cont(0.95) within group (order by latency_ms) as p95,
      percentile_cont(0.99) within group (order by latency_ms) as p99`
        : sql``
    }`;
  try {
    const total =
      (await sql<AggRow>`select ${agg} from inference_logs where ${where}`.execute(k)).rows[0] ?? {};
    const col = groupBy ? sql.ref(GROUP_COLUMNS[groupBy]) : undefined;
    const groupRows = col
      ? (
          await sql<AggRow>`select ${col} as key, ${agg} from inference_logs where ${where} group by ${col} order by ${col}`.execute(
            k,
          )
        ).rows
      : [];
    if (sqlPct) {
      const result: LogStatsResult = toStats(total);
      if (groupBy)
        result.groups = groupRows.map((r) => ({ key: r.key === null ? null : String(r.key), ...toStats(r) }));
      return result;
    }
    // pg-mem: no percentile_cont. Fetch the latencies sorted and interpolate exactly like PostgreSQL.
    const lat = (
      await sql<{
        key: unknown;
        v: unknown;
      }>`select ${col ?? sql`null`} as key, latency_ms as v from inference_logs
        where ${where} and latency_ms is not null limit ${MAX_JS_PERCENTILE_ROWS}`.execute(k)
    ).rows;
    const byKey = new Map<string, number[]>();
    const all: number[] = [];
    for (const r of lat) {
      const v = Number(r.v);
      all.push(v);
      const key = String(r.key);
      const arr = byKey.get(key);
      if (arr) arr.push(v);
      else byKey.set(key, [v]);
    }
    const pct = (values: number[]) => {
      values.sort((a, b) => a - b);
      return {
        p50: percentileCont(values, 0.5),
        p95: percentileCont(values, 0.95),
        p99: percentileCont(values, 0.99),
      };
    };
    const result: LogStatsResult = toStats(total, pct(all));
    if (groupBy) {
      result.groups = groupRows.map((r) => ({
        key: r.key === null ? null : String(r.key),
        ...toStats(r, pct(byKey.get(String(r.key)) ?? [])),
      }));
    }
    return result;
  } catch (error) {
    throw translateDbError(error, 'computing inference log stats');
  }
}

/** Streams OpenAI chat fine-tuning JSONL lines, one page at a time, oldest first. @internal */
export async function* exportLines(db: Database, o: ExportOptions = {}): AsyncGenerator<string> {
  const filter = validateFilter(o, ['onlyClean', 'systemPrompt', 'pageSize', 'signal']);
  const signal = optionalSignal(o.signal);
  const pageSize =
    o.pageSize === undefined
      ? 500
      : requireNumber(o.pageSize, 'pageSize', { min: 1, max: 10_000, integer: true });
  const system =
    o.systemPrompt === undefined
      ? undefined
      : requireString(o.systemPrompt, 'systemPrompt', { min: 0, max: 100_000 });
  const onlyClean = o.onlyClean ?? true;
  const base = filterConditions(filter);
  if (onlyClean) {
    base.push(
      sql`status = 'ok'`,
      sql`violation_count = 0`,
      sql`truncated = false`,
      sql`generated_output is not null`,
    );
  }
  const k = historyKysely(db);
  let after: string | undefined;
  for (;;) {
    // Between pages only: every page read is yielded whole, then the signal's reason ends the stream.
    signal?.throwIfAborted();
    const conditions = after ? [...base, sql<SqlBool>`id > ${after}`] : base;
    let rows: Array<{ id: string; prompt: string; generated_output: string | null }>;
    try {
      rows = await k
        .selectFrom('inference_logs')
        .select(['id', 'prompt', 'generated_output'])
        .where(and(conditions))
        .orderBy('id', 'asc')
        .limit(pageSize)
        .execute();
    } catch (error) {
      throw translateDbError(error, 'exporting inference logs');
    }
    for (const r of rows) {
      const messages: Array<{ role: string; content: string }> = [];
      if (system !== undefined) messages.push({ role: 'system', content: system });
      messages.push({ role: 'user', content: r.prompt });
      if (r.generated_output !== null) messages.push({ role: 'assistant', content: r.generated_output });
      yield `${JSON.stringify({ messages })}\n`;
    }
    if (rows.length < pageSize) return;
    after = String(rows.at(-1)!.id);
  }
}

/** Deletes entries older than `olderThan` in bounded batches; returns how many. @internal */
export async function purgeLogs(db: Database, o: PurgeOptions): Promise<{ deleted: number }> {
  if (typeof o !== 'object' || o === null)
    throw new ValidationError(`Expected purge options, got ${describe(o)}`);
  const olderThan = requireDate(o.olderThan, 'olderThan');
  const batchSize =
    o.batchSize === undefined
      ? 1000
      : requireNumber(o.batchSize, 'batchSize', { min: 1, max: 10_000, integer: true });
  const signal = optionalSignal(o.signal);
  signal?.throwIfAborted();
  try {
    const rollups = db.capabilities.partitioning;
    return { deleted: await deleteRowsBefore(db, olderThan.getTime(), { rollups, batchSize, signal }) };
  } catch (error) {
    // Aborted between batches: what was deleted stays deleted (rollups were updated with each batch).
    if (signal?.aborted && error === signal.reason) throw error;
    throw translateDbError(error, 'purging inference logs');
  }
}
