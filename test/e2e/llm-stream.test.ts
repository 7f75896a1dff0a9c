import { afterEach, describe, expect, it } from 'vitest';
import { LLMClient, type LLMClientOptions, ProviderError, ProviderTimeoutError } from '../../src/index.js';
import {
  FAKE_FALLBACK,
  FakeGuardrails,
  FakeLog,
  FakeRegistry,
  FakeRouter,
  makeModel,
} from '../helpers/fakes.js';
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

const U = 'interaction_layer';
const opts: Partial<LLMClientOptions> = { retry: { retries: 2, minTimeoutMs: 5, randomize: false } };

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('generateStream over real HTTP', () => {
  for (const format of ['ollama', 'openai'] as const) {
    it(`${format}: yields the chunks as they arrive, with usage in the result`, async () => {
      const s = await stub(format);
      s.setDefault({ kind: 'ok', chunks: ['Well ', 'met, ', 'traveller.'], chunkDelayMs: 10 });
      const model = makeModel({ provider: format, configuration: { endpoint: s.url } });
      const llm = new LLMClient({ ...opts, modelRegistry: new FakeRegistry({ [U]: model }) });
      const stream = llm.generateStream({ useCase: U, messages: [{ role: 'user', content: 'hi' }] });
      expect(await collect(stream)).toEqual(['Well ', 'met, ', 'traveller.']);
      const r = await stream.result;
      expect(r).toMatchObject({
        text: 'Well met, traveller.',
        source: 'model',
        modelId: model.id,
        usage: { tokensIn: 7, tokensOut: 5 },
      });
      expect(s.requests[0]?.body['stream']).toBe(true);
    });
  }

  it('a critical violation mid-stream stops the provider stream and yields the fallback content', async () => {
    const s = await stub('openai');
    s.setDefault({
      kind: 'ok',
      chunks: ['I ', 'will ', 'kill ', 'you ', 'slowly ', 'and ', 'then…'],
      chunkDelayMs: 15,
    });
    const model = makeModel({ provider: 'openai', configuration: { endpoint: s.url } });
    const router = new FakeRouter({ model, variant: 'candidate', deploymentId: 'dep-9', weight: 0.5 });
    const log = new FakeLog();
    const llm = new LLMClient({
      ...opts,
      modelRegistry: new FakeRegistry({}),
      router,
      guardrails: new FakeGuardrails(),
      logProcessor: log,
    });
    const blocked: string[] = [];
    llm.on('llm:blocked', (e) => blocked.push(e.stage));
    const stream = llm.generateStream({ useCase: U, prompt: 'threaten me' });
    const chunks = await collect(stream);
    expect(chunks).toEqual(['I ', 'will ', FAKE_FALLBACK]);
    const r = await stream.result;
    expect(r.source).toBe('fallback_content');
    expect(r.guardrails?.violations).toEqual([
      { severity: 'critical', category: 'violence', checkId: 'fake.kill' },
    ]);
    expect(router.outcomes[0]).toMatchObject({
      deploymentId: 'dep-9',
      ok: true,
      criticalViolations: 1,
      fallback: true,
    });
    expect(blocked).toEqual(['output']);
    expect(log.entries[0]).toMatchObject({ status: 'blocked' });
  });

  it('without a stream checker, guardrails check the whole answer before anything is yielded', async () => {
    const s = await stub('ollama');
    s.setDefault({ kind: 'ok', chunks: ['call ', 'me at ', '555-1234'] });
    const model = makeModel({ provider: 'ollama', configuration: { endpoint: s.url } });
    const llm = new LLMClient({
      ...opts,
      modelRegistry: new FakeRegistry({ [U]: model }),
      guardrails: new FakeGuardrails(false),
    });
    const stream = llm.generateStream({ useCase: U, prompt: 'x' });
    expect(await collect(stream)).toEqual(['call me at [phone]']);
    expect((await stream.result).guardrails?.action).toBe('redact');
  });

  it('a reset before the first chunk is retried; a fallback endpoint serves when the model keeps failing', async () => {
    const s = await stub('ollama');
    const fb = await stub('http');
    s.enqueue({ kind: 'reset' });
    const model = makeModel({ provider: 'ollama', configuration: { endpoint: s.url } });
    const llm = new LLMClient({
      ...opts,
      modelRegistry: new FakeRegistry({ [U]: model }),
      fallbackEndpoints: { [U]: fb.url },
    });
    expect((await collect(llm.generateStream({ useCase: U, prompt: 'one two' }))).join('')).toBe(
      'echo: one two',
    );
    s.setDefault({ kind: 'status', status: 503 });
    const stream = llm.generateStream({ useCase: U, prompt: 'three' });
    expect(await collect(stream)).toEqual(['echo: three']);
    expect((await stream.result).source).toBe('fallback_endpoint');
  });

  it('a connection reset mid-stream ends the stream with a ProviderError', async () => {
    const s = await stub('openai');
    s.setDefault({ kind: 'reset_mid_stream', chunks: ['partial '] });
    const model = makeModel({ provider: 'openai', configuration: { endpoint: s.url } });
    const llm = new LLMClient({ ...opts, modelRegistry: new FakeRegistry({ [U]: model }) });
    const stream = llm.generateStream({ useCase: U, prompt: 'x' });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const c of stream) seen.push(c);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['partial ']);
    expect(err).toBeInstanceOf(ProviderError);
    await expect(stream.result).rejects.toBe(err);
  });

  it('the request budget covers the whole stream', async () => {
    const s = await stub('ollama');
    s.setDefault({ kind: 'ok', chunks: ['a ', 'b ', 'c ', 'd '], chunkDelayMs: 150 });
    const model = makeModel({ provider: 'ollama', configuration: { endpoint: s.url } });
    const llm = new LLMClient({ ...opts, modelRegistry: new FakeRegistry({ [U]: model }) });
    const stream = llm.generateStream({ useCase: U, prompt: 'x', timeoutMs: 250 });
    const err = await collect(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderTimeoutError);
  });

  it('breaking out of the loop cancels the provider call and rejects result with an AbortError', async () => {
    const s = await stub('openai');
    s.setDefault({ kind: 'ok', chunks: ['1 ', '2 ', '3 ', '4 '], chunkDelayMs: 30 });
    const model = makeModel({ provider: 'openai', configuration: { endpoint: s.url } });
    const llm = new LLMClient({ ...opts, modelRegistry: new FakeRegistry({ [U]: model }) });
    const stream = llm.generateStream({ useCase: U, prompt: 'x' });
    for await (const c of stream) {
      expect(c).toBe('1 ');
      break;
    }
    await expect(stream.result).rejects.toMatchObject({ name: 'AbortError' });
    expect(llm.metrics().failed).toBe(1);
  });
});
