import { afterEach, describe, expect, it } from 'vitest';
import { LLMClient, type LLMClientOptions, ProviderError, ProviderTimeoutError } from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { FakeLog, FakeRegistry, FakeRouter, makeModel } from '../helpers/fakes.js';
import { type ProviderStub, startProviderStub } from '../helpers/provider-stubs.js';

const stubs: ProviderStub[] = [];
async function stub(format: 'ollama' | 'openai' | 'http') {
  const s = await startProviderStub(format);
  stubs.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

const quickRetry: LLMClientOptions['retry'] = {
  retries: 2,
  minTimeoutMs: 5,
  maxTimeoutMs: 20,
  randomize: false,
};
const U = 'interaction_layer';

function client(
  s: ProviderStub,
  extra: Partial<LLMClientOptions> = {},
  config: Record<string, unknown> = {},
) {
  const model = makeModel({ provider: s.format, configuration: { endpoint: s.url, ...config } });
  return {
    model,
    llm: new LLMClient({ retry: quickRetry, modelRegistry: new FakeRegistry({ [U]: model }), ...extra }),
  };
}

describe('retries', () => {
  it('retries 500s and succeeds on the third attempt', async () => {
    const s = await stub('ollama');
    s.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    const { llm } = client(s);
    const retries: number[] = [];
    llm.on('llm:retry', (e) => retries.push(e.status ?? 0));
    const r = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r.source).toBe('model');
    expect(s.requests).toHaveLength(3);
    expect(retries).toEqual([500, 503]);
    expect(llm.metrics().retries).toBe(2);
  });

  it('honours Retry-After in seconds on 429', async () => {
    const s = await stub('openai');
    s.enqueue({ kind: 'status', status: 429, retryAfter: '1' });
    const { llm } = client(s);
    const t0 = Date.now();
    const r = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r.text).toBe('echo: p');
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(990);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const s = await stub('http');
    s.enqueue({ kind: 'status', status: 429, retryAfter: new Date(Date.now() + 2_000).toUTCString() });
    const { llm } = client(s);
    const events: Array<number | null> = [];
    llm.on('llm:retry', (e) => events.push(e.retryAfterMs));
    await llm.generate({ useCase: U, prompt: 'p' });
    expect(events).toHaveLength(1);
    expect(events[0]).toBeGreaterThan(500); // HTTP dates have 1 s resolution
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(events[0]! - 5);
  });

  it('does not wait for a Retry-After beyond maxRetryAfterMs: fails over at once', async () => {
    const s = await stub('http');
    const fb = await stub('http');
    s.setDefault({ kind: 'status', status: 429, retryAfter: '120' });
    const withFb = client(s, {
      retry: { ...quickRetry, maxRetryAfterMs: 5_000 },
      fallbackEndpoints: { [U]: fb.url },
    });
    const t0 = Date.now();
    const r = await withFb.llm.generate({ useCase: U, prompt: 'p' });
    expect(r.source).toBe('fallback_endpoint');
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(s.requests).toHaveLength(1);
  });

  it('never retries other 4xx', async () => {
    const s = await stub('openai');
    s.setDefault({ kind: 'status', status: 400, body: '{"error":{"message":"bad request"}}' });
    const { llm } = client(s);
    const err = (await llm.generate({ useCase: U, prompt: 'p' }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect((err.cause as ProviderError).status).toBe(400);
    expect(s.requests).toHaveLength(1);
  });

  it('retries connection resets', async () => {
    const s = await stub('ollama');
    s.enqueue({ kind: 'reset' });
    const { llm } = client(s);
    const codes: string[] = [];
    llm.on('llm:retry', (e) => codes.push(e.code));
    const r = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r.source).toBe('model');
    expect(codes).toEqual(['PROVIDER_CONNECTION_ERROR']);
  });

  it('does not retry malformed JSON but fails over (PROVIDER_BAD_RESPONSE)', async () => {
    const s = await stub('ollama');
    const fb = await stub('http');
    s.setDefault({ kind: 'malformed' });
    const { llm } = client(s, { fallbackEndpoints: { [U]: fb.url } });
    const fallbacks: string[] = [];
    llm.on('llm:fallback', (e) => fallbacks.push(e.code));
    const r = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r.source).toBe('fallback_endpoint');
    expect(s.requests).toHaveLength(1);
    expect(fallbacks).toEqual(['PROVIDER_BAD_RESPONSE']);
  });
});

