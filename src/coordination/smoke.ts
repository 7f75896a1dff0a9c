/**
 * Smoke suite run against a candidate model before any player traffic reaches it.
 * @module
 */
import type { GuardrailCheckResult, GuardrailsLike, LLMClient, LLMModel } from '../llm/index.js';

/** One smoke prompt and what counts as a pass. */
export interface SmokeCase {
  /** Short name shown in the timeline. */
  name: string;
  prompt: string;
  /** A pass needs a non-empty answer, and (when given) a match of this pattern or predicate. */
  expect?: RegExp | ((text: string) => boolean);
  /** A slower answer fails the case. @default no limit */
  maxLatencyMs?: number;
}

/** Default smoke suite: three short in-game prompts that any serving model should answer. */
export const DEFAULT_SMOKE_SUITE: readonly SmokeCase[] = Object.freeze([
  { name: 'greeting', prompt: 'Greet a traveller arriving at the village gate in one sentence.' },
  { name: 'directions', prompt: 'In one sentence, tell the player the way to the blacksmith.' },
  { name: 'lore', prompt: 'In one sentence, describe the old mill at the edge of town.' },
]);

/** What a probe answers for one smoke case. */
export interface SmokeAnswer {
  text: string;
  /** True when output guardrails blocked the answer (counts as a failure). */
  blocked?: boolean;
}

/** Calls one specific model (not the routed one) with one prompt. */
export type SmokeProbe = (model: LLMModel, smokeCase: SmokeCase, signal: AbortSignal) => Promise<SmokeAnswer>;

/** Outcome of one smoke case. */
export interface SmokeCaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Why it failed (error code and message, blocked, empty, unexpected, too slow). */
  readonly reason: string | null;
}

/** Outcome of the whole suite. */
export interface SmokeReport {
  readonly passed: number;
  readonly total: number;
  readonly ok: boolean;
  readonly cases: readonly SmokeCaseResult[];
}

/** Settings of {@link createClientProbe}. */
export interface ClientProbeOptions {
  /** Retries per smoke call (so a broken candidate fails fast). @default 1 */
  retries?: number;
  /** Budget of each smoke call, every attempt included. @default 10_000 */
  timeoutMs?: number;
  /** Checks smoke answers with these guardrails instead of the client's own output guardrails. */
  guardrails?: GuardrailsLike;
}

/**
 * The default probe: `llmClient.probe(model, …)` — the candidate itself, with the client's providers,
 * secrets, retries, breakers and output guardrails, never a player-facing route. A blocked answer
 * (by the client's guardrails, or by `options.guardrails` when given) fails its case.
 */
export function createClientProbe(
  llmClient: Pick<LLMClient, 'probe'>,
  options: ClientProbeOptions = {},
): SmokeProbe {
  const { retries = 1, timeoutMs = 10_000, guardrails } = options;
  return async (model, smokeCase, signal) => {
    const r = await llmClient.probe(model, {
      prompt: smokeCase.prompt,
      signal,
      timeoutMs,
      retries,
      metadata: { smokeCase: smokeCase.name },
      // With our own guardrails, skip the client's check; else the client's `outputGuardrails` decides.
      ...(guardrails ? { guardrails: false } : {}),
    });
    let verdict: Pick<GuardrailCheckResult, 'allowed' | 'fallbackUsed'> | undefined = r.guardrails;
    if (guardrails) {
      verdict = await guardrails.check({
        text: r.text,
        stage: 'output',
        useCase: model.useCase,
        modelId: model.id,
      });
    }
    return { text: r.text, blocked: verdict ? !verdict.allowed || verdict.fallbackUsed : false };
  };
}

/** Runs every case in order (one at a time, so a slow model is not flooded); never throws. */
export async function runSmokeSuite(
  model: LLMModel,
  suite: readonly SmokeCase[],
  probe: SmokeProbe,
  minPassRate: number,
): Promise<SmokeReport> {
  const cases: SmokeCaseResult[] = [];
  for (const c of suite) {
    const t0 = performance.now();
    const ac = new AbortController();
    let reason: string | null = null;
    try {
      const a = await probe(model, c, ac.signal);
      const text = a.text.trim();
      if (a.blocked) reason = 'answer blocked by output guardrails';
      else if (text === '') reason = 'empty answer';
      else if (c.expect instanceof RegExp && !c.expect.test(text))
        reason = `answer does not match ${c.expect}`;
      else if (typeof c.expect === 'function' && !c.expect(text)) reason = 'answer rejected by `expect`';
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      reason = `${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`;
    }
    const latencyMs = performance.now() - t0;
    if (reason === null && c.maxLatencyMs !== undefined && latencyMs > c.maxLatencyMs) {
      reason = `took ${latencyMs.toFixed(0)} ms (limit ${c.maxLatencyMs} ms)`;
    }
    cases.push({ name: c.name, ok: reason === null, latencyMs, reason });
  }
  const passed = cases.filter((c) => c.ok).length;
  const total = cases.length;
  return { passed, total, ok: total === 0 || passed / total >= minPassRate, cases };
}
