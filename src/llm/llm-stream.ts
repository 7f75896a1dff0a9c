import { ModelManagementError, ProviderTimeoutError } from '../errors.js';
import { Deadline } from './deadline.js';
import type { EndpointCaller } from './endpoint-caller.js';
import type { GenerateInput, GenerateResult, GenerateSource } from './llm-options.js';
import type { ProviderResponse, ProviderStreamChunk } from './provider.js';
import type { RequestPipeline } from './request-pipeline.js';
import { toProviderError } from './retry.js';
import type {
  GuardrailCheckResult,
  GuardrailsLike,
  GuardrailViolation,
  InferenceLogEntry,
  RouteDecision,
  StreamCheckerLike,
  Usage,
} from './types.js';

/**
 * A streamed answer: iterate it (once) for text chunks; `result` settles when the iteration ends,
 * with the same fields as `generate()` (rejects when the stream failed or was cancelled).
 */
export interface LLMStream extends AsyncIterable<string> {
  readonly result: Promise<GenerateResult>;
}

/** What a stream needs from its client. @internal */
export interface StreamDeps {
  pipeline: RequestPipeline;
  caller: EndpointCaller;
  guardrails: GuardrailsLike | undefined;
  requestTimeoutMs: number;
  prepare(input: GenerateInput): Promise<GenerateInput | { blocked: GuardrailCheckResult }>;
  blockedInput(input: GenerateInput, verdict: GuardrailCheckResult, t0: number): Promise<GenerateResult>;
  entry(
    input: GenerateInput,
    fields: Omit<
      InferenceLogEntry,
      'useCase' | 'prompt' | 'context' | 'playerId' | 'sessionId' | 'conversationId'
    >,
  ): InferenceLogEntry;
  completed(
    useCase: string,
    modelId: string | null,
    variant: GenerateResult['variant'],
    source: GenerateSource,
    latencyMs: number,
  ): void;
  failed(input: GenerateInput, route: RouteDecision | null, error: unknown, t0: number): void;
}

interface Opened {
  it: AsyncIterator<ProviderStreamChunk>;
  first: IteratorResult<ProviderStreamChunk>;
}

/** Starts a stream (lazily: nothing is called before the first `next()`). @internal */
export function openStream(input: GenerateInput, deps: StreamDeps): LLMStream {
  let settle!: { resolve: (r: GenerateResult) => void; reject: (e: unknown) => void };
  const result = new Promise<GenerateResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  result.catch(() => {}); // a host that only iterates must not get an unhandled rejection
  let started = false;
  return {
    result,
    [Symbol.asyncIterator]() {
      if (started)
        throw new ModelManagementError('STREAM_CONSUMED', 'An LLMStream can be iterated only once');
      started = true;
      return run(input, deps, settle)[Symbol.asyncIterator]();
    },
  };
}

