/**
 * Metrics of the shadow strategy and of replays from history: the LLM client's shadow calls (read at
 * scrape time from `llm.shadowStats()`), the pairs each shadow deployment was judged on (counted from
 * `llm:shadow_paired`) and the replays judged (counted from `deployment:replayed`).
 * @module
 */
import { Counter, type Registry } from 'prom-client';
import type { DeploymentManager } from '../deployment/index.js';
import type { LLMClient, ShadowArmOutcome } from '../llm/index.js';
import { finite } from './prometheus-metric.js';
import { metricFactory } from './prometheus-parts.js';

/** Counters of `llm.shadowStats()` exported, with their help text. */
const SHADOW_COUNTERS: Array<[string, string, (s: ReturnType<LLMClient['shadowStats']>) => number]> = [
  [
    'llm_shadow_sampled_total',
    'Requests sampled for shadowing (plan.shadowRate of a shadow deployment): started plus skipped.',
    (s) => s.started + s.skipped,
  ],
  [
    'llm_shadow_started_total',
    'Background calls of a shadow deployment candidate started.',
    (s) => s.started,
  ],
  [
    'llm_shadow_skipped_total',
    'Sampled requests not shadowed because shadow.maxConcurrency calls were in flight.',
    (s) => s.skipped,
  ],
  [
    'llm_shadow_failed_total',
    'Shadow calls that failed (counted in their pair as a candidate error).',
    (s) => s.failed,
  ],
  [
    'llm_shadow_cancelled_total',
    'Shadow calls cancelled by close() or left unpaired (the player request was abandoned).',
    (s) => s.cancelled,
  ],
  ['llm_shadow_paired_total', 'Shadow calls whose pair was handed to the router.', (s) => s.paired],
];

/** Outcomes of one side of a pair, as `outcome` label values. */
const OUTCOMES: Array<[string, (a: ShadowArmOutcome) => boolean]> = [
  ['error', (a) => !a.ok],
  ['violation', (a) => a.violations > 0],
  ['critical_violation', (a) => a.criticalViolations > 0],
  ['fallback', (a) => a.fallback],
];

/**
 * Registers the shadow and replay metrics and subscribes to the events they count; returns the
 * unsubscribe functions. @internal
 */
export function collectShadowAndReplay(input: {
  register: Registry;
  prefix: string;
  llm: (Pick<LLMClient, 'on' | 'off'> & Partial<Pick<LLMClient, 'shadowStats'>>) | undefined;
  deployments: Pick<DeploymentManager, 'on' | 'off'> | undefined;
  modelLabel: (id: string | null) => string;
}): Array<() => void> {
  const { register, prefix, llm, deployments, modelLabel } = input;
  const unsubscribe: Array<() => void> = [];
  const registers = [register];
  if (llm?.shadowStats) {
    const stats = () => llm.shadowStats!();
    const add = metricFactory(register, prefix);
    for (const [name, help, pick] of SHADOW_COUNTERS)
      add(name, 'counter', help, () => [{ value: finite(pick(stats())), labels: {} }]);
    add('llm_shadow_in_flight', 'gauge', 'Shadow calls in flight now.', () => [
      { value: finite(stats().inFlight), labels: {} },
    ]);
  }
  if (llm) {
    const pairs = new Counter({
      name: `${prefix}deployment_shadow_pairs_total`,
      help: 'Prompts answered by both models of a shadow deployment (pairs the judge compares), counted by the replica that shadowed them.',
      labelNames: ['use_case', 'deployment_id', 'model'],
      registers,
    });
    const outcomes = new Counter({
      name: `${prefix}deployment_shadow_pair_outcomes_total`,
      help: 'Sides of shadow pairs with an outcome (error, violation, critical_violation, fallback; not exclusive), by variant: stable is what the player got, candidate the background answer.',
      labelNames: ['use_case', 'deployment_id', 'variant', 'outcome'],
      registers,
    });
    const paired: Parameters<typeof llm.on<'llm:shadow_paired'>>[1] = (e) => {
      const base = { use_case: e.useCase, deployment_id: e.deploymentId };
      pairs.inc({ ...base, model: modelLabel(e.modelId) });
      for (const variant of ['stable', 'candidate'] as const)
        for (const [outcome, has] of OUTCOMES)
          outcomes.inc({ ...base, variant, outcome }, has(e[variant]) ? 1 : 0);
    };
    llm.on('llm:shadow_paired', paired);
    unsubscribe.push(() => llm.off('llm:shadow_paired', paired));
  }
  if (deployments) {
    const replays = new Counter({
      name: `${prefix}deployment_replays_total`,
      help: 'Replays from history judged and stored (deployments.replay(), mms replay, the pre-flight gate), by verdict; counted by the process that ran them.',
      labelNames: ['use_case', 'verdict'],
      registers,
    });
    const replayPairs = new Counter({
      name: `${prefix}deployment_replay_pairs_total`,
      help: 'Historic prompts replayed to candidates (pairs judged by replays).',
      labelNames: ['use_case'],
      registers,
    });
    const replayed: Parameters<typeof deployments.on<'deployment:replayed'>>[1] = ({ comparison: c }) => {
      replays.inc({ use_case: c.useCase, verdict: c.verdict.verdict });
      replayPairs.inc({ use_case: c.useCase }, c.pairs);
    };
    deployments.on('deployment:replayed', replayed);
    unsubscribe.push(() => deployments.off('deployment:replayed', replayed));
  }
  return unsubscribe;
}
