import { describe, expect, it } from 'vitest';
import { routedWeight } from '../../../src/deployment/route-table.js';
import { isCandidateBucket, ROUTING_BUCKETS, TrafficRouter } from '../../../src/deployment/traffic-router.js';
import type { Deployment } from '../../../src/index.js';
import { bucketOf } from '../../../src/internal/hashing.js';
import type { RegistrySnapshot } from '../../../src/registry/types.js';
import { fakeDeployment, fakeModel } from '../../fixtures/deployment/records.js';

const STABLE = fakeModel('00000000-0000-7000-8000-000000000001', 'current');
const CAND = fakeModel('00000000-0000-7000-8000-000000000002', 'candidate');

function fakeRegistry() {
  let version = 1;
  const snap = (): RegistrySnapshot => ({
    version,
    currentByUseCase: new Map([['npc', STABLE]]),
    models: new Map([
      [STABLE.id, STABLE],
      [CAND.id, CAND],
    ]),
    refreshedAt: 0,
  });
  let s = snap();
  return {
    snapshot: () => s,
    getModel: async (id: string) => (id === STABLE.id ? STABLE : CAND),
    bump: () => {
      version++;
      s = snap();
    },
  };
}

function deployment(
  weight: number,
  status: Deployment['status'] = 'progressing',
  id = '00000000-0000-7000-8000-0000000000d1',
): Deployment {
  return fakeDeployment({ id, status, weight, candidateModelId: CAND.id, stableModelId: STABLE.id });
}

describe('sticky bucketing', () => {
  it('is uniform over 10,000 buckets (chi-square over 100k keys, 100 bins)', () => {
    const bins = new Array<number>(100).fill(0);
    for (let i = 0; i < 100_000; i++)
      bins[Math.floor(bucketOf('salt-a', `player-${i}`, ROUTING_BUCKETS) / 100)]!++;
    const expected = 1000;
    const chi2 = bins.reduce((s, n) => s + (n - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: the 99.9th percentile is 148.2.
    expect(chi2).toBeLessThan(148.2);
  });

  it('gives each weight its share of keys (5% → 5% ± 0.3%)', () => {
    let n = 0;
    for (let i = 0; i < 100_000; i++) if (isCandidateBucket('d1', `p${i}`, 5)) n++;
    expect(n / 100_000).toBeGreaterThan(0.047);
    expect(n / 100_000).toBeLessThan(0.053);
  });

  it('never moves a key from candidate back to stable when the weight rises', () => {
    const steps = [1, 5, 25, 50, 75, 100];
    for (let i = 0; i < 20_000; i++) {
      let was = false;
      for (const w of steps) {
        const now = isCandidateBucket('d1', `p${i}`, w);
        if (was) expect(now).toBe(true);
        was = now;
      }
    }
  });

  it('uses a per-deployment salt, so different deployments pick different players', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++)
      if (isCandidateBucket('d1', `p${i}`, 10) && isCandidateBucket('d2', `p${i}`, 10)) same++;
    expect(same).toBeLessThan(200); // ≈ 1% expected if independent, 10% if not salted
  });
});

