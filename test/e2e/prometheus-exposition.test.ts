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

  it('counts shadow calls, shadow pairs per deployment, a shadow_passed deployment and replays; promtool accepts them', async () => {
    const clock = new ManualClock();
    const register = new Registry();
    mm = await createModelManagement({
      db: { memory: true },
      clock,
      deployments: { drive: false },
      llm: { retry: { retries: 0 } },
      prometheus: { register },
    });
    const stable = await registerNpc(mm.registry, USE_CASE, '1', { seed: 's' });
    await mm.registry.updateModelStatus(stable.id, 'current');
    const candidate = await registerNpc(mm.registry, USE_CASE, '2', { seed: 'c' });
    const before = await mm.toPrometheus();
    for (const name of ['sampled', 'started', 'skipped', 'failed', 'cancelled', 'paired'])
      expect(sample(before, `mms_llm_shadow_${name}_total`)).toBe(0);
    expect(sample(before, 'mms_llm_shadow_in_flight')).toBe(0);
    expect(before).not.toMatch(/^mms_deployment_shadow_pairs_total\{/m);

    const d = await mm.deployments.startDeployment({
      useCase: USE_CASE,
      newModelId: candidate.id,
      strategy: 'shadow',
      plan: { shadowRate: 1, shadowMinPairs: 100, stepMinDurationMs: 0 },
    });
    await mm.deployments.tick(); // pending → progressing (weight 0)
    await mm.router.refresh();
    const n = 120;
    for (let i = 0; i < n; i++)
      await mm.llm.generate({ useCase: USE_CASE, prompt: `Line ${i}`, stickyKey: `p${i}` });
    for (let t = 0; t < 500 && mm.llm.shadowStats().paired < n; t++)
      await new Promise((r) => setTimeout(r, 10));
    const stats = mm.llm.shadowStats();
    expect(stats.paired).toBe(n);

    const during = await mm.toPrometheus();
    expect(sample(during, 'mms_llm_shadow_sampled_total')).toBe(stats.started + stats.skipped);
    expect(sample(during, 'mms_llm_shadow_started_total')).toBe(stats.started);
    expect(sample(during, 'mms_llm_shadow_paired_total')).toBe(n);
    expect(sample(during, 'mms_llm_shadow_failed_total')).toBe(stats.failed);
    const pairLabels = { use_case: USE_CASE, deployment_id: d.id };
    expect(sample(during, 'mms_deployment_shadow_pairs_total', { ...pairLabels, model: 'npc@2' })).toBe(n);
    for (const variant of ['stable', 'candidate'])
      expect(
        sample(during, 'mms_deployment_shadow_pair_outcomes_total', {
          ...pairLabels,
          variant,
          outcome: 'error',
        }),
      ).toBe(0);
    // Shadow calls are not player requests.
    expect(sample(during, 'mms_llm_requests_total', { kind: 'generate' })).toBe(n);

    clock.advance(10_000);
    await mm.deployments.tick();
    expect((await mm.deployments.getDeployment(d.id)).status).toBe('shadow_passed');

    await mm.logProcessor.flush();
    const c = await mm.deployments.replay({
      useCase: USE_CASE,
      candidateModelId: candidate.id,
      from: new Date(clock.now() - 3_600_000),
      to: new Date(clock.now() + 3_600_000),
      sample: 50,
    });
    expect(c.pairs).toBe(50);

    const text = await mm.toPrometheus();
    expect(sample(text, 'mms_deployment_verdicts_total', { strategy: 'shadow', verdict: 'pass' })).toBe(1);
    expect(
      sample(text, 'mms_deployments_finished_total', { strategy: 'shadow', status: 'shadow_passed' }),
    ).toBe(1);
    expect(
      sample(text, 'mms_deployment_replays_total', { use_case: USE_CASE, verdict: c.verdict.verdict }),
    ).toBe(1);
    expect(sample(text, 'mms_deployment_replay_pairs_total', { use_case: USE_CASE })).toBe(50);
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const));
    for (const name of [
      'mms_llm_shadow_sampled_total',
      'mms_deployment_shadow_pairs_total',
      'mms_deployment_shadow_pair_outcomes_total',
      'mms_deployment_replays_total',
      'mms_deployment_replay_pairs_total',
    ])
      expect(types.get(name)).toBe('counter');
    expect(types.get('mms_llm_shadow_in_flight')).toBe('gauge');

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
