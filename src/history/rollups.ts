import { type RawBuilder, sql } from 'kysely';

/**
 * Rollups of `inference_logs` (migrations/0005_history_partitions.sql): per grain (minute, hour,
 * day) × bucket × use case × model × variant × status × deployment, counts, token sums, violation
 * counts by severity and a mergeable latency histogram. Each write appends its batch's deltas to
 * `inference_log_rollup_deltas` in the same transaction as the rows (from the rows actually inserted,
 * so retries stay idempotent; no row lock, so concurrent writers never wait on each other), `purge`
 * appends negative deltas, and compaction merges deltas into `inference_log_rollups`. Readers sum
 * both, so rollups always equal an aggregate over the raw rows.
 */

/** Rollup grains, coarsest first. @internal */
export const GRAINS = ['day', 'hour', 'minute'] as const;
/** One rollup grain. @internal */
export type Grain = (typeof GRAINS)[number];
/** Length of each grain in ms (UTC). @internal */
export const GRAIN_MS: Record<Grain, number> = { day: 86_400_000, hour: 3_600_000, minute: 60_000 };

/** Latency histogram (sparse and unordered: bucket indexes with their counts): bucket 0 is [0, 0.1 ms), bucket i is [0.1·10^((i-1)/24), 0.1·10^(i/24)) ms. @internal */
export const HIST_BUCKETS = 194;
const PER_DECADE = 24;
const FLOOR_MS = 0.1;

/**
 * Largest relative error of a latency percentile computed from rollups, for latencies between
 * 0.1 ms and 1e7 ms: each order statistic is estimated by its bucket's geometric midpoint (at most a
 * factor 10^(1/48) ≈ 1.049 away), and percentile_cont interpolates between two of them. Below 0.1 ms
 * the absolute error is at most 0.05 ms. Estimates are also clamped to the exact min and max.
 */
export const ROLLUP_PERCENTILE_RELATIVE_ERROR = 10 ** (1 / (2 * PER_DECADE)) - 1;

/** Bucket of a latency (same formula as the SQL in {@link rollupUpsert}). @internal */
export function latencyBucket(ms: number): number {
  if (ms < FLOOR_MS) return 0;
  return Math.min(1 + Math.floor(PER_DECADE * Math.log10(ms / FLOOR_MS)), HIST_BUCKETS - 1);
}

/** Estimate of an order statistic in bucket `i`, clamped to the exact min and max. */
function bucketEstimate(i: number, min: number, max: number): number {
  let v: number;
  if (i === 0) v = FLOOR_MS / 2;
  else if (i === HIST_BUCKETS - 1) v = max;
  else v = FLOOR_MS * 10 ** ((i - 0.5) / PER_DECADE);
  return Math.min(max, Math.max(min, v));
}

/** A merged latency histogram with exact count, sum, min and max. @internal */
export interface LatencyAccumulator {
  hist: Float64Array;
  n: number;
  sum: number;
  min: number;
  max: number;
}

/** An empty accumulator. @internal */
export function emptyLatency(): LatencyAccumulator {
  return {
    hist: new Float64Array(HIST_BUCKETS),
    n: 0,
    sum: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
  };
}

/** Adds one raw latency. @internal */
export function addLatency(acc: LatencyAccumulator, ms: number): void {
  acc.hist[latencyBucket(ms)]!++;
  acc.n++;
  acc.sum += ms;
  if (ms < acc.min) acc.min = ms;
  if (ms > acc.max) acc.max = ms;
}

/**
 * The q-quantile with `percentile_cont` semantics (interpolating between the order statistics at
 * floor and ceil of q·(n−1)), each order statistic estimated from its bucket. Null when empty.
 * @internal
 */
export function histogramPercentile(acc: LatencyAccumulator, q: number): number | null {
  const total = acc.hist.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const pos = q * (total - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const at = (rank: number) => {
    let seen = 0;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      seen += acc.hist[i]!;
      if (seen > rank) return bucketEstimate(i, acc.min, acc.max);
    }
    return acc.max;
  };
  const a = at(lo);
  return lo === hi ? a : a + (at(hi) - a) * (pos - lo);
}

const ROLLUPS = 'inference_log_rollups';
const DELTAS = 'inference_log_rollup_deltas';

/** Every rollup row a reader sums: the compacted rollups and the deltas not compacted yet. @internal */
export const ROLLUP_ROWS = sql`(select * from ${sql.table(ROLLUPS)} union all select * from ${sql.table(DELTAS)})`;

const DIMENSIONS = sql.raw('grain, bucket_start, use_case, model_id, variant, status, deployment_id');

