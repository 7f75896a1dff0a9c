-- Stored guardrail violations partitioned by time like `inference_logs` (issue 15), so retention drops
-- whole partitions instead of deleting rows. The existing table is converted in place: every row (review
-- state included) is copied into the new table's DEFAULT partition (it catches any time no range
-- partition covers, so an insert never fails); the GuardrailsMonitor's maintenance then creates the
-- daily partitions and moves rows out of it. `LIKE … INCLUDING DEFAULTS` keeps the columns and their order
-- as they are, whatever earlier migrations added. Every unique key includes the partition key
-- `created_at` (required by PostgreSQL and by Citus); a lookup by id alone still probes each partition's
-- primary-key index (`id` leads it). pg-mem cannot partition: it keeps the plain table and gets the same
-- unique key (id, created_at), so the store's `ON CONFLICT (id, created_at)` is one statement everywhere.
-- @if partitioning
ALTER TABLE guardrail_violations RENAME TO guardrail_violations_unpartitioned;
ALTER TABLE guardrail_violations_unpartitioned RENAME CONSTRAINT guardrail_violations_pkey TO guardrail_violations_unpartitioned_pkey;
DROP INDEX guardrail_violations_status_id_idx;
DROP INDEX guardrail_violations_model_id_id_idx;
DROP INDEX guardrail_violations_use_case_id_idx;
DROP INDEX guardrail_violations_verdict_check_idx;
CREATE TABLE guardrail_violations (
  LIKE guardrail_violations_unpartitioned INCLUDING DEFAULTS,
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX guardrail_violations_status_id_idx ON guardrail_violations (review_status, id);
CREATE INDEX guardrail_violations_model_id_id_idx ON guardrail_violations (model_id, id);
CREATE INDEX guardrail_violations_use_case_id_idx ON guardrail_violations (use_case, id);
CREATE INDEX guardrail_violations_verdict_check_idx ON guardrail_violations (verdict, check_id);
CREATE INDEX guardrail_violations_created_at_idx ON guardrail_violations (created_at);
CREATE TABLE guardrail_violations_default PARTITION OF guardrail_violations DEFAULT;
INSERT INTO guardrail_violations SELECT * FROM guardrail_violations_unpartitioned;
DROP TABLE guardrail_violations_unpartitioned;
-- @else
CREATE UNIQUE INDEX guardrail_violations_id_created_at_key ON guardrail_violations (id, created_at);
-- @end
