import { afterEach, describe, expect, it } from 'vitest';
import { LLMClient, type LLMClientOptions, ProviderError, ValidationError } from '../../src/index.js';
import { FakeLog, FakeRegistry, makeModel } from '../helpers/fakes.js';
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

const fast: Partial<LLMClientOptions> = { retry: { retries: 0 } };

describe('provider wire formats over real HTTP', () => {
  it('ollama: /api/generate for a prompt and /api/chat for messages, with options and usage', async () => {
    const s = await stub('ollama');
    const model = makeModel({
      provider: 'ollama',
      modelName: 'llama3.1:8b',
      configuration: { endpoint: s.url },
    });
    const llm = new LLMClient({ ...fast, modelRegistry: new FakeRegistry({ interaction_layer: model }) });
    const r = await llm.generate({
      useCase: 'interaction_layer',
      prompt: 'hi there',
      maxTokens: 32,
      temperature: 0.5,
    });
    expect(r).toMatchObject({
      text: 'echo: hi there',
      source: 'model',
      modelId: model.id,
      usage: { tokensIn: 7, tokensOut: 5 },
    });
    expect(s.requests[0]).toMatchObject({
      path: '/api/generate',
      body: {
        model: 'llama3.1:8b',
        prompt: 'hi there',
        stream: false,
        options: { num_predict: 32, temperature: 0.5 },
      },
    });
    const c = await llm.generate({
      useCase: 'interaction_layer',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(c.text).toBe('echo: hello');
    expect(s.requests[1]).toMatchObject({
      path: '/api/chat',
      body: { messages: [{ role: 'user', content: 'hello' }] },
    });
  });

  // Endpoint convention (issue #10 item 17): an ollama endpoint is Ollama's base URL (a proxy prefix
  // is kept); the host guide's `/generate` path, which Ollama answers 404, is refused up front.
  it('ollama: the endpoint is the base URL (a prefix is kept); a path Ollama answers 404 is refused', async () => {
    const s = await stub('ollama');
    const prefixed = makeModel({ provider: 'ollama', configuration: { endpoint: `${s.url}/ollama/` } });
    const llm = new LLMClient({ ...fast, modelRegistry: new FakeRegistry({ foundation_layer: prefixed }) });
    await llm.generate({ useCase: 'foundation_layer', prompt: 'x' });
    expect(s.requests[0]?.path).toBe('/ollama/api/generate');
    const wrong = makeModel({ provider: 'ollama', configuration: { endpoint: `${s.url}/generate` } });
    const llm2 = new LLMClient({ ...fast, modelRegistry: new FakeRegistry({ foundation_layer: wrong }) });
    const err = (await llm2
      .generate({ useCase: 'foundation_layer', prompt: 'x' })
      .catch((e) => e)) as ProviderError;
    expect(err.details['failures']).toEqual([expect.objectContaining({ code: 'VALIDATION_ERROR' })]);
    expect((err.cause as Error).message).toMatch(/Ollama's base URL/);
    expect(s.requests).toHaveLength(1);
  });

  it('openai: /v1/chat/completions with a Bearer key read from the env reference', async () => {
    const s = await stub('openai');
    const model = makeModel({
      provider: 'openai',
      configuration: {
        endpoint: `${s.url}/v1`,
        model: 'gpt-4o-mini',
        apiKeyEnv: 'STUB_OPENAI_KEY',
        headers: { 'x-team': 'npc' },
      },
    });
    const llm = new LLMClient({
      ...fast,
      modelRegistry: new FakeRegistry({ interaction_layer: model }),
      secrets: (name) => (name === 'STUB_OPENAI_KEY' ? 'sk-test-123456' : undefined),
    });
    const r = await llm.generate({ useCase: 'interaction_layer', prompt: 'greet', maxTokens: 10 });
    expect(r).toMatchObject({ text: 'echo: greet', usage: { tokensIn: 7, tokensOut: 5 } });
    expect(s.requests[0]?.path).toBe('/v1/chat/completions');
    expect(s.requests[0]?.headers['authorization']).toBe('Bearer sk-test-123456');
    expect(s.requests[0]?.headers['x-team']).toBe('npc');
    expect(s.requests[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'greet' }],
      max_tokens: 10,
    });
  });

  it('http: plain POST {prompt} → {text} as a fallback endpoint', async () => {
    const s = await stub('http');
    const llm = new LLMClient({ ...fast, fallbackEndpoints: { foundation_layer: `${s.url}/generate` } });
    const r = await llm.generate({ useCase: 'foundation_layer', prompt: 'tell a tale' });
    expect(r).toMatchObject({ text: 'echo: tell a tale', source: 'fallback_endpoint', modelId: null });
    expect(s.requests[0]).toMatchObject({ path: '/generate', body: { prompt: 'tell a tale' } });
  });

  it('a missing API key variable fails over with PROVIDER_AUTH_MISSING, naming the variable only', async () => {
    const s = await stub('openai');
    const fb = await stub('http');
    const model = makeModel({
      provider: 'openai',
      configuration: { endpoint: s.url, apiKeyEnv: 'NOT_SET_ANYWHERE_X' },
    });
    const llm = new LLMClient({
      ...fast,
      modelRegistry: new FakeRegistry({ u: model }),
      secrets: () => undefined,
    });
    const err = await llm.generate({ useCase: 'u', prompt: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).details['failures']).toEqual([
      { from: 'stable', endpoint: s.url, code: 'PROVIDER_AUTH_MISSING' },
    ]);
    expect(s.requests).toHaveLength(0);
    const llm2 = new LLMClient({
      ...fast,
      modelRegistry: new FakeRegistry({ u: model }),
      secrets: () => undefined,
      fallbackEndpoints: { u: fb.url },
    });
    expect((await llm2.generate({ useCase: 'u', prompt: 'x' })).source).toBe('fallback_endpoint');
  });

  it('the API key never appears in errors, events or logs, even when the server echoes it', async () => {
    const key = 'sk-live-SUPERSECRET-9876543210';
    const s = await stub('openai');
    s.setDefault({
      kind: 'status',
      status: 401,
      body: JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }),
    });
    const model = makeModel({
      provider: 'openai',
      configuration: { endpoint: s.url, apiKeyEnv: 'STUB_KEY' },
    });
    const log = new FakeLog();
    const events: unknown[] = [];
    const llm = new LLMClient({
      ...fast,
      modelRegistry: new FakeRegistry({ u: model }),
      logProcessor: log,
      secrets: () => key,
    });
    for (const e of ['llm:fallback', 'llm:failed', 'llm:retry', 'llm:circuit_open'] as const)
      llm.on(e, (p) => events.push(p));
    const err = (await llm.generate({ useCase: 'u', prompt: 'x' }).catch((e: unknown) => e)) as ProviderError;
    expect(s.requests[0]?.headers['authorization']).toBe(`Bearer ${key}`); // it was sent
    const cause = err.cause as ProviderError;
    expect(cause.status).toBe(401);
    expect(String(cause.details['body'])).toContain('[REDACTED]');
    await new Promise((r) => setTimeout(r, 5));
    const everything = JSON.stringify([
      err.message,
      err.details,
      cause.message,
      cause.details,
      String(err.stack),
      String(cause.stack),
      events,
      log.entries,
      llm.metrics(),
    ]);
    expect(everything).not.toContain('SUPERSECRET');
    expect(log.entries).toHaveLength(1);
  });

  it('rejects secrets stored in a configuration', () => {
    expect(
      () => new LLMClient({ fallbackEndpoints: { u: { endpoint: 'http://x', apiKey: 'sk-1' } } }),
    ).toThrow(ValidationError);
    expect(
      () =>
        new LLMClient({
          fallbackEndpoints: { u: { endpoint: 'http://x', headers: { Authorization: 'Bearer sk' } } },
        }),
    ).toThrow(/carries a secret/);
  });
});
