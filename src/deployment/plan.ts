/**
 * Defaults and validation of rollout plans and analysis settings.
 * @module
 */
import { ValidationError } from '../errors.js';
import { describe } from '../internal/validate.js';
import {
  type AnalysisConfig,
  DEFAULT_ANALYSIS,
  type LatencyThreshold,
  type LowTrafficAction,
  type RateThreshold,
} from './judge.js';
import { DEPLOYMENT_STRATEGIES, type DeploymentPlan, type DeploymentStrategy } from './types.js';

/**
 * Default rollout plan: canary 5 → 25 → 50 → 100, each step ≥ 2 min and ≥ 500 candidate requests
 * (a step still short of them after 30 min holds and says so); 10 % of players stay on the previous
 * model while a switched candidate is analysed. A plan that sets `stepMinDurationMs` but not
 * `stepMaxDurationMs` gets the larger of 30 min and twice its minimum.
 */
export const DEFAULT_PLAN: Readonly<DeploymentPlan> = Object.freeze({
  steps: [5, 25, 50, 100],
  stepMinDurationMs: 120_000,
  stepMinSamples: 500,
  rollbackWindowMs: 600_000,
  holdbackPercent: 10,
  stepMaxDurationMs: 1_800_000,
  onLowTraffic: 'hold' as const,
});

/** Values of `plan.onLowTraffic`. */
export const LOW_TRAFFIC_ACTIONS: readonly LowTrafficAction[] = ['promote', 'hold', 'rollback'];

/** Strategy used when neither the call nor the manager's options name one. */
export const DEFAULT_STRATEGY: DeploymentStrategy = 'blue_green';

/** Input shape of a plan: every field optional, defaults from {@link DEFAULT_PLAN}. */
export type DeploymentPlanInput = Partial<DeploymentPlan>;

/** Input shape of analysis settings: thresholds may be given partially. */
export interface AnalysisConfigInput {
  alpha?: number;
  errorRate?: Partial<RateThreshold>;
  violationRate?: Partial<RateThreshold>;
  criticalViolationRate?: Partial<RateThreshold>;
  fallbackRate?: Partial<RateThreshold>;
  latencyP95?: Partial<LatencyThreshold>;
  minStableLatencySamples?: number;
}

/** Throws a `ValidationError` unless `value` is one of `allowed` (by default every known strategy). */
export function assertStrategy(
  value: unknown,
  field = 'strategy',
  allowed: readonly DeploymentStrategy[] = DEPLOYMENT_STRATEGIES,
): asserts value is DeploymentStrategy {
  if (!allowed.includes(value as DeploymentStrategy)) {
    throw new ValidationError(
      `Expected \`${field}\` to be one of ${allowed.map((s) => `'${s}'`).join(', ')}, got ${describe(value)}`,
      { field },
    );
  }
}

/**
 * Merges a plan input over `defaults` (the manager's `plan` option, validated when the manager is
 * built) over {@link DEFAULT_PLAN} and validates it. `stepMaxDurationMs` given by neither is derived, never below the minimum: the larger of
 * the default (30 min) and twice `stepMinDurationMs`. Only an explicit value is checked against the
 * minimum.
 */
export function resolvePlan(
  input: DeploymentPlanInput | undefined,
  defaults?: DeploymentPlanInput,
): DeploymentPlan {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new ValidationError(`Expected \`plan\` to be an object, got ${describe(input)}`, { field: 'plan' });
  }
  const steps = input?.steps ?? defaults?.steps ?? DEFAULT_PLAN.steps;
  const plan: DeploymentPlan = {
    ...DEFAULT_PLAN,
    ...stripUndefined(defaults ?? {}),
    ...stripUndefined(input ?? {}),
    steps: Array.isArray(steps) ? [...steps] : [],
  };
  if (plan.steps.length === 0) {
    throw new ValidationError(
      `Expected \`plan.steps\` to be a non-empty array of weights, got ${describe(steps)}`,
      {
        field: 'plan.steps',
      },
    );
  }
  plan.steps.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0 || w > 100) {
      throw new ValidationError(
        `Expected \`plan.steps[${i}]\` to be a weight in (0, 100], got ${describe(w)}`,
        {
          field: `plan.steps[${i}]`,
        },
      );
    }
    if (i > 0 && w <= plan.steps[i - 1]!) {
      throw new ValidationError(
        `Expected \`plan.steps\` to be strictly increasing, got ${describe(w)} after ${describe(plan.steps[i - 1])}`,
        { field: `plan.steps[${i}]` },
      );
    }
  });
  nonNegative(plan.stepMinDurationMs, 'plan.stepMinDurationMs');
  nonNegative(plan.stepMinSamples, 'plan.stepMinSamples');
  nonNegative(plan.rollbackWindowMs, 'plan.rollbackWindowMs');
  const holdback = plan.holdbackPercent;
  if (holdback !== undefined && (typeof holdback !== 'number' || !(holdback >= 0 && holdback < 50))) {
    throw new ValidationError(
      `Expected \`plan.holdbackPercent\` to be a percentage in [0, 50), got ${describe(holdback)}`,
      { field: 'plan.holdbackPercent' },
    );
  }
  const explicitMax = input?.stepMaxDurationMs ?? defaults?.stepMaxDurationMs;
  if (explicitMax === undefined) {
    plan.stepMaxDurationMs = Math.max(DEFAULT_PLAN.stepMaxDurationMs ?? 0, 2 * plan.stepMinDurationMs);
  } else {
    nonNegative(explicitMax, 'plan.stepMaxDurationMs');
    if (explicitMax < plan.stepMinDurationMs) {
      throw new ValidationError(
        `Expected \`plan.stepMaxDurationMs\` to be at least \`plan.stepMinDurationMs\` (${plan.stepMinDurationMs}), got ${describe(explicitMax)}`,
        { field: 'plan.stepMaxDurationMs' },
      );
    }
  }
  if (plan.onLowTraffic !== undefined && !LOW_TRAFFIC_ACTIONS.includes(plan.onLowTraffic)) {
    throw new ValidationError(
      `Expected \`plan.onLowTraffic\` to be one of ${LOW_TRAFFIC_ACTIONS.map((a) => `'${a}'`).join(', ')}, got ${describe(plan.onLowTraffic)}`,
      { field: 'plan.onLowTraffic' },
    );
  }
  validateShadowPlan(plan);
  return plan;
}

