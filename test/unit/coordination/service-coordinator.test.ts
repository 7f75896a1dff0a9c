import { describe, expect, it } from 'vitest';
import { nextShift, ServiceCoordinator } from '../../../src/coordination/index.js';
import { DEFAULT_PLAN, type Deployment } from '../../../src/deployment/index.js';
import { ConflictError, ValidationError } from '../../../src/index.js';
import type { ProbeInput, ProbeResult } from '../../../src/llm/index.js';
import { ManualClock } from '../../../src/testing.js';
import { fakeDeployment } from '../../fixtures/deployment/records.js';
import { FakeGuardrails } from '../../helpers/fakes.js';

const CAND = '01900000-0000-7000-8000-000000000002';
const STABLE = '01900000-0000-7000-8000-000000000001';
const DEP = '01900000-0000-7000-8000-0000000000d1';

/** A deployment manager fake: all-at-once that switches on the first tick and succeeds on the second. */
function fakeManager(clock: ManualClock, stable: string | null = STABLE) {
  let d: Deployment;
  const aborted: string[] = [];
  return {
    aborted,
    ticks: 0,
    async startDeployment(i: { strategy?: Deployment['strategy'] }) {
      const now = new Date(clock.now());
      d = fakeDeployment({
        id: DEP,
        useCase: 'u',
        strategy: i.strategy ?? 'all_at_once',
        status: 'pending',
        candidateModelId: CAND,
        stableModelId: stable,
        plan: { ...DEFAULT_PLAN },
        actor: 'x',
        createdAt: now,
      });
      return d;
    },
    async getDeployment() {
      return d;
    },
    async abort(_id: string, o: { reason?: string }) {
      aborted.push(o.reason ?? '');
      d = { ...d, status: 'aborted', weight: 0 };
      return d;
    },
    async tick() {
      this.ticks++;
      if (d.status === 'pending') d = { ...d, status: 'progressing', weight: 100, switched: true };
      else if (d.status === 'progressing') d = { ...d, status: 'succeeded' };
    },
  };
}

const input = { newModelId: CAND, currentModelId: STABLE, useCase: 'u' };