async function* run(
  input: GenerateInput,
  deps: StreamDeps,
  settle: { resolve: (r: GenerateResult) => void; reject: (e: unknown) => void },
): AsyncGenerator<string> {
  const t0 = performance.now();
  const budgetMs = input.timeoutMs ?? deps.requestTimeoutMs;
  const stop = new AbortController();
  const deadline = new Deadline([input.signal, stop.signal], budgetMs);
  let route: RouteDecision | null = null;
  let opened: (Opened & { ad: Deadline | null }) | null = null;
  let done = false;
  try {
    const prepared = await deps.prepare(input);
    if ('blocked' in prepared) {
      const r = await deps.blockedInput(input, prepared.blocked, t0);
      done = true;
      settle.resolve(r);
      yield r.text;
      return;
    }
    route = deps.pipeline.route(input);
    const served = await deps.pipeline.serve(prepared, route, deadline, budgetMs, async (target) => {
      const { value, attemptDeadline } = await deps.caller.call(
        target,
        prepared,
        deadline,
        async (provider, req): Promise<Opened> => {
          const source = provider.stream ? provider.stream(req) : single(provider.generate(req));
          const it = source[Symbol.asyncIterator]();
          try {
            return { it, first: await it.next() };
          } catch (error) {
            await it.return?.().catch(() => undefined);
            throw error;
          }
        },
        { keepDeadline: true },
      );
      return { ...value, ad: attemptDeadline };
    });
    opened = served.value;
    const { target } = served;
    const modelId = target.model?.id;
    const checker = deps.guardrails?.createStreamChecker?.({
      useCase: input.useCase,
      modelId,
      context: input.context,
    });
    const bufferAll = deps.guardrails !== undefined && checker === undefined;
    const violations: GuardrailViolation[] = [];
    let emitted = '';
    let held = '';
    let raw = '';
    let usage: Usage = { tokensIn: 0, tokensOut: 0 };
    let stopped = false;
    let verdict: GuardrailCheckResult | null = null;
    let step = opened.first;
    while (!step.done) {
      const chunk = step.value;
      if (chunk.usage) usage = chunk.usage;
      raw += chunk.text;
      if (chunk.text !== '' && !bufferAll) {
        const s = checker ? checker.push(chunk.text) : { action: 'continue' as const, text: chunk.text };
        if (s.violations) violations.push(...s.violations);
        let out = s.text ?? '';
        if (s.text === undefined && s.action === 'continue') {
          // A verdict-only checker (no `text`) holds nothing back itself: keep the last characters
          // until later chunks show they do not start a listed term.
          held += chunk.text;
          const cut = Math.max(0, held.length - VERDICT_CHECKER_HOLDBACK_CHARS);
          out = held.slice(0, cut);
          held = held.slice(cut);
        }
        if (out !== '') {
          emitted += out;
          yield out;
        }
        if (s.action === 'stop') {
          stopped = true;
          // A checker that gives no fallback text on `stop` gives it from its full check in end().
          if (s.text === undefined && checker) {
            const final = await finish(checker, violations);
            if (final.fallback !== '') {
              emitted += final.fallback;
              yield final.fallback;
            }
          }
          break;
        }
      }
      try {
        step = await opened.it.next();
      } catch (error) {
        if (deadline.signal.aborted)
          throw deadline.timedOut ? budgetError(input, budgetMs, error) : deadline.signal.reason;
        throw toProviderError(error, `${target.provider} ${target.config.endpointLabel}`, {
          endpoint: target.config.endpointLabel,
        });
      }
    }
    if (stopped) {
      stop.abort();
      await opened.it.return?.().catch(() => undefined);
    } else if (checker) {
      const final = await finish(checker, violations);
      stopped = final.stop;
      const tail = stopped ? final.fallback : held + final.fallback;
      if (tail !== '') {
        emitted += tail;
        yield tail;
      }
    } else if (bufferAll) {
      verdict = await deps.pipeline.check(raw, 'output', input, modelId);
      stopped = !verdict.allowed || verdict.fallbackUsed;
      violations.push(...verdict.violations);
      emitted = verdict.text;
      if (emitted !== '') yield emitted;
    }
    const action = verdict?.action ?? (stopped ? 'block' : violations.length > 0 ? 'flag' : 'allow');
    if (stopped) {
      deps.pipeline.blocked(input, 'output', modelId ?? null, {
        allowed: false,
        action,
        text: emitted,
        violations,
        fallbackUsed: true,
      });
    }
    const source: GenerateSource = stopped
      ? 'fallback_content'
      : target.kind === 'model'
        ? 'model'
        : 'fallback_endpoint';
    const latencyMs = performance.now() - t0;
    const routedServed = route !== null && target.model === route.model;
    deps.pipeline.recordOutcome(route, input.useCase, {
      ok: routedServed,
      latencyMs,
      violations: routedServed ? violations.length : 0,
      criticalViolations: routedServed ? violations.filter((v) => v.severity === 'critical').length : 0,
      fallback: !routedServed || stopped,
    });
    const guardrails = deps.guardrails ? { action, violations } : null;
    const logId = await deps.pipeline.log(
      deps.entry(input, {
        modelId: modelId ?? null,
        generatedOutput: emitted,
        latencyMs,
        status: stopped ? 'blocked' : source === 'model' && served.failures.length === 0 ? 'ok' : 'fallback',
        error: null,
        deploymentId: target.deploymentId,
        variant: target.variant,
        tokensIn: usage.tokensIn,
        tokensOut: usage.tokensOut,
        guardrails,
        metadata: { ...input.metadata, source, stream: true, provider: target.provider },
      }),
    );
    done = true;
    deps.completed(input.useCase, modelId ?? null, target.variant, source, latencyMs);
    settle.resolve({
      text: emitted,
      modelId: modelId ?? null,
      modelVersion: target.model?.version ?? null,
      variant: target.variant,
      deploymentId: target.deploymentId,
      latencyMs,
      usage,
      logId,
      guardrails: guardrails ? { ...guardrails, fallbackUsed: stopped } : null,
      source,
    });
  } catch (error) {
    done = true;
    deps.failed(input, route, error, t0);
    settle.reject(error);
    throw error;
  } finally {
    if (!done) {
      // The consumer stopped iterating early: cancel the provider call and report it.
      const cancelled = new DOMException('The stream was cancelled by its consumer', 'AbortError');
      stop.abort(cancelled);
      await opened?.it.return?.().catch(() => undefined);
      deps.failed(input, route, cancelled, t0);
      settle.reject(cancelled);
    }
    opened?.ad?.dispose();
    deadline.dispose();
  }
}

async function* single(pending: Promise<ProviderResponse>): AsyncGenerator<ProviderStreamChunk> {
  const r = await pending;
  yield { text: r.text, usage: r.usage };
}

function budgetError(input: GenerateInput, budgetMs: number, cause: unknown): ProviderTimeoutError {
  return new ProviderTimeoutError(
    `generateStream() for use case '${input.useCase}' ran out of its ${budgetMs} ms budget`,
    {
      cause,
      details: { useCase: input.useCase, timeoutMs: budgetMs },
    },
  );
}

/** Characters held back behind a verdict-only stream checker (longer than any listed term). */
const VERDICT_CHECKER_HOLDBACK_CHARS = 64;

/**
 * Ends a stream checker. A step's `text` is a held-back tail (or fallback content on `stop`); a full
 * verdict (the `GuardrailsMonitor`'s `end()`) replaces the incremental violations, and only its
 * fallback content is emitted (the text itself was streamed already).
 */
async function finish(
  checker: StreamCheckerLike,
  violations: GuardrailViolation[],
): Promise<{ fallback: string; stop: boolean }> {
  const s = await checker.end();
  if ('allowed' in s) {
    violations.splice(0, violations.length, ...s.violations);
    const stop = !s.allowed || s.fallbackUsed;
    return { fallback: stop ? s.text : '', stop };
  }
  if (s.violations) violations.push(...s.violations);
  return { fallback: s.text ?? '', stop: s.action === 'stop' };
}
