-- Inference history (HistoricalLogProcessor). Ids are UUIDv7 made in JS: time-ordered, so keyset
-- pagination "newest first" is ORDER BY id DESC and inserts stay at the right edge of the B-tree.
-- No CHECK constraints (pg-mem rejects NULL into CHECK-constrained columns): values are validated in JS.
CREATE TABLE IF NOT EXISTS inference_logs (
  id uuid PRIMARY KEY,
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
  truncated boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS inference_logs_use_case_id_idx ON inference_logs (use_case, id);
CREATE INDEX IF NOT EXISTS inference_logs_model_id_id_idx ON inference_logs (model_id, id);
CREATE INDEX IF NOT EXISTS inference_logs_deployment_id_id_idx ON inference_logs (deployment_id, id);
CREATE INDEX IF NOT EXISTS inference_logs_player_id_id_idx ON inference_logs (player_id, id);
CREATE INDEX IF NOT EXISTS inference_logs_conversation_id_id_idx ON inference_logs (conversation_id, id);
CREATE INDEX IF NOT EXISTS inference_logs_created_at_idx ON inference_logs (created_at);