describe('ServiceCoordinator', () => {
  it('works with only a deploymentManager (smoke skipped, noted in the timeline)', async () => {
    const clock = new ManualClock();
    const dm = fakeManager(clock);
    const c = new ServiceCoordinator({ deploymentManager: dm, clock, pollIntervalMs: 10 });
    c.on('coordination:waiting', () => queueMicrotask(() => clock.advance(10)));
    const r = await c.coordinateModelDeployment(input);
    expect(r).toMatchObject({ status: 'succeeded', deploymentId: DEP, smoke: null, strategy: 'all_at_once' });
    expect(r.timeline[0]!.message).toMatch(/smoke suite skipped/);
    expect(r.durationMs).toBe(10);
  });

  it('a hook that times out is reported; before a shift it stops the shift and aborts', async () => {
    const clock = new ManualClock();
    const dm = fakeManager(clock);
    const failed: string[] = [];
    const c = new ServiceCoordinator({
      deploymentManager: dm,
      clock,
      hookTimeoutMs: 1000,
      hooks: {
        onDeploymentStarted: () => {
          throw new Error('pager down');
        },
        beforeTrafficShift: () => new Promise(() => {}),
      },
    });
    c.on('coordination:hook_failed', (e) => failed.push(`${e.hook}:${e.timedOut}`));
    c.on('coordination:timeline', (e) => {
      if (e.entry.message.startsWith('Shifting')) setTimeout(() => clock.advance(1000), 0);
    });
    const r = await c.coordinateModelDeployment(input);
    expect(failed).toEqual(['onDeploymentStarted:false', 'beforeTrafficShift:true']);
    expect(r.status).toBe('rolled_back');
    expect(r.reason).toMatch(/beforeTrafficShift stopped the shift 0% → 100%/);
    expect(dm.aborted).toHaveLength(1);
    expect(dm.ticks).toBe(0);
    expect(r.timeline.filter((e) => !e.ok).map((e) => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/pager down/),
        expect.stringMatching(/did not finish within 1000 ms/),
      ]),
    );
  });

  it('throws ConflictError when the registry says another model is current; aborts on a late mismatch', async () => {
    const clock = new ManualClock();
    const registry = {
      getCurrentModel: async () => ({ id: CAND }),
      getModel: async () => {
        throw new Error('unused');
      },
    };
    const c = new ServiceCoordinator({ deploymentManager: fakeManager(clock), registry, clock });
    await expect(c.coordinateModelDeployment(input)).rejects.toBeInstanceOf(ConflictError);
    const late = fakeManager(clock, null);
    const c2 = new ServiceCoordinator({ deploymentManager: late, clock });
    await expect(c2.coordinateModelDeployment(input)).rejects.toThrow(/the deployment was aborted/);
    expect(late.aborted).toHaveLength(1);
  });

  it('fails before any deployment when the host validator or smoke probe says no', async () => {
    const clock = new ManualClock();
    const model = {
      id: CAND,
      useCase: 'u',
      provider: 'simulated',
      modelName: 'm',
      version: '2',
      status: 'candidate',
      configuration: {},
    };
    const registry = { getCurrentModel: async () => ({ id: STABLE }), getModel: async () => model as never };
    const dm = fakeManager(clock);
    const probe = async () => ({ text: '' });
    const c = new ServiceCoordinator({ deploymentManager: dm, registry, clock, probe });
    const r = await c.coordinateModelDeployment(input);
    expect(r).toMatchObject({ status: 'failed', deploymentId: null });
    expect(r.smoke!.cases.map((x) => x.reason)).toEqual(['empty answer', 'empty answer', 'empty answer']);
    const v = new ServiceCoordinator({
      deploymentManager: dm,
      registry,
      clock,
      validate: () => ({ ok: false, reason: 'bad vibes' }),
    });
    expect(await v.coordinateModelDeployment(input)).toMatchObject({ status: 'failed', reason: /bad vibes/ });
  });

  it('smoke-tests the candidate through llmClient.probe with smokeRetries and smokeTimeoutMs', async () => {
    const clock = new ManualClock();
    const model = {
      id: CAND,
      useCase: 'u',
      provider: 'simulated',
      modelName: 'm',
      version: '2',
      status: 'candidate',
      configuration: {},
    };
    const registry = { getCurrentModel: async () => ({ id: STABLE }), getModel: async () => model as never };
    const calls: Array<{ model: unknown; input: ProbeInput }> = [];
    let unsafe = false;
    const llmClient = {
      async probe(m: unknown, i: ProbeInput): Promise<ProbeResult> {
        calls.push({ model: m, input: i });
        return {
          text: 'Hello there.',
          latencyMs: 1,
          usage: { tokensIn: 1, tokensOut: 1 },
          guardrails: {
            allowed: !unsafe,
            action: unsafe ? 'block' : 'allow',
            violations: [],
            fallbackUsed: unsafe,
          },
        };
      },
    };
    const dm = fakeManager(clock);
    const c = new ServiceCoordinator({
      deploymentManager: dm,
      registry,
      llmClient,
      clock,
      smokeRetries: 0,
      smokeTimeoutMs: 750,
      pollIntervalMs: 10,
    });
    c.on('coordination:waiting', () => queueMicrotask(() => clock.advance(10)));
    const ok = await c.coordinateModelDeployment(input);
    expect(ok).toMatchObject({ status: 'succeeded', smoke: { ok: true, passed: 3, total: 3 } });
    expect(calls).toHaveLength(3);
    expect(calls[0]!.model).toBe(model);
    expect(calls[0]!.input).toMatchObject({
      retries: 0,
      timeoutMs: 750,
      metadata: { smokeCase: 'greeting' },
    });
    expect(calls[0]!.input.signal).toBeInstanceOf(AbortSignal);
    expect(calls[0]!.input.guardrails).toBeUndefined();

    unsafe = true;
    const blocked = await c.coordinateModelDeployment(input);
    expect(blocked).toMatchObject({ status: 'failed', deploymentId: null });
    expect(blocked.smoke!.cases[0]!.reason).toBe('answer blocked by output guardrails');

    // Coordinator guardrails replace the client's check (the client is told to skip its own).
    calls.length = 0;
    const own = new ServiceCoordinator({
      deploymentManager: dm,
      registry,
      llmClient,
      clock,
      guardrails: new FakeGuardrails(),
      pollIntervalMs: 10,
    });
    own.on('coordination:waiting', () => queueMicrotask(() => clock.advance(10)));
    const r = await own.coordinateModelDeployment({ ...input });
    expect(calls[0]!.input).toMatchObject({ retries: 1, timeoutMs: 10_000, guardrails: false });
    expect(r.smoke).toMatchObject({ ok: true });
  });

  it('validates options and input, naming the field', async () => {
    expect(() => new ServiceCoordinator({} as never)).toThrow(/`deploymentManager`/);
    const clock = new ManualClock();
    expect(
      () => new ServiceCoordinator({ deploymentManager: fakeManager(clock), hookTimeoutMs: -1 }),
    ).toThrow('Expected `hookTimeoutMs` to be a positive number of ms, got -1');
    expect(
      () =>
        new ServiceCoordinator({ deploymentManager: fakeManager(clock), hooks: { onCompleted: 3 as never } }),
    ).toThrow(/hooks.onCompleted/);
    expect(
      () => new ServiceCoordinator({ deploymentManager: fakeManager(clock), smokeRetries: 1.5 }),
    ).toThrow('Expected `smokeRetries` to be an integer from 0 to 10, got 1.5');
    expect(
      () => new ServiceCoordinator({ deploymentManager: fakeManager(clock), smokeTimeoutMs: 0 }),
    ).toThrow(/`smokeTimeoutMs`/);
    expect(
      () =>
        new ServiceCoordinator({
          deploymentManager: fakeManager(clock),
          llmClient: { generate() {} } as never,
        }),
    ).toThrow(/`llmClient` to have a `probe\(\)` method/);
    const c = new ServiceCoordinator({ deploymentManager: fakeManager(clock) });
    for (const [bad, field] of [
      [{ ...input, newModelId: 'x' }, 'newModelId'],
      [{ ...input, currentModelId: 'y' }, 'currentModelId'],
      [{ ...input, useCase: '' }, 'useCase'],
      [{ ...input, strategy: 'yolo' }, 'strategy'],
    ] as const) {
      const e = await c.coordinateModelDeployment(bad as never).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).field).toBe(field);
    }
  });

  it('nextShift predicts which driver step moves traffic', () => {
    const base = {
      plan: { steps: [5, 50, 100], stepMinDurationMs: 100, stepMinSamples: 0, rollbackWindowMs: 0 },
      stepStartedAt: new Date(0),
      weight: 0,
      stepIndex: 0,
      switched: false,
    } as unknown as Deployment;
    expect(nextShift({ ...base, status: 'pending', strategy: 'canary' }, 0)).toBe(5);
    expect(nextShift({ ...base, status: 'pending', strategy: 'blue_green' }, 0)).toBeNull();
    expect(nextShift({ ...base, status: 'validating', strategy: 'blue_green' }, 0)).toBe(100);
    expect(nextShift({ ...base, status: 'progressing', strategy: 'canary', weight: 5 }, 50)).toBeNull();
    expect(nextShift({ ...base, status: 'progressing', strategy: 'canary', weight: 5 }, 100)).toBe(50);
    expect(
      nextShift({ ...base, status: 'progressing', strategy: 'canary', weight: 100, stepIndex: 2 }, 100),
    ).toBeNull();
  });
});
