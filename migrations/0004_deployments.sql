-- Progressive delivery: deployments (a persisted state machine), its audit trail, windowed outcome
-- counters written by every replica, and rollbacks.
create table deployments (
  id uuid primary key,
  use_case text not null,
  strategy text not null,
  status text not null,
  active boolean not null,
  candidate_model_id uuid not null,
  stable_model_id uuid,
  weight double precision not null,
  step_index integer not null,
  plan jsonb not null,
  analysis jsonb not null,
  switched boolean not null,
  actor text not null,
  reason text,
  last_verdict jsonb,
  step_started_at timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  finished_at timestamptz,
  version integer not null,
  lease_owner text,
  lease_expires_at timestamptz,
  constraint deployments_strategy_check check (strategy in ('blue_green', 'canary', 'all_at_once')),
  constraint deployments_status_check check (status in ('pending', 'validating', 'progressing', 'paused', 'promoting', 'succeeded', 'rolling_back', 'rolled_back', 'failed', 'aborted'))
);

-- The database itself guarantees one active deployment per use case, across every process.
create unique index deployments_one_active_per_use_case on deployments (use_case) where active = true;

create index deployments_use_case_idx on deployments (use_case, created_at);

create table deployment_events (
  id uuid primary key,
  deployment_id uuid not null references deployments (id),
  at timestamptz not null,
  from_status text,
  to_status text not null,
  actor text not null,
  reason text,
  weight double precision not null,
  verdict jsonb
);

create index deployment_events_deployment_idx on deployment_events (deployment_id, at);

-- Additive outcome counters per deployment, arm, replica and time window; each replica owns its rows.
create table deployment_metrics (
  deployment_id uuid not null,
  variant text not null,
  replica_id text not null,
  window_start bigint not null,
  requests bigint not null,
  errors bigint not null,
  violations bigint not null,
  critical_violations bigint not null,
  fallbacks bigint not null,
  latency_sum double precision not null,
  latency_counts jsonb not null,
  updated_at timestamptz not null,
  primary key (deployment_id, variant, replica_id, window_start)
);

create table rollbacks (
  id uuid primary key,
  deployment_id uuid,
  use_case text not null,
  trigger text not null,
  reason text not null,
  from_model_id uuid,
  to_model_id uuid,
  actor text not null,
  status text not null,
  started_at timestamptz not null,
  completed_at timestamptz,
  duration_ms double precision,
  error text
);

create index rollbacks_use_case_idx on rollbacks (use_case, started_at);
