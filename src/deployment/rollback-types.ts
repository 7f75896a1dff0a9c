import type { Verdict } from './judge.js';

/** Who started a rollback: the SDK itself (failed verdict, failed validation, error) or a person/tool. */
export type RollbackTrigger = 'automatic' | 'manual';

/** A recorded rollback. */
export interface Rollback {
  readonly id: string;
  /** The deployment rolled back, or null for a rollback outside any deployment. */
  readonly deploymentId: string | null;
  readonly useCase: string;
  readonly trigger: RollbackTrigger;
  /** Why, in plain words (for automatic ones, the judge's reason). */
  readonly reason: string;
  /** The model taken out of service. */
  readonly from: string | null;
  /** The model serving again. */
  readonly to: string | null;
  readonly actor: string;
  /** `in_progress` until it finishes; `failed` if the registry refused a step (see `error`). */
  readonly status: 'in_progress' | 'completed' | 'failed';
  /** When the decision was taken. */
  readonly startedAt: Date;
  readonly completedAt: Date | null;
  readonly durationMs: number | null;
  readonly error: string | null;
}

/** Options of `rollback()`. */
export interface RollbackOptions {
  /** Why, in plain words. Required. */
  reason: string;
  /** Model to restore; defaults to the model that was current before the deployment. */
  toModelId?: string;
  /** Who asked. @default 'sdk' */
  actor?: string;
  /** @default 'manual' */
  trigger?: RollbackTrigger;
}

/** Payload of `deployment:rolled_back`. */
export interface RolledBackEvent {
  readonly rollback: Rollback;
  /** The failing verdict (with its figures) that triggered an automatic rollback; null otherwise. */
  readonly verdict?: Verdict | null;
}
