import { describe, expect, it } from 'vitest';
import { parseDuration, UsageError } from '../../../src/cli/args.js';
import { buildDeploymentReport, evidenceOf } from '../../../src/deployment/deployment-report.js';
import { DEFAULT_ANALYSIS, type MetricWindow } from '../../../src/deployment/judge.js';
import { OutcomeAggregator } from '../../../src/deployment/outcome-aggregator.js';
import { DEFAULT_PLAN } from '../../../src/deployment/plan.js';
import type { Deployment, DeploymentEvent } from '../../../src/deployment/types.js';
import { HISTOGRAM_BOUNDS_MS } from '../../../src/internal/histogram.js';

const T0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(T0 + s * 1000);

function latency(ms: number, n: number): number[] {
  const counts = new Array<number>(OutcomeAggregator.bucketCount).fill(0);
  counts[HISTOGRAM_BOUNDS_MS.findIndex((b) => b >= ms)] = n;
  return counts;
}

function win(
  s: number,
  variant: 'stable' | 'candidate',
  requests: number,
  errors: number,
  ms: number,
): MetricWindow {
  return {
    windowStart: T0 + s * 1000,
    variant,
    requests,
    errors,
    violations: 0,
    criticalViolations: 0,
    fallbacks: 0,
    latency: latency(ms, requests),
  };
}

const failing = {
  verdict: 'fail',
  reason: 'Candidate error rate 20% (50 requests) is worse than stable 1%',
  metrics: [
    {
      metric: 'errorRate',
      candidate: 0.2,
      stable: 0.01,
      candidateSamples: 50,
      stableSamples: 450,
      evidence: 900,
      evidenceNeeded: 500,
      breached: true,
    },
    {
      metric: 'latencyP95',
      candidate: 120,
      stable: 100,
      candidateSamples: 50,
      stableSamples: 450,
      evidence: 2,
      evidenceNeeded: 500,
      breached: false,
    },
  ],
};

const deployment: Deployment = {
  id: '01a00000-0000-7000-8000-000000000001',
  useCase: 'interaction_layer',
  strategy: 'canary',
  status: 'rolled_back',
  candidateModelId: '01a00000-0000-7000-8000-0000000000c0',
  stableModelId: '01a00000-0000-7000-8000-0000000000a0',
  weight: 0,
  stepIndex: 0,
  plan: { ...DEFAULT_PLAN, steps: [10, 50, 100] },
  analysis: DEFAULT_ANALYSIS,
  switched: false,
  actor: 'ci',
  reason: failing.reason,
  lastVerdict: failing as never,
  stepStartedAt: at(10),
  createdAt: at(0),
  updatedAt: at(40),
  finishedAt: at(40),
  version: 5,
  leaseOwner: null,
  leaseExpiresAt: null,
};

const event = (s: number, from: string | null, to: string, weight: number): DeploymentEvent => ({
  id: `e${s}`,
  deploymentId: deployment.id,
  at: at(s),
  fromStatus: from as never,
  toStatus: to as never,
  actor: 'sdk',
  reason: null,
  weight,
  verdict: to === 'rolling_back' ? (failing as never) : null,
});

describe('DeploymentManager.report data (buildDeploymentReport)', () => {
  it('sums replicas per window, draws thresholds from stable, and explains a rollback', async () => {
    const windows = [
      win(0, 'stable', 100, 1, 100),
      win(10, 'stable', 200, 2, 100),
      win(10, 'stable', 100, 1, 100), // a second replica's row of the same window
      win(10, 'candidate', 30, 6, 200),
      win(20, 'candidate', 20, 4, 200),
    ];
    const events = [
      event(0, null, 'pending', 0),
      event(10, 'pending', 'progressing', 10),
      event(40, 'progressing', 'rolling_back', 0),
      event(40, 'rolling_back', 'rolled_back', 0),
    ];
    const r = await buildDeploymentReport(
      {
        store: {
          get: async () => deployment,
          events: async () => events,
          metrics: async () => windows,
        },
        registry: {
          getModel: async (id: string) => {
            if (id === deployment.candidateModelId) return { id, modelName: 'npc', version: '2.0' } as never;
            throw new Error('gone');
          },
        },
        listRollbacks: async () => [],
        now: T0 + 60_000,
      },
      deployment,
    );
    expect(r.series.filter((s) => s.variant === 'stable').map((s) => s.requests)).toEqual([100, 300]);
    expect(r.arms.stable).toMatchObject({ requests: 400, errorRate: 4 / 400 });
    expect(r.arms.candidate).toMatchObject({ requests: 50, errorRate: 10 / 50 });
    expect(r.arms.candidate.p95Ms).toBeGreaterThanOrEqual(200);
    // Window 10 s: stable 1% errors; the candidate may reach max(1% × 1.5, 1% + 0.5 points) = 1.5%.
    const t10 = r.thresholds.find((t) => t.metric === 'errorRate' && t.at.getTime() === at(10).getTime());
    expect(t10?.value).toBeCloseTo(0.015, 6);
    // Window 20 s has no stable traffic: the ceiling (limit) applies.
    const t20 = r.thresholds.find((t) => t.metric === 'errorRate' && t.at.getTime() === at(20).getTime());
    expect(t20?.value).toBe(DEFAULT_ANALYSIS.errorRate.limit);
    expect(r.weight.map((p) => [p.weight, p.boundary])).toEqual([
      [0, true],
      [10, true],
      [0, true],
      [0, true],
      [0, false],
    ]);
    expect(r.exposure.map((p) => p.candidateRequests)).toEqual([30, 50]);
    expect(r.evidence).toEqual([
      {
        metric: 'errorRate',
        candidate: 0.2,
        stable: 0.01,
        evidence: 900,
        boundary: 500,
        decision: 'breached',
      },
      { metric: 'latencyP95', candidate: 120, stable: 100, evidence: 2, boundary: 500, decision: 'within' },
    ]);
    expect(r.models).toEqual({ candidate: expect.objectContaining({ modelName: 'npc' }), stable: null });
    expect(r.verdict).toMatchObject({ outcome: 'rolled back', reason: failing.reason });
    expect(r.nextSteps.join(' ')).toMatch(/Do not redeploy npc 2\.0/);
  });
});

describe('evidenceOf reads stored verdicts generically', () => {
  it('accepts other field names a later judge may store, and ignores junk', () => {
    expect(
      evidenceOf({
        metrics: [
          { name: 'toxicity', value: 0.3, eValue: 12, threshold: 100, decision: 'continue', extra: { a: 1 } },
          null,
          'x',
        ],
      }),
    ).toEqual([
      { metric: 'toxicity', candidate: 0.3, stable: null, evidence: 12, boundary: 100, decision: 'continue' },
    ]);
    expect(evidenceOf(null)).toEqual([]);
    expect(evidenceOf({ verdict: 'pass' })).toEqual([]);
  });
});

describe('CLI durations', () => {
  it('parses units and refuses anything else with what to type instead', () => {
    expect(parseDuration('30d', '--older-than')).toBe(30 * 86_400_000);
    expect(parseDuration('1.5h', '--x')).toBe(5_400_000);
    expect(parseDuration('250ms', '--x')).toBe(250);
    for (const bad of ['30', '30x', 'd30', '', '-1d']) {
      const e = (() => {
        try {
          parseDuration(bad, '--older-than');
        } catch (error) {
          return error;
        }
      })();
      expect(e, bad).toBeInstanceOf(UsageError);
      expect((e as UsageError).hint).toMatch(/--older-than 30d/);
    }
  });
});
