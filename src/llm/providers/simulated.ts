import { ProviderError } from '../../errors.js';
import { hash32 } from '../../internal/hashing.js';
import { abortableSleep } from '../../internal/sleep.js';
import type { Provider, ProviderRequest, ProviderResponse, ProviderStreamChunk } from '../provider.js';

/** Settings the simulated provider reads from a model's `configuration` (all optional). */
export interface SimulatedConfiguration {
  /** Seed of every roll. @default the provider model name */
  seed?: string | number;
  /** Base latency per call in ms. @default 0 */
  latencyMs?: number;
  /** Extra latency, uniformly 0…jitter ms. @default 0 */
  latencyJitterMs?: number;
  /** Share of calls failing with HTTP `errorStatus` (0–1). @default 0 */
  errorRate?: number;
  /** Status of simulated failures (5xx are retried, 429 is a rate limit). @default 503 */
  errorStatus?: number;
  /** Share of answers replaced by `unsafeText` (0–1). @default 0 */
  unsafeRate?: number;
  /** The unsafe answer. @default DEFAULT_SIMULATED_UNSAFE_TEXT */
  unsafeText?: string;
  /** Safe answers to pick from. @default DEFAULT_SIMULATED_RESPONSES */
  responses?: string[];
}

/** Default unsafe answer: a violent threat any output guardrail should treat as critical. */
export const DEFAULT_SIMULATED_UNSAFE_TEXT =
  'I will find where you live in real life and kill you. [simulated unsafe output]';

/** Default in-character safe answers. */
export const DEFAULT_SIMULATED_RESPONSES: readonly string[] = [
  'Well met, traveller. The road north is dangerous after dark.',
  'The blacksmith owes me a favour; tell him I sent you.',
  'Legends speak of a door beneath the old mill. Few return to tell of it.',
  'Rest here a while. The fire is warm and the stew is nearly ready.',
  'The merchant guild has raised its prices again. Bandits, they say.',
  'I remember when these hills were green. Something changed that winter.',
];

/** Options of {@link SimulatedProvider}. */
export interface SimulatedProviderOptions {
  /** How latency is waited; inject a no-op for instant simulations. @default real timers, abortable */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * A deterministic fake model for tests, the demo and rollout simulations. Every roll (failure,
 * unsafe answer, which answer, latency jitter) is a hash of `seed`, the prompt and the n-th call with
 * that seed on this instance, so the same sequence of calls always gives the same answers.
 * @example
 * ```ts
 * configuration: { seed: 'npc', errorRate: 0.05, unsafeRate: 0.01, latencyMs: 20 }   // no endpoint needed
 * ```
 */
export class SimulatedProvider implements Provider {
  readonly name = 'simulated';
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly calls = new Map<string, number>();

  constructor(options: SimulatedProviderOptions = {}) {
    this.sleep = options.sleep ?? abortableSleep;
  }

  async generate(request: ProviderRequest): Promise<ProviderResponse> {
    const c = request.configuration as SimulatedConfiguration;
    const seed = String(c.seed ?? request.model);
    const n = (this.calls.get(seed) ?? 0) + 1;
    if (this.calls.size > 10_000 && !this.calls.has(seed)) this.calls.clear();
    this.calls.set(seed, n);
    const input = request.prompt ?? request.messages?.map((m) => `${m.role}:${m.content}`).join('\n') ?? '';
    const roll = (salt: string) => hash32(`${seed}|${salt}|${n}|${input}`) / 2 ** 32;
    const latency =
      rate(c.latencyMs, 0, Number.POSITIVE_INFINITY) +
      roll('jitter') * rate(c.latencyJitterMs, 0, Number.POSITIVE_INFINITY);
    if (latency > 0) await this.sleep(latency, request.signal);
    request.signal.throwIfAborted();
    if (roll('error') < rate(c.errorRate, 0, 1)) {
      const status = typeof c.errorStatus === 'number' ? c.errorStatus : 503;
      throw new ProviderError(`simulated ${request.endpoint} answered HTTP ${status} (simulated failure)`, {
        status,
        retryable: status >= 500 || status === 429,
        details: { endpoint: request.endpoint, provider: this.name, status },
      });
    }
    const responses =
      Array.isArray(c.responses) && c.responses.length > 0 ? c.responses : DEFAULT_SIMULATED_RESPONSES;
    let text = String(responses[Math.floor(roll('pick') * responses.length)]);
    if (roll('unsafe') < rate(c.unsafeRate, 0, 1)) text = c.unsafeText ?? DEFAULT_SIMULATED_UNSAFE_TEXT;
    if (request.maxTokens !== undefined) text = text.split(' ').slice(0, request.maxTokens).join(' ');
    return { text, usage: { tokensIn: wordCount(input), tokensOut: wordCount(text) } };
  }

  async *stream(request: ProviderRequest): AsyncGenerator<ProviderStreamChunk> {
    const { text, usage } = await this.generate(request);
    const words = text.split(/(?<= )/);
    for (let i = 0; i < words.length; i++) {
      request.signal.throwIfAborted();
      yield i === words.length - 1 ? { text: words[i]!, usage } : { text: words[i]! };
    }
  }
}

function rate(value: unknown, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

function wordCount(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}
