-- Guardrail violations and their review queue (GuardrailsMonitor). Ids are UUIDv7 made in JS, so
-- "newest first" keyset pagination is ORDER BY id DESC. No CHECK constraints (pg-mem rejects NULL into
-- CHECK-constrained columns): values are validated in JS.
CREATE TABLE IF NOT EXISTS guardrail_violations (
  id uuid PRIMARY KEY,
  created_at timestamptz NOT NULL,
  check_id text NOT NULL,
  category text NOT NULL,
  severity text NOT NULL,
  action text NOT NULL,
  stage text NOT NULL,
  use_case text,
  model_id text,
  log_id text,
  excerpt text NOT NULL,
  message text NOT NULL,
  score double precision NOT NULL,
  span_start integer,
  span_end integer,
  context jsonb,
  review_status text NOT NULL,
  verdict text,
  reviewer text,
  review_note text,
  reviewed_at timestamptz
);
CREATE INDEX IF NOT EXISTS guardrail_violations_status_id_idx ON guardrail_violations (review_status, id);
CREATE INDEX IF NOT EXISTS guardrail_violations_model_id_id_idx ON guardrail_violations (model_id, id);
CREATE INDEX IF NOT EXISTS guardrail_violations_use_case_id_idx ON guardrail_violations (use_case, id);
CREATE INDEX IF NOT EXISTS guardrail_violations_verdict_check_idx ON guardrail_violations (verdict, check_id);
