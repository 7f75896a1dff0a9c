import { describe, expect, it } from 'vitest';
import { ClosedError, ProviderError, ValidationError } from '../../../src/index.js';
import { DEFAULT_SIMULATED_UNSAFE_TEXT, LLMClient, type Provider } from '../../../src/llm/index.js';
import { FakeGuardrails, FakeLog, FakeRegistry, FakeRouter, makeModel } from '../../helpers/fakes.js';

const U = 'interaction_layer';

/** A provider that fails its first `failures` calls with HTTP 503, then answers; counts calls. */
function flaky(failures: number, text = 'Well met.') {
  const seen: Array<string | undefined> = [];
  const p: Provider = {
    name: 'flaky',
    async generate(req) {
      seen.push(req.prompt);
      if (seen.length <= failures) throw new ProviderError('flaky answered HTTP 503', { status: 503 });
      return { text, usage: { tokensIn: 3, tokensOut: 2 } };
    },
  };
  return { p, seen };
}

const fast = { minTimeoutMs: 1, maxTimeoutMs: 1, randomize: false };

describe('LLMClient.probe', () => {
  it('calls the named model only: no routing, no registry, no fallback, no outcome; logged as smoke', async () => {
    const candidate = makeModel({ provider: 'flaky', configuration: { endpoint: 'http://cand.local/gen' } });
    const { p, seen } = flaky(0);
    const stable = makeModel({ provider: 'simulated', configuration: {} });
    const registry = new FakeRegistry({ [U]: stable });
    const router = new FakeRouter({ model: stable, variant: 'stable', deploymentId: 'dep-1', weight: 0 });
    const log = new FakeLog();
    const llm = new LLMClient({
      modelRegistry: registry,
      router,
      logProcessor: log,
      providers: [p],
      fallbackEndpoints: { [U]: { provider: 'simulated' } },
    });
    const r = await llm.probe(candidate, { prompt: 'Greet me', maxTokens: 5, metadata: { case: 'greet' } });
    expect(r).toMatchObject({ text: 'Well met.', usage: { tokensIn: 3, tokensOut: 2 } });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.guardrails).toBeUndefined();
    expect(seen).toEqual(['Greet me']);
    expect(registry.calls).toBe(0);
    expect(router.routes).toBe(0);
    expect(router.outcomes).toEqual([]);
    await Promise.resolve();
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]).toMatchObject({
      modelId: candidate.id,
      useCase: U,
      status: 'ok',
      deploymentId: null,
      variant: null,
      metadata: { smoke: true, case: 'greet', provider: 'flaky', endpoint: 'http://cand.local/gen' },
    });
    const m = llm.metrics();
    expect(m).toMatchObject({ requests: 0, completed: 0, probes: { total: 1, failed: 0 } });
  });

  it('a failing model throws its ProviderError (no fallback endpoint answers instead)', async () => {
    const candidate = makeModel({ provider: 'flaky', configuration: { endpoint: 'http://cand.local/gen' } });
    const { p, seen } = flaky(100);
    const log = new FakeLog();
    const llm = new LLMClient({
      providers: [p],
      logProcessor: log,
      retry: fast,
      fallbackEndpoints: { [U]: { provider: 'simulated' } },
    });
    const err = await llm.probe(candidate, { prompt: 'x', retries: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(503);
    expect(seen).toHaveLength(1);
    await Promise.resolve();
    expect(log.entries[0]).toMatchObject({ status: 'error', metadata: { smoke: true } });
    expect(llm.metrics().probes).toEqual({ total: 1, failed: 1 });
  });

  it('retries follow the client policy unless `retries` overrides it', async () => {
    const candidate = makeModel({ provider: 'flaky', configuration: { endpoint: 'http://cand.local/gen' } });
    const a = flaky(2);
    const llm = new LLMClient({ providers: [a.p], retry: { ...fast, retries: 2 } });
    expect((await llm.probe(candidate, { prompt: 'x' })).text).toBe('Well met.');
    expect(a.seen).toHaveLength(3);
    const b = flaky(1);
    const llm2 = new LLMClient({ providers: [b.p], retry: { ...fast, retries: 2 } });
    await expect(llm2.probe(candidate, { prompt: 'x', retries: 0 })).rejects.toThrow(/503/);
    expect(b.seen).toHaveLength(1);
  });

  it("shares the client's circuit breakers: an open circuit fails the probe without a call", async () => {
    const candidate = makeModel({ provider: 'flaky', configuration: { endpoint: 'http://cand.local/gen' } });
    const { p, seen } = flaky(100);
    const llm = new LLMClient({ providers: [p], circuitBreaker: { failureThreshold: 2 } });
    for (let i = 0; i < 2; i++) await llm.probe(candidate, { prompt: 'x', retries: 0 }).catch(() => {});
    await expect(llm.probe(candidate, { prompt: 'x', retries: 0 })).rejects.toMatchObject({
      code: 'PROVIDER_CIRCUIT_OPEN',
    });
    expect(seen).toHaveLength(2);
  });

  it('checks the answer with output guardrails, returning the raw text beside the verdict', async () => {
    const candidate = makeModel({ provider: 'simulated', configuration: { unsafeRate: 1 } });
    const log = new FakeLog();
    const llm = new LLMClient({ guardrails: new FakeGuardrails(), logProcessor: log });
    const r = await llm.probe(candidate, { messages: [{ role: 'user', content: 'hi' }] });
    expect(r.text).toBe(DEFAULT_SIMULATED_UNSAFE_TEXT);
    expect(r.guardrails).toMatchObject({ allowed: false, action: 'block', fallbackUsed: true });
    await Promise.resolve();
    expect(log.entries[0]).toMatchObject({ status: 'blocked', metadata: { smoke: true } });
    const unchecked = await llm.probe(candidate, { prompt: 'hi', guardrails: false });
    expect(unchecked.guardrails).toBeUndefined();
  });

  it('times out with PROVIDER_TIMEOUT and rethrows the caller abort reason', async () => {
    const candidate = makeModel({ provider: 'simulated', configuration: { latencyMs: 5_000 } });
    const llm = new LLMClient();
    await expect(llm.probe(candidate, { prompt: 'x', timeoutMs: 20 })).rejects.toMatchObject({
      code: 'PROVIDER_TIMEOUT',
    });
    const ac = new AbortController();
    const reason = new Error('host shutting down');
    setTimeout(() => ac.abort(reason), 10);
    await expect(llm.probe(candidate, { prompt: 'x', signal: ac.signal })).rejects.toBe(reason);
  });

  it('validates the model and the input, and refuses after close()', async () => {
    const llm = new LLMClient();
    const model = makeModel({ provider: 'simulated', configuration: {} });
    await expect(llm.probe(null as never, { prompt: 'x' })).rejects.toThrow(ValidationError);
    await expect(llm.probe({ ...model, id: '' }, { prompt: 'x' })).rejects.toThrow(/`model.id`/);
    await expect(llm.probe(model, {})).rejects.toThrow(/exactly one of `prompt` and `messages`/);
    await expect(llm.probe(model, { prompt: 'x', retries: 11 })).rejects.toThrow(
      /`retries` to be an integer from 0 to 10, got 11/,
    );
    await expect(llm.probe(model, { prompt: 'x', timeoutMs: 0 })).rejects.toThrow(/`timeoutMs`/);
    await expect(
      llm.probe(makeModel({ provider: 'http', configuration: { endpoint: 'nope' } }), { prompt: 'x' }),
    ).rejects.toThrow(ValidationError);
    await llm.close();
    await expect(llm.probe(model, { prompt: 'x' })).rejects.toThrow(ClosedError);
  });
});
