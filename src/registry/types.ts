import type { Page } from '../internal/cursor.js';

/** Lifecycle status of a model version. */
export type ModelStatus = 'candidate' | 'current' | 'standby' | 'deprecated' | 'retired' | 'failed';

/** Every status, in lifecycle order. */
export const MODEL_STATUSES: readonly ModelStatus[] = [
  'candidate',
  'current',
  'standby',
  'deprecated',
  'retired',
  'failed',
];

/** A JSON value as stored in `configuration` and `metadata`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** One registered model version. */
export interface Model {
  /** UUIDv7, made on registration. */
  readonly id: string;
  /** Name of the model, e.g. `foundation-model-v1`. */
  readonly modelName: string;
  /** Kind of deployment, e.g. `self_hosted`, `api`. */
  readonly modelType: string;
  /** Provider that serves it: `ollama`, `openai`, `http`, `simulated` or one the host registered. */
  readonly provider: string;
  /** Use case it serves, e.g. `foundation_layer`. */
  readonly useCase: string;
  /** Version label, unique per (useCase, modelName). */
  readonly version: string;
  /** Lifecycle status. */
  readonly status: ModelStatus;
  /** Provider configuration (endpoint, model, `apiKeyEnv`…); never secrets. */
  readonly configuration: Readonly<JsonObject>;
  /** Free labels for filtering. */
  readonly tags: readonly string[];
  /** Free host data (training run, dataset, owner…). */
  readonly metadata: Readonly<JsonObject>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Input of `registerModel`. */
export interface RegisterModelInput {
  modelName: string;
  modelType: string;
  provider: string;
  useCase: string;
  version: string;
  /** Provider configuration; at most 64 KB as JSON; secrets are refused (use `apiKeyEnv`). */
  configuration?: JsonObject;
  tags?: string[];
  metadata?: JsonObject;
  /** Who registers it, recorded in the status history. @default the registry's `actor` */
  actor?: string;
}

/** Options of a status change. */
export interface StatusChangeOptions {
  /** Why, in plain words; recorded in the history. */
  reason?: string;
  /** Who, recorded in the history. @default the registry's `actor` */
  actor?: string;
}

/** One recorded status transition. */
export interface StatusHistoryEntry {
  readonly id: string;
  readonly modelId: string;
  readonly useCase: string;
  /** `null` for the registration itself. */
  readonly fromStatus: ModelStatus | null;
  readonly toStatus: ModelStatus;
  readonly reason: string | null;
  readonly actor: string;
  readonly changedAt: Date;
}

/** Filters of `listModels`. */
export interface ListModelsQuery {
  useCase?: string;
  status?: ModelStatus;
  provider?: string;
  modelName?: string;
  tag?: string;
  /** Page size. @default 50 (at most 500) */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * A page of models, newest first.
 * @deprecated Use `Page<Model>`; this alias goes in the next release.
 */
export type ModelPage = Page<Model>;

/** The registry's in-memory view, read synchronously by the traffic router. */
export interface RegistrySnapshot {
  /** Increases with every applied change. */
  readonly version: number;
  /** The current model of each use case. */
  readonly currentByUseCase: ReadonlyMap<string, Model>;
  /** Every model known to the snapshot, by id. */
  readonly models: ReadonlyMap<string, Model>;
  /** When the snapshot was last confirmed against the database (ms since epoch). */
  readonly refreshedAt: number;
}
