/**
 * The stable step of the fallback chain during a deployment: after a blue-green or all-at-once switch
 * the registry's current model IS the candidate, so the stable fallback must be the deployment's
 * previous model (`stableModelId`), while the outcome still records the candidate's failure.
 */
import { describe, expect, it } from 'vitest';
import { LLMClient, ProviderError } from '../../../src/index.js';
import { FakeLog, FakeRegistry, FakeRouter, makeModel } from '../../helpers/fakes.js';

const U = 'interaction_layer';
const DEP = 'dep-all-at-once';

/** An all-at-once deployment after the switch: the failing candidate is current, the previous model standby. */
function switched(options: { previousInSnapshot?: boolean } = {}) {
  const previous = makeModel({
    provider: 'simulated',
    status: 'standby',
    configuration: { seed: 'previous', responses: ['Previous model speaking.'] },
  });
  const candidate = makeModel({
    provider: 'simulated',
    status: 'current',
    configuration: { seed: 'candidate', errorRate: 1, errorStatus: 500 },
  });
  const registry = new FakeRegistry({ [U]: candidate });
  if (options.previousInSnapshot ?? true) registry.snapshotModels.set(previous.id, previous);
  registry.stored.set(previous.id, previous);
  registry.stored.set(candidate.id, candidate);
  const router = new FakeRouter({ model: candidate, variant: 'candidate', deploymentId: DEP, weight: 100 });
  router.active = { id: DEP, stableModelId: previous.id };
  const log = new FakeLog();
  const llm = new LLMClient({ modelRegistry: registry, router, logProcessor: log, retry: { retries: 0 } });
  return { previous, candidate, registry, router, log, llm };
}

