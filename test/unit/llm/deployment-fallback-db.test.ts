/**
 * The LLMClient with the real DeploymentManager and TrafficRouter (pg-mem): during an all-at-once
 * rollout of a failing candidate, players are answered by the previous model, and the judge still sees
 * the candidate's real failures and rolls it back.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Database,
  DeploymentManager,
  LLMClient,
  ModelRegistry,
  type Verdict,
} from '../../../src/index.js';
import type { InferenceLogEntry } from '../../../src/llm/types.js';
import { ManualClock } from '../../../src/testing.js';
import { openTestDatabase } from '../../helpers/backends.js';
import { registerNpc } from '../../helpers/models.js';

const U = 'interaction_layer';
const PLAN = {
  steps: [10, 50, 100],
  stepMinDurationMs: 20_000,
  stepMinSamples: 30,
  rollbackWindowMs: 30_000,
};

describe('LLMClient during an all-at-once rollout (real DeploymentManager on pg-mem)', () => {
  let db: Database;
  let clock: ManualClock;
  let registry: ModelRegistry;
  let manager: DeploymentManager;

  beforeEach(async () => {
    db = await openTestDatabase('pg-mem');
    clock = new ManualClock();
    registry = new ModelRegistry({ db, clock });
    await registry.ready();
    manager = new DeploymentManager({ db, registry, clock, drive: false, plan: PLAN });
    await manager.router.ready();
  });

  afterEach(async () => {
    await manager?.close();
    await registry?.close();
    await db?.close();
  });

  const register = async (version: string, configuration: Record<string, unknown>) =>
    (await registerNpc(registry, U, version, { seed: `v${version}`, ...configuration })).id;

  it('a failing candidate: answers come from the previous model, the judge sees the failures and rolls back', async () => {
    const previousId = await register('1', { responses: ['Previous model speaking.'] });
    await registry.updateModelStatus(previousId, 'current');
    const candidateId = await register('2', { errorRate: 1, errorStatus: 500 });
    const logs: InferenceLogEntry[] = [];
    const llm = new LLMClient({
      modelRegistry: registry,
      router: manager.router,
      retry: { retries: 0 },
      clock,
      logProcessor: { logInference: async (e) => `log-${logs.push(e)}` },
    });
    const verdicts: Verdict[] = [];
    manager.on('deployment:verdict', (e) => verdicts.push(e.verdict));

    const d = await manager.startDeployment({ useCase: U, newModelId: candidateId, strategy: 'all_at_once' });
    await manager.tick();
    await manager.router.refresh();
    expect(await manager.getDeployment(d.id)).toMatchObject({ status: 'progressing', weight: 100 });
    expect((await registry.getCurrentModel(U))!.id).toBe(candidateId);
    expect((await registry.getModel(previousId)).status).toBe('standby');
    // The plan's default holdback keeps 10 % of players on the previous model during the analysis:
    // those are served by it directly; the others are routed to the candidate and fall back.
    const routedTo = (player: string) => manager.router.route(U, { stickyKey: player }).variant;
    const players = Array.from({ length: 200 }, (_, i) => `p${i + 1}`);
    const heldBack = players.filter((p) => routedTo(p) === 'stable').length;
    expect(heldBack).toBeGreaterThan(0);
    expect(heldBack).toBeLessThan(players.length / 4);
    const player = players.find((p) => routedTo(p) === 'candidate')!;
    const heldBackPlayer = players.find((p) => routedTo(p) === 'stable')!;

    const routed: string[] = [routedTo(player)];
    const first = await llm.generate({ useCase: U, prompt: 'hello', stickyKey: player });
    expect(first).toMatchObject({
      source: 'model',
      modelId: previousId,
      variant: 'stable',
      deploymentId: d.id,
      text: 'Previous model speaking.',
    });
    routed.push(routedTo(heldBackPlayer));
    const held = await llm.generate({ useCase: U, prompt: 'hello', stickyKey: heldBackPlayer });
    expect(held).toMatchObject({
      source: 'model',
      modelId: previousId,
      variant: 'stable',
      deploymentId: d.id,
    });

    let served = 1;
    for (let tick = 0; tick < 20 && (await manager.getDeployment(d.id)).status === 'progressing'; tick++) {
      for (let i = 0; i < 20; i++) {
        routed.push(routedTo(`p${served}`));
        const r = await llm.generate({ useCase: U, prompt: `hello ${served}`, stickyKey: `p${served}` });
        expect(r).toMatchObject({ modelId: previousId, variant: 'stable', source: 'model' });
        served++;
      }
      clock.advance(5_000);
      await manager.tick();
    }
    const candidateRouted = routed.filter((v) => v === 'candidate').length;
    // No player saw an error; the rollout was judged on the candidate's real behaviour.
    expect(llm.metrics().failed).toBe(0);
    const end = await manager.getDeployment(d.id);
    expect(end.status).toBe('rolled_back');
    const verdict = verdicts.at(-1)!;
    expect(verdict.verdict).toBe('fail');
    const errorRate = verdict.metrics.find((m) => m.metric === 'errorRate')!;
    expect(errorRate.candidate).toBe(1);
    expect(errorRate.candidateSamples).toBeGreaterThan(0);
    expect(errorRate.candidateSamples).toBeLessThanOrEqual(candidateRouted);
    const [rb] = await manager.rollbacks.listRollbacks({ deploymentId: d.id });
    expect(rb).toMatchObject({ trigger: 'automatic', from: candidateId, to: previousId });
    // One log per request, all answered by the previous model: a fallback where the player was routed
    // to the candidate, a normal answer where the holdback routed them to the previous model.
    expect(logs.map((l) => [l.modelId, l.variant, l.status])).toEqual(
      routed.map((v) => [previousId, 'stable', v === 'candidate' ? 'fallback' : 'ok']),
    );

    // Rolled back: the previous model is current and routed directly.
    await manager.router.refresh();
    const after = await llm.generate({ useCase: U, prompt: 'after', stickyKey: 'p1' });
    expect(after).toMatchObject({
      source: 'model',
      modelId: previousId,
      variant: 'stable',
      deploymentId: null,
    });
    await llm.close();
  });
});
