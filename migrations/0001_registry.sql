-- Core: change-feed versions (the safety-net poll target) and the model registry.
create table if not exists mms_change_versions (
  topic text primary key,
  version bigint not null
);

create table models (
  id uuid primary key,
  model_name text not null,
  model_type text not null,
  provider text not null,
  use_case text not null,
  version text not null,
  status text not null,
  configuration jsonb not null,
  tags jsonb not null,
  metadata jsonb not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint models_status_check check (status in ('candidate', 'current', 'standby', 'deprecated', 'retired', 'failed'))
);

create unique index models_identity_key on models (use_case, model_name, version);

-- The database itself guarantees one current model per use case, whatever the number of processes.
-- (use_case, status) rather than (use_case): the same guarantee, since status is constant inside the
-- partial index, and pg-mem would otherwise answer every `where use_case = …` from this partial index.
create unique index models_one_current_per_use_case on models (use_case, status) where status = 'current';

create index models_use_case_status_idx on models (use_case, status);

create table model_status_history (
  id uuid primary key,
  model_id uuid not null references models (id),
  use_case text not null,
  from_status text,
  to_status text not null,
  reason text,
  actor text not null,
  changed_at timestamptz not null
);

create index model_status_history_model_idx on model_status_history (model_id, changed_at);

create index model_status_history_use_case_idx on model_status_history (use_case, changed_at);
