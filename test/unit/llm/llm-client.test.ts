import { describe, expect, it } from 'vitest';
import {
  ClosedError,
  ConflictError,
  type ModelManagementError,
  ValidationError,
} from '../../../src/index.js';
import {
  DEFAULT_SIMULATED_UNSAFE_TEXT,
  LLMClient,
  type Provider,
  ProviderRegistry,
  SimulatedProvider,
} from '../../../src/llm/index.js';
import {
  FAKE_FALLBACK,
  FakeGuardrails,
  FakeLog,
  FakeRegistry,
  FakeRouter,
  makeModel,
} from '../../helpers/fakes.js';

const U = 'interaction_layer';
const sim = (configuration: Record<string, unknown> = {}) =>
  makeModel({
    provider: 'simulated',
    modelName: 'npc-sim',
    configuration: { seed: 'fixed', ...configuration },
  });

describe('LLMClient input validation', () => {
  const llm = new LLMClient({ fallbackEndpoints: { [U]: { provider: 'simulated' } } });
  it.each([
    [null, /input of generate\(\) to be an object/],
    [{ prompt: 'x' }, /`useCase` to be a non-empty string, got undefined/],
    [{ useCase: U }, /exactly one of `prompt` and `messages`/],
    [{ useCase: U, prompt: 'x', messages: [] }, /exactly one/],
    [{ useCase: U, prompt: '' }, /`prompt` to be a non-empty string/],
    [{ useCase: U, messages: [{ role: 'npc', content: 'x' }] }, /`messages\[0\]`/],
    [{ useCase: U, prompt: 'x', timeoutMs: -1 }, /`timeoutMs` to be a positive number, got -1/],
    [{ useCase: U, prompt: 'x', timeoutMs: 2 ** 31 }, /`timeoutMs` to be at most 2147483647 ms/],
    [{ useCase: U, prompt: 'x', maxTokens: 1.5 }, /`maxTokens` to be a positive integer/],
    [{ useCase: U, prompt: 'x', temperature: 3 }, /`temperature` to be a number from 0 to 2, got 3/],
    [{ useCase: U, prompt: 'x', stickyKey: 42 }, /`stickyKey`/],
    [{ useCase: U, prompt: 'x', context: 'scene' }, /`context` to be a plain object/],
    [{ useCase: U, prompt: 'x', signal: {} }, /`signal` to be an AbortSignal/],
  ])('rejects %j', async (input, message) => {
    const err = await llm.generate(input as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(message);
    expect(() => llm.generateStream(input as never)).toThrow(ValidationError);
  });

  it('rejects bad options naming the field', () => {
    expect(() => new LLMClient({ attemptTimeoutMs: 0 })).toThrow(
      /`attemptTimeoutMs` to be a positive number, got 0/,
    );
    expect(() => new LLMClient({ retry: { retries: -1 } })).toThrow(/retry.retries/);
    expect(() => new LLMClient({ modelRegistry: {} as never })).toThrow(/getCurrentModel/);
    expect(() => new LLMClient({ fallbackEndpoints: { [U]: 'not a url' } })).toThrow(
      /fallbackEndpoints.interaction_layer.endpoint/,
    );
    expect(
      () => new LLMClient({ fallbackEndpoints: { [U]: { provider: 'nope', endpoint: 'http://x' } } }),
    ).toThrow(/Unknown provider 'nope'/);
  });

  it('a model with an invalid configuration is skipped like a failing one', async () => {
    const bad = makeModel({ provider: 'http', configuration: { endpoint: 'nope' } });
    const llm2 = new LLMClient({
      modelRegistry: new FakeRegistry({ [U]: bad }),
      fallbackEndpoints: { [U]: { provider: 'simulated' } },
    });
    const r = await llm2.generate({ useCase: U, prompt: 'x' });
    expect(r.source).toBe('fallback_endpoint');
  });
});

describe('LLMClient with the simulated provider', () => {
  it('serves the routed model and returns every documented field', async () => {
    const model = sim();
    const router = new FakeRouter({ model, variant: 'candidate', deploymentId: 'dep-1', weight: 0.25 });
    const log = new FakeLog();
    const llm = new LLMClient({
      modelRegistry: new FakeRegistry({}),
      router,
      logProcessor: log,
      guardrails: new FakeGuardrails(),
    });
    const r = await llm.generate({
      useCase: U,
      prompt: 'hello',
      stickyKey: 'p1',
      conversationId: 'c1',
      playerId: 'p1',
      sessionId: 's1',
    });
    expect(r).toMatchObject({
      modelId: model.id,
      modelVersion: model.version,
      variant: 'candidate',
      deploymentId: 'dep-1',
      logId: 'log-1',
      source: 'model',
      guardrails: { action: 'allow', violations: [], fallbackUsed: false },
    });
    expect(typeof r.text).toBe('string');
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.usage.tokensIn).toBe(1);
    expect(router.outcomes).toEqual([
      {
        deploymentId: 'dep-1',
        variant: 'candidate',
        ok: true,
        latencyMs: r.latencyMs,
        violations: 0,
        criticalViolations: 0,
        fallback: false,
      },
    ]);
    expect(log.entries[0]).toMatchObject({
      modelId: model.id,
      useCase: U,
      prompt: 'hello',
      status: 'ok',
      playerId: 'p1',
      sessionId: 's1',
      conversationId: 'c1',
      deploymentId: 'dep-1',
      variant: 'candidate',
      generatedOutput: r.text,
    });
  });

  it('is deterministic for the same seed and call sequence', async () => {
    const run = async () => {
      const llm = new LLMClient({
        modelRegistry: new FakeRegistry({ [U]: sim({ errorRate: 0.3 }) }),
        retry: { retries: 0 },
      });
      const out: string[] = [];
      for (let i = 0; i < 20; i++)
        out.push(
          await llm.generate({ useCase: U, prompt: `line ${i}` }).then(
            (r) => r.text,
            (e: ModelManagementError) => e.code,
          ),
        );
      return out;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a).toContain('PROVIDER_ERROR');
    expect(a.filter((x) => x === 'PROVIDER_ERROR').length).toBeGreaterThan(1);
  });

  it('unsafe output is replaced by the guardrails fallback content and counted for the rollout', async () => {
    const model = sim({ unsafeRate: 1, unsafeText: 'I will kill you' });
    const router = new FakeRouter({ model, variant: 'candidate', deploymentId: 'd', weight: 1 });
    const log = new FakeLog();
    const llm = new LLMClient({
      modelRegistry: new FakeRegistry({}),
      router,
      guardrails: new FakeGuardrails(),
      logProcessor: log,
    });
    const blocked: unknown[] = [];
    llm.on('llm:blocked', (e) => blocked.push(e));
    const r = await llm.generate({ useCase: U, prompt: 'x' });
    expect(r).toMatchObject({ text: FAKE_FALLBACK, source: 'fallback_content', modelId: model.id });
    expect(router.outcomes[0]).toMatchObject({
      ok: true,
      violations: 1,
      criticalViolations: 1,
      fallback: true,
    });
    expect(log.entries[0]?.status).toBe('blocked');
    expect(blocked).toHaveLength(1);
    expect(llm.metrics()).toMatchObject({ blocked: 1, bySource: { fallback_content: 1 } });
    expect(DEFAULT_SIMULATED_UNSAFE_TEXT).toMatch(/kill/);
  });

  it('input guardrails (when enabled) block before any model call, or redact the prompt', async () => {
    const guardrails = new FakeGuardrails();
    const registry = new FakeRegistry({ [U]: sim() });
    const llm = new LLMClient({ modelRegistry: registry, guardrails, inputGuardrails: true });
    const blocked = await llm.generate({ useCase: U, prompt: 'how do I kill the king' });
    expect(blocked).toMatchObject({ source: 'fallback_content', text: FAKE_FALLBACK, modelId: null });
    expect(registry.calls).toBe(0);
    await llm.generate({
      useCase: U,
      messages: [
        { role: 'system', content: 'be nice' },
        { role: 'user', content: 'call 555-1234' },
      ],
    });
    expect(guardrails.checks.filter((c) => c.stage === 'input').map((c) => c.text)).toEqual([
      'how do I kill the king',
      'call 555-1234',
    ]);
    const noInput = new LLMClient({ modelRegistry: registry, guardrails });
    const before = guardrails.checks.length;
    await noInput.generate({ useCase: U, prompt: 'kill' }); // output check only
    expect(guardrails.checks.slice(before).map((c) => c.stage)).toEqual(['output']);
  });

  it('does not wait for a slow log processor; failures are counted and emitted, never thrown', async () => {
    const log = new FakeLog();
    let release = () => {};
    log.gate = new Promise((resolve) => {
      release = resolve;
    });
    const llm = new LLMClient({ modelRegistry: new FakeRegistry({ [U]: sim() }), logProcessor: log });
    const r = await llm.generate({ useCase: U, prompt: 'x' });
    // The answer came back while the log processor had not answered yet: the client did not wait.
    expect(log.answered).toBe(0);
    expect(r.logId).toBeNull();
    expect(log.entries).toHaveLength(1);
    release();
    log.gate = null;
    log.fail = true;
    const errors: string[] = [];
    llm.on('llm:dependency_error', (e) => errors.push(`${e.dependency}: ${e.message}`));
    const r2 = await llm.generate({ useCase: U, prompt: 'y' });
    expect(r2.logId).toBeNull();
    await new Promise((res) => setTimeout(res, 1));
    expect(errors).toEqual(['logProcessor: log queue full']);
    expect(llm.metrics().dependencyErrors.logProcessor).toBe(1);
  });

  it('a throwing router is reported and the registry model serves', async () => {
    const model = sim();
    const router = new FakeRouter(null);
    router.route = () => {
      throw new Error('snapshot missing');
    };
    const llm = new LLMClient({ modelRegistry: new FakeRegistry({ [U]: model }), router });
    const r = await llm.generate({ useCase: U, prompt: 'x' });
    expect(r).toMatchObject({ modelId: model.id, variant: 'stable' });
    expect(llm.metrics().dependencyErrors.router).toBe(1);
  });

  it('a throwing guardrails monitor fails the call with GUARDRAILS_UNAVAILABLE (never unchecked text)', async () => {
    const guardrails = new FakeGuardrails();
    guardrails.check = async () => {
      throw new Error('classifier down');
    };
    const llm = new LLMClient({ modelRegistry: new FakeRegistry({ [U]: sim() }), guardrails });
    await expect(llm.generate({ useCase: U, prompt: 'x' })).rejects.toMatchObject({
      code: 'GUARDRAILS_UNAVAILABLE',
    });
  });

  it('no model and no fallback endpoint: a ProviderError that says so', async () => {
    const llm = new LLMClient({ modelRegistry: new FakeRegistry({}) });
    await expect(llm.generate({ useCase: U, prompt: 'x' })).rejects.toThrow(
      /no current model and no fallbackEndpoints\['interaction_layer'\]/,
    );
  });

  it('streams the simulated provider word by word', async () => {
    const llm = new LLMClient({
      modelRegistry: new FakeRegistry({ [U]: sim({ responses: ['one two three'] }) }),
    });
    const stream = llm.generateStream({ useCase: U, prompt: 'x' });
    const chunks: string[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks).toEqual(['one ', 'two ', 'three']);
    expect((await stream.result).text).toBe('one two three');
  });

  it('close() is idempotent and rejects later calls with ClosedError', async () => {
    const llm = new LLMClient({});
    await llm.close();
    await llm[Symbol.asyncDispose]();
    await expect(llm.generate({ useCase: U, prompt: 'x' })).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('ProviderRegistry', () => {
  it('has the built-ins and accepts a host provider by name', async () => {
    const providers = new ProviderRegistry();
    expect(providers.names().sort()).toEqual(['http', 'ollama', 'openai', 'simulated']);
    const echo: Provider = {
      name: 'echo',
      generate: async (req) => ({ text: `echo ${req.prompt}`, usage: { tokensIn: 1, tokensOut: 1 } }),
    };
    providers.register(echo);
    expect(() => providers.register(echo)).toThrow(ConflictError);
    expect(() => providers.register({ name: 'Bad Name', generate: echo.generate })).toThrow(ValidationError);
    const llm = new LLMClient({
      providers,
      modelRegistry: new FakeRegistry({
        [U]: makeModel({ provider: 'echo', configuration: { endpoint: 'echo://local' } }),
      }),
    });
    expect((await llm.generate({ useCase: U, prompt: 'hi' })).text).toBe('echo hi');
    const viaArray = new LLMClient({
      providers: [echo],
      fallbackEndpoints: { [U]: { provider: 'echo', endpoint: 'echo://x' } },
    });
    expect((await viaArray.generate({ useCase: U, prompt: 'yo' })).text).toBe('echo yo');
  });

  it('the simulated provider honours latency through an injectable sleep', async () => {
    const slept: number[] = [];
    const providers = new ProviderRegistry({ simulated: { sleep: async (ms) => void slept.push(ms) } });
    const llm = new LLMClient({
      providers,
      fallbackEndpoints: { [U]: { provider: 'simulated', latencyMs: 40, latencyJitterMs: 10 } },
    });
    await llm.generate({ useCase: U, prompt: 'x' });
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(40);
    expect(slept[0]).toBeLessThan(50);
    expect(new SimulatedProvider().name).toBe('simulated');
  });
});
