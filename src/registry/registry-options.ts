import type { Database } from '../db/database.js';
import type { ModelManagementError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { HistogramSummary } from '../internal/histogram.js';
import type { Logger } from '../logger.js';
import type { Model, ModelStatus } from './types.js';

/** Options of {@link ModelRegistry}. */
export interface ModelRegistryOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** The shared database. @default the default database from the environment (see `getDefaultDatabase`) */
  db?: Database | Promise<Database>;
  /** @default systemClock */
  clock?: Clock;
  /** Safety-net poll of the change version, in ms. @default 1000 */
  pollIntervalMs?: number;
  /** How long the database may be unreachable before `registry:unavailable_alert`. @default 30000 (the host guide) */
  unavailableAlertMs?: number;
  /** Provider names accepted by `registerModel`. @default DEFAULT_PROVIDERS plus `extraProviders` */
  providers?: readonly string[];
  /** Providers the host added on top of the built-in ones. @default [] */
  extraProviders?: readonly string[];
  /** Actor recorded when a call names none. @default 'sdk' */
  actor?: string;
}

/** Defaults of {@link ModelRegistryOptions}. */
export const DEFAULT_REGISTRY_OPTIONS = {
  pollIntervalMs: 1000,
  unavailableAlertMs: 30_000,
  actor: 'sdk',
} as const;

/** Events of {@link ModelRegistry}. */
export interface ModelRegistryEvents {
  /** A model was registered through this instance. */
  'registry:model_registered': (e: { readonly model: Model; readonly actor: string }) => void;
  /** A status transition committed through this instance (a promotion emits one for the demoted model too). */
  'registry:status_changed': (e: StatusChangedEvent) => void;
  /** The snapshot of `useCase` changed (a write from this or any replica). */
  'registry:changed': (e: { readonly useCase: string; readonly version: number }) => void;
  /** The database became unreachable; lookups keep serving the last snapshot. */
  'registry:unavailable': (e: { readonly since: Date; readonly error: ModelManagementError }) => void;
  /** Unreachable for longer than `unavailableAlertMs` (the host guide: alert after 30 s). Once per outage. */
  'registry:unavailable_alert': (e: { readonly since: Date; readonly durationMs: number }) => void;
  /** Reachable again; the snapshot is refreshed. */
  'registry:recovered': (e: { readonly downtimeMs: number }) => void;
}

/** Payload of `registry:status_changed`. */
export interface StatusChangedEvent {
  readonly model: Model;
  readonly from: ModelStatus;
  readonly to: ModelStatus;
  readonly reason: string | null;
  readonly actor: string;
  readonly at: Date;
}

/** Figures of `registry.metrics()`. */
export interface RegistryMetrics {
  readonly lookups: number;
  readonly lookupLatencyMs: HistogramSummary;
  readonly registrations: { readonly ok: number; readonly failed: number };
  readonly statusChanges: number;
  readonly snapshotVersion: number;
  /** Age of the snapshot in ms; null before the first load. */
  readonly snapshotAgeMs: number | null;
  readonly unavailable: boolean;
}
