/**
 * The `shadow` strategy's steps in the driver: start (no player traffic moves: weight 0) and judge the
 * pairs recorded by every replica's router (`judgeShadow`). Pass ends the deployment `shadow_passed`;
 * fail rolls it back like any other strategy (verdict, events, audit trail).
 * @module
 */
import type { DriverContext } from './deployment-driver.js';
import { OutcomeAggregator } from './outcome-aggregator.js';
import { DEFAULT_SHADOW_MIN_PAIRS, DEFAULT_SHADOW_RATE } from './plan.js';
import { settleVerdict } from './settle-verdict.js';
import { judgeShadow } from './shadow-judge.js';
import { ShadowStore } from './shadow-store.js';
import type { Deployment } from './types.js';

/** `pending` → `progressing` at weight 0: the router starts sampling requests for the candidate. @internal */
export async function startShadow(ctx: DriverContext, d: Deployment): Promise<void> {
  const now = new Date(ctx.clock.now());
  const rate = d.plan.shadowRate ?? DEFAULT_SHADOW_RATE;
  await ctx.writer.update(d.id, (c) =>
    c.status === 'pending'
      ? {
          patch: {
            status: 'progressing',
            weight: 0,
            stepIndex: 0,
            stepStartedAt: now,
            reason: `Shadowing ${Math.round(rate * 1000) / 10}% of live requests to the candidate (players keep the previous model)`,
          },
          actor: ctx.actor,
        }
      : null,
  );
}

/** One look of the paired judge at a progressing shadow deployment. @internal */
export async function judgeShadowStep(ctx: DriverContext, d: Deployment): Promise<void> {
  const now = new Date(ctx.clock.now());
  const actor = ctx.actor;
  await ctx.router.flush();
  const windows = await new ShadowStore(ctx.store.db).windows(d.id);
  const stableWindows = await ctx.store.metrics(d.id, OutcomeAggregator.bucketCount);
  const verdict = judgeShadow({
    windows,
    startedAt: d.stepStartedAt.getTime(),
    now: now.getTime(),
    minPairs: d.plan.shadowMinPairs ?? DEFAULT_SHADOW_MIN_PAIRS,
    minDurationMs: d.plan.stepMinDurationMs,
    config: d.analysis,
    baselineModelId: d.stableModelId,
    stableWindows,
    ...(d.plan.stepMaxDurationMs !== undefined ? { maxDurationMs: d.plan.stepMaxDurationMs } : {}),
    onLowTraffic: d.plan.onLowTraffic ?? 'hold',
  });
  if (await settleVerdict(ctx, d, verdict, now, 'Shadow comparison failed: ')) return;
  await ctx.writer.update(d.id, (c) =>
    c.version === d.version
      ? {
          patch: {
            status: 'shadow_passed',
            lastVerdict: verdict,
            reason: `Shadow comparison passed: ${verdict.reason}`,
          },
          actor,
        }
      : null,
  );
}
