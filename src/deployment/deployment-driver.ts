import { isRetryable } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { inSpan, OTEL_ATTRIBUTES, OTEL_SPANS } from '../internal/tracing.js';
import type { DeploymentStore } from './deployment-store.js';
import type { DeploymentWriter } from './deployment-writer.js';
import { judge, type Verdict } from './judge.js';
import { OutcomeAggregator } from './outcome-aggregator.js';
import type { DeploymentRegistry, Model } from './registry-port.js';
import type { RollbackManager } from './rollback-manager.js';
import { settleVerdict } from './settle-verdict.js';
import { judgeShadowStep, startShadow } from './shadow-step.js';
import type { TrafficRouter } from './traffic-router.js';
import type { Deployment, DeploymentStatus } from './types.js';

/** An interrupted rollback is resumed by the driver after this long without progress. */
export const STALE_ROLLBACK_MS = 30_000;

/** Result of a host-supplied validation of a candidate before a blue-green switch. */
export type ValidationResult = boolean | { ok: boolean; reason?: string };

/** Host-supplied smoke test of a candidate (blue-green). */
export type ValidateModel = (model: Model) => Promise<ValidationResult> | ValidationResult;

/** What the driver needs from its manager. @internal */
export interface DriverContext {
  store: DeploymentStore;
  writer: DeploymentWriter;
  registry: DeploymentRegistry;
  router: TrafficRouter;
  rollbacks: RollbackManager;
  clock: Clock;
  validate: ValidateModel | undefined;
  actor: string;
  onVerdict(d: Deployment, v: Verdict): void;
  /** Called once per step when it reaches its maximum duration without its minimum samples. */
  onLowTraffic(d: Deployment, v: Verdict): void;
  onError(d: Deployment, error: unknown): void;
}

/**
 * Takes (or renews) the driving lease of deployment `id` for `owner` and, if granted, advances it one
 * state. Returns the status change it made, or null (lease held elsewhere, nothing changed).
 * @internal
 */
export async function driveOnce(
  ctx: DriverContext,
  id: string,
  owner: string,
  leaseMs: number,
): Promise<{ from: DeploymentStatus; after: Deployment } | null> {
  if (!(await ctx.store.acquireLease(id, owner, new Date(ctx.clock.now()), leaseMs))) return null;
  const fresh = await ctx.store.get(id);
  if (!fresh) return null;
  await advance(ctx, fresh);
  const after = await ctx.store.get(id);
  return after && after.version !== fresh.version && after.status !== fresh.status
    ? { from: fresh.status, after }
    : null;
}

/**
 * Moves one deployment forward by at most one state, from its persisted state. Idempotent: a replica
 * taking over after a crash continues from whatever the last one committed.
 * @internal
 */
export async function advance(ctx: DriverContext, d: Deployment): Promise<void> {
  try {
    await step({ ...ctx, writer: tracedWriter(ctx.writer, d) }, d);
  } catch (error) {
    ctx.onError(d, error);
    if (isRetryable(error)) return; // the database is away: try again on the next tick
    const fresh = await ctx.store.get(d.id);
    if (
      fresh &&
      fresh.status !== 'rolling_back' &&
      ['pending', 'validating', 'progressing', 'promoting'].includes(fresh.status)
    ) {
      await ctx.rollbacks.rollbackDeployment(fresh, {
        reason: `Error while deploying: ${error instanceof Error ? error.message : String(error)}`,
        trigger: 'automatic',
        actor: ctx.actor,
      });
    }
  }
}

/** The step's writer, with a `mms.deployment.transition` span around each state change (OpenTelemetry). */
function tracedWriter(writer: DeploymentWriter, d: Deployment): DeploymentWriter {
  const traced = Object.create(writer) as DeploymentWriter;
  traced.update = (id, decide) =>
    inSpan(
      OTEL_SPANS.DEPLOYMENT_TRANSITION,
      {
        [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_ID]: d.id,
        [OTEL_ATTRIBUTES.MMS_USE_CASE]: d.useCase,
        [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_STRATEGY]: d.strategy,
        'mms.deployment.from_status': d.status,
      },
      async (span) => {
        const next = await writer.update(id, decide);
        span.setAttributes({
          [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_STATUS]: next.status,
          'mms.deployment.weight': next.weight,
        });
        return next;
      },
    );
  return traced;
}

