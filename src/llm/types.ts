/**
 * Types shared by the LLM client: the model shape it consumes and the narrow interfaces of the parts
 * it is wired to (registry, router, guardrails, log processor). Each interface names only what the
 * client calls, so fakes are trivial and the real parts satisfy them structurally.
 * @module
 */
import type { Variant } from '../deployment/index.js';
import type { InferenceStatus } from '../history/index.js';
import type { Model as RegistryModel } from '../registry/index.js';
import type { Severity } from '../severity.js';

export type { InferenceStatus, Variant };

/** A registered model as the LLM client sees it: the registry's {@link RegistryModel}, narrowed. */
export type Model = Pick<
  RegistryModel,
  'id' | 'modelName' | 'modelType' | 'provider' | 'useCase' | 'version' | 'status' | 'configuration'
>;

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Token counts reported by the provider (0 when the provider reports none). */
export interface Usage {
  tokensIn: number;
  tokensOut: number;
}

/** The registry as the client needs it. */
export interface ModelRegistryLike {
  /** The current model of `useCase`, or `null` when there is none. May throw when the registry is unreachable. */
  getCurrentModel(useCase: string): Promise<Model | null>;
  /**
   * The in-memory view (optional; the `ModelRegistry` has it): where the client looks up an active
   * deployment's previous model, without I/O, when the candidate fails.
   */
  snapshot?(): { readonly models: ReadonlyMap<string, Model> };
  /** One model by id (optional; the `ModelRegistry` has it): used when the snapshot lacks that model. */
  getModel?(id: string): Promise<Model>;
}

/** An active deployment as the client needs it (the `TrafficRouter`'s `Deployment`, narrowed). */
export interface ActiveDeploymentLike {
  readonly id: string;
  /** The model that served before the deployment (kept `standby` after a switch), or null for a first model. */
  readonly stableModelId: string | null;
}

/** What a router decides for one request (the `TrafficRouter`'s decision, narrowed). */
export interface RouteDecision {
  model: Model;
  variant: Variant;
  deploymentId: string | null;
  weight: number;
}

/** One request's outcome, reported back to the router for rollout analysis. */
export interface RouteOutcome {
  deploymentId: string;
  variant: Variant;
  /** The routed model answered (after retries). */
  ok: boolean;
  latencyMs: number;
  violations: number;
  criticalViolations: number;
  /** The answer came from somewhere other than the routed model. */
  fallback: boolean;
}

/** The traffic router as the client needs it (in-memory, no I/O). */
export interface RouterLike {
  /** Chooses stable or candidate for one request, synchronously. */
  route(useCase: string, keys: { stickyKey?: string; conversationId?: string }): RouteDecision | null;
  /** Reports one request's outcome for rollout analysis. */
  recordOutcome(outcome: RouteOutcome): void;
  /**
   * The active deployment of a use case (optional; the `TrafficRouter` has it). When a routed
   * deployment's model fails, its `stableModelId` is the stable fallback: after a blue-green or
   * all-at-once switch the registry's current model is the candidate itself.
   */
  activeDeployment?(useCase: string): ActiveDeploymentLike | null | undefined;
  /**
   * Whether this request is also sent, in the background, to a `shadow` deployment's candidate
   * (optional; the `TrafficRouter` has it).
   */
  shadowTarget?(useCase: string): { readonly deploymentId: string; readonly model: Model } | null;
  /** Records the outcomes of both models on one shadowed prompt (optional; the `TrafficRouter` has it). */
  recordShadowPair?(pair: {
    deploymentId: string;
    stable: Omit<RouteOutcome, 'deploymentId' | 'variant'>;
    candidate: Omit<RouteOutcome, 'deploymentId' | 'variant'>;
  }): void;
}

/**
 * Severity of a guardrail violation.
 * @deprecated Use {@link Severity} (one scale for every part); this alias goes in the next release.
 */
export type ViolationSeverity = Severity;

/** One guardrail violation. */
export interface GuardrailViolation {
  severity: Severity;
  category: string;
  checkId: string;
  /** The offending text, PII and secrets replaced (the `GuardrailsMonitor` gives it). */
  excerpt?: string;
  /** What was found, for people (the `GuardrailsMonitor` gives it). */
  message?: string;
}

/** Input of a guardrail check. */
export interface GuardrailCheckInput {
  text: string;
  stage: 'input' | 'output';
  useCase: string;
  modelId?: string;
  context?: Record<string, unknown>;
}

/** Verdict of a guardrail check; `text` is what may be shown (redacted or fallback content). */
export interface GuardrailCheckResult {
  allowed: boolean;
  action: 'allow' | 'flag' | 'redact' | 'block';
  text: string;
  violations: readonly GuardrailViolation[];
  fallbackUsed: boolean;
}

/**
 * Verdict on one streamed chunk: `text` is what to emit (on `stop`, the fallback content). A checker
 * that leaves `text` out (the `GuardrailsMonitor`'s) means "emit the chunk as is" on `continue`, and
 * on `stop` the fallback content comes from its `end()`.
 */
export interface StreamCheckStep {
  action: 'continue' | 'stop';
  text?: string;
  violations?: readonly GuardrailViolation[];
}

/** What a checker's `end()` may answer instead of a step: the full check of the whole streamed text. */
export interface StreamFinalVerdict {
  allowed: boolean;
  action: GuardrailCheckResult['action'];
  /** The whole text as it may be shown, or fallback content when `fallbackUsed`. */
  text: string;
  violations: readonly GuardrailViolation[];
  fallbackUsed: boolean;
}

/** Incremental output checker for streams. */
export interface StreamCheckerLike {
  /** Checks the next chunk. */
  push(chunk: string): StreamCheckStep;
  /** Called once the provider stream ended (or a chunk said `stop`): any held-back tail, or the full check of the whole text. */
  end(): StreamCheckStep | Promise<StreamFinalVerdict>;
}

/** Context handed to `createStreamChecker`. */
export interface StreamCheckContext {
  useCase: string;
  modelId?: string;
  context?: Record<string, unknown>;
}

/** The guardrails monitor as the client needs it. */
export interface GuardrailsLike {
  /** Checks one text. */
  check(input: GuardrailCheckInput): Promise<GuardrailCheckResult>;
  /** A checker for text that arrives in chunks. */
  createStreamChecker?(ctx: StreamCheckContext): StreamCheckerLike;
}

/** The entry the client hands to the log processor for every call. */
export interface InferenceLogEntry {
  modelId: string | null;
  useCase: string;
  prompt: string;
  context: Record<string, unknown>;
  generatedOutput: string;
  latencyMs: number;
  status: InferenceStatus;
  error: string | null;
  deploymentId: string | null;
  /** `'shadow'` for a shadow deployment's background call (not player traffic). */
  variant: Variant | 'shadow' | null;
  playerId: string | null;
  sessionId: string | null;
  conversationId: string | null;
  tokensIn: number;
  tokensOut: number;
  guardrails: { action: GuardrailCheckResult['action']; violations: readonly GuardrailViolation[] } | null;
  metadata: Record<string, unknown>;
}

/** The log processor as the client needs it: enqueue only, resolves with the log id. */
export interface LogProcessorLike {
  /** Accepts one entry without waiting for the database; resolves with its id. */
  logInference(entry: InferenceLogEntry): Promise<string>;
}
