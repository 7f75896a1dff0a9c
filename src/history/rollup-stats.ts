import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import {
  addLatency,
  emptyLatency,
  GRAIN_MS,
  GRAINS,
  type Grain,
  HIST_BUCKETS,
  histogramPercentile,
  type LatencyAccumulator,
  ROLLUP_ROWS,
} from './rollups.js';
import type { LogFilter, LogStats, LogStatsResult, StatsGroupBy } from './types.js';

/**
 * `stats()` from rollups: whole days, hours and minutes come from `inference_log_rollups` (and the deltas not compacted yet), only the
 * partial minutes at the edges of `from`/`to` from raw rows. Counts, rates, token sums and the mean
 * equal a raw computation; latency percentiles come from the merged histogram (within
 * {@link ROLLUP_PERCENTILE_RELATIVE_ERROR} of `percentile_cont`).
 */

const MINUTE_MS = GRAIN_MS.minute;
const COLUMN: Record<StatsGroupBy, string> = {
  modelId: 'model_id',
  useCase: 'use_case',
  deploymentId: 'deployment_id',
  variant: 'variant',
  status: 'status',
};
const ROLLUP_FILTERS = ['modelId', 'useCase', 'deploymentId', 'variant', 'status'] as const;

interface Acc {
  n: number;
  errors: number;
  fallbacks: number;
  blocked: number;
  violated: number;
  low: number;
  medium: number;
  high: number;
  critical: number;
  tokensIn: number;
  tokensOut: number;
  lat: LatencyAccumulator;
}

function emptyAcc(): Acc {
  return {
    n: 0,
    errors: 0,
    fallbacks: 0,
    blocked: 0,
    violated: 0,
    low: 0,
    medium: 0,
    high: 0,
    critical: 0,
    tokensIn: 0,
    tokensOut: 0,
    lat: emptyLatency(),
  };
}

function mergeInto(a: Acc, b: Acc): void {
  for (const f of [
    'n',
    'errors',
    'fallbacks',
    'blocked',
    'violated',
    'low',
    'medium',
    'high',
    'critical',
    'tokensIn',
    'tokensOut',
  ] as const)
    a[f] += b[f];
  a.lat.n += b.lat.n;
  a.lat.sum += b.lat.sum;
  a.lat.min = Math.min(a.lat.min, b.lat.min);
  a.lat.max = Math.max(a.lat.max, b.lat.max);
  for (let i = 0; i < HIST_BUCKETS; i++) a.lat.hist[i]! += b.lat.hist[i]!;
}

function toStats(a: Acc): LogStats {
  const rate = (x: number) => (a.n === 0 ? 0 : x / a.n);
  const has = a.lat.n > 0;
  return {
    count: a.n,
    errorRate: rate(a.errors),
    fallbackRate: rate(a.fallbacks),
    blockedRate: rate(a.blocked),
    violationRate: rate(a.violated),
    violationRateBySeverity: {
      low: rate(a.low),
      medium: rate(a.medium),
      high: rate(a.high),
      critical: rate(a.critical),
    },
    latencyMs: {
      p50: has ? histogramPercentile(a.lat, 0.5) : null,
      p95: has ? histogramPercentile(a.lat, 0.95) : null,
      p99: has ? histogramPercentile(a.lat, 0.99) : null,
      mean: has ? a.lat.sum / a.lat.n : null,
    },
    tokensIn: a.tokensIn,
    tokensOut: a.tokensOut,
  };
}

interface GrainRange {
  grain: Grain;
  lo: number;
  hi: number;
}

/** Splits a minute-aligned range into the fewest whole days, then hours, then minutes. @internal */
export function grainRanges(lo: number, hi: number, grains: readonly Grain[] = GRAINS): GrainRange[] {
  if (!(lo < hi) || grains.length === 0) return [];
  const [grain, ...finer] = grains as [Grain, ...Grain[]];
  const size = GRAIN_MS[grain];
  const a = Number.isFinite(lo) ? Math.ceil(lo / size) * size : lo;
  const b = Number.isFinite(hi) ? Math.floor(hi / size) * size : hi;
  if (!(a < b)) return grainRanges(lo, hi, finer);
  return [...grainRanges(lo, a, finer), { grain, lo: a, hi: b }, ...grainRanges(b, hi, finer)];
}

function within(column: string, lo: number, hi: number): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [];
  if (Number.isFinite(lo)) out.push(sql<SqlBool>`${sql.ref(column)} >= ${new Date(lo)}`);
  if (Number.isFinite(hi)) out.push(sql<SqlBool>`${sql.ref(column)} < ${new Date(hi)}`);
  return out;
}

function all(conditions: Expression<SqlBool>[]): Expression<SqlBool> {
  return conditions.length === 0 ? sql<SqlBool>`true` : sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}

function any(conditions: Expression<SqlBool>[]): Expression<SqlBool> {
  return conditions.length === 0 ? sql<SqlBool>`false` : sql<SqlBool>`(${sql.join(conditions, sql` or `)})`;
}

/**
 * Stats from rollups plus raw edges; `undefined` when rollups cannot answer (a filter on a column
 * they do not keep, or a range shorter than a whole minute): the caller computes from raw rows. @internal
 */
