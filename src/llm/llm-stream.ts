import { ModelManagementError } from '../errors.js';
import type { Deadline } from './deadline.js';
import type { GenerateInput, GenerateResult } from './llm-options.js';
import type { ProviderResponse, ProviderStreamChunk } from './provider.js';
import type { Call, RequestPath } from './request-path.js';
import { toProviderError } from './retry.js';
import type {
  GuardrailCheckResult,
  GuardrailsLike,
  GuardrailViolation,
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

interface Opened {
  it: AsyncIterator<ProviderStreamChunk>;
  first: IteratorResult<ProviderStreamChunk>;
}

type Settle = { resolve: (r: GenerateResult) => void; reject: (e: unknown) => void };

/**
 * Starts a stream (lazily: nothing is called before the first `next()`). The steps are the request
 * path's ({@link Call}); only the chunk loop with its stream checker is the stream's own. @internal
 */
export function openStream(
  input: GenerateInput,
  path: RequestPath,
  guardrails: GuardrailsLike | undefined,
): LLMStream {
  let settle!: Settle;
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
      return run(input, path, guardrails, settle)[Symbol.asyncIterator]();
    },
  };
}

async function* run(
  input: GenerateInput,
  path: RequestPath,
  guardrails: GuardrailsLike | undefined,
  settle: Settle,
): AsyncGenerator<string> {
  const stop = new AbortController();
  const call: Call = path.open(input, true, stop.signal);
  let opened: (Opened & { ad: Deadline | null }) | null = null;
  let done = false;
  try {
    const guarded = await call.guardInput();
    if ('blocked' in guarded) {
      done = true;
      settle.resolve(guarded.blocked);
      yield guarded.blocked.text;
      return;
    }
    call.routeRequest();
    const served = await call.serve(
      guarded.input,
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
    opened = { ...served.value, ad: served.attemptDeadline };
    const { target } = served;
    const modelId = target.model?.id;
    const checker = guardrails?.createStreamChecker?.({
      useCase: input.useCase,
      modelId,
      context: input.context,
    });
    const bufferAll = guardrails !== undefined && checker === undefined;
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
        if (call.deadline.aborted) throw call.abortError(error);
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
      verdict = await call.guardOutput(raw, modelId);
      if (verdict) {
        stopped = !verdict.allowed || verdict.fallbackUsed;
        violations.push(...verdict.violations);
        emitted = verdict.text;
      } else emitted = raw;
      if (emitted !== '') yield emitted;
    }
    const action = verdict?.action ?? (stopped ? 'block' : violations.length > 0 ? 'flag' : 'allow');
    const result = await call.finish(served, {
      text: emitted,
      usage,
      verdict: guardrails ? { allowed: !stopped, action, violations, fallbackUsed: stopped } : null,
    });
    done = true;
    settle.resolve(result);
  } catch (error) {
    done = true;
    call.fail(error);
    settle.reject(error);
    throw error;
  } finally {
    if (!done) {
      // The consumer stopped iterating early: cancel the provider call and report it.
      const cancelled = new DOMException('The stream was cancelled by its consumer', 'AbortError');
      stop.abort(cancelled);
      await opened?.it.return?.().catch(() => undefined);
      call.fail(cancelled);
      settle.reject(cancelled);
    }
    opened?.ad?.dispose();
    call.dispose();
  }
}

async function* single(pending: Promise<ProviderResponse>): AsyncGenerator<ProviderStreamChunk> {
  const r = await pending;
  yield { text: r.text, usage: r.usage };
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
