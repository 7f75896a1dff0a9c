-- History at scale (issue 15): `inference_logs` becomes a table partitioned by time, with per-minute,
-- per-hour and per-day rollups maintained by every write, so `stats` never scans millions of rows.
-- The existing table is converted in place: every row is copied into the new table's DEFAULT partition
-- (the partition that catches any time no range partition covers, so an insert never fails); the
-- maintenance step of HistoricalLogProcessor then creates the daily partitions and moves rows out of it.
-- Every unique key includes the partition key `created_at` (required by PostgreSQL and by Citus).
-- pg-mem cannot partition: it keeps the plain table and `stats` computes from raw rows there.
-- @if partitioning
ALTER TABLE inference_logs RENAME TO inference_logs_unpartitioned;
ALTER TABLE inference_logs_unpartitioned RENAME CONSTRAINT inference_logs_pkey TO inference_logs_unpartitioned_pkey;
DROP INDEX inference_logs_use_case_id_idx;
DROP INDEX inference_logs_model_id_id_idx;
DROP INDEX inference_logs_deployment_id_id_idx;
DROP INDEX inference_logs_player_id_id_idx;
DROP INDEX inference_logs_conversation_id_id_idx;
DROP INDEX inference_logs_created_at_idx;
CREATE TABLE inference_logs (
  id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  model_id uuid,
  use_case text NOT NULL,
  status text NOT NULL,
  variant text,
  deployment_id text,
  prompt text NOT NULL,
  generated_output text,
  context jsonb,
  metadata jsonb,
  error text,
  latency_ms double precision,
  tokens_in integer,
  tokens_out integer,
  player_id text,
  session_id text,
  conversation_id text,
  guardrails jsonb,
  violation_count integer NOT NULL,
  max_severity text,
  truncated boolean NOT NULL,
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX inference_logs_use_case_id_idx ON inference_logs (use_case, id);
CREATE INDEX inference_logs_model_id_id_idx ON inference_logs (model_id, id);
CREATE INDEX inference_logs_deployment_id_id_idx ON inference_logs (deployment_id, id);
CREATE INDEX inference_logs_player_id_id_idx ON inference_logs (player_id, id);
CREATE INDEX inference_logs_conversation_id_id_idx ON inference_logs (conversation_id, id);
CREATE INDEX inference_logs_created_at_idx ON inference_logs (created_at);
CREATE TABLE inference_logs_default PARTITION OF inference_logs DEFAULT;
INSERT INTO inference_logs SELECT * FROM inference_logs_unpartitioned;
DROP TABLE inference_logs_unpartitioned;
-- Rollups, partitioned like the entries (retention drops both by whole partitions): one row per grain (minute, hour, day) x bucket x use case x model x variant x status x
-- deployment. Absent dimensions are '' (so they can be part of the key). The latency histogram is sparse:
-- `latency_counts[j]` latencies fell in log bucket `latency_buckets[j]`, 24 buckets per decade from 0.1 ms:
-- bucket 0 is [0, 0.1 ms), bucket i in 1..192 is [0.1 * 10^((i-1)/24), 0.1 * 10^(i/24)) ms, bucket 193 is
-- everything above 1e7 ms. Histograms from many rows, replicas or grains merge by adding counts per bucket.
CREATE TABLE inference_log_rollups (
  grain text NOT NULL,
  bucket_start timestamptz NOT NULL,
  use_case text NOT NULL,
  model_id text NOT NULL,
  variant text NOT NULL,
  status text NOT NULL,
  deployment_id text NOT NULL,
  n bigint NOT NULL,
  violated bigint NOT NULL,
  sev_low bigint NOT NULL,
  sev_medium bigint NOT NULL,
  sev_high bigint NOT NULL,
  sev_critical bigint NOT NULL,
  tokens_in bigint NOT NULL,
  tokens_out bigint NOT NULL,
  latency_n bigint NOT NULL,
  latency_sum double precision NOT NULL,
  latency_min double precision,
  latency_max double precision,
  latency_buckets integer[] NOT NULL,
  latency_counts bigint[] NOT NULL,
  PRIMARY KEY (grain, bucket_start, use_case, model_id, variant, status, deployment_id)
) PARTITION BY RANGE (bucket_start);
CREATE TABLE inference_log_rollups_default PARTITION OF inference_log_rollups DEFAULT;
INSERT INTO inference_log_rollups (grain, bucket_start, use_case, model_id, variant, status, deployment_id,
  n, violated, sev_low, sev_medium, sev_high, sev_critical, tokens_in, tokens_out,
  latency_n, latency_sum, latency_min, latency_max, latency_buckets, latency_counts)
SELECT grain, bucket_start, use_case, model_id, variant, status, deployment_id,
  sum(n), sum(violated), sum(sev_low), sum(sev_medium), sum(sev_high), sum(sev_critical),
  sum(tokens_in), sum(tokens_out), sum(latency_n), sum(latency_sum), min(latency_min), max(latency_max),
  coalesce(array_agg(hb ORDER BY hb) FILTER (WHERE hb IS NOT NULL), '{}'),
  coalesce(array_agg(latency_n ORDER BY hb) FILTER (WHERE hb IS NOT NULL), '{}')
FROM (
  SELECT g.grain, date_trunc(g.grain, l.created_at, 'UTC') AS bucket_start, l.use_case,
    coalesce(l.model_id::text, '') AS model_id, coalesce(l.variant, '') AS variant, l.status,
    coalesce(l.deployment_id, '') AS deployment_id,
    CASE WHEN l.latency_ms IS NULL THEN NULL WHEN l.latency_ms < 0.1 THEN 0
      ELSE least(1 + floor(24 * log(l.latency_ms / 0.1))::int, 193) END AS hb,
    count(*) AS n,
    sum(CASE WHEN l.violation_count > 0 THEN 1 ELSE 0 END) AS violated,
    sum(CASE WHEN l.max_severity = 'low' THEN 1 ELSE 0 END) AS sev_low,
    sum(CASE WHEN l.max_severity = 'medium' THEN 1 ELSE 0 END) AS sev_medium,
    sum(CASE WHEN l.max_severity = 'high' THEN 1 ELSE 0 END) AS sev_high,
    sum(CASE WHEN l.max_severity = 'critical' THEN 1 ELSE 0 END) AS sev_critical,
    coalesce(sum(l.tokens_in), 0) AS tokens_in, coalesce(sum(l.tokens_out), 0) AS tokens_out,
    count(l.latency_ms) AS latency_n, coalesce(sum(l.latency_ms), 0) AS latency_sum,
    min(l.latency_ms) AS latency_min, max(l.latency_ms) AS latency_max
  FROM inference_logs l CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) g(grain)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
) b
GROUP BY grain, bucket_start, use_case, model_id, variant, status, deployment_id;
-- @end
