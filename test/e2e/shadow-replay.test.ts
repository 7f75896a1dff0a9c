/**
 * Shadow strategy and replay from history on PostgreSQL, through `createModelManagement`, against local
 * HTTP provider stubs: players only ever get the stable answer, shadow calls are logged `variant:
 * 'shadow'`, pairs are judged (pass → `shadow_passed`, bad candidate → `rolled_back`), and 500 historic
 * prompts are replayed to a candidate with the comparison stored; bad input changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModelManagement, type ModelManagement } from '../../src/create-model-management.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { LLMClient } from '../../src/llm/index.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';
import { type ProviderStub, startProviderStub } from '../helpers/provider-stubs.js';

const USE_CASE = 'interaction_layer';
const STABLE_TEXT = 'Stable says hello, traveller.';
const CANDIDATE_TEXT = 'Candidate says hello, traveller.';

describe.skipIf(!TEST_DATABASE_URL)('shadow strategy and replay (PostgreSQL, HTTP stubs)', () => {
  let mm: ModelManagement;
  let stable: ProviderStub;
  let candidate: ProviderStub;
  let stableId: string;
  let candidateId: string;

  const register = async (version: string, stub: ProviderStub, useCase = USE_CASE) =>
    (
      await mm.registry.registerModel({
        modelName: `npc-${version}`,
        modelType: 'self_hosted',
        provider: 'openai',
        useCase,
        version,
        configuration: { endpoint: `${stub.url}/v1` },
      })
    ).id;

  beforeEach(async () => {
    stable = await startProviderStub('openai', { kind: 'ok', text: STABLE_TEXT });
    candidate = await startProviderStub('openai', { kind: 'ok', text: CANDIDATE_TEXT });
    const db = await openTestDatabase('postgres');
    mm = await createModelManagement({
      db,
      deployments: { drive: false },
      llm: { retry: { retries: 0 } },
    });
    const close = mm.close;
    mm = Object.assign(mm, {
      close: async () => {
        await close();
        await db.close();
      },
    });
    stableId = await register('1', stable);
    await mm.registry.updateModelStatus(stableId, 'current');
    candidateId = await register('2', candidate);
  });

  afterEach(async () => {
    await mm?.close();
    await stable?.close();
    await candidate?.close();
  });

  const shadowDeployment = async () => {
    const d = await mm.deployments.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'shadow',
      plan: { shadowRate: 1, shadowMinPairs: 100, stepMinDurationMs: 0 },
    });
    await mm.deployments.tick(); // pending → progressing (weight 0)
    await mm.router.refresh();
    return d;
  };

  const play = async (n: number) => {
    const texts = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await mm.llm.generate({ useCase: USE_CASE, prompt: `Line ${i}`, stickyKey: `p${i}` });
      texts.add(r.text);
      expect(r.modelId).toBe(stableId);
    }
    // Shadow calls end after the player's answer: wait for their pairs.
    for (let t = 0; t < 200 && mm.llm.shadowStats().inFlight > 0; t++)
      await new Promise((r) => setTimeout(r, 10));
    return texts;
  };

  it('players get only the stable answer; a healthy candidate ends shadow_passed', async () => {
    const d = await shadowDeployment();
    expect((await mm.deployments.getDeployment(d.id)).status).toBe('progressing');
    const texts = await play(150);
    expect([...texts]).toEqual([STABLE_TEXT]);
    expect(candidate.requests.length).toBe(150);
    const stats = mm.llm.shadowStats();
    expect(stats.paired).toBe(150);
    expect(mm.llm.metrics().requests).toBe(150); // shadow calls are not requests

    await mm.deployments.tick();
    const after = await mm.deployments.getDeployment(d.id);
    expect(after.status).toBe('shadow_passed');
    expect(after.lastVerdict?.verdict).toBe('pass');
    expect(after.lastVerdict?.reason).toMatch(/same 150 prompts \(paired/);
    expect((await mm.registry.getCurrentModel(USE_CASE))?.id).toBe(stableId);
    const trail = (await mm.deployments.getEvents(d.id)).map((e) => e.toStatus);
    expect(trail).toEqual(['pending', 'progressing', 'shadow_passed']);

    await mm.logProcessor.flush();
    const shadowLogs = await mm.logProcessor.query({ variant: 'shadow', limit: 1000 });
    expect(shadowLogs.items.length).toBe(150);
    expect(shadowLogs.items.every((e) => e.modelId === candidateId && e.playerId === null)).toBe(true);
    const playerLogs = await mm.logProcessor.query({ modelId: stableId, limit: 1000 });
    expect(playerLogs.items.length).toBe(150);
  });

  it('a candidate that fails is rolled back without any player seeing it', async () => {
    candidate.setDefault({ kind: 'status', status: 500, body: 'boom' });
    const d = await shadowDeployment();
    const texts = await play(120);
    expect([...texts]).toEqual([STABLE_TEXT]);
    await mm.deployments.tick();
    const after = await mm.deployments.getDeployment(d.id);
    expect(['rolling_back', 'rolled_back']).toContain(after.status);
    expect(after.reason).toMatch(/Shadow comparison failed: Candidate error rate/);
    expect((await mm.registry.getCurrentModel(USE_CASE))?.id).toBe(stableId);
  });

  it('shadow calls are bounded, never awaited by players, and cancelled on close', async () => {
    candidate.setDefault({ kind: 'hang' });
    await shadowDeployment();
    const llm = new LLMClient({
      modelRegistry: mm.registry,
      router: mm.router,
      retry: { retries: 0 },
      shadow: { maxConcurrency: 2, timeoutMs: 60_000 },
    });
    for (let i = 0; i < 10; i++) {
      const r = await llm.generate({ useCase: USE_CASE, prompt: `Line ${i}` });
      expect(r.text).toBe(STABLE_TEXT); // answered while the candidate still hangs
    }
    expect(llm.shadowStats()).toMatchObject({ started: 2, skipped: 8, inFlight: 2, paired: 0 });
    await llm.close();
    for (let t = 0; t < 200 && llm.shadowStats().inFlight > 0; t++)
      await new Promise((r) => setTimeout(r, 10));
    expect(llm.shadowStats()).toMatchObject({ inFlight: 0, cancelled: 2, paired: 0 });
  });

  it('replays 500 historic prompts to the candidate and stores the comparison', async () => {
    const t0 = new Date(Date.now() - 60_000);
    for (let i = 0; i < 520; i++) {
      await mm.logProcessor.logInference({
        modelId: stableId,
        useCase: USE_CASE,
        prompt: `Historic line ${i}`,
        generatedOutput: STABLE_TEXT,
        latencyMs: 5 + (i % 7),
        status: i % 100 === 0 ? 'error' : 'ok',
      });
    }
    // Not reusable: blocked rows and smoke calls.
    for (let i = 0; i < 30; i++) {
      await mm.logProcessor.logInference({
        modelId: stableId,
        useCase: USE_CASE,
        prompt: `Blocked ${i}`,
        status: i % 2 === 0 ? 'blocked' : 'ok',
        metadata: i % 2 === 0 ? null : { smoke: true },
      });
    }
    await mm.logProcessor.flush();
    const to = new Date(Date.now() + 1000);
    const c = await mm.deployments.replay({
      useCase: USE_CASE,
      candidateModelId: candidateId,
      from: t0,
      to,
      sample: 500,
      concurrency: 8,
    });
    expect(c.pairs).toBe(500);
    expect(c.scanned).toBe(550);
    expect(c.skipped).toBe(30);
    expect(candidate.requests.length).toBe(500);
    expect(c.verdict.verdict).toBe('pass');
    expect(c.verdict.reason).toMatch(/historic prompts/);
    const stored = await mm.deployments.listReplays({ useCase: USE_CASE });
    expect(stored.map((s) => s.id)).toEqual([c.id]);
    expect(stored[0]!.verdict.verdict).toBe('pass');
    expect(stored[0]!.pairs).toBe(500);
    console.log(`replay: ${c.pairs} pairs, ${c.verdict.verdict} — ${c.verdict.reason}`);
  });

  it('a failing candidate fails the replay', async () => {
    candidate.setDefault({ kind: 'status', status: 500, body: 'boom' });
    const t0 = new Date(Date.now() - 60_000);
    for (let i = 0; i < 300; i++) {
      await mm.logProcessor.logInference({
        modelId: stableId,
        useCase: USE_CASE,
        prompt: `Historic line ${i}`,
        generatedOutput: STABLE_TEXT,
        latencyMs: 5,
      });
    }
    await mm.logProcessor.flush();
    const c = await mm.deployments.replay({
      useCase: USE_CASE,
      candidateModelId: candidateId,
      from: t0,
      to: new Date(Date.now() + 1000),
      sample: 300,
    });
    expect(c.verdict.verdict).toBe('fail');
    expect(c.verdict.reason).toMatch(/error rate/);
  });

  it('bad input throws typed errors and changes nothing', async () => {
    const other = await register('9', candidate, 'foundation_layer');
    const now = new Date();
    const base = {
      useCase: USE_CASE,
      candidateModelId: candidateId,
      from: new Date(now.getTime() - 60_000),
      to: now,
    };
    await expect(mm.deployments.replay({ ...base, from: now, to: now })).rejects.toThrow(ValidationError);
    await expect(mm.deployments.replay({ ...base, sample: 0 })).rejects.toThrow(/`sample`/);
    await expect(mm.deployments.replay({ ...base, sample: -5 })).rejects.toThrow(ValidationError);
    await expect(
      mm.deployments.replay({ ...base, candidateModelId: '01890000-0000-7000-8000-000000000000' }),
    ).rejects.toThrow(NotFoundError);
    await expect(mm.deployments.replay({ ...base, candidateModelId: other })).rejects.toThrow(
      /serves use case 'foundation_layer'/,
    );
    await expect(mm.deployments.replay({ ...base, candidateModelId: stableId })).rejects.toThrow(
      ValidationError,
    );
    await expect(mm.deployments.replay({ ...base, signal: 'stop' as never })).rejects.toThrow(
      /`signal` to be an AbortSignal/,
    );
    // Already aborted: rejects before the registry is read (an unknown model is not even looked up).
    await expect(
      mm.deployments.replay({
        ...base,
        candidateModelId: '01890000-0000-7000-8000-000000000000',
        signal: AbortSignal.abort(),
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    // An empty history range: nothing to replay.
    await expect(mm.deployments.replay(base)).rejects.toThrow(NotFoundError);
    expect(candidate.requests.length).toBe(0);
    expect(await mm.deployments.listReplays()).toEqual([]);
    expect((await mm.registry.getModel(candidateId)).status).toBe('candidate');
  });

  it('coordinateModelDeployment runs replay as a pre-flight gate', async () => {
    // The smoke suite's three prompts pass; the replayed history shows the candidate failing.
    candidate.enqueue({ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' });
    candidate.setDefault({ kind: 'status', status: 500, body: 'boom' });
    for (let i = 0; i < 200; i++) {
      await mm.logProcessor.logInference({
        modelId: stableId,
        useCase: USE_CASE,
        prompt: `Historic line ${i}`,
        generatedOutput: STABLE_TEXT,
        latencyMs: 5,
      });
    }
    await mm.logProcessor.flush();
    const result = await mm.coordinator.coordinateModelDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      currentModelId: stableId,
      strategy: 'canary',
      preflight: { replay: { sample: 200 } },
    });
    expect(result.status).toBe('failed');
    expect(result.deploymentId).toBeNull();
    expect(result.reason).toMatch(/Replay gate failed before any traffic/);
    expect(result.replay?.pairs).toBe(200);
    expect(await mm.deployments.listDeployments({ useCase: USE_CASE })).toEqual([]);
  });
});
