/**
 * The coordinator's smoke suite against real local HTTP servers: the candidate is called through the
 * host's own LLMClient (`probe`), with the host's providers, secrets, retry policy and breakers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDatabase,
  type Database,
  DeploymentManager,
  ModelRegistry,
  ServiceCoordinator,
} from '../../src/index.js';
import { type InferenceLogEntry, LLMClient } from '../../src/llm/index.js';
import { ManualClock } from '../../src/testing.js';
import { type ProviderStub, startProviderStub } from '../helpers/provider-stubs.js';

const USE_CASE = 'interaction_layer';
const POLL_MS = 5_000;
const KEY = 'sk-e2e-candidate-7f3a';
const PLAN = { steps: [100], stepMinDurationMs: 10_000, stepMinSamples: 20, rollbackWindowMs: 10_000 };

describe('ServiceCoordinator smoke suite over HTTP (llmClient.probe)', () => {
  let db: Database;
  let clock: ManualClock;
  let registry: ModelRegistry;
  let manager: DeploymentManager;
  let llm: LLMClient;
  let logs: InferenceLogEntry[];
  let stable: ProviderStub;
  let candidate: ProviderStub;
  let stableId: string;
  const secretsAsked: string[] = [];

  const register = async (version: string, stub: ProviderStub, extra: Record<string, string> = {}) =>
    (
      await registry.registerModel({
        modelName: `npc-${version}`,
        modelType: 'self_hosted',
        provider: 'openai',
        useCase: USE_CASE,
        version,
        configuration: { endpoint: `${stub.url}/v1`, ...extra },
      })
    ).id;

  beforeEach(async () => {
    stable = await startProviderStub('openai', { kind: 'ok', text: 'Stable says hello.' });
    candidate = await startProviderStub('openai', { kind: 'ok', text: 'Candidate says hello.' });
    db = await createDatabase({ memory: true });
    clock = new ManualClock();
    registry = new ModelRegistry({ db, clock });
    await registry.ready();
    stableId = await register('1', stable);
    await registry.updateModelStatus(stableId, 'current');
    manager = new DeploymentManager({ db, registry, clock, drive: false, plan: PLAN });
    await manager.router.ready();
    logs = [];
    secretsAsked.length = 0;
    llm = new LLMClient({
      modelRegistry: registry,
      router: manager.router,
      logProcessor: {
        logInference: async (e) => {
          logs.push(e);
          return `log-${logs.length}`;
        },
      },
      // The host's policy: 2 retries with backoff. Smoke calls override it with `smokeRetries`.
      retry: { retries: 2, minTimeoutMs: 200, maxTimeoutMs: 200, randomize: false },
      secrets: (name) => {
        secretsAsked.push(name);
        return name === 'E2E_CANDIDATE_KEY' ? KEY : undefined;
      },
      clock,
    });
  });

  afterEach(async () => {
    await manager?.close();
    await registry?.close();
    await db?.close();
    await stable?.close();
    await candidate?.close();
  });

  function coordinator() {
    const c = new ServiceCoordinator({
      deploymentManager: manager,
      llmClient: llm,
      registry,
      clock,
      pollIntervalMs: POLL_MS,
      smokeRetries: 0,
      smokeTimeoutMs: 2_000,
    });
    // Player traffic through the same client while the coordinator waits, then time moves on.
    c.on('coordination:waiting', () => {
      void (async () => {
        for (let i = 0; i < 25; i++) {
          await llm.generate({ useCase: USE_CASE, prompt: `player line ${i}`, stickyKey: `p-${i}` });
        }
        clock.advance(POLL_MS);
      })();
    });
    return c;
  }

  it('a healthy candidate passes the smoke suite through probe (host secrets), then is promoted', async () => {
    const newId = await register('2', candidate, { apiKeyEnv: 'E2E_CANDIDATE_KEY' });
    const result = await coordinator().coordinateModelDeployment({
      newModelId: newId,
      currentModelId: stableId,
      useCase: USE_CASE,
      strategy: 'blue_green',
    });
    expect(result.status).toBe('succeeded');
    expect(result.smoke).toMatchObject({ ok: true, passed: 3, total: 3 });

    // The three smoke prompts reached the candidate's server before any player traffic, with the
    // host client's secret resolved for the candidate's apiKeyEnv.
    const smokeRequests = candidate.requests.slice(0, 3);
    expect(smokeRequests.map((r) => r.path)).toEqual(Array(3).fill('/v1/chat/completions'));
    expect(smokeRequests.map((r) => r.body['model'])).toEqual(Array(3).fill('npc-2'));
    expect(smokeRequests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(secretsAsked).toContain('E2E_CANDIDATE_KEY');
    const smokeLogs = logs.filter((l) => l.metadata['smoke'] === true);
    expect(smokeLogs).toHaveLength(3);
    expect(smokeLogs.every((l) => l.modelId === newId && l.status === 'ok' && l.deploymentId === null)).toBe(
      true,
    );
    expect(JSON.stringify(logs)).not.toContain(KEY);
    expect(llm.metrics().probes).toEqual({ total: 3, failed: 0 });
    expect((await registry.getCurrentModel(USE_CASE))!.id).toBe(newId);
  });

  it('a candidate answering 500s fails the smoke suite fast; no deployment, no player traffic', async () => {
    candidate.setDefault({ kind: 'status', status: 500 });
    const brokenId = await register('3', candidate);
    const t0 = performance.now();
    const result = await coordinator().coordinateModelDeployment({
      newModelId: brokenId,
      currentModelId: stableId,
      useCase: USE_CASE,
      strategy: 'blue_green',
    });
    const elapsed = performance.now() - t0;
    expect(result).toMatchObject({ status: 'failed', deploymentId: null });
    expect(result.reason).toMatch(/Smoke suite failed before any traffic: 0\/3/);
    expect(result.smoke!.cases.map((c) => c.reason)).toEqual(
      Array(3).fill(expect.stringMatching(/^PROVIDER_ERROR: .*500/)),
    );
    // smokeRetries: 0 overrides the host's 2 retries: one request per smoke case, no backoff waits.
    expect(candidate.requests).toHaveLength(3);
    expect(elapsed).toBeLessThan(1_000);
    expect(await manager.listDeployments({ useCase: USE_CASE })).toEqual([]);
    expect(stable.requests).toEqual([]);
    expect(logs.filter((l) => l.metadata['smoke'] !== true)).toEqual([]);
    expect(logs.map((l) => l.status)).toEqual(['error', 'error', 'error']);
    expect(llm.metrics()).toMatchObject({ requests: 0, probes: { total: 3, failed: 3 } });
    // Player traffic is untouched: still served by the stable model.
    const r = await llm.generate({ useCase: USE_CASE, prompt: 'hello', stickyKey: 'p-1' });
    expect(r).toMatchObject({ modelId: stableId, text: 'Stable says hello.', source: 'model' });
  });
});
