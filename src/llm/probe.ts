import { ProviderTimeoutError, ValidationError } from '../errors.js';
import { describe } from '../internal/validate.js';
import { Deadline } from './deadline.js';
import type { EndpointCaller } from './endpoint-caller.js';
import type { LLMCounters } from './llm-metrics.js';
import { type GenerateInput, validateGenerateInput } from './llm-options.js';
import { modelTarget } from './model-target.js';
import type { ProviderResponse } from './provider.js';
import { errorCode, type RequestPath } from './request-path.js';
import type { ChatMessage, GuardrailCheckResult, InferenceLogEntry, Model, Usage } from './types.js';

/** Input of {@link LLMClient.probe}: exactly one of `prompt` and `messages`. */
export interface ProbeInput {
  prompt?: string;
  messages?: ChatMessage[];
  /** Budget of the whole probe (every attempt). @default the client's `requestTimeoutMs` */
  timeoutMs?: number;
  /** Aborts the probe; the abort reason is rethrown. */
  signal?: AbortSignal;
  maxTokens?: number;
  /** 0–2. */
  temperature?: number;
  /** Retries after the first attempt (0–10). @default the client's `retry.retries` (or the model's `maxRetries`) */
  retries?: number;
  /** Check the answer with the client's output guardrails. @default the client's `outputGuardrails` (when it has `guardrails`) */
  guardrails?: boolean;
  /** Logged with the probe, besides `smoke: true`. */
  metadata?: Record<string, unknown>;
}

/** Result of {@link LLMClient.probe}. */
export interface ProbeResult {
  /** The model's answer as it gave it (never replaced by fallback content: see `guardrails`). */
  text: string;
  latencyMs: number;
  usage: Usage;
  /** Verdict of the client's output guardrails on `text`; absent when not checked. */
  guardrails?: Pick<GuardrailCheckResult, 'allowed' | 'action' | 'violations' | 'fallbackUsed'>;
}

/** What a probe needs from its client. @internal */
export interface ProbeDeps {
  caller: EndpointCaller;
  path: RequestPath;
  counters: LLMCounters;
  requestTimeoutMs: number;
  outputGuardrails: boolean;
  /** The client has a guardrails monitor (a probe may ask for a check even with `outputGuardrails: false`). */
  hasGuardrails: boolean;
}

/**
 * Calls `model` itself once (with the client's providers, secrets, retries and breakers): no routing,
 * no fallback chain, no outcome recorded; logged with `metadata.smoke = true`. @internal
 */
export async function runProbe(d: ProbeDeps, model: Model, input: ProbeInput): Promise<ProbeResult> {
  validateProbe(model, input);
  const t0 = performance.now();
  d.counters.probes++;
  const budgetMs = input.timeoutMs ?? d.requestTimeoutMs;
  const deadline = new Deadline([input.signal], budgetMs);
  const request: GenerateInput = {
    useCase: model.useCase,
    ...(input.prompt !== undefined ? { prompt: input.prompt } : { messages: input.messages! }),
  };
  const metadata = { ...input.metadata, smoke: true, probe: true };
  let fields = { provider: model.provider, endpoint: null as string | null };
  try {
    const target = modelTarget(model, model.useCase, null, null);
    fields = { provider: target.provider, endpoint: target.config.endpointLabel };
    let value: ProviderResponse;
    let redact = (text: string) => text;
    try {
      ({ value, redact } = await d.caller.call(target, input, deadline, (p, req) => p.generate(req), {
        retries: input.retries,
      }));
    } catch (error) {
      if (deadline.timedOut) {
        throw new ProviderTimeoutError(`probe of model ${model.id} ran out of its ${budgetMs} ms budget`, {
          cause: error,
          details: { modelId: model.id, timeoutMs: budgetMs, ...fields },
        });
      }
      if (input.signal?.aborted) throw input.signal.reason;
      throw error;
    }
    const check = input.guardrails ?? d.outputGuardrails;
    const verdict =
      check && d.hasGuardrails ? await d.path.check(value.text, 'output', request, model.id) : null;
    const latencyMs = performance.now() - t0;
    void d.path.log(
      probeEntry(request, {
        modelId: model.id,
        generatedOutput: redact(value.text),
        latencyMs,
        status: verdict && !verdict.allowed ? 'blocked' : 'ok',
        error: null,
        deploymentId: null,
        variant: null,
        tokensIn: value.usage.tokensIn,
        tokensOut: value.usage.tokensOut,
        guardrails: verdict ? { action: verdict.action, violations: verdict.violations } : null,
        metadata: { ...metadata, ...fields },
      }),
    );
    const result: ProbeResult = { text: value.text, latencyMs, usage: value.usage };
    if (verdict) {
      const { allowed, action, violations, fallbackUsed } = verdict;
      result.guardrails = { allowed, action, violations, fallbackUsed };
    }
    return result;
  } catch (error) {
    d.counters.probeFailures++;
    if (!(error instanceof ValidationError)) {
      const message = error instanceof Error ? error.message : String(error);
      void d.path.log(
        probeEntry(request, {
          modelId: model.id,
          generatedOutput: '',
          latencyMs: performance.now() - t0,
          status: 'error',
          error: `${errorCode(error)}: ${message}`,
          deploymentId: null,
          variant: null,
          tokensIn: 0,
          tokensOut: 0,
          guardrails: null,
          metadata: { ...metadata, ...fields },
        }),
      );
    }
    throw error;
  } finally {
    deadline.dispose();
  }
}

/** The log entry of a probe (no player, session or conversation: it is not player traffic). */
function probeEntry(
  request: GenerateInput,
  fields: Omit<
    InferenceLogEntry,
    'useCase' | 'prompt' | 'context' | 'playerId' | 'sessionId' | 'conversationId'
  >,
): InferenceLogEntry {
  const prompt = request.prompt ?? (request.messages ?? []).map((m) => `${m.role}: ${m.content}`).join('\n');
  return {
    useCase: request.useCase,
    prompt,
    context: {},
    playerId: null,
    sessionId: null,
    conversationId: null,
    ...fields,
  };
}

/** Throws a `ValidationError` naming the first wrong field of a probe's model or input. */
function validateProbe(model: Model, input: ProbeInput): void {
  if (typeof model !== 'object' || model === null) {
    throw new ValidationError(
      `Expected the model of probe() to be a registered model, got ${describe(model)}`,
      {
        field: 'model',
      },
    );
  }
  for (const f of ['id', 'provider', 'useCase', 'modelName'] as const) {
    if (typeof model[f] !== 'string' || model[f] === '') {
      throw new ValidationError(
        `Expected \`model.${f}\` to be a non-empty string, got ${describe(model[f])}`,
        {
          field: `model.${f}`,
        },
      );
    }
  }
  if (typeof input !== 'object' || input === null) {
    throw new ValidationError(`Expected the input of probe() to be an object, got ${describe(input)}`);
  }
  const { retries, guardrails, ...generateInput } = input;
  validateGenerateInput({ ...generateInput, useCase: model.useCase });
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0 || retries > 10)) {
    throw new ValidationError(
      `Expected \`retries\` to be an integer from 0 to 10, got ${describe(retries)}`,
      {
        field: 'retries',
      },
    );
  }
  if (guardrails !== undefined && typeof guardrails !== 'boolean') {
    throw new ValidationError(`Expected \`guardrails\` to be a boolean, got ${describe(guardrails)}`, {
      field: 'guardrails',
    });
  }
}