/** How a delta merges into an existing rollup row: sums add, min/max widen, histograms add per bucket. */
const MERGE = sql`
      n = inference_log_rollups.n + excluded.n,
      violated = inference_log_rollups.violated + excluded.violated,
      sev_low = inference_log_rollups.sev_low + excluded.sev_low,
      sev_medium = inference_log_rollups.sev_medium + excluded.sev_medium,
      sev_high = inference_log_rollups.sev_high + excluded.sev_high,
      sev_critical = inference_log_rollups.sev_critical + excluded.sev_critical,
      tokens_in = inference_log_rollups.tokens_in + excluded.tokens_in,
      tokens_out = inference_log_rollups.tokens_out + excluded.tokens_out,
      latency_n = inference_log_rollups.latency_n + excluded.latency_n,
      latency_sum = inference_log_rollups.latency_sum + excluded.latency_sum,
      latency_min = least(inference_log_rollups.latency_min, excluded.latency_min),
      latency_max = greatest(inference_log_rollups.latency_max, excluded.latency_max),
      (latency_buckets, latency_counts) = (
        select coalesce(array_agg(i), '{}'), coalesce(array_agg(c), '{}')
        from (select i, sum(c) as c
          from unnest(inference_log_rollups.latency_buckets || excluded.latency_buckets,
            inference_log_rollups.latency_counts || excluded.latency_counts) t(i, c)
          group by i having sum(c) <> 0) merged)`;

/**
 * Rollup deltas aggregated from `source` (a CTE or table with the `inference_logs` columns): `sign` 1
 * adds rows just inserted, −1 removes rows just deleted. Appended to `inference_log_rollup_deltas`
 * (the write path), or with `into: 'rollups'` upserted straight into `inference_log_rollups` (building
 * rollups of rows loaded in bulk).
 * @internal
 */
export function rollupUpsert(
  source: RawBuilder<unknown>,
  sign: 1 | -1,
  into: 'deltas' | 'rollups' = 'deltas',
): RawBuilder<unknown> {
  const s = sql.lit(sign);
  const minMax =
    sign === 1
      ? sql`min(latency_min), max(latency_max)`
      : sql`null::double precision, null::double precision`;
  return sql`insert into ${sql.table(into === 'deltas' ? DELTAS : ROLLUPS)} (grain, bucket_start, use_case, model_id, variant, status,
      deployment_id, n, violated, sev_low, sev_medium, sev_high, sev_critical, tokens_in, tokens_out,
      latency_n, latency_sum, latency_min, latency_max, latency_buckets, latency_counts)
    select ${DIMENSIONS},
      ${s} * sum(n), ${s} * sum(violated), ${s} * sum(sev_low), ${s} * sum(sev_medium), ${s} * sum(sev_high),
      ${s} * sum(sev_critical), ${s} * sum(tokens_in), ${s} * sum(tokens_out), ${s} * sum(latency_n),
      ${s} * sum(latency_sum), ${minMax},
      coalesce(array_agg(hb) filter (where hb is not null), '{}'),
      coalesce(array_agg(${s} * latency_n) filter (where hb is not null), '{}')
    from (
      select g.grain, date_trunc(g.grain, l.created_at, 'UTC') as bucket_start, l.use_case,
        coalesce(l.model_id::text, '') as model_id, coalesce(l.variant, '') as variant, l.status,
        coalesce(l.deployment_id, '') as deployment_id,
        case when l.latency_ms is null then null when l.latency_ms < ${sql.lit(FLOOR_MS)} then 0
          else least(1 + floor(${sql.lit(PER_DECADE)} * log(l.latency_ms / ${sql.lit(FLOOR_MS)}))::int, ${sql.lit(HIST_BUCKETS - 1)}) end as hb,
        count(*) as n,
        sum(case when l.violation_count > 0 then 1 else 0 end) as violated,
        sum(case when l.max_severity = 'low' then 1 else 0 end) as sev_low,
        sum(case when l.max_severity = 'medium' then 1 else 0 end) as sev_medium,
        sum(case when l.max_severity = 'high' then 1 else 0 end) as sev_high,
        sum(case when l.max_severity = 'critical' then 1 else 0 end) as sev_critical,
        coalesce(sum(l.tokens_in), 0) as tokens_in, coalesce(sum(l.tokens_out), 0) as tokens_out,
        count(l.latency_ms) as latency_n, coalesce(sum(l.latency_ms), 0) as latency_sum,
        min(l.latency_ms) as latency_min, max(l.latency_ms) as latency_max
      from ${source} l cross join (values ('minute'), ('hour'), ('day')) g(grain)
      group by 1, 2, 3, 4, 5, 6, 7, 8
    ) b
    group by ${DIMENSIONS}
    ${into === 'rollups' ? sql`order by ${DIMENSIONS} on conflict (${DIMENSIONS}) do update set ${MERGE}` : sql``}`;
}

