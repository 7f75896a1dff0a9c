/**
 * Issue #10 items 6, 13–17, against servers written from Ollama's and OpenAI's API docs
 * (`startDocsServer`): secrets in every encoding, truncated streams, `retry-after-ms`, the cause in
 * the thrown error, `openai` fallbacks without a model, and the endpoint convention.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/index.js';
import { ProviderError, ValidationError } from '../../src/errors.js';
import { LLMClient, type LLMClientOptions } from '../../src/llm/index.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { FakeLog, FakeRegistry, makeModel } from '../helpers/fakes.js';
import { type DocsServer, startDocsServer } from '../helpers/provider-stubs.js';

const servers: DocsServer[] = [];
const clients: LLMClient[] = [];
async function server(vendor: 'ollama' | 'openai') {
  const s = await startDocsServer(vendor);
  servers.push(s);
  return s;
}
function client(options: LLMClientOptions) {
  const c = new LLMClient({ retry: { retries: 0 }, ...options });
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A key with characters every encoding changes. */
const KEY = 'sk-live/Ab+cd"ef=GH\\ij_KL-mn0123456789';
const forms = [
  KEY,
  JSON.stringify(KEY).slice(1, -1),
  encodeURIComponent(KEY),
  Buffer.from(KEY).toString('base64'),
  Buffer.from(KEY).toString('base64url'),
  // inside a longer base64 text, at another byte alignment
  Buffer.from(`x${KEY}`).toString('base64').slice(4, -4),
];
function leaks(text: string): string[] {
  return forms.filter((f) => text.includes(f.slice(0, Math.min(f.length, 24))));
}

describe('item 6: the API key is redacted in every derivable form', () => {
  it('from error bodies, messages, events and the logged answer', async () => {
    const s = await server('openai');
    const echo = `bad key ${KEY} / ${JSON.stringify(KEY)} / ${encodeURIComponent(KEY)} / ${Buffer.from(KEY).toString('base64')} / ${Buffer.from(KEY).toString('base64url')} / Bearer ${KEY} / ${Buffer.from(`{"k":"${KEY}"}`).toString('base64')}`;
    s.enqueue({ kind: 'error', status: 401, message: echo });
    const model = makeModel({
      provider: 'openai',
      configuration: { endpoint: `${s.url}/v1`, model: 'gpt-4o-mini', apiKeyEnv: 'DOCS_KEY' },
    });
    const log = new FakeLog();
    const llm = client({
      modelRegistry: new FakeRegistry({ u: model }),
      logProcessor: log,
      secrets: () => KEY,
    });
    const seen: string[] = [];
    llm.on('llm:failed', (e) => seen.push(e.message));
    const err = (await llm
      .generate({ useCase: 'u', prompt: 'hi' })
      .catch((e: unknown) => e)) as ProviderError;
    const cause = err.cause as ProviderError;
    const texts = [
      err.message,
      JSON.stringify(err.details),
      cause.message,
      JSON.stringify(cause.details),
      ...seen,
    ];
    for (const t of texts) expect(leaks(t)).toEqual([]);
    expect(cause.details['body']).toContain('[REDACTED]');

    // A 200 answer that contains the key is not stored as such (export reads what was logged).
    s.enqueue({ kind: 'ok', text: `sure: ${Buffer.from(KEY).toString('base64')} and ${KEY}` });
    await llm.generate({ useCase: 'u', prompt: `my key is ${encodeURIComponent(KEY)}` });
    const entry = log.entries.at(-1)!;
    expect(leaks(entry.generatedOutput)).toEqual([]);
    expect(leaks(entry.prompt)).toEqual([]);
    expect(entry.generatedOutput).toContain('[REDACTED]');
    for (const e of log.entries) expect(leaks(JSON.stringify(e))).toEqual([]);
  });
});

describe('item 13: a stream cut before the end marker is an error', () => {
  for (const vendor of ['ollama', 'openai'] as const) {
    it(`${vendor}: after partial text, the stream throws and result rejects`, async () => {
      const s = await server(vendor);
      s.enqueue({ kind: 'truncated', chunks: ['Well ', 'met, '] });
      const model = makeModel({
        provider: vendor,
        configuration: vendor === 'ollama' ? { endpoint: s.url } : { endpoint: `${s.url}/v1`, model: 'm' },
      });
      const llm = client({ modelRegistry: new FakeRegistry({ u: model }) });
      const stream = llm.generateStream({ useCase: 'u', prompt: 'hi' });
      const got: string[] = [];
      const err = await (async () => {
        for await (const c of stream) got.push(c);
      })().catch((e: unknown) => e);
      expect(got.join('')).toBe('Well met, ');
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).code).toBe('PROVIDER_CONNECTION_ERROR');
      await expect(stream.result).rejects.toBeInstanceOf(ProviderError);
    });

    it(`${vendor}: cut before any chunk, it is retried as a connection failure`, async () => {
      const s = await server(vendor);
      s.enqueue({ kind: 'truncated', chunks: [] }, { kind: 'ok', text: 'Hello there' });
      const model = makeModel({
        provider: vendor,
        configuration: vendor === 'ollama' ? { endpoint: s.url } : { endpoint: `${s.url}/v1`, model: 'm' },
      });
      const llm = client({
        modelRegistry: new FakeRegistry({ u: model }),
        retry: { retries: 1, minTimeoutMs: 1 },
      });
      const retries: string[] = [];
      llm.on('llm:retry', (e) => retries.push(e.code));
      let text = '';
      for await (const c of llm.generateStream({ useCase: 'u', prompt: 'hi' })) text += c;
      expect(text).toBe('Hello there');
      expect(retries).toEqual(['PROVIDER_CONNECTION_ERROR']);
      expect(s.requests).toHaveLength(2);
    });
  }
});

