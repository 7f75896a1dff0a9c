import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  type Database,
  DeploymentManager,
  ModelRegistry,
  type RolledBackEvent,
  ValidationError,
} from '../../src/index.js';
import { ManualClock } from '../../src/testing.js';
import { rollbackSuite } from '../fixtures/deployment/rollback-suite.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';
import { registerNpc } from '../helpers/models.js';

const FAST_PLAN = {
  steps: [10, 50, 100],
  stepMinDurationMs: 20_000,
  stepMinSamples: 30,
  rollbackWindowMs: 30_000,
};

describe.each(testBackends())('deployments on %s', (backend) => {
  let db: Database;
  let clock: ManualClock;
  let registry: ModelRegistry;
  let manager: DeploymentManager;
  let stableId: string;
  let candidateId: string;
  /** One database per backend; each test gets a use case of its own (no migrations per test). */
  let USE_CASE = '';
  let n = 0;

  async function setup(validate?: () => boolean) {
    manager = new DeploymentManager({
      db,
      registry,
      clock,
      drive: false,
      plan: FAST_PLAN,
      ...(validate ? { validate } : {}),
    });
    await manager.router.ready();
  }

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    clock = new ManualClock();
    registry = new ModelRegistry({ db, clock });
    await registry.ready();
  });

  afterAll(async () => {
    await registry.close();
    await db.close();
  });

  beforeEach(async () => {
    USE_CASE = `interaction_${++n}`;
    const reg = (version: string) => registerNpc(registry, USE_CASE, version);
    stableId = (await reg('1')).id;
    await registry.updateModelStatus(stableId, 'current');
    candidateId = (await reg('2')).id;
    await setup();
  });

  afterEach(() => manager.close());

  /** Sends `n` requests through the router (a metrics window per call), records outcomes, advances, ticks. */
  async function traffic(n: number, candidateErrorRate: number, advanceMs = 10_000) {
    for (let i = 0; i < n; i++) {
      const r = manager.router.route(USE_CASE, { stickyKey: `p${i}-${clock.now()}` });
      if (!r.deploymentId) continue;
      const bad = r.variant === 'candidate' && (i % 100) / 100 < candidateErrorRate;
      manager.router.recordOutcome({
        deploymentId: r.deploymentId,
        variant: r.variant,
        ok: !bad,
        latencyMs: 100 + (i % 7),
      });
    }
    clock.advance(advanceMs);
    await manager.tick();
  }

  async function until(id: string, done: (s: string) => boolean, candidateErrorRate = 0, maxTicks = 60) {
    for (let i = 0; i < maxTicks; i++) {
      const d = await manager.getDeployment(id);
      if (done(d.status)) return d;
      await traffic(150, candidateErrorRate);
    }
    return manager.getDeployment(id);
  }

  it('canary walks every step, promotes, and records the audit trail', async () => {
    const d = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'canary',
      actor: 'ci',
    });
    expect(d.status).toBe('pending');
    await manager.tick();
    const s1 = await manager.getDeployment(d.id);
    expect(s1).toMatchObject({ status: 'progressing', weight: 10 });
    const end = await until(d.id, (s) => s === 'succeeded');
    expect(end.status).toBe('succeeded');
    expect((await registry.getModel(candidateId)).status).toBe('current');
    expect((await registry.getModel(stableId)).status).toBe('standby');
    const events = await manager.getEvents(d.id);
    expect(events.map((e) => e.weight)).toEqual(expect.arrayContaining([0, 10, 50, 100]));
    expect(events.map((e) => e.toStatus)).toEqual(
      expect.arrayContaining(['pending', 'progressing', 'promoting', 'succeeded']),
    );
    expect(events[0]).toMatchObject({ actor: 'ci', fromStatus: null });
    expect(events.find((e) => e.weight === 50)?.verdict?.verdict).toBe('pass');
    expect(manager.router.route(USE_CASE)).toMatchObject({ deploymentId: null });
    expect(manager.router.route(USE_CASE).model.id).toBe(candidateId);
  });

  it('rolls a bad canary back automatically, restoring stable everywhere', async () => {
    const seen: RolledBackEvent[] = [];
    manager.on('deployment:rolled_back', (e) => seen.push(e));
    const d = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'canary',
    });
    const end = await until(d.id, (s) => s === 'rolled_back', 0.5);
    expect(end.status).toBe('rolled_back');
    expect((await registry.getModel(candidateId)).status).toBe('failed');
    expect((await registry.getModel(stableId)).status).toBe('current');
    const [rb] = await manager.rollbacks.listRollbacks({ useCase: USE_CASE });
    expect(rb).toMatchObject({
      trigger: 'automatic',
      from: candidateId,
      to: stableId,
      status: 'completed',
      deploymentId: d.id,
    });
    expect(rb!.reason).toMatch(/error rate/);
    expect(rb!.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen).toHaveLength(1);
    // #10.3: the failing verdict that triggered it is stored, not the last inconclusive one.
    expect(end.lastVerdict).toMatchObject({ verdict: 'fail', reason: rb!.reason });
    expect(seen[0]!.verdict).toEqual(end.lastVerdict);
    expect(manager.router.route(USE_CASE, { stickyKey: 'x' }).model.id).toBe(stableId);
    const events = await manager.getEvents(d.id);
    expect(events.map((e) => e.toStatus).slice(-2)).toEqual(['rolling_back', 'rolled_back']);
  });

  it('blue-green validates, switches, holds the rollback window and finishes', async () => {
    await manager.close();
    await setup(() => true);
    const d = await manager.startDeployment({ useCase: USE_CASE, newModelId: candidateId });
    expect(d.strategy).toBe('blue_green');
    await manager.tick();
    expect((await manager.getDeployment(d.id)).status).toBe('validating');
    await manager.tick();
    expect(await manager.getDeployment(d.id)).toMatchObject({
      status: 'progressing',
      weight: 100,
      switched: true,
    });
    expect((await registry.getModel(stableId)).status).toBe('standby');
    const end = await until(d.id, (s) => s === 'succeeded');
    expect(end.status).toBe('succeeded');
  });

  it('blue-green failing validation is rolled back without switching', async () => {
    await manager.close();
    await setup(() => false);
    const d = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'blue_green',
    });
    await manager.tick();
    await manager.tick();
    expect((await manager.getDeployment(d.id)).status).toBe('rolled_back');
    expect((await registry.getModel(candidateId)).status).toBe('failed');
    expect((await registry.getModel(stableId)).status).toBe('current');
    const [rb] = await manager.rollbacks.listRollbacks({ deploymentId: d.id });
    expect(rb!.reason).toMatch(/Validation failed/);
  });

  it('manual rollback during the all-at-once window restores the previous current model', async () => {
    const d = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'all_at_once',
    });
    await manager.tick();
    expect(await manager.getDeployment(d.id)).toMatchObject({ status: 'progressing', weight: 100 });
    expect((await registry.getModel(candidateId)).status).toBe('current');
    const rb = await manager.rollbacks.rollback(USE_CASE, {
      reason: 'players report loops',
      actor: 'oncall',
    });
    expect(rb).toMatchObject({ trigger: 'manual', actor: 'oncall', from: candidateId, to: stableId });
    expect((await manager.getDeployment(d.id)).status).toBe('rolled_back');
    expect((await registry.getModel(stableId)).status).toBe('current');
    expect((await registry.getModel(candidateId)).status).toBe('failed');
    expect(await manager.rollbacks.getRollback(rb.id)).toMatchObject({ id: rb.id, status: 'completed' });
  });

  it('pause holds, resume continues, promote finishes; abort restores', async () => {
    const d = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'canary',
    });
    await manager.tick();
    await manager.pause(d.id, { actor: 'alice' });
    await traffic(60, 0, 60_000);
    expect(await manager.getDeployment(d.id)).toMatchObject({ status: 'paused', weight: 10 });
    await expect(manager.pause(d.id)).resolves.toMatchObject({ status: 'paused' });
    await manager.resume(d.id);
    expect((await manager.getDeployment(d.id)).status).toBe('progressing');
    const done = await manager.promote(d.id, { actor: 'bob' });
    expect(done.status).toBe('succeeded');
    expect((await registry.getModel(candidateId)).status).toBe('current');
    await expect(manager.abort(d.id)).rejects.toBeInstanceOf(ConflictError);

    const third = (await registerNpc(registry, USE_CASE, '3')).id;
    const d2 = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: third,
      strategy: 'all_at_once',
    });
    await manager.tick();
    const aborted = await manager.abort(d2.id, { reason: 'wrong build' });
    expect(aborted.status).toBe('aborted');
    expect((await registry.getModel(candidateId)).status).toBe('current');
    const trail = (await manager.getEvents(d.id)).map((e) => `${e.toStatus}:${e.actor}`);
    expect(trail).toEqual(expect.arrayContaining(['paused:alice', 'promoting:bob']));
  });

  /**
   * Requests with exact per-arm error rates: every arm counts its own requests across calls (`seen`), so
   * a small holdback arm still sees exactly 1 error per 100 requests however its share varies per call.
   */
  async function armTraffic(
    n: number,
    errors: { candidate: number; stable: number },
    seen = { candidate: 0, stable: 0 },
  ) {
    for (let i = 0; i < n; i++) {
      const r = manager.router.route(USE_CASE, { stickyKey: `p${i}-${clock.now()}` });
      if (!r.deploymentId) continue;
      const k = seen[r.variant]++;
      manager.router.recordOutcome({
        deploymentId: r.deploymentId,
        variant: r.variant,
        ok: k % 100 >= errors[r.variant] * 100,
        latencyMs: 100 + (i % 7),
      });
    }
    clock.advance(10_000);
    await manager.tick();
  }

  async function blueGreenUnder(errors: { candidate: number; stable: number }, seen: RolledBackEvent[]) {
    manager.on('deployment:rolled_back', (e) => seen.push(e));
    const d = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'blue_green',
      plan: { rollbackWindowMs: 600_000 },
    });
    await manager.tick();
    await manager.tick();
    expect(await manager.getDeployment(d.id)).toMatchObject({ status: 'progressing', weight: 100 });
    const counted = { candidate: 0, stable: 0 };
    for (let i = 0; i < 70; i++) {
      const s = (await manager.getDeployment(d.id)).status;
      if (s === 'rolled_back' || s === 'succeeded') break;
      await armTraffic(1000, errors, counted);
    }
    return manager.getDeployment(d.id);
  }

  it('blue-green keeps a holdback on the previous model and rolls back 5% errors against its 1% (#11)', async () => {
    const seen: RolledBackEvent[] = [];
    const d = await blueGreenUnder({ candidate: 0.05, stable: 0.01 }, seen);
    expect(d.status).toBe('rolled_back');
    expect((await registry.getModel(stableId)).status).toBe('current');
    // #10.3: the failing verdict, with its figures, is what the deployment and its events keep.
    const v = d.lastVerdict!;
    expect(v.verdict).toBe('fail');
    expect(v.baseline).toMatchObject({ kind: 'concurrent', modelId: stableId });
    expect(v.reason).toContain(`previous model ${stableId}`);
    const errorRate = v.metrics.find((m) => m.metric === 'errorRate')!;
    expect(errorRate).toMatchObject({ breached: true, baseline: 'concurrent' });
    expect(errorRate.candidate).toBeCloseTo(0.05, 2);
    expect(errorRate.stable).toBeCloseTo(0.01, 2);
    expect(errorRate.stableSamples).toBeGreaterThan(0);
    expect(errorRate.evidence).toBeGreaterThanOrEqual(errorRate.evidenceNeeded);
    const events = await manager.getEvents(d.id);
    const rollingBack = events.find((e) => e.toStatus === 'rolling_back')!;
    expect(rollingBack.verdict).toEqual(v);
    expect(rollingBack.reason).toBe(v.reason);
    expect(events.at(-1)!.verdict?.verdict).toBe('fail');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.verdict).toEqual(v);
    const [rb] = await manager.rollbacks.listRollbacks({ deploymentId: d.id });
    expect(rb!.reason).toBe(v.reason);
  });

  it('blue-green keeps a healthy candidate through an incident that hits both models (#11)', async () => {
    const seen: RolledBackEvent[] = [];
    // 6% errors on both arms: above the 5% ceiling, which alone would have rolled the candidate back.
    const d = await blueGreenUnder({ candidate: 0.06, stable: 0.06 }, seen);
    expect(d.status).toBe('succeeded');
    expect(seen).toHaveLength(0);
    expect(d.lastVerdict).toMatchObject({ verdict: 'pass', baseline: { kind: 'concurrent' } });
    expect(d.lastVerdict!.reason).toContain(`previous model ${stableId}`);
    expect((await registry.getModel(candidateId)).status).toBe('current');
  });

  it('low traffic: a step past plan.stepMaxDurationMs holds (default) or promotes, and says so once', async () => {
    const lows: Array<{ deploymentId: string; action: string }> = [];
    manager.on('deployment:low_traffic', (e) => lows.push(e));
    const plan = {
      steps: [10, 100],
      stepMinSamples: 100_000,
      stepMinDurationMs: 20_000,
      stepMaxDurationMs: 40_000,
    };
    const held = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'canary',
      plan,
    });
    for (let i = 0; i < 8; i++) await traffic(50, 0);
    expect(await manager.getDeployment(held.id)).toMatchObject({ status: 'progressing', weight: 10 });
    expect(lows).toEqual([expect.objectContaining({ deploymentId: held.id, action: 'hold' })]);
    const said = (await manager.getEvents(held.id)).filter((e) => e.reason?.startsWith('Low traffic'));
    expect(said).toHaveLength(1);
    expect(said[0]!.verdict).toMatchObject({ verdict: 'inconclusive', lowTraffic: 'hold' });
    expect(said[0]!.reason).toMatch(/plan.onLowTraffic is 'hold'.*Baseline: previous model/);
    await manager.abort(held.id, { reason: 'next case' });

    const promoted = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidateId,
      strategy: 'canary',
      plan: { ...plan, onLowTraffic: 'promote' },
    });
    for (let i = 0; i < 6; i++) await traffic(50, 0);
    expect(await manager.getDeployment(promoted.id)).toMatchObject({ status: 'progressing', weight: 100 });
    expect(lows.at(-1)).toMatchObject({ deploymentId: promoted.id, action: 'promote' });
  });

  it('allows one active deployment per use case (ConflictError for the loser)', async () => {
    const other = (await registerNpc(registry, USE_CASE, '9')).id;
    const results = await Promise.allSettled([
      manager.startDeployment({ useCase: USE_CASE, newModelId: candidateId, strategy: 'canary' }),
      manager.startDeployment({ useCase: USE_CASE, newModelId: other, strategy: 'canary' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConflictError);
    expect(await manager.listDeployments({ useCase: USE_CASE })).toHaveLength(1);
  });

  it('rejects bad input with a ValidationError and persists nothing', async () => {
    const otherUseCase = (
      await registry.registerModel({
        modelName: 'x',
        modelType: 'api',
        provider: 'simulated',
        useCase: `${USE_CASE}_other`,
        version: '1',
      })
    ).id;
    const retired = (await registerNpc(registry, USE_CASE, 'r')).id;
    await registry.updateModelStatus(retired, 'retired');
    const failed = (await registerNpc(registry, USE_CASE, 'f')).id;
    await registry.updateModelStatus(failed, 'failed');
    const base = { useCase: USE_CASE, newModelId: candidateId, strategy: 'canary' as const };
    const bad: Array<[string, Record<string, unknown>, RegExp]> = [
      ['unknown model', { newModelId: '0190a000-0000-7000-8000-0000000000ff' }, /Unknown model/],
      ['not a uuid', { newModelId: 'abc' }, /newModelId/],
      ['other use case', { newModelId: otherUseCase }, /serves use case/],
      ['already current', { newModelId: stableId }, /already current/],
      ['retired', { newModelId: retired }, /retired/],
      ['failed', { newModelId: failed }, /failed/],
      ['weight > 100', { plan: { steps: [5, 150] } }, /plan.steps\[1\]/],
      ['weight < 0', { plan: { steps: [-5, 50] } }, /plan.steps\[0\]/],
      ['not increasing', { plan: { steps: [50, 25] } }, /strictly increasing/],
      ['NaN duration', { plan: { stepMinDurationMs: Number.NaN } }, /stepMinDurationMs/],
      ['negative duration', { plan: { rollbackWindowMs: -1 } }, /rollbackWindowMs/],
      ['unknown strategy', { strategy: 'yolo' }, /strategy/],
      ['empty use case', { useCase: '' }, /useCase/],
    ];
    for (const [name, patch, message] of bad) {
      const error = await manager.startDeployment({ ...base, ...patch } as never).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ValidationError);
      expect((error as Error).message, name).toMatch(message);
    }
    expect(await manager.listDeployments({ useCase: USE_CASE })).toHaveLength(0);
    expect((await registry.getModel(candidateId)).status).toBe('candidate');
  });
});

// Same process, same PGlite: the rollback/abort edge cases live in a suite module.
describe.each(testBackends())('rollback and abort edge cases on %s', rollbackSuite);