describe('TrafficRouter', () => {
  it('answers the current model without a deployment', () => {
    const router = new TrafficRouter({ registry: fakeRegistry() });
    expect(router.route('npc')).toMatchObject({
      model: STABLE,
      variant: 'stable',
      deploymentId: null,
      weight: 0,
    });
    expect(() => router.route('unknown')).toThrow(/No current model/);
  });

  it('is sticky per key and identical across replicas', async () => {
    const reg = fakeRegistry();
    const a = new TrafficRouter({ registry: reg });
    const b = new TrafficRouter({ registry: reg });
    await a.setActiveDeployments([deployment(30)]);
    await b.setActiveDeployments([deployment(30)]);
    let candidates = 0;
    for (let i = 0; i < 5000; i++) {
      const ra = a.route('npc', { stickyKey: `p${i}` });
      expect(a.route('npc', { stickyKey: `p${i}` }).variant).toBe(ra.variant);
      expect(b.route('npc', { stickyKey: `p${i}` }).variant).toBe(ra.variant);
      if (ra.variant === 'candidate') {
        candidates++;
        expect(ra.model).toBe(CAND);
      }
    }
    expect(candidates / 5000).toBeGreaterThan(0.27);
    expect(candidates / 5000).toBeLessThan(0.33);
  });

  it('splits keyless requests at random in proportion', async () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const router = new TrafficRouter({ registry: fakeRegistry(), random });
    await router.setActiveDeployments([deployment(20)]);
    let n = 0;
    for (let i = 0; i < 20_000; i++) if (router.route('npc').variant === 'candidate') n++;
    expect(n / 20_000).toBeGreaterThan(0.19);
    expect(n / 20_000).toBeLessThan(0.21);
  });

  it('pins a conversation to its arm when the weight changes, until a rollback', async () => {
    const router = new TrafficRouter({ registry: fakeRegistry() });
    await router.setActiveDeployments([deployment(50)]);
    const first = new Map<string, string>();
    for (let i = 0; i < 200; i++)
      first.set(`c${i}`, router.route('npc', { conversationId: `c${i}`, stickyKey: `p${i}` }).variant);
    await router.setActiveDeployments([deployment(99)]);
    for (let i = 0; i < 200; i++) {
      // A different stickyKey would hash elsewhere; the pin keeps the conversation where it began.
      expect(router.route('npc', { conversationId: `c${i}`, stickyKey: `other${i}` }).variant).toBe(
        first.get(`c${i}`),
      );
    }
    await router.setActiveDeployments([deployment(0, 'rolling_back')]);
    for (let i = 0; i < 200; i++)
      expect(router.route('npc', { conversationId: `c${i}` }).variant).toBe('stable');
    await router.setActiveDeployments([]);
    expect(router.route('npc', { conversationId: 'c1' })).toMatchObject({
      deploymentId: null,
      model: STABLE,
    });
  });

  it('rebuilds when the registry snapshot version changes', async () => {
    const reg = fakeRegistry();
    const router = new TrafficRouter({ registry: reg });
    expect(router.route('npc').model).toBe(STABLE);
    reg.bump();
    expect(router.route('npc').model).toBe(STABLE);
  });

  it('validates recordOutcome input', () => {
    const router = new TrafficRouter({ registry: fakeRegistry() });
    expect(() =>
      router.recordOutcome({ deploymentId: 'd', variant: 'x' as 'stable', ok: true, latencyMs: 1 }),
    ).toThrow(/variant/);
    expect(() =>
      router.recordOutcome({ deploymentId: 'd', variant: 'stable', ok: true, latencyMs: -1 }),
    ).toThrow(/latencyMs/);
    expect(() => new TrafficRouter({ registry: fakeRegistry(), flushIntervalMs: -1 })).toThrow(
      /flushIntervalMs/,
    );
  });
});

describe('holdback while a switched candidate is analysed (#11)', () => {
  const withPlan = (status: Deployment['status'], weight: number, holdbackPercent?: number) =>
    fakeDeployment({
      status,
      weight,
      candidateModelId: CAND.id,
      stableModelId: STABLE.id,
      plan: { steps: [100], stepMinDurationMs: 0, stepMinSamples: 0, rollbackWindowMs: 0, holdbackPercent },
    });

  it('keeps holdbackPercent of players on the previous model at weight 100, only while analysing', () => {
    expect(routedWeight(withPlan('progressing', 100, 10))).toBe(90);
    expect(routedWeight(withPlan('paused', 100, 10))).toBe(90);
    expect(routedWeight(withPlan('progressing', 50, 10))).toBe(50);
    expect(routedWeight(withPlan('promoting', 100, 10))).toBe(100);
    expect(routedWeight(withPlan('progressing', 100))).toBe(100); // plans stored before the option
    const first = fakeDeployment({
      status: 'progressing',
      weight: 100,
      candidateModelId: CAND.id,
      stableModelId: null,
    });
    expect(routedWeight({ ...first, plan: { ...first.plan, holdbackPercent: 10 } })).toBe(100);
  });

  it('routes the holdback share of sticky keys to the previous model, the same players every time', async () => {
    const reg = fakeRegistry();
    const router = new TrafficRouter({ registry: reg });
    await router.setActiveDeployments([withPlan('progressing', 100, 10)]);
    let stable = 0;
    for (let i = 0; i < 20_000; i++) {
      const r = router.route('npc', { stickyKey: `p${i}` });
      if (r.variant === 'stable') stable++;
      expect(r.model.id).toBe(r.variant === 'stable' ? STABLE.id : CAND.id);
      expect(isCandidateBucket(r.deploymentId!, `p${i}`, 90)).toBe(r.variant === 'candidate');
    }
    expect(stable / 20_000).toBeGreaterThan(0.09);
    expect(stable / 20_000).toBeLessThan(0.11);
  });
});
