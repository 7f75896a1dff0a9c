import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceCoordinator, type TrafficShift } from '../../src/coordination/index.js';
import {
  ConflictError,
  type Database,
  DeploymentManager,
  LLMClient,
  ModelRegistry,
  type Verdict,
} from '../../src/index.js';
import type { InferenceLogEntry } from '../../src/llm/types.js';
import { ManualClock } from '../../src/testing.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';
import { registerNpc } from '../helpers/models.js';

const USE_CASE = 'interaction_layer';
const PLAN = {
  steps: [10, 50, 100],
  stepMinDurationMs: 20_000,
  stepMinSamples: 30,
  rollbackWindowMs: 30_000,
};
const POLL_MS = 5_000;

describe.each(testBackends())('coordinateModelDeployment on %s', (backend) => {
  let db: Database;
  let clock: ManualClock;
  let registry: ModelRegistry;
  let manager: DeploymentManager;
  let llm: LLMClient;
  let logs: InferenceLogEntry[];
  let stableId: string;
  let request = 0;

  const register = async (version: string, configuration: Record<string, number | string>) =>
    (
      await registerNpc(registry, USE_CASE, version, {
        endpoint: 'http://simulated.invalid/npc',
        seed: `v${version}`,
        ...configuration,
      })
    ).id;

  beforeEach(async () => {
    db = await openTestDatabase(backend);
    clock = new ManualClock();
    registry = new ModelRegistry({ db, clock });
    await registry.ready();
    stableId = await register('1', {});
    await registry.updateModelStatus(stableId, 'current');
    manager = new DeploymentManager({ db, registry, clock, drive: false, plan: PLAN });
    await manager.router.ready();
    logs = [];
    llm = new LLMClient({
      modelRegistry: registry,
      router: manager.router,
      logProcessor: {
        logInference: async (e) => {
          logs.push(e);
          return `log-${logs.length}`;
        },
      },
      retry: { retries: 0 },
      clock,
    });
  });

  afterEach(async () => {
    await manager?.close();
    await registry?.close();
    await db?.close();
  });

  /** Player traffic through the real LLMClient each time the coordinator waits, then time moves on. */
  function coordinatorWith(hooks: Record<string, (a: never) => unknown> = {}, smokeMinPassRate = 1) {
    const c = new ServiceCoordinator({
      deploymentManager: manager,
      llmClient: llm,
      registry,
      hooks,
      clock,
      pollIntervalMs: POLL_MS,
      smokeMinPassRate,
    });
    c.on('coordination:waiting', () => {
      void (async () => {
        for (let i = 0; i < 100; i++) {
          request++;
          await llm.generate({
            useCase: USE_CASE,
            prompt: `hello ${request}`,
            stickyKey: `player-${request}`,
          });
        }
        clock.advance(POLL_MS);
      })();
    });
    return c;
  }

  it('promotes a healthy canary; deployment events, registry history and hooks agree', async () => {
    const newId = await register('2', {});
    const calls: string[] = [];
    const shifts: number[] = [];
    const coordinator = coordinatorWith({
      onDeploymentStarted: () => calls.push('started'),
      beforeTrafficShift: (s: TrafficShift) => {
        calls.push('shift');
        shifts.push(s.toWeight);
        return true;
      },
      onCompleted: () => calls.push('completed'),
      onRolledBack: () => calls.push('rolled_back'),
    });
    const result = await coordinator.coordinateModelDeployment({
      newModelId: newId,
      currentModelId: stableId,
      useCase: USE_CASE,
      strategy: 'canary',
    });
    expect(result.status).toBe('succeeded');
    expect(result.smoke).toMatchObject({ ok: true, passed: 3, total: 3 });
    expect(calls).toEqual(['started', 'shift', 'shift', 'shift', 'completed']);
    expect(shifts).toEqual([10, 50, 100]);
    expect(result.durationMs).toBe(result.timeline.at(-1)!.elapsedMs);
    expect(result.durationMs).toBeLessThan(5 * 60_000); // host guide: healthy deployment < 5 minutes

    const d = await manager.getDeployment(result.deploymentId!);
    expect(d).toMatchObject({
      status: 'succeeded',
      weight: 100,
      stableModelId: stableId,
      actor: 'service-coordinator',
    });
    const events = await manager.getEvents(d.id);
    expect(events.map((e) => e.weight)).toEqual(expect.arrayContaining([0, 10, 50, 100]));
    expect(events.at(-1)!.toStatus).toBe('succeeded');
    expect((await registry.getCurrentModel(USE_CASE))!.id).toBe(newId);
    const history = await registry.getStatusHistory(newId);
    expect(history.map((h) => h.toStatus)).toEqual(['candidate', 'current']);
    expect((await registry.getStatusHistory(stableId)).at(-1)!.toStatus).toBe('standby');
    expect(await manager.rollbacks.listRollbacks({ deploymentId: d.id })).toEqual([]);
    // The inference history saw the candidate at work, without a single fallback.
    const candidateLogs = logs.filter((l) => l.deploymentId === d.id && l.variant === 'candidate');
    expect(candidateLogs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.status !== 'ok')).toEqual([]);
    expect(result.timeline.filter((e) => !e.ok)).toEqual([]);
  });

  it('rolls back a bad canary automatically; rollback record, metrics and inference history agree', async () => {
    const badId = await register('3', { errorRate: 0.6 });
    const seen: string[] = [];
    // Flaky under load: it answers most smoke prompts (60% required) but fails the canary.
    const coordinator = coordinatorWith(
      {
        onCompleted: () => seen.push('completed'),
        onRolledBack: (e: { rollback: unknown }) =>
          seen.push(e.rollback ? 'rolled_back+record' : 'rolled_back'),
      },
      0.6,
    );
    const verdicts: Verdict[] = [];
    manager.on('deployment:verdict', (e) => verdicts.push(e.verdict));
    const result = await coordinator.coordinateModelDeployment({
      newModelId: badId,
      currentModelId: stableId,
      useCase: USE_CASE,
      strategy: 'canary',
    });
    if (result.status === 'failed') throw new Error(`expected the canary to run, got: ${result.reason}`);
    expect(result.status).toBe('rolled_back');
    expect(result.reason).toMatch(/error rate/i);
    expect(seen).toEqual(['rolled_back+record']);
    expect(result.durationMs).toBeLessThan(2 * 60_000 + PLAN.stepMinDurationMs * 3);

    const [rb] = await manager.rollbacks.listRollbacks({ deploymentId: result.deploymentId! });
    expect(rb).toMatchObject({ trigger: 'automatic', from: badId, to: stableId, status: 'completed' });
    expect(rb!.reason).toBe(result.reason);
    const events = await manager.getEvents(result.deploymentId!);
    expect(events.map((e) => e.toStatus).slice(-2)).toEqual(['rolling_back', 'rolled_back']);
    const failing = events.find((e) => e.toStatus === 'rolling_back')!;
    expect(failing.reason).toBe(rb!.reason);
    expect((await registry.getStatusHistory(badId)).map((h) => h.toStatus)).toEqual(['candidate', 'failed']);
    expect((await registry.getCurrentModel(USE_CASE))!.id).toBe(stableId);
    expect(manager.router.route(USE_CASE, { stickyKey: 'anyone' }).model.id).toBe(stableId);

    // Metrics (the judge's figures) agree with the inference history: a candidate request either
    // answered (variant candidate) or failed and fell back to stable (status fallback).
    const verdict = verdicts.at(-1)!;
    expect(verdict.verdict).toBe('fail');
    const errorRate = verdict.metrics.find((m) => m.metric === 'errorRate')!;
    const mine = logs.filter((l) => l.deploymentId === result.deploymentId);
    const answered = mine.filter((l) => l.variant === 'candidate').length;
    const failed = mine.filter((l) => l.status === 'fallback').length;
    expect(failed).toBeGreaterThan(0);
    expect(errorRate.candidateSamples).toBe(answered + failed);
    expect(errorRate.candidate).toBeCloseTo(failed / (answered + failed), 6);
  });

  it('a broken candidate fails the smoke suite before any traffic and no deployment is created', async () => {
    const brokenId = await register('4', { errorRate: 1 });
    const result = await coordinatorWith().coordinateModelDeployment({
      newModelId: brokenId,
      currentModelId: stableId,
      useCase: USE_CASE,
    });
    expect(result).toMatchObject({ status: 'failed', deploymentId: null });
    expect(result.reason).toMatch(/Smoke suite failed before any traffic: 0\/3/);
    expect(await manager.listDeployments({ useCase: USE_CASE })).toEqual([]);
    // Only the smoke probes reached the history (marked smoke, not player traffic); each failed fast.
    expect(logs.filter((l) => l.metadata['smoke'] !== true)).toEqual([]);
    expect(logs.map((l) => [l.modelId, l.status])).toEqual([
      [brokenId, 'error'],
      [brokenId, 'error'],
      [brokenId, 'error'],
    ]);
    expect(llm.metrics()).toMatchObject({ requests: 0, probes: { total: 3, failed: 3 } });
  });

  it('refuses with ConflictError when currentModelId is no longer current', async () => {
    const newId = await register('5', {});
    await expect(
      coordinatorWith().coordinateModelDeployment({
        newModelId: newId,
        currentModelId: newId === stableId ? null : await register('6', {}),
        useCase: USE_CASE,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await manager.listDeployments({ useCase: USE_CASE })).toEqual([]);
  });

  it('a refusing beforeTrafficShift hook stops a blue-green switch: aborted, stable still current', async () => {
    const newId = await register('7', {});
    const result = await coordinatorWith({ beforeTrafficShift: () => false }).coordinateModelDeployment({
      newModelId: newId,
      currentModelId: stableId,
      useCase: USE_CASE,
      strategy: 'blue_green',
    });
    expect(result.status).toBe('rolled_back');
    expect(result.reason).toMatch(/beforeTrafficShift stopped the shift 0% → 100%/);
    expect((await manager.getDeployment(result.deploymentId!)).status).toBe('aborted');
    expect((await registry.getCurrentModel(USE_CASE))!.id).toBe(stableId);
    expect(result.timeline.some((e) => e.phase === 'hook' && !e.ok)).toBe(true);
  });

  it('an AbortSignal stops a running canary (rolled back, stable current) and refuses to start when already aborted', async () => {
    const newId = await register('8', {});
    const input = {
      newModelId: newId,
      currentModelId: stableId,
      useCase: USE_CASE,
      strategy: 'canary' as const,
    };
    const controller = new AbortController();
    const coordinator = coordinatorWith({
      onDeploymentStarted: () => controller.abort(new Error('host shutting down')),
    });
    const result = await coordinator.coordinateModelDeployment({ ...input, signal: controller.signal });
    expect(result.status).toBe('rolled_back');
    expect(result.reason).toMatch(/AbortSignal/);
    expect((await registry.getCurrentModel(USE_CASE))!.id).toBe(stableId);
    const again = await coordinator
      .coordinateModelDeployment({ ...input, signal: controller.signal })
      .catch((e: unknown) => e);
    expect((again as Error).message).toBe('host shutting down');
  });
});
