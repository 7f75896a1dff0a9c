/**
 * Row shapes of migration 0004 and their mapping to the public types.
 * @module
 */
import { uuidv7 } from '../internal/ids.js';
import type { AnalysisConfig, Verdict } from './judge.js';
import {
  type Deployment,
  type DeploymentPlan,
  type DeploymentStatus,
  type DeploymentStrategy,
  isActiveStatus,
} from './types.js';

/** A `deployments` row. @internal */
export type DeploymentRow = {
  id: string;
  use_case: string;
  strategy: string;
  status: string;
  active: boolean;
  candidate_model_id: string;
  stable_model_id: string | null;
  weight: number;
  step_index: number;
  plan: unknown;
  analysis: unknown;
  switched: boolean;
  actor: string;
  reason: string | null;
  last_verdict: unknown;
  step_started_at: Date;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  version: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
};

/** A `deployment_events` row. @internal */
export type EventRow = {
  id: string;
  deployment_id: string;
  at: Date;
  from_status: string | null;
  to_status: string;
  actor: string;
  reason: string | null;
  weight: number;
  verdict: unknown;
};

/** A `deployment_metrics` row. @internal */
export type MetricRow = {
  deployment_id: string;
  variant: string;
  replica_id: string;
  window_start: number | string;
  requests: number | string;
  errors: number | string;
  violations: number | string;
  critical_violations: number | string;
  fallbacks: number | string;
  latency_sum: number;
  latency_counts: unknown;
  updated_at: Date;
};

/** Kysely table map of the deployment module. */
export type DeploymentTables = {
  deployments: DeploymentRow;
  deployment_events: EventRow;
  deployment_metrics: MetricRow;
};

/** @internal */
export function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

/** @internal */
export function parseJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** @internal */
export function toRow(d: Deployment): DeploymentRow {
  return {
    id: d.id,
    use_case: d.useCase,
    strategy: d.strategy,
    status: d.status,
    active: isActiveStatus(d.status),
    candidate_model_id: d.candidateModelId,
    stable_model_id: d.stableModelId,
    weight: d.weight,
    step_index: d.stepIndex,
    plan: JSON.stringify(d.plan),
    analysis: JSON.stringify(d.analysis),
    switched: d.switched,
    actor: d.actor,
    reason: d.reason,
    last_verdict: json(d.lastVerdict),
    step_started_at: d.stepStartedAt,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    finished_at: d.finishedAt,
    version: d.version,
    lease_owner: d.leaseOwner,
    lease_expires_at: d.leaseExpiresAt,
  };
}

/** @internal */
export function fromRow(r: DeploymentRow): Deployment {
  return {
    id: r.id,
    useCase: r.use_case,
    strategy: r.strategy as DeploymentStrategy,
    status: r.status as DeploymentStatus,
    candidateModelId: r.candidate_model_id,
    stableModelId: r.stable_model_id,
    weight: Number(r.weight),
    stepIndex: Number(r.step_index),
    plan: parseJson(r.plan) as DeploymentPlan,
    analysis: parseJson(r.analysis) as AnalysisConfig,
    switched: Boolean(r.switched),
    actor: r.actor,
    reason: r.reason,
    lastVerdict: (parseJson(r.last_verdict) ?? null) as Verdict | null,
    stepStartedAt: new Date(r.step_started_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    version: Number(r.version),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at ? new Date(r.lease_expires_at) : null,
  };
}

/** @internal */
export function eventRow(d: Deployment, from: DeploymentStatus | null, actor: string, at: Date): EventRow {
  return {
    id: uuidv7(at.getTime()),
    deployment_id: d.id,
    at,
    from_status: from,
    to_status: d.status,
    actor,
    reason: d.reason,
    weight: d.weight,
    verdict: json(d.lastVerdict),
  };
}
