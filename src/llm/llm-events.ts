import type { CircuitState } from './circuit-breaker.js';
import type { GenerateSource } from './llm-options.js';
import type { GuardrailViolation, RouteOutcome, Variant } from './types.js';

/** Payload of `llm:retry`: an attempt failed and will be repeated. */
export interface LLMRetryEvent {
  readonly useCase: string;
  readonly provider: string;
  readonly endpoint: string;
  readonly attempt: number;
  readonly code: string;
  readonly status: number | null;
  /** Wait asked for by `Retry-After`, when there was one. */
  readonly retryAfterMs: number | null;
}

/** Payload of `llm:fallback`: one source failed and the next in the chain is tried. */
export interface LLMFallbackEvent {
  readonly useCase: string;
  /** What failed: `routed` | `stable` | `fallback_endpoint` | `registry`. */
  readonly from: string;
  readonly fromEndpoint: string | null;
  readonly to: 'stable' | 'fallback_endpoint';
  readonly code: string;
  readonly message: string;
}

/** Payload of `llm:circuit_open`, `llm:circuit_half_open`, `llm:circuit_closed`. */
export interface LLMCircuitEvent {
  readonly provider: string;
  readonly endpoint: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly consecutiveFailures: number;
  readonly cooldownMs: number;
}

/** Payload of `llm:registry_unavailable` (first failure after being available) and `llm:registry_recovered`. */
export interface LLMRegistryEvent {
  readonly useCase: string;
  readonly message: string;
  /** For `llm:registry_recovered`: how long it was unavailable. */
  readonly downtimeMs: number | null;
}

/** Payload of `llm:blocked`: guardrails blocked a prompt or an answer. */
export interface LLMBlockedEvent {
  readonly useCase: string;
  readonly stage: 'input' | 'output';
  readonly modelId: string | null;
  readonly action: string;
  readonly violations: readonly GuardrailViolation[];
  readonly fallbackUsed: boolean;
}

/** Payload of `llm:completed`. */
export interface LLMCompletedEvent {
  readonly useCase: string;
  readonly modelId: string | null;
  readonly variant: Variant | null;
  readonly source: GenerateSource;
  readonly latencyMs: number;
  readonly stream: boolean;
}

/** Payload of `llm:failed`: no source could answer, or the call was aborted. */
export interface LLMFailedEvent {
  readonly useCase: string;
  readonly code: string;
  readonly message: string;
  readonly latencyMs: number;
}

/** Payload of `llm:dependency_error`: the router, log processor or guardrails threw; counted in metrics. */
export interface LLMDependencyErrorEvent {
  readonly dependency: 'router' | 'logProcessor' | 'guardrails';
  readonly useCase: string;
  readonly message: string;
}

/** One side of a shadow pair in {@link LLMShadowPairedEvent}. */
export type ShadowArmOutcome = Omit<RouteOutcome, 'deploymentId' | 'variant'>;

/**
 * Payload of `llm:shadow_paired`: a shadowed request's pair was handed to the router — what the player
 * got (`stable`) and what the candidate of the `shadow` deployment did with the same prompt.
 */
export interface LLMShadowPairedEvent {
  readonly useCase: string;
  readonly deploymentId: string;
  /** The candidate model called in the background. */
  readonly modelId: string;
  readonly stable: ShadowArmOutcome;
  readonly candidate: ShadowArmOutcome;
}

/** Events of {@link LLMClient}. */
export type LLMClientEvents = {
  /** An attempt failed and will be repeated. */
  'llm:retry': (e: LLMRetryEvent) => void;
  /** A source failed; the next one in the chain is tried. */
  'llm:fallback': (e: LLMFallbackEvent) => void;
  /** An endpoint's circuit opened: calls to it fail fast for the cooldown. */
  'llm:circuit_open': (e: LLMCircuitEvent) => void;
  /** An endpoint's cooldown ended: one trial call is let through. */
  'llm:circuit_half_open': (e: LLMCircuitEvent) => void;
  /** An endpoint's trial call succeeded: the circuit is closed again. */
  'llm:circuit_closed': (e: LLMCircuitEvent) => void;
  /** The registry failed or timed out: requests are served from the fallback endpoints. */
  'llm:registry_unavailable': (e: LLMRegistryEvent) => void;
  /** The registry answers again. */
  'llm:registry_recovered': (e: LLMRegistryEvent) => void;
  /** Guardrails blocked a prompt or an answer. */
  'llm:blocked': (e: LLMBlockedEvent) => void;
  /** A request completed (from any source). */
  'llm:completed': (e: LLMCompletedEvent) => void;
  /** No source could answer, or the call was aborted. */
  'llm:failed': (e: LLMFailedEvent) => void;
  /** The router, log processor or guardrails threw; the request went on. */
  'llm:dependency_error': (e: LLMDependencyErrorEvent) => void;
  /** A shadow call ended and its pair was recorded (background; never part of the player's request). */
  'llm:shadow_paired': (e: LLMShadowPairedEvent) => void;
};