async function step(ctx: DriverContext, d: Deployment): Promise<void> {
  const now = new Date(ctx.clock.now());
  const actor = ctx.actor;
  switch (d.status) {
    case 'pending': {
      if (d.strategy === 'shadow') {
        await startShadow(ctx, d);
      } else if (d.strategy === 'blue_green') {
        await ctx.writer.update(d.id, (c) =>
          c.status === 'pending' ? { patch: { status: 'validating' }, actor } : null,
        );
      } else if (d.strategy === 'canary') {
        const weight = d.plan.steps[0]!;
        await ctx.writer.update(d.id, (c) =>
          c.status === 'pending'
            ? {
                patch: {
                  status: 'progressing',
                  weight,
                  stepIndex: 0,
                  stepStartedAt: now,
                  reason: `Canary step 1 at ${weight}%`,
                },
                actor,
              }
            : null,
        );
      } else {
        await switchToCandidate(ctx, d, 'all-at-once switch');
      }
      return;
    }
    case 'validating': {
      const model = await ctx.registry.getModel(d.candidateModelId);
      let result: ValidationResult = true;
      let reason = 'No validator configured; validation skipped';
      if (ctx.validate) {
        try {
          result = await ctx.validate(model);
          reason = typeof result === 'object' && result.reason ? result.reason : 'validator returned';
        } catch (error) {
          result = {
            ok: false,
            reason: `validator threw: ${error instanceof Error ? error.message : String(error)}`,
          };
        }
      }
      const ok = typeof result === 'boolean' ? result : result.ok;
      if (!ok) {
        const why = typeof result === 'object' && result.reason ? result.reason : 'validator returned false';
        await ctx.rollbacks.rollbackDeployment(d, {
          reason: `Validation failed: ${why}`,
          trigger: 'automatic',
          actor,
        });
        return;
      }
      await switchToCandidate(ctx, d, `Validation passed (${reason})`);
      return;
    }
    case 'progressing': {
      if (d.strategy === 'shadow') return judgeShadowStep(ctx, d);
      await ctx.router.flush();
      const windows = await ctx.store.metrics(d.id, OutcomeAggregator.bucketCount);
      const canary = d.strategy === 'canary';
      const verdict = judge({
        windows,
        stepStartedAt: d.stepStartedAt.getTime(),
        now: now.getTime(),
        minDurationMs: canary ? d.plan.stepMinDurationMs : d.plan.rollbackWindowMs,
        minSamples: canary ? d.plan.stepMinSamples : 0,
        config: d.analysis,
        baselineModelId: d.stableModelId,
        ...(canary && d.plan.stepMaxDurationMs !== undefined
          ? { maxDurationMs: d.plan.stepMaxDurationMs }
          : {}),
        onLowTraffic: d.plan.onLowTraffic ?? 'hold',
      });
      if (await settleVerdict(ctx, d, verdict, now)) return;
      if (canary && d.stepIndex < d.plan.steps.length - 1) {
        const i = d.stepIndex + 1;
        const weight = d.plan.steps[i]!;
        await ctx.writer.update(d.id, (c) =>
          c.version === d.version
            ? {
                patch: {
                  weight,
                  stepIndex: i,
                  stepStartedAt: now,
                  lastVerdict: verdict,
                  reason: `Step ${i + 1} at ${weight}%: ${verdict.reason}`,
                },
                actor,
              }
            : null,
        );
        return;
      }
      if (canary) {
        await ctx.writer.update(d.id, (c) =>
          c.version === d.version
            ? { patch: { status: 'promoting', lastVerdict: verdict, reason: verdict.reason }, actor }
            : null,
        );
        return;
      }
      await ctx.writer.update(d.id, (c) =>
        c.version === d.version
          ? {
              patch: {
                status: 'succeeded',
                lastVerdict: verdict,
                reason: `Rollback window passed: ${verdict.reason}`,
              },
              actor,
            }
          : null,
      );
      return;
    }
    case 'promoting': {
      if (!d.switched) {
        await ctx.registry.updateModelStatus(d.candidateModelId, 'current', {
          reason: `Promoted by deployment ${d.id}`,
          actor,
        });
      }
      const after = await ctx.writer.update(d.id, (c) =>
        c.status === 'promoting'
          ? { patch: { status: 'succeeded', switched: true, weight: 100, reason: 'Promoted' }, actor }
          : null,
      );
      await restoreStableIfEnded(ctx.registry, after, 'Deployment ended while promoting', actor);
      return;
    }
    case 'rolling_back': {
      // A replica died mid-rollback: finish it (only when nobody touched it for a while).
      if (now.getTime() - d.updatedAt.getTime() < STALE_ROLLBACK_MS) return;
      await ctx.rollbacks.rollbackDeployment(
        d,
        { reason: d.reason ?? 'Resuming an interrupted rollback', trigger: 'automatic', actor },
        { resume: true },
      );
      return;
    }
    default:
      return;
  }
}

async function switchToCandidate(ctx: DriverContext, d: Deployment, reason: string): Promise<void> {
  const now = new Date(ctx.clock.now());
  if (!d.switched) {
    await ctx.registry.updateModelStatus(d.candidateModelId, 'current', {
      reason: `${reason} (deployment ${d.id})`,
      actor: ctx.actor,
    });
  }
  const after = await ctx.writer.update(d.id, (c) =>
    c.status === d.status
      ? {
          patch: { status: 'progressing', weight: 100, switched: true, stepStartedAt: now, reason },
          actor: ctx.actor,
        }
      : null,
  );
  // Aborted while we switched: the abort already looked at the registry, so undo our switch here.
  await restoreStableIfEnded(ctx.registry, after, 'Deployment ended while switching', ctx.actor);
}

/**
 * After a deployment ended without success (`aborted`, `failed`): if its candidate is still current
 * and there is a previous model, makes that model current again (the candidate becomes `standby`).
 * A no-op for active or succeeded deployments. Rollbacks restore on their own and are not touched here.
 * @internal
 */
export async function restoreStableIfEnded(
  registry: DeploymentRegistry,
  d: Deployment,
  reason: string,
  actor: string,
): Promise<void> {
  if (d.status !== 'aborted' && d.status !== 'failed') return;
  if (!d.stableModelId) return;
  const candidate = await registry.getModel(d.candidateModelId);
  if (candidate.status !== 'current') return;
  await registry.updateModelStatus(d.stableModelId, 'current', { reason, actor });
}
