/**
 * Scrape-time metrics of rollouts: per-arm outcomes from the router (exactly what this replica
 * contributes to the canary judge's figures) and the state of each active deployment.
 * @module
 */
import type { Registry } from 'prom-client';
import type { Deployment, DeploymentManager, TrafficRouter } from '../deployment/index.js';
import { histogramSamples, type Labels, REQUEST_BUCKETS_SECONDS, type Sample } from './prometheus-metric.js';
import { metricFactory } from './prometheus-parts.js';

/** What the exporter remembers of a deployment to label its arms after it ended. */
interface Known {
  useCase: string;
  strategy: string;
  stableModelId: string | null;
  candidateModelId: string;
}

/** Deployments remembered for labels (oldest forgotten first). */
const MAX_KNOWN = 256;

/** Registers the deployment metrics; returns the label lookups the event handlers share. @internal */
export function collectDeployments(input: {
  register: Registry;
  prefix: string;
  router: Pick<TrafficRouter, 'metrics'> | undefined;
  deployments: Pick<DeploymentManager, 'getDeployment'> | undefined;
  modelLabel: (id: string | null) => string;
}): { useCaseOf(id: string): string; strategyOf(id: string): string; remember(d: Deployment): void } {
  const { register, prefix, router, deployments, modelLabel } = input;
  const known = new Map<string, Known>();
  const remember = (d: Deployment) => {
    if (!known.has(d.id) && known.size >= MAX_KNOWN) known.delete(known.keys().next().value as string);
    known.set(d.id, {
      useCase: d.useCase,
      strategy: d.strategy,
      stableModelId: d.stableModelId,
      candidateModelId: d.candidateModelId,
    });
  };
  const lookup = async (id: string): Promise<Known | undefined> => {
    const k = known.get(id);
    if (k || !deployments) return k;
    try {
      remember(await deployments.getDeployment(id));
    } catch {
      // Unknown here (another schema, deleted): labelled `unknown` until it is seen.
    }
    return known.get(id);
  };
  const api = {
    useCaseOf: (id: string) => known.get(id)?.useCase ?? 'unknown',
    strategyOf: (id: string) => known.get(id)?.strategy ?? 'unknown',
    remember,
  };
  if (!router) return api;

  const add = metricFactory(register, prefix);
  const snapshot = () => {
    const m = router.metrics();
    for (const d of m.active) remember(d);
    return m;
  };
  type Arm = ReturnType<TrafficRouter['metrics']>['arms'][number];
  const arms = async (): Promise<Array<{ arm: Arm; labels: Labels }>> =>
    Promise.all(
      snapshot().arms.map(async (arm) => {
        const k = await lookup(arm.deploymentId);
        const modelId = k ? (arm.variant === 'candidate' ? k.candidateModelId : k.stableModelId) : null;
        return {
          arm,
          labels: {
            use_case: k?.useCase ?? 'unknown',
            deployment_id: arm.deploymentId,
            variant: arm.variant,
            model: k ? modelLabel(modelId) : 'unknown',
          },
        };
      }),
    );
  const perArm: Array<[string, string, (a: Arm) => number]> = [
    [
      'deployment_requests_total',
      'Requests routed to a deployment arm (stable or candidate) on this replica; the judge sums them over replicas.',
      (a) => a.requests,
    ],
    [
      'deployment_request_errors_total',
      'Requests of a deployment arm that failed (the routed model did not answer).',
      (a) => a.errors,
    ],
    [
      'deployment_request_violations_total',
      'Requests of a deployment arm with at least one guardrail violation.',
      (a) => a.violations,
    ],
    [
      'deployment_request_critical_violations_total',
      'Requests of a deployment arm with at least one critical guardrail violation.',
      (a) => a.criticalViolations,
    ],
    [
      'deployment_request_fallbacks_total',
      'Requests of a deployment arm answered with fallback content or another model.',
      (a) => a.fallbacks,
    ],
  ];
  for (const [name, help, pick] of perArm) {
    add(name, 'counter', help, async () =>
      (await arms()).map(({ arm, labels }): Sample => ({ value: pick(arm), labels })),
    );
  }
  add(
    'deployment_request_duration_seconds',
    'histogram',
    'End-to-end duration of requests per deployment arm, as the canary judge sees it.',
    async () =>
      (await arms()).flatMap(({ arm, labels }) =>
        histogramSamples(
          `${prefix}deployment_request_duration_seconds`,
          labels,
          arm.latencyMs,
          REQUEST_BUCKETS_SECONDS,
        ),
      ),
  );
  const active = (value: (d: Deployment) => number): Sample[] =>
    snapshot().active.map((d) => ({
      value: value(d),
      labels: { use_case: d.useCase, deployment_id: d.id, strategy: d.strategy },
    }));
  add(
    'deployment_candidate_weight_ratio',
    'gauge',
    'Share of traffic (0–1) routed to the candidate of each active deployment (0 while rolling back).',
    () => active((d) => (d.status === 'rolling_back' ? 0 : d.weight / 100)),
  );
  add(
    'deployment_step_index',
    'gauge',
    'Current canary step of each active deployment (0 for the first step).',
    () => active((d) => d.stepIndex),
  );
  add(
    'deployment_router_pending_windows',
    'gauge',
    'Outcome windows of this replica not yet written to deployment_metrics.',
    () => [{ value: snapshot().pendingCells, labels: {} }],
  );
  return api;
}
