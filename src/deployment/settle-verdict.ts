import type { DriverContext } from './deployment-driver.js';
import type { Verdict } from './judge.js';
import type { Deployment } from './types.js';

/**
 * Acts on a step's verdict the way every strategy does: reports it, announces the first low-traffic
 * verdict of the step, rolls back on `fail` (with `reasonPrefix` before the judge's reason) and keeps
 * the latest figures on `inconclusive` (only the first low-traffic hold leaves an audit event).
 * Returns true when the verdict settled the tick, false on `pass` (the caller moves the rollout on).
 * @internal
 */
export async function settleVerdict(
  ctx: DriverContext,
  d: Deployment,
  verdict: Verdict,
  now: Date,
  reasonPrefix = '',
): Promise<boolean> {
  ctx.onVerdict(d, verdict);
  const firstLowTraffic =
    verdict.lowTraffic !== undefined &&
    !(d.lastVerdict?.lowTraffic && d.lastVerdict.at >= d.stepStartedAt.getTime());
  if (firstLowTraffic) ctx.onLowTraffic(d, verdict);
  if (verdict.verdict === 'fail') {
    await ctx.rollbacks.rollbackDeployment(
      d,
      { reason: `${reasonPrefix}${verdict.reason}`, trigger: 'automatic', actor: ctx.actor },
      { verdict },
    );
    return true;
  }
  if (verdict.verdict === 'inconclusive') {
    await ctx.store.transition(
      d,
      firstLowTraffic ? { lastVerdict: verdict, reason: verdict.reason } : { lastVerdict: verdict },
      ctx.actor,
      now,
    );
    return true;
  }
  return false;
}