/**
 * Moves every committed delta into `inference_log_rollups` in one statement: deleted from the deltas
 * and merged (upserted in key order, so concurrent compactions lock rollup rows in the same order) in
 * one transaction, so readers see each delta in exactly one of the two tables. Returns the number of
 * rollup rows written. @internal
 */
export function compactRollupDeltas(): RawBuilder<{ merged: number | string }> {
  return sql<{ merged: number | string }>`with moved as (delete from ${sql.table(DELTAS)} returning *),
    sums as (
      select ${DIMENSIONS}, sum(n) as n, sum(violated) as violated, sum(sev_low) as sev_low,
        sum(sev_medium) as sev_medium, sum(sev_high) as sev_high, sum(sev_critical) as sev_critical,
        sum(tokens_in) as tokens_in, sum(tokens_out) as tokens_out, sum(latency_n) as latency_n,
        sum(latency_sum) as latency_sum, min(latency_min) as latency_min, max(latency_max) as latency_max
      from moved group by ${DIMENSIONS}),
    hist as (
      select ${DIMENSIONS}, array_agg(i) as latency_buckets, array_agg(c) as latency_counts
      from (select ${DIMENSIONS}, u.i, sum(u.c) as c
        from moved cross join lateral unnest(latency_buckets, latency_counts) u(i, c)
        group by ${DIMENSIONS}, u.i having sum(u.c) <> 0) per_bucket
      group by ${DIMENSIONS}),
    merged as (
      insert into ${sql.table(ROLLUPS)} (${DIMENSIONS}, n, violated, sev_low, sev_medium, sev_high, sev_critical,
        tokens_in, tokens_out, latency_n, latency_sum, latency_min, latency_max, latency_buckets, latency_counts)
      select ${DIMENSIONS}, n, violated, sev_low, sev_medium, sev_high, sev_critical, tokens_in, tokens_out,
        latency_n, latency_sum, latency_min, latency_max, coalesce(h.latency_buckets, '{}'),
        coalesce(h.latency_counts, '{}')
      from sums left join hist h using (${DIMENSIONS})
      order by ${DIMENSIONS}
      on conflict (${DIMENSIONS}) do update set ${MERGE}
      returning 1)
    select count(*) as merged from merged`;
}

/** Columns the rollup upsert reads from its source (for `RETURNING`). @internal */
export const ROLLUP_SOURCE_COLUMNS = sql.raw(
  'created_at, use_case, model_id, variant, status, deployment_id, latency_ms, tokens_in, tokens_out, violation_count, max_severity',
);

/** Rollup rows of a batch, column by column (what {@link rollupDeltaInsert} sends as arrays). @internal */
export interface RollupDeltas {
  count: number;
  grain: string[];
  bucketStart: string[];
  useCase: string[];
  modelId: string[];
  variant: string[];
  status: string[];
  deploymentId: string[];
  n: number[];
  violated: number[];
  sevLow: number[];
  sevMedium: number[];
  sevHigh: number[];
  sevCritical: number[];
  tokensIn: number[];
  tokensOut: number[];
  latencyN: number[];
  latencySum: number[];
  latencyMin: Array<number | null>;
  latencyMax: Array<number | null>;
  /** Sparse histograms as PostgreSQL array literals (`{12,13}` / `{4,1}`). */
  buckets: string[];
  counts: string[];
}

interface DeltaAcc {
  key: string[];
  n: number;
  violated: number;
  sev: [number, number, number, number];
  tokensIn: number;
  tokensOut: number;
  latN: number;
  latSum: number;
  latMin: number;
  latMax: number;
  hist: Map<number, number>;
}

const SEVERITY_INDEX: Readonly<Record<string, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

/**
 * Aggregates rows into rollup deltas in JS (the same sums as {@link rollupUpsert}'s SQL), sorted by
 * key so concurrent writers lock rollup rows in the same order. @internal
 */
