/**
 * The `shadow` strategy on the real DeploymentManager and TrafficRouter (pg-mem, ManualClock): no
 * player is routed to the candidate, the router samples `shadowRate` of requests, pairs recorded by the
 * router are judged, and a pass ends `shadow_passed` and starts `plan.shadowFollowUp`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/index.js';
import { type ArmOutcome, type Deployment, DeploymentManager } from '../../../src/deployment/index.js';
import { ValidationError } from '../../../src/errors.js';
import { ManualClock } from '../../../src/internal/clock.js';
import { ModelRegistry } from '../../../src/registry/model-registry.js';
import { openTestDatabase } from '../../helpers/backends.js';
import { registerNpc } from '../../helpers/models.js';

const U = 'interaction_layer';
const OK: ArmOutcome = { ok: true, latencyMs: 200, violations: 0, criticalViolations: 0, fallback: false };

describe('shadow strategy (DeploymentManager on pg-mem)', () => {
  let db: Database;
  let clock: ManualClock;
  let registry: ModelRegistry;
  let manager: DeploymentManager;
  let stableId: string;
  let candidateId: string;

  beforeEach(async () => {
    db = await openTestDatabase('pg-mem');
    clock = new ManualClock();
    registry = new ModelRegistry({ db, clock });
    await registry.ready();
    stableId = (await registerNpc(registry, U, '1')).id;
    await registry.updateModelStatus(stableId, 'current');
    candidateId = (await registerNpc(registry, U, '2')).id;
    manager = new DeploymentManager({ db, registry, clock, drive: false });
    await manager.router.ready();
  });

  afterEach(async () => {
    await manager?.close();
    await registry?.close();
    await db?.close();
  });

  const start = async (plan: Record<string, unknown>) => {
    const d = await manager.startDeployment({
      useCase: U,
      newModelId: candidateId,
      strategy: 'shadow',
      plan,
    });
    await manager.tick();
    await manager.router.refresh();
    return d;
  };

  it('routes every player to the previous model and samples shadowRate of requests', async () => {
    const d = await start({ shadowRate: 0.25 });
    expect(await manager.getDeployment(d.id)).toMatchObject({
      status: 'progressing',
      weight: 0,
      switched: false,
    });
    let sampled = 0;
    for (let i = 0; i < 4000; i++) {
      const r = manager.router.route(U, { stickyKey: `p${i}` });
      expect(r.model.id).toBe(stableId);
      const t = manager.router.shadowTarget(U);
      if (t) {
        sampled++;
        expect(t).toMatchObject({ deploymentId: d.id, model: { id: candidateId } });
      }
    }
    // Binomial(4000, 0.25): mean 1000, sd 27.
    expect(sampled).toBeGreaterThan(850);
    expect(sampled).toBeLessThan(1150);
    expect(manager.router.shadowTarget('foundation_layer')).toBeNull();
  });

  it('passes on healthy pairs, ends shadow_passed and starts the follow-up canary', async () => {
    const passed: Array<{ deployment: Deployment; followUp: Deployment | null }> = [];
    manager.on('deployment:shadow_passed', (e) => passed.push(e));
    const d = await start({ shadowMinPairs: 60, stepMinDurationMs: 10_000, shadowFollowUp: 'canary' });
    for (let i = 0; i < 60; i++) {
      manager.router.recordOutcome({ deploymentId: d.id, variant: 'stable', ...OK });
      manager.router.recordShadowPair({
        deploymentId: d.id,
        stable: OK,
        candidate: { ...OK, latencyMs: 190 },
      });
    }
    await manager.tick();
    expect((await manager.getDeployment(d.id)).status).toBe('progressing'); // minimum time not reached
    clock.advance(10_000);
    await manager.tick();
    const after = await manager.getDeployment(d.id);
    expect(after.status).toBe('shadow_passed');
    expect(after.reason).toMatch(/^Shadow comparison passed: .*same 60 prompts/);
    expect((await registry.getCurrentModel(U))!.id).toBe(stableId);
    expect(passed).toHaveLength(1);
    expect(passed[0]!.followUp).toMatchObject({
      strategy: 'canary',
      candidateModelId: candidateId,
      status: 'pending',
    });
    expect(passed[0]!.followUp!.plan.shadowFollowUp).toBeUndefined();
  });

  it('rolls back on critical violations seen only in the candidate', async () => {
    const d = await start({ shadowMinPairs: 10_000 });
    for (let i = 0; i < 40; i++) {
      manager.router.recordShadowPair({
        deploymentId: d.id,
        stable: OK,
        candidate: { ...OK, violations: 1, criticalViolations: 1, fallback: true },
      });
    }
    await manager.tick();
    const after = await manager.getDeployment(d.id);
    expect(after.status).toBe('rolled_back');
    expect(after.lastVerdict?.verdict).toBe('fail');
    expect((await registry.getModel(candidateId)).status).toBe('failed');
    expect((await registry.getCurrentModel(U))!.id).toBe(stableId);
    const trail = (await manager.getEvents(d.id)).map((e) => e.toStatus);
    expect(trail).toEqual(['pending', 'progressing', 'rolling_back', 'rolled_back']);
  });

  it('low traffic: holds past stepMaxDurationMs with one event, or passes when told to promote', async () => {
    const events: string[] = [];
    manager.on('deployment:low_traffic', (e) => events.push(e.action));
    const d = await start({ shadowMinPairs: 1000, stepMinDurationMs: 0, stepMaxDurationMs: 60_000 });
    for (let i = 0; i < 10; i++)
      manager.router.recordShadowPair({ deploymentId: d.id, stable: OK, candidate: OK });
    clock.advance(60_000);
    await manager.tick();
    await manager.tick();
    const held = await manager.getDeployment(d.id);
    expect(held.status).toBe('progressing');
    expect(held.lastVerdict).toMatchObject({ verdict: 'inconclusive', lowTraffic: 'hold' });
    expect(held.reason).toMatch(/Low traffic: 10 of 1000 pairs/);
    expect(events).toEqual(['hold']);
    await manager.abort(d.id);

    const p = await start({
      shadowMinPairs: 1000,
      stepMinDurationMs: 0,
      stepMaxDurationMs: 60_000,
      onLowTraffic: 'promote',
    });
    manager.router.recordShadowPair({ deploymentId: p.id, stable: OK, candidate: OK });
    clock.advance(60_000);
    await manager.tick();
    expect(await manager.getDeployment(p.id)).toMatchObject({ status: 'shadow_passed' });
  });

  it('rejects bad shadow plans', async () => {
    for (const plan of [
      { shadowRate: 0 },
      { shadowRate: 1.5 },
      { shadowFollowUp: 'shadow' },
      { shadowMinPairs: -1 },
    ]) {
      await expect(
        manager.startDeployment({
          useCase: U,
          newModelId: candidateId,
          strategy: 'shadow',
          plan: plan as never,
        }),
      ).rejects.toThrow(ValidationError);
    }
    expect(await manager.listDeployments({ useCase: U })).toEqual([]);
    expect(() => manager.router.recordShadowPair({ deploymentId: '', stable: OK, candidate: OK })).toThrow(
      /deploymentId/,
    );
    expect(() =>
      manager.router.recordShadowPair({ deploymentId: 'd', stable: OK, candidate: { ...OK, latencyMs: -1 } }),
    ).toThrow(/latencyMs/);
  });

  it('is no default strategy: it never promotes by itself', () => {
    expect(() => new DeploymentManager({ db, defaultStrategy: 'shadow' })).toThrow(
      /`defaultStrategy` to be one of 'blue_green', 'canary', 'all_at_once', got "shadow"/,
    );
  });
});