describe('item 14 and 15: retry-after-ms, and the cause in the thrown error', () => {
  it("honours OpenAI's retry-after-ms header", async () => {
    const s = await server('openai');
    s.enqueue({
      kind: 'error',
      status: 429,
      message: 'Rate limit reached',
      headers: { 'retry-after-ms': '40' },
    });
    const model = makeModel({ provider: 'openai', configuration: { endpoint: `${s.url}/v1`, model: 'm' } });
    const llm = client({
      modelRegistry: new FakeRegistry({ u: model }),
      retry: { retries: 1, minTimeoutMs: 1 },
    });
    const waits: Array<number | null> = [];
    llm.on('llm:retry', (e) => waits.push(e.retryAfterMs));
    const r = await llm.generate({ useCase: 'u', prompt: 'hi' });
    expect(r.source).toBe('model');
    expect(waits).toEqual([40]);
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(35);
  });

  it('a 401 names its status and the provider message, at top level and in each failure', async () => {
    const s = await server('openai');
    const o = await server('ollama');
    s.enqueue({ kind: 'error', status: 401, message: 'Incorrect API key provided' });
    o.enqueue({ kind: 'error', status: 404, message: "model 'npc' not found" });
    const model = makeModel({ provider: 'openai', configuration: { endpoint: `${s.url}/v1`, model: 'm' } });
    const llm = client({
      modelRegistry: new FakeRegistry({ u: model }),
      fallbackEndpoints: { u: { provider: 'ollama', endpoint: o.url, model: 'npc' } },
    });
    const err = (await llm
      .generate({ useCase: 'u', prompt: 'hi' })
      .catch((e: unknown) => e)) as ProviderError;
    expect(err.message).toMatch(/401/);
    expect(err.message).toContain('Incorrect API key provided');
    expect(err.message).toMatch(/404/);
    expect(err.message).toContain("model 'npc' not found");
    expect(err.details['failures']).toEqual([
      expect.objectContaining({ from: 'stable', status: 401, message: 'Incorrect API key provided' }),
      expect.objectContaining({ from: 'fallback_endpoint', status: 404, message: "model 'npc' not found" }),
    ]);
  });
});

describe('item 16 and 17: configuration checked where it enters', () => {
  it('an openai fallback endpoint without `model` is refused at construction', () => {
    expect(
      () =>
        new LLMClient({
          fallbackEndpoints: { u: { provider: 'openai', endpoint: 'http://127.0.0.1:9/v1' } },
        }),
    ).toThrow(ValidationError);
    expect(
      () =>
        new LLMClient({
          fallbackEndpoints: { u: { provider: 'openai', endpoint: 'http://127.0.0.1:9/v1' } },
        }),
    ).toThrow(/fallbackEndpoints\.u\.model/);
  });

  it("the README's ollama registration works against a docs-conformant Ollama; the 404 path is refused", async () => {
    const s = await server('ollama');
    const db = await createDatabase({ memory: true });
    const registry = new ModelRegistry({ db });
    try {
      await expect(
        registry.registerModel({
          modelName: 'foundation-model-v1',
          modelType: 'self_hosted',
          provider: 'ollama',
          useCase: 'foundation_layer',
          version: '0.9',
          configuration: { endpoint: `${s.url}/generate` },
        }),
      ).rejects.toThrow(/Ollama's base URL/);
      const model = await registry.registerModel({
        modelName: 'foundation-model-v1',
        modelType: 'self_hosted',
        provider: 'ollama',
        useCase: 'foundation_layer',
        version: '1.0',
        configuration: { endpoint: s.url },
      });
      await registry.updateModelStatus(model.id, 'current');
      const llm = client({ modelRegistry: registry });
      const r = await llm.generate({ useCase: 'foundation_layer', prompt: 'Greet the traveller' });
      expect(r).toMatchObject({
        text: 'echo: Greet the traveller',
        source: 'model',
        usage: { tokensIn: 9, tokensOut: 4 },
      });
      expect(s.requests.map((q) => q.path)).toEqual(['/api/generate']);
      let streamed = '';
      for await (const c of llm.generateStream({
        useCase: 'foundation_layer',
        messages: [{ role: 'user', content: 'hi' }],
      }))
        streamed += c;
      expect(streamed).toBe('echo: hi');
      expect(s.requests.at(-1)?.path).toBe('/api/chat');
    } finally {
      await registry.close();
      await db.close();
    }
  });
});