export function rollupDeltas(
  rows: ReadonlyArray<{
    createdAt: number;
    useCase: string;
    modelId: string | null;
    variant: string | null;
    status: string;
    deploymentId: string | null;
    latencyMs: number | null;
    tokensIn: number | null;
    tokensOut: number | null;
    violationCount: number;
    maxSeverity: string | null;
  }>,
): RollupDeltas {
  const groups = new Map<string, DeltaAcc>();
  for (const r of rows) {
    for (const grain of GRAINS) {
      const size = GRAIN_MS[grain];
      const start = Math.floor(r.createdAt / size) * size;
      const key = [
        grain,
        new Date(start).toISOString(),
        r.useCase,
        r.modelId ?? '',
        r.variant ?? '',
        r.status,
        r.deploymentId ?? '',
      ];
      const id = key.join('\u0000');
      let a = groups.get(id);
      if (!a) {
        a = {
          key,
          n: 0,
          violated: 0,
          sev: [0, 0, 0, 0],
          tokensIn: 0,
          tokensOut: 0,
          latN: 0,
          latSum: 0,
          latMin: Number.POSITIVE_INFINITY,
          latMax: Number.NEGATIVE_INFINITY,
          hist: new Map(),
        };
        groups.set(id, a);
      }
      a.n++;
      if (r.violationCount > 0) a.violated++;
      const sev = r.maxSeverity === null ? undefined : SEVERITY_INDEX[r.maxSeverity];
      if (sev !== undefined) a.sev[sev]!++;
      a.tokensIn += r.tokensIn ?? 0;
      a.tokensOut += r.tokensOut ?? 0;
      if (r.latencyMs !== null) {
        const ms = r.latencyMs;
        a.latN++;
        a.latSum += ms;
        if (ms < a.latMin) a.latMin = ms;
        if (ms > a.latMax) a.latMax = ms;
        const b = latencyBucket(ms);
        a.hist.set(b, (a.hist.get(b) ?? 0) + 1);
      }
    }
  }
  const sorted = [...groups.values()].sort((x, y) => {
    for (let i = 0; i < x.key.length; i++) {
      if (x.key[i]! < y.key[i]!) return -1;
      if (x.key[i]! > y.key[i]!) return 1;
    }
    return 0;
  });
  const d: RollupDeltas = {
    count: sorted.length,
    grain: [],
    bucketStart: [],
    useCase: [],
    modelId: [],
    variant: [],
    status: [],
    deploymentId: [],
    n: [],
    violated: [],
    sevLow: [],
    sevMedium: [],
    sevHigh: [],
    sevCritical: [],
    tokensIn: [],
    tokensOut: [],
    latencyN: [],
    latencySum: [],
    latencyMin: [],
    latencyMax: [],
    buckets: [],
    counts: [],
  };
  for (const a of sorted) {
    const [grain, bucketStart, useCase, modelId, variant, status, deploymentId] = a.key as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    d.grain.push(grain);
    d.bucketStart.push(bucketStart);
    d.useCase.push(useCase);
    d.modelId.push(modelId);
    d.variant.push(variant);
    d.status.push(status);
    d.deploymentId.push(deploymentId);
    d.n.push(a.n);
    d.violated.push(a.violated);
    d.sevLow.push(a.sev[0]);
    d.sevMedium.push(a.sev[1]);
    d.sevHigh.push(a.sev[2]);
    d.sevCritical.push(a.sev[3]);
    d.tokensIn.push(a.tokensIn);
    d.tokensOut.push(a.tokensOut);
    d.latencyN.push(a.latN);
    d.latencySum.push(a.latSum);
    d.latencyMin.push(a.latN > 0 ? a.latMin : null);
    d.latencyMax.push(a.latN > 0 ? a.latMax : null);
    d.buckets.push(`{${[...a.hist.keys()].join(',')}}`);
    d.counts.push(`{${[...a.hist.values()].join(',')}}`);
  }
  return d;
}

/**
 * Appends precomputed deltas to `inference_log_rollup_deltas` (one statement, arrays as parameters),
 * only when `when` is true (the caller's condition, e.g. "every row of the batch was inserted"). @internal
 */
export function rollupDeltaInsert(
  d: RollupDeltas,
  when: RawBuilder<unknown> = sql`true`,
): RawBuilder<unknown> {
  return sql`insert into ${sql.table(DELTAS)} (${DIMENSIONS}, n, violated, sev_low, sev_medium, sev_high,
      sev_critical, tokens_in, tokens_out, latency_n, latency_sum, latency_min, latency_max, latency_buckets, latency_counts)
    select g, b, uc, m, v, st, dep, n, vi, s1, s2, s3, s4, ti, tout, ln, ls, lmin, lmax, hb::int[], hc::int8[]
    from unnest(${d.grain}::text[], ${d.bucketStart}::timestamptz[], ${d.useCase}::text[], ${d.modelId}::text[],
      ${d.variant}::text[], ${d.status}::text[], ${d.deploymentId}::text[], ${d.n}::int8[], ${d.violated}::int8[],
      ${d.sevLow}::int8[], ${d.sevMedium}::int8[], ${d.sevHigh}::int8[], ${d.sevCritical}::int8[],
      ${d.tokensIn}::int8[], ${d.tokensOut}::int8[], ${d.latencyN}::int8[], ${d.latencySum}::float8[],
      ${d.latencyMin}::float8[], ${d.latencyMax}::float8[], ${d.buckets}::text[], ${d.counts}::text[])
      as u(g, b, uc, m, v, st, dep, n, vi, s1, s2, s3, s4, ti, tout, ln, ls, lmin, lmax, hb, hc)
    where ${when}`;
}