describe('stable fallback during a deployment', () => {
  it("serves the deployment's previous model when the switched-in candidate fails; the outcome is the candidate's failure", async () => {
    const { previous, candidate, registry, router, log, llm } = switched();
    const fallbacks: unknown[] = [];
    llm.on('llm:fallback', (e) => fallbacks.push(e));
    const r = await llm.generate({ useCase: U, prompt: 'hello', stickyKey: 'p1' });
    expect(r).toMatchObject({
      source: 'model',
      modelId: previous.id,
      modelVersion: previous.version,
      variant: 'stable',
      deploymentId: DEP,
      text: 'Previous model speaking.',
    });
    expect(router.outcomes).toEqual([
      {
        deploymentId: DEP,
        variant: 'candidate',
        ok: false,
        latencyMs: r.latencyMs,
        violations: 0,
        criticalViolations: 0,
        fallback: true,
      },
    ]);
    expect(fallbacks).toEqual([
      expect.objectContaining({ from: 'routed', to: 'stable', code: 'PROVIDER_ERROR' }),
    ]);
    expect(log.entries[0]).toMatchObject({
      modelId: previous.id,
      status: 'fallback',
      deploymentId: DEP,
      variant: 'stable',
    });
    // Found in the in-memory snapshot: no registry I/O at all.
    expect(registry.calls).toBe(0);
    expect(registry.getModelCalls).toBe(0);
    expect(candidate.id).not.toBe(previous.id);
  });

  it('streams from the previous model too, with the same outcome', async () => {
    const { previous, router, llm } = switched();
    const stream = llm.generateStream({ useCase: U, prompt: 'hello' });
    let text = '';
    for await (const chunk of stream) text += chunk;
    expect(text).toBe('Previous model speaking.');
    expect(await stream.result).toMatchObject({ source: 'model', modelId: previous.id, variant: 'stable' });
    expect(router.outcomes).toEqual([
      expect.objectContaining({ deploymentId: DEP, variant: 'candidate', ok: false, fallback: true }),
    ]);
  });

  it('reads the previous model with getModel() when the snapshot lacks it', async () => {
    const { previous, registry, llm } = switched({ previousInSnapshot: false });
    const r = await llm.generate({ useCase: U, prompt: 'hello' });
    expect(r).toMatchObject({ source: 'model', modelId: previous.id, variant: 'stable' });
    expect(registry.getModelCalls).toBe(1);
    expect(registry.calls).toBe(0);
  });

  it('an unreachable registry: the switched-in candidate is not retried, the fallback endpoint serves', async () => {
    const { registry, router } = switched({ previousInSnapshot: false });
    registry.fail = true;
    const llm = new LLMClient({
      modelRegistry: registry,
      router,
      retry: { retries: 0 },
      fallbackEndpoints: { [U]: { provider: 'simulated' } },
    });
    const down: unknown[] = [];
    llm.on('llm:registry_unavailable', (e) => down.push(e));
    const r = await llm.generate({ useCase: U, prompt: 'hello' });
    expect(r).toMatchObject({ source: 'fallback_endpoint', modelId: null });
    expect(router.outcomes.at(-1)).toMatchObject({ variant: 'candidate', ok: false, fallback: true });
    expect(down).toHaveLength(1);
    // One registry read, not a second one for the current model (a hanging registry would cost two timeouts).
    expect(registry.getModelCalls).toBe(1);
    expect(registry.calls).toBe(0);
  });

  it("a previous model that no longer exists: the registry's current model is asked next", async () => {
    const { previous, registry, llm } = switched({ previousInSnapshot: false });
    registry.stored.delete(previous.id);
    const err = (await llm
      .generate({ useCase: U, prompt: 'hello' })
      .catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    // The current model is the failing candidate itself: skipped, not called twice.
    expect(err.details['failures']).toEqual([
      expect.objectContaining({ from: 'routed', code: 'PROVIDER_ERROR' }),
      expect.objectContaining({ from: 'registry', code: 'NOT_FOUND' }),
    ]);
    expect(registry.calls).toBe(1);
    expect(llm.metrics().registry).toMatchObject({ failures: 0, available: true });
  });

  it("a deployment that ended since the route (another id, or none): the registry's current model", async () => {
    const { previous, candidate, registry, router, llm } = switched();
    registry.current[U] = previous; // rolled back: the previous model is current again
    router.active = { id: 'another-deployment', stableModelId: candidate.id };
    const r = await llm.generate({ useCase: U, prompt: 'hello' });
    expect(r).toMatchObject({ source: 'model', modelId: previous.id, variant: 'stable' });
    expect(registry.calls).toBe(1);
    router.active = undefined;
    const r2 = await llm.generate({ useCase: U, prompt: 'again' });
    expect(r2).toMatchObject({ source: 'model', modelId: previous.id });
    expect(registry.calls).toBe(2);
  });

  it('a throwing activeDeployment() is reported as a router error; the registry answers', async () => {
    const { router, llm } = switched();
    router.activeFails = true;
    const errors: string[] = [];
    llm.on('llm:dependency_error', (e) => errors.push(`${e.dependency}: ${e.message}`));
    const err = await llm.generate({ useCase: U, prompt: 'hello' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(errors).toEqual(['router: router snapshot unavailable']);
    expect(llm.metrics().dependencyErrors.router).toBe(1);
  });

  it('the stable arm of a canary failing goes straight to the fallback endpoints (no registry read)', async () => {
    const stable = makeModel({
      provider: 'simulated',
      configuration: { seed: 'stable', errorRate: 1, errorStatus: 500 },
    });
    const registry = new FakeRegistry({ [U]: stable });
    registry.snapshotModels.set(stable.id, stable);
    const router = new FakeRouter({ model: stable, variant: 'stable', deploymentId: DEP, weight: 10 });
    router.active = { id: DEP, stableModelId: stable.id };
    const llm = new LLMClient({
      modelRegistry: registry,
      router,
      retry: { retries: 0 },
      fallbackEndpoints: { [U]: { provider: 'simulated' } },
    });
    const r = await llm.generate({ useCase: U, prompt: 'hello' });
    expect(r).toMatchObject({
      source: 'fallback_endpoint',
      modelId: null,
      variant: null,
      deploymentId: null,
    });
    expect(router.outcomes).toEqual([
      expect.objectContaining({ variant: 'stable', ok: false, fallback: true }),
    ]);
    expect(registry.calls).toBe(0);
  });

  it('a router without activeDeployment() keeps the registry current model as the stable fallback', async () => {
    const { previous, candidate, registry, router } = switched();
    const plainRouter = {
      route: () => router.decision,
      recordOutcome: (o: (typeof router.outcomes)[number]) => router.recordOutcome(o),
    };
    const llm = new LLMClient({ modelRegistry: registry, router: plainRouter, retry: { retries: 0 } });
    // Current = the failing candidate: nothing else to try (this is what activeDeployment() fixes).
    await expect(llm.generate({ useCase: U, prompt: 'hello' })).rejects.toBeInstanceOf(ProviderError);
    expect(registry.calls).toBe(1);
    registry.current[U] = previous;
    const r = await llm.generate({ useCase: U, prompt: 'hello' });
    expect(r).toMatchObject({ modelId: previous.id, variant: 'stable' });
    expect(candidate.status).toBe('current');
  });
});