export async function statsFromRollups(
  k: Kysely<object>,
  filter: LogFilter,
  groupBy: StatsGroupBy | undefined,
): Promise<LogStatsResult | undefined> {
  if (filter.playerId !== undefined || filter.conversationId !== undefined) return undefined;
  const from = filter.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = filter.to?.getTime() ?? Number.POSITIVE_INFINITY;
  const mFrom = Number.isFinite(from) ? Math.ceil(from / MINUTE_MS) * MINUTE_MS : from;
  const mTo = Number.isFinite(to) ? Math.floor(to / MINUTE_MS) * MINUTE_MS : to;
  if (!(mFrom < mTo)) return undefined;

  const dims: Expression<SqlBool>[] = [];
  for (const f of ROLLUP_FILTERS) {
    const v = filter[f];
    if (v !== undefined) dims.push(sql<SqlBool>`${sql.ref(COLUMN[f])} = ${v}`);
  }
  const key = groupBy ? sql.ref(COLUMN[groupBy]) : sql`''`;
  const inRollups = all([
    ...dims,
    any(
      grainRanges(mFrom, mTo).map((r) =>
        all([sql<SqlBool>`grain = ${r.grain}`, ...within('bucket_start', r.lo, r.hi)]),
      ),
    ),
  ]);
  const edges: Expression<SqlBool>[] = [];
  if (from < mFrom) edges.push(all(within('created_at', from, mFrom)));
  if (mTo < to) edges.push(all(within('created_at', mTo, to)));

  // Three independent reads, in parallel on PostgreSQL's pool (PGlite runs them in turn).
  const [sums, hist, raw] = await Promise.all([
    sql<Record<string, unknown>>`select ${key} as key, sum(n) as n,
      sum(case when status = 'error' then n else 0 end) as errors,
      sum(case when status = 'fallback' then n else 0 end) as fallbacks,
      sum(case when status = 'blocked' then n else 0 end) as blocked,
      sum(violated) as violated, sum(sev_low) as low, sum(sev_medium) as medium, sum(sev_high) as high,
      sum(sev_critical) as critical, sum(tokens_in) as tokens_in, sum(tokens_out) as tokens_out,
      sum(latency_n) as latency_n, sum(latency_sum) as latency_sum, min(latency_min) as latency_min,
      max(latency_max) as latency_max
    from ${ROLLUP_ROWS} r where ${inRollups} group by 1`.execute(k),
    sql<{ key: unknown; i: unknown; c: unknown }>`select ${key} as key, u.i, sum(u.c) as c
    from ${ROLLUP_ROWS} r cross join lateral unnest(latency_buckets, latency_counts) u(i, c)
    where ${inRollups} group by 1, 2`.execute(k),
    edges.length === 0
      ? Promise.resolve([])
      : sql<Record<string, unknown>>`select ${key} as key, status, violation_count, max_severity, tokens_in,
          tokens_out, latency_ms
        from inference_logs where ${all([...dims, any(edges)])}`
          .execute(k)
          .then((r) => r.rows),
  ]);

  const groups = new Map<string, Acc>();
  const accOf = (k: unknown) => {
    const name = k === null || k === undefined ? '' : String(k);
    let a = groups.get(name);
    if (!a) {
      a = emptyAcc();
      groups.set(name, a);
    }
    return a;
  };
  for (const r of sums.rows) {
    const a = accOf(r.key);
    a.n += Number(r.n ?? 0);
    a.errors += Number(r.errors ?? 0);
    a.fallbacks += Number(r.fallbacks ?? 0);
    a.blocked += Number(r.blocked ?? 0);
    a.violated += Number(r.violated ?? 0);
    a.low += Number(r.low ?? 0);
    a.medium += Number(r.medium ?? 0);
    a.high += Number(r.high ?? 0);
    a.critical += Number(r.critical ?? 0);
    a.tokensIn += Number(r.tokens_in ?? 0);
    a.tokensOut += Number(r.tokens_out ?? 0);
    a.lat.n += Number(r.latency_n ?? 0);
    a.lat.sum += Number(r.latency_sum ?? 0);
    if (r.latency_min !== null) a.lat.min = Math.min(a.lat.min, Number(r.latency_min));
    if (r.latency_max !== null) a.lat.max = Math.max(a.lat.max, Number(r.latency_max));
  }
  for (const r of hist.rows) accOf(r.key).lat.hist[Number(r.i)]! += Number(r.c);
  for (const r of raw) {
    const a = accOf(r.key);
    a.n++;
    if (r.status === 'error') a.errors++;
    else if (r.status === 'fallback') a.fallbacks++;
    else if (r.status === 'blocked') a.blocked++;
    if (Number(r.violation_count) > 0) a.violated++;
    const sev = r.max_severity;
    if (sev === 'low' || sev === 'medium' || sev === 'high' || sev === 'critical') a[sev]++;
    a.tokensIn += Number(r.tokens_in ?? 0);
    a.tokensOut += Number(r.tokens_out ?? 0);
    if (r.latency_ms !== null && r.latency_ms !== undefined) addLatency(a.lat, Number(r.latency_ms));
  }

  const total = emptyAcc();
  const keys = [...groups.keys()].filter((name) => groups.get(name)!.n > 0);
  for (const name of keys) mergeInto(total, groups.get(name)!);
  const result: LogStatsResult = toStats(total);
  if (groupBy) {
    // Same order as the raw query: by key, nulls ('' in rollups) last.
    keys.sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
    result.groups = keys.map((name) => ({ key: name === '' ? null : name, ...toStats(groups.get(name)!) }));
  }
  return result;
}