/** Default share of live requests a `shadow` deployment sends to the candidate too. */
export const DEFAULT_SHADOW_RATE = 0.1;

/** Default pairs a `shadow` deployment needs before it may pass. */
export const DEFAULT_SHADOW_MIN_PAIRS = 4000;

function validateShadowPlan(plan: DeploymentPlan): void {
  const rate = plan.shadowRate;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate > 0 && rate <= 1))) {
    throw new ValidationError(`Expected \`plan.shadowRate\` to be a share in (0, 1], got ${describe(rate)}`, {
      field: 'plan.shadowRate',
    });
  }
  if (plan.shadowMinPairs !== undefined) nonNegative(plan.shadowMinPairs, 'plan.shadowMinPairs');
  const next = plan.shadowFollowUp;
  if (next !== undefined && (next === ('shadow' as string) || !DEPLOYMENT_STRATEGIES.includes(next))) {
    throw new ValidationError(
      `Expected \`plan.shadowFollowUp\` to be one of 'blue_green', 'canary', 'all_at_once', got ${describe(next)}`,
      { field: 'plan.shadowFollowUp' },
    );
  }
}

/** Merges analysis input over the defaults and validates it. */
export function resolveAnalysis(input: AnalysisConfigInput | undefined): AnalysisConfig {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new ValidationError(`Expected \`analysis\` to be an object, got ${describe(input)}`, {
      field: 'analysis',
    });
  }
  const i = input ?? {};
  const d = DEFAULT_ANALYSIS;
  const out: AnalysisConfig = {
    alpha: i.alpha ?? d.alpha,
    errorRate: { ...d.errorRate, ...stripUndefined(i.errorRate ?? {}) },
    violationRate: { ...d.violationRate, ...stripUndefined(i.violationRate ?? {}) },
    criticalViolationRate: { ...d.criticalViolationRate, ...stripUndefined(i.criticalViolationRate ?? {}) },
    fallbackRate: { ...d.fallbackRate, ...stripUndefined(i.fallbackRate ?? {}) },
    latencyP95: { ...d.latencyP95, ...stripUndefined(i.latencyP95 ?? {}) },
    minStableLatencySamples: i.minStableLatencySamples ?? d.minStableLatencySamples,
  };
  if (typeof out.alpha !== 'number' || !(out.alpha > 0 && out.alpha < 1)) {
    throw new ValidationError(
      `Expected \`analysis.alpha\` to be a number in (0, 1), got ${describe(out.alpha)}`,
      {
        field: 'analysis.alpha',
      },
    );
  }
  for (const m of ['errorRate', 'violationRate', 'criticalViolationRate', 'fallbackRate'] as const) {
    nonNegative(out[m].relative, `analysis.${m}.relative`);
    nonNegative(out[m].absolute, `analysis.${m}.absolute`);
    if (out[m].limit !== undefined) nonNegative(out[m].limit, `analysis.${m}.limit`);
  }
  nonNegative(out.latencyP95.relative, 'analysis.latencyP95.relative');
  nonNegative(out.latencyP95.absoluteMs, 'analysis.latencyP95.absoluteMs');
  nonNegative(out.latencyP95.exceedanceRelative, 'analysis.latencyP95.exceedanceRelative');
  if (out.latencyP95.limitMs !== undefined)
    nonNegative(out.latencyP95.limitMs, 'analysis.latencyP95.limitMs');
  nonNegative(out.minStableLatencySamples, 'analysis.minStableLatencySamples');
  return out;
}

/** Throws unless `value` is a finite number ≥ 0. */
export function nonNegative(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(`Expected \`${field}\` to be a non-negative number, got ${describe(value)}`, {
      field,
    });
  }
}

/** Throws unless `value` is a finite number > 0. */
export function positive(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(`Expected \`${field}\` to be a positive number, got ${describe(value)}`, {
      field,
    });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
