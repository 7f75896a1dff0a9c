/**
 * Events emitted by {@link GuardrailsMonitor}.
 * @module
 */
import type { MaintenanceReport } from '../internal/time-partitions.js';
import type { CheckFailure, GuardrailAction, GuardrailStage, Violation } from './types.js';

/** Payload of `guardrails:violation` and `guardrails:critical`. */
export interface ViolationEvent {
  readonly stage: GuardrailStage;
  readonly useCase: string | undefined;
  readonly modelId: string | undefined;
  readonly logId: string | undefined;
  readonly action: GuardrailAction;
  readonly fallbackUsed: boolean;
  readonly violations: readonly Violation[];
}

/** Payload of `guardrails:check_failed`. */
export interface CheckFailedEvent extends CheckFailure {
  readonly useCase: string | undefined;
  readonly modelId: string | undefined;
}

/** Event map of {@link GuardrailsMonitor}. */
export type GuardrailsEvents = {
  /** A check found at least one violation (one event per check, listing them). */
  'guardrails:violation': (e: ViolationEvent) => void;
  /** A check found a critical violation: alert immediately. */
  'guardrails:critical': (e: ViolationEvent) => void;
  /** A custom check threw or timed out. */
  'guardrails:check_failed': (e: CheckFailedEvent) => void;
  /** Violation records could not be stored (buffer full, write failed). */
  'guardrails:persist_failed': (e: { readonly error: unknown; readonly count: number }) => void;
  /** A partition maintenance pass of the stored violations changed something (partitions, rows). */
  'guardrails:maintained': (e: MaintenanceReport) => void;
  /** A partition maintenance pass failed; it runs again within a minute. */
  'guardrails:maintenance_failed': (e: { readonly error: unknown }) => void;
  /** A reviewer marked a violation as a false positive. */
  'guardrails:false_positive': (e: { readonly checkId: string }) => void;
};
