/**
 * Smoke suite run against a candidate model before any player traffic reaches it.
 * @module
 */
import type { Clock } from '../internal/clock.js';
import { LLMClient } from '../llm/llm-client.js';
import { ProviderRegistry } from '../llm/provider-registry.js';
import type { GuardrailsLike, Model as LLMModel } from '../llm/types.js';

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

/**
 * The default probe: an `LLMClient` whose only registry entry is the candidate, so the call takes the
 * client's real path (provider, retries, circuit breaker, timeouts, output guardrails) but can never
 * reach a player-facing route. `LLMClient.generate()` has no way to name a model, hence this seam.
 */
export function createPinnedProbe(
  options: { providers?: ProviderRegistry; guardrails?: GuardrailsLike; clock?: Clock } = {},
): SmokeProbe {
  const providers = options.providers ?? new ProviderRegistry();
  return async (model, smokeCase, signal) => {
    const client = new LLMClient({
      modelRegistry: { getCurrentModel: async (useCase) => (useCase === model.useCase ? model : null) },
      providers,
      guardrails: options.guardrails,
      clock: options.clock,
    });
    try {
      const r = await client.generate({
        useCase: model.useCase,
        prompt: smokeCase.prompt,
        signal,
        metadata: { smoke: smokeCase.name },
      });
      if (r.modelId !== model.id) throw new Error(`answered by ${r.source}, not by model ${model.id}`);
      return { text: r.text, blocked: r.source === 'fallback_content' };
    } finally {
      await client.close();
    }
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
