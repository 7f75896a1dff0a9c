/**
 * Shadow calls: for a request the router sampled (`router.shadowTarget`), the candidate of a `shadow`
 * deployment is called in the background with the same (input-guarded) prompt. Nothing the player's
 * request does waits for it: the stable answer is returned as usual, and the pair (stable outcome,
 * candidate outcome) goes to the router once both are known. Bounded: at most `maxConcurrency` shadow
 * calls in flight per client (a sampled request beyond that is skipped and counted), each within
 * `timeoutMs`; `close()` cancels those in flight. Shadow answers are checked by the output guardrails,
 * logged with `variant: 'shadow'` (no player, session or conversation) and never counted as requests.
 * @module
 */
import type { TypedEmitter } from '../events.js';
import { Deadline } from './deadline.js';
import type { EndpointCaller } from './endpoint-caller.js';
import type { LLMClientEvents } from './llm-events.js';
import { DEFAULT_LLM_CLIENT_OPTIONS, type GenerateInput, type LLMClientOptions } from './llm-options.js';
import { modelTarget } from './model-target.js';
import type { ProviderResponse } from './provider.js';
import { errorCode, type RequestPath } from './request-path.js';
import type { GuardrailCheckResult, Model, RouteOutcome, RouterLike } from './types.js';

/** Bounds of shadow calls (`LLMClientOptions.shadow`). */
export interface ShadowOptions {
  /** Shadow calls in flight at most, per client; a sampled request beyond it is skipped. @default 16 */
  maxConcurrency?: number;
  /** Budget of one shadow call (every attempt). @default the client's `requestTimeoutMs` */
  timeoutMs?: number;
}

/** Counters of shadow calls since the client was made. */
export interface ShadowStats {
  /** Shadow calls started. */
  started: number;
  /** Sampled requests not shadowed because `maxConcurrency` calls were in flight. */
  skipped: number;
  /** Pairs handed to the router. */
  paired: number;
  /** Shadow calls that failed (counted in their pair as a candidate error). */
  failed: number;
  /** Shadow calls cancelled by `close()` or left unpaired (the player's request was aborted). */
  cancelled: number;
  /** Shadow calls in flight now. */
  inFlight: number;
}

/** Outcome of one arm as the router's pair wants it. */
type Arm = Omit<RouteOutcome, 'deploymentId' | 'variant'>;

/** A started shadow call: hand it the player's outcome (or nothing, when the request was abandoned). */
export interface ShadowHandle {
  /** Pairs the candidate's outcome with the stable one once the shadow call ends. Never throws. */
  settle(stable: Arm | null): void;
}

/** The client's shadow calls. @internal */
export class ShadowRunner {
  readonly stats: ShadowStats = { started: 0, skipped: 0, paired: 0, failed: 0, cancelled: 0, inFlight: 0 };
  private readonly stop = new AbortController();
  private readonly maxConcurrency: number;

  constructor(
    private readonly deps: {
      caller: EndpointCaller;
      path: RequestPath;
      router: RouterLike | undefined;
      outputGuardrails: boolean;
      timeoutMs: number;
      emitter?: TypedEmitter<LLMClientEvents>;
    },
    options: ShadowOptions = {},
  ) {
    this.maxConcurrency = options.maxConcurrency ?? 16;
    if (options.timeoutMs !== undefined) this.deps = { ...deps, timeoutMs: options.timeoutMs };
  }

