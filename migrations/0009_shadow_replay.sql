-- Shadow strategy and replay from history (issue #16).
-- New strategy `shadow` and terminal status `shadow_passed` (the candidate passed on shadowed traffic;
-- players never saw it).
alter table deployments drop constraint deployments_strategy_check;
alter table deployments add constraint deployments_strategy_check
  check (strategy in ('blue_green', 'canary', 'all_at_once', 'shadow'));
alter table deployments drop constraint deployments_status_check;
alter table deployments add constraint deployments_status_check
  check (status in ('pending', 'validating', 'progressing', 'paused', 'promoting', 'succeeded', 'shadow_passed', 'rolling_back', 'rolled_back', 'failed', 'aborted'));

-- Paired outcomes (previous model and candidate on the same prompt) per deployment, replica and window;
-- each replica owns its rows (absolute values, replaced on every flush).
create table deployment_shadow_metrics (
  deployment_id uuid not null,
  replica_id text not null,
  window_start bigint not null,
  pairs bigint not null,
  counts jsonb not null,
  updated_at timestamptz not null,
  primary key (deployment_id, replica_id, window_start)
);

-- Stored results of `DeploymentManager.replay()`.
create table replay_comparisons (
  id uuid primary key,
  use_case text not null,
  stable_model_id uuid not null,
  candidate_model_id uuid not null,
  range_from timestamptz not null,
  range_to timestamptz not null,
  requested_sample integer not null,
  pairs integer not null,
  scanned integer not null,
  skipped integer not null,
  verdict text not null,
  result jsonb not null,
  actor text not null,
  created_at timestamptz not null
);

create index replay_comparisons_use_case_idx on replay_comparisons (use_case, created_at);
