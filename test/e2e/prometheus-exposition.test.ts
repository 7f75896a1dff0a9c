import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelManagement, type ModelManagement } from '../../src/index.js';
import { REQUEST_BUCKETS_SECONDS } from '../../src/observability/prometheus.js';
import { ManualClock } from '../../src/testing.js';
import { registerNpc } from '../helpers/models.js';
import { prometheusAvailable, promtool } from '../helpers/promtool.js';

const USE_CASE = 'interaction_layer';
const PLAN = { steps: [50, 100], stepMinDurationMs: 20_000, stepMinSamples: 30, rollbackWindowMs: 30_000 };

/** Value of the one sample of `name` whose labels include every `labels` pair. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('Prometheus exposition of the SDK after traffic and a rollout', () => {
  let mm: ModelManagement | undefined;
  afterEach(async () => {
    await mm?.close();
    mm = undefined;
  });

  it('has counters, histograms in seconds and HELP on every series; a rollback is counted by trigger; promtool accepts it', async () => {
    const clock = new ManualClock();
    const register = new Registry();
    mm = await createModelManagement({
      db: { memory: true },
      clock,
      deployments: { drive: false, plan: PLAN },
      llm: { retry: { retries: 0 }, inputGuardrails: true },
      prometheus: { register },
    });
    const stable = await registerNpc(mm.registry, USE_CASE, '1', { seed: 's' });
    await mm.registry.updateModelStatus(stable.id, 'current');
    const candidate = await registerNpc(mm.registry, USE_CASE, '2', { seed: 'c', errorRate: 0.6 });
    const d = await mm.deployments.startDeployment({
      useCase: USE_CASE,
      newModelId: candidate.id,
      strategy: 'canary',
    });
    await mm.deployments.tick();
    let sent = 0;
    for (
      let round = 0;
      round < 20 && (await mm.deployments.getDeployment(d.id)).status !== 'rolled_back';
      round++
    ) {
      for (let i = 0; i < 40; i++) {
        await mm.llm.generate({ useCase: USE_CASE, prompt: `hello ${sent}`, stickyKey: `p${sent++}` });
      }
      clock.advance(10_000);
      await mm.deployments.tick();
    }
    expect((await mm.deployments.getDeployment(d.id)).status).toBe('rolled_back');
    // A player message the input guardrails treat as critical (answered with fallback content): a threat
    // with a real-world anchor (without one it is only flagged, under the fiction rules).
    await mm.llm.generate({
      useCase: USE_CASE,
      prompt: 'I will find where you live in real life and kill you',
      stickyKey: 'x',
    });

    const text = await mm.toPrometheus();
    expect(text).toBe(await register.metrics());
    // Every series is typed and documented; counters end in _total; no millisecond series remain.
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    const helps = new Set([...text.matchAll(/^# HELP (\S+) \S/gm)].map((m) => m[1]));
    expect(types.length).toBeGreaterThan(40);
    for (const [name, type] of types) {
      expect(helps.has(name)).toBe(true);
      expect(type).not.toBe('summary');
      expect(type === 'counter').toBe(name.endsWith('_total'));
      expect(name).not.toMatch(/_ms$|_millis/);
    }
    // Per-arm counters equal the router's own totals (what the judge sums).
    const arms = mm.router.metrics().arms.filter((a) => a.deploymentId === d.id);
    expect(arms.length).toBe(2);
    for (const arm of arms) {
      const labels = { deployment_id: d.id, variant: arm.variant };
      expect(sample(text, 'mms_deployment_requests_total', labels)).toBe(arm.requests);
      expect(sample(text, 'mms_deployment_request_errors_total', labels)).toBe(arm.errors);
      expect(sample(text, 'mms_deployment_request_duration_seconds_count', labels)).toBe(arm.requests);
      expect(sample(text, 'mms_deployment_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(
        arm.requests,
      );
    }
    const candidateArm = arms.find((a) => a.variant === 'candidate')!;
    expect(candidateArm.errors).toBeGreaterThan(0);
    expect(sample(text, 'mms_deployment_requests_total', { variant: 'candidate', model: 'npc@2' })).toBe(
      candidateArm.requests,
    );
    expect(sample(text, 'mms_deployment_rollbacks_total', { trigger: 'automatic', use_case: USE_CASE })).toBe(
      1,
    );
    expect(sample(text, 'mms_deployment_rollback_duration_seconds_count', { trigger: 'automatic' })).toBe(1);
    expect(sample(text, 'mms_deployment_verdicts_total', { verdict: 'fail' })).toBe(1);
    expect(
      sample(text, 'mms_deployments_finished_total', { status: 'rolled_back', strategy: 'canary' }),
    ).toBe(1);
    expect(sample(text, 'mms_guardrails_violations_total', { severity: 'critical', model: 'none' })).toBe(1);
    expect(sample(text, 'mms_llm_requests_total', { kind: 'generate' })).toBe(sent + 1);
    expect(sample(text, 'mms_history_queue_capacity')).toBe(100_000);
    // The rollout ended: no active deployment, so no weight gauge for it.
    expect(sample(text, 'mms_deployment_candidate_weight_ratio', { deployment_id: d.id })).toBeUndefined();
    // Histogram buckets are the SDK's bounds in seconds.
    const les = [...text.matchAll(/^mms_llm_request_duration_seconds_bucket\{[^}]*le="([^"]+)"/gm)].map(
      (m) => m[1],
    );
    expect(les.slice(0, REQUEST_BUCKETS_SECONDS.length + 1)).toEqual([
      ...REQUEST_BUCKETS_SECONDS.map(String),
      '+Inf',
    ]);

    if (prometheusAvailable()) {
      const check = promtool(['check', 'metrics'], text);
      expect(check.output).toBe('');
      expect(check.status).toBe(0);
    }
  }, 60_000);

  it('joins the host registry and refuses a bad prefix', async () => {
    const register = new Registry();
    mm = await createModelManagement({ db: { memory: true }, prometheus: { register, prefix: 'game_' } });
    expect(await register.metrics()).toMatch(/^# TYPE game_llm_requests_total counter$/m);
    await expect(
      createModelManagement({ db: { memory: true }, prometheus: { prefix: 'bad prefix' } }),
    ).rejects.toThrow(/Expected `prefix`/);
  });
});