  /** Starts the shadow call of a request when the router sampled it; null otherwise. Synchronous. */
  maybeStart(input: GenerateInput): ShadowHandle | null {
    const router = this.deps.router;
    if (!router?.shadowTarget || this.stop.signal.aborted) return null;
    let target: { deploymentId: string; model: Model } | null;
    try {
      target = router.shadowTarget(input.useCase);
    } catch (error) {
      this.deps.path.dependencyError('router', input.useCase, error);
      return null;
    }
    if (!target) return null;
    if (this.stats.inFlight >= this.maxConcurrency) {
      this.stats.skipped++;
      return null;
    }
    this.stats.started++;
    this.stats.inFlight++;
    const candidate = this.run(input, target.model, target.deploymentId).finally(() => {
      this.stats.inFlight--;
    });
    return {
      settle: (stable) => {
        void candidate.then((c) => {
          if (c === null || stable === null) {
            this.stats.cancelled++;
            return;
          }
          try {
            router.recordShadowPair?.({ deploymentId: target.deploymentId, stable, candidate: c });
            this.stats.paired++;
            this.deps.emitter?.emitSafely('llm:shadow_paired', {
              useCase: input.useCase,
              deploymentId: target.deploymentId,
              modelId: target.model.id,
              stable,
              candidate: c,
            });
          } catch (error) {
            this.deps.path.dependencyError('router', input.useCase, error);
          }
        });
      },
    };
  }

  /** Cancels shadow calls in flight; later sampled requests are not shadowed. */
  close(): void {
    this.stop.abort(new Error('LLMClient closed: shadow call cancelled'));
  }

  /** The candidate's call, guardrails and log entry; null when cancelled. Never rejects. */
  private async run(input: GenerateInput, model: Model, deploymentId: string): Promise<Arm | null> {
    const t0 = performance.now();
    const deadline = new Deadline([this.stop.signal], this.deps.timeoutMs);
    const { path } = this.deps;
    let value: ProviderResponse | null = null;
    let failure: unknown = null;
    let verdict: GuardrailCheckResult | null = null;
    let redact = (t: string) => t;
    try {
      const target = modelTarget(model, input.useCase, 'candidate', deploymentId);
      ({ value, redact } = await this.deps.caller.call(target, input, deadline, (p, req) => p.generate(req)));
      if (this.deps.outputGuardrails) verdict = await path.check(value.text, 'output', input, model.id);
    } catch (error) {
      failure = error;
    } finally {
      deadline.dispose();
    }
    if (this.stop.signal.aborted) return null;
    const latencyMs = performance.now() - t0;
    const violations = verdict?.violations ?? [];
    const replaced = verdict !== null && (!verdict.allowed || verdict.fallbackUsed);
    if (failure !== null && value === null) this.stats.failed++;
    const prompt = input.prompt ?? (input.messages ?? []).map((m) => `${m.role}: ${m.content}`).join('\n');
    void path.log({
      modelId: model.id,
      useCase: input.useCase,
      prompt: redact(prompt),
      context: input.context ?? {},
      generatedOutput: value ? redact(value.text) : '',
      latencyMs,
      status: value === null ? 'error' : verdict && !verdict.allowed ? 'blocked' : 'ok',
      error: value === null ? redact(`${errorCode(failure)}: ${messageOf(failure)}`) : null,
      deploymentId,
      variant: 'shadow',
      playerId: null,
      sessionId: null,
      conversationId: null,
      tokensIn: value?.usage.tokensIn ?? 0,
      tokensOut: value?.usage.tokensOut ?? 0,
      guardrails: verdict ? { action: verdict.action, violations } : null,
      metadata: { ...input.metadata, shadow: true },
    });
    return {
      ok: value !== null,
      latencyMs,
      violations: value ? violations.length : 0,
      criticalViolations: value ? violations.filter((v) => v.severity === 'critical').length : 0,
      fallback: value !== null && replaced,
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The client's shadow runner, from its options. @internal */
export function startShadowRunner(
  caller: EndpointCaller,
  path: RequestPath,
  options: LLMClientOptions,
  outputGuardrails: boolean,
  emitter?: TypedEmitter<LLMClientEvents>,
): ShadowRunner {
  return new ShadowRunner(
    {
      caller,
      path,
      router: options.router,
      outputGuardrails,
      ...(emitter && { emitter }),
      timeoutMs: options.requestTimeoutMs ?? DEFAULT_LLM_CLIENT_OPTIONS.requestTimeoutMs,
    },
    options.shadow,
  );
}