describe('timeouts', () => {
  it('a server that never answers: each attempt times out, is retried, then the fallback endpoint answers', async () => {
    const s = await stub('openai');
    const fb = await stub('http');
    s.setDefault({ kind: 'hang' });
    const { llm } = client(s, { fallbackEndpoints: { [U]: fb.url } }, { timeoutMs: 100 });
    const codes: string[] = [];
    llm.on('llm:retry', (e) => codes.push(e.code));
    const t0 = Date.now();
    const r = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r.source).toBe('fallback_endpoint');
    expect(codes).toEqual(['PROVIDER_TIMEOUT', 'PROVIDER_TIMEOUT']);
    expect(s.requests).toHaveLength(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('the attempt timeout applies even when the caller passes its own signal', async () => {
    const s = await stub('ollama');
    s.setDefault({ kind: 'hang' });
    const { llm } = client(s, { retry: { retries: 0 } }, { timeoutMs: 100 });
    const t0 = Date.now();
    const err = (await llm
      .generate({ useCase: U, prompt: 'p', signal: new AbortController().signal })
      .catch((e: unknown) => e)) as ProviderError;
    expect((err.cause as ProviderError).code).toBe('PROVIDER_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('a slow server within the attempt timeout is simply waited for', async () => {
    const s = await stub('ollama');
    s.setDefault({ kind: 'ok', text: 'slow but fine', delayMs: 150 });
    const { llm } = client(s, {}, { timeoutMs: 1_000 });
    const r = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r.text).toBe('slow but fine');
    expect(r.latencyMs).toBeGreaterThanOrEqual(140);
  });

  it('the request budget (timeoutMs) ends the whole chain with ProviderTimeoutError', async () => {
    const s = await stub('openai');
    const fb = await stub('http');
    s.setDefault({ kind: 'hang' });
    const { llm } = client(s, { fallbackEndpoints: { [U]: fb.url } }, { timeoutMs: 10_000 });
    const t0 = Date.now();
    const err = await llm.generate({ useCase: U, prompt: 'p', timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect((err as ProviderTimeoutError).code).toBe('PROVIDER_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(fb.requests).toHaveLength(0);
  });

  it("the caller's abort signal stops the call and rethrows its reason, without retries", async () => {
    const s = await stub('ollama');
    s.setDefault({ kind: 'hang' });
    const { llm } = client(s);
    const ac = new AbortController();
    const reason = new Error('player left');
    setTimeout(() => ac.abort(reason), 50);
    await expect(llm.generate({ useCase: U, prompt: 'p', signal: ac.signal })).rejects.toBe(reason);
    expect(s.requests).toHaveLength(1);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, fails fast while open, half-opens after the cooldown and closes on success', async () => {
    const s = await stub('http');
    const fb = await stub('http');
    s.setDefault({ kind: 'status', status: 500 });
    const clock = new ManualClock();
    const { llm } = client(s, {
      clock,
      retry: { retries: 0 },
      circuitBreaker: { failureThreshold: 3, cooldownMs: 10_000 },
      fallbackEndpoints: { [U]: fb.url },
    });
    const states: string[] = [];
    llm.on('llm:circuit_open', () => states.push('open'));
    llm.on('llm:circuit_half_open', () => states.push('half_open'));
    llm.on('llm:circuit_closed', () => states.push('closed'));
    for (let i = 0; i < 3; i++) await llm.generate({ useCase: U, prompt: 'p' });
    expect(states).toEqual(['open']);
    expect(s.requests).toHaveLength(3);
    const fallbacks: string[] = [];
    llm.on('llm:fallback', (e) => fallbacks.push(e.code));
    const r = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r.source).toBe('fallback_endpoint');
    expect(s.requests).toHaveLength(3); // failed fast
    expect(fallbacks).toEqual(['PROVIDER_CIRCUIT_OPEN']);
    expect(llm.metrics().circuits.find((c) => c.endpoint === s.url)?.state).toBe('open');
    clock.advance(10_000);
    s.setDefault({ kind: 'ok', text: 'recovered' });
    const r2 = await llm.generate({ useCase: U, prompt: 'p' });
    expect(r2).toMatchObject({ text: 'recovered', source: 'model' });
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failed trial call re-opens the circuit', async () => {
    const s = await stub('http');
    s.setDefault({ kind: 'status', status: 502 });
    const clock = new ManualClock();
    const { llm } = client(s, {
      clock,
      retry: { retries: 0 },
      circuitBreaker: { failureThreshold: 2, cooldownMs: 1_000 },
    });
    const opened: number[] = [];
    llm.on('llm:circuit_open', () => opened.push(clock.now()));
    for (let i = 0; i < 2; i++) await llm.generate({ useCase: U, prompt: 'p' }).catch(() => undefined);
    clock.advance(1_000);
    await llm.generate({ useCase: U, prompt: 'p' }).catch(() => undefined);
    expect(opened).toHaveLength(2);
    expect(s.requests).toHaveLength(3);
  });
});

describe('fallback chain and registry outage', () => {
  it('routed candidate → stable model → fallback endpoint → ProviderError, with outcomes recorded', async () => {
    const cand = await stub('openai');
    const stable = await stub('ollama');
    const fb = await stub('http');
    const candidate = makeModel({
      provider: 'openai',
      status: 'candidate',
      configuration: { endpoint: cand.url },
    });
    const current = makeModel({ provider: 'ollama', configuration: { endpoint: stable.url } });
    const router = new FakeRouter({
      model: candidate,
      variant: 'candidate',
      deploymentId: 'dep-1',
      weight: 0.1,
    });
    const log = new FakeLog();
    const llm = new LLMClient({
      retry: { retries: 0 },
      modelRegistry: new FakeRegistry({ [U]: current }),
      router,
      logProcessor: log,
      fallbackEndpoints: { [U]: fb.url },
    });
    const r1 = await llm.generate({ useCase: U, prompt: 'a', stickyKey: 'player-1' });
    expect(r1).toMatchObject({
      source: 'model',
      modelId: candidate.id,
      variant: 'candidate',
      deploymentId: 'dep-1',
    });
    expect(router.outcomes.at(-1)).toMatchObject({
      deploymentId: 'dep-1',
      variant: 'candidate',
      ok: true,
      fallback: false,
    });

    cand.setDefault({ kind: 'status', status: 500 });
    const r2 = await llm.generate({ useCase: U, prompt: 'b' });
    expect(r2).toMatchObject({ source: 'model', modelId: current.id, variant: 'stable' });
    expect(router.outcomes.at(-1)).toMatchObject({ variant: 'candidate', ok: false, fallback: true });

    stable.setDefault({ kind: 'reset' });
    const r3 = await llm.generate({ useCase: U, prompt: 'c' });
    expect(r3).toMatchObject({ source: 'fallback_endpoint', modelId: null, text: 'echo: c' });

    fb.setDefault({ kind: 'status', status: 503 });
    const err = (await llm.generate({ useCase: U, prompt: 'd' }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.code).toBe('PROVIDER_ERROR');
    expect((err.details['failures'] as Array<{ from: string }>).map((f) => f.from)).toEqual([
      'routed',
      'stable',
      'fallback_endpoint',
    ]);
    expect(router.outcomes.at(-1)).toMatchObject({ ok: false, fallback: false });
    await new Promise((r) => setTimeout(r, 5));
    expect(log.entries.map((e) => e.status)).toEqual(['ok', 'fallback', 'fallback', 'error']);
  });

  it('registry throwing → served from fallback endpoints; retried (and recovered) on the next request', async () => {
    const s = await stub('ollama');
    const fb = await stub('http');
    const model = makeModel({ provider: 'ollama', configuration: { endpoint: s.url } });
    const registry = new FakeRegistry({ [U]: model });
    const llm = new LLMClient({
      retry: quickRetry,
      modelRegistry: registry,
      fallbackEndpoints: { [U]: fb.url },
    });
    const events: string[] = [];
    llm.on('llm:registry_unavailable', () => events.push('down'));
    llm.on('llm:registry_recovered', () => events.push('up'));
    registry.fail = true;
    const a = await llm.generate({ useCase: U, prompt: 'a' });
    const b = await llm.generate({ useCase: U, prompt: 'b' });
    expect([a.source, b.source]).toEqual(['fallback_endpoint', 'fallback_endpoint']);
    expect(registry.calls).toBe(2); // asked again on the next request
    expect(llm.metrics().registry).toMatchObject({ available: false, failures: 2 });
    registry.fail = false;
    const c = await llm.generate({ useCase: U, prompt: 'c' });
    expect(c).toMatchObject({ source: 'model', modelId: model.id });
    expect(events).toEqual(['down', 'up']);
    expect(s.requests).toHaveLength(1);
  });

  it('a registry lookup that hangs counts as unavailable after registryTimeoutMs', async () => {
    const fb = await stub('http');
    const registry = new FakeRegistry({});
    registry.getCurrentModel = () => new Promise(() => {});
    const llm = new LLMClient({
      registryTimeoutMs: 100,
      modelRegistry: registry,
      fallbackEndpoints: { [U]: fb.url },
    });
    const t0 = Date.now();
    const r = await llm.generate({ useCase: U, prompt: 'x' });
    expect(r.source).toBe('fallback_endpoint');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(llm.metrics().registry.available).toBe(false);
  });

  it('modelRegistryEnabled: false never asks the registry or router', async () => {
    const fb = await stub('http');
    const registry = new FakeRegistry({
      [U]: makeModel({ configuration: { endpoint: 'http://127.0.0.1:9' } }),
    });
    const router = new FakeRouter(null);
    const llm = new LLMClient({
      modelRegistryEnabled: false,
      modelRegistry: registry,
      router,
      fallbackEndpoints: { [U]: fb.url },
    });
    const r = await llm.generate({ useCase: U, prompt: 'x' });
    expect(r.source).toBe('fallback_endpoint');
    expect(registry.calls + router.routes).toBe(0);
  });
});
