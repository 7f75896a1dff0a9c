/**
 * `mms replay` and `mms replay list`: replays historic prompts of a use case's current model to a
 * candidate (`deployments.replay()`), prints the stored comparison; lists stored comparisons.
 * @module
 */
import type { MetricFigures, ReplayComparison } from '../../deployment/index.js';
import { EXIT, parseCount, parseInstant, required, requireId, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { compact, ms, type Output, paint, pct, short, table, when } from '../output.js';

const REPLAY =
  'mms replay --use-case NAME --model MODEL_ID [--from 7d] [--to ISO] [--sample 500] [--concurrency 8]';
export const replayCommand: Command = {
  name: 'replay',
  usage: REPLAY,
  summary:
    'replays historic prompts to a candidate and prints the stored comparison: exit 0 pass or inconclusive, 1 fail',
  options: {
    'use-case': { type: 'string' },
    model: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    sample: { type: 'string' },
    concurrency: { type: 'string' },
    actor: { type: 'string' },
  },
  checksText: true,
  async run(ctx) {
    const v = ctx.args.values;
    const useCase = required(v['use-case'] as string | undefined, '--use-case', REPLAY);
    const candidateModelId = requireId(v.model as string | undefined, 'model', REPLAY);
    const now = Date.now();
    const from = parseInstant(typeof v.from === 'string' ? v.from : '7d', '--from', now);
    const to = typeof v.to === 'string' ? parseInstant(v.to, '--to', now) : new Date(now);
    if (from.getTime() >= to.getTime())
      throw new UsageError(
        `the range is empty: --from ${from.toISOString()} is not before --to ${to.toISOString()}`,
        '--from 7d --to 1h (or ISO dates, the earlier one first)',
      );
    const sample = parseCount(v.sample as string | undefined, '--sample', 100_000);
    const concurrency = parseCount(v.concurrency as string | undefined, '--concurrency', 256);
    const mm = await ctx.connect();
    const c = await mm.deploymentManager.replay({
      useCase,
      candidateModelId,
      from,
      to,
      ...(sample !== undefined && { sample }),
      ...(concurrency !== undefined && { concurrency }),
      actor: (v.actor as string | undefined) ?? 'mms',
    });
    if (ctx.out.json) ctx.out.data(c);
    else ctx.out.line(renderComparison(ctx.out, c));
    return c.verdict.verdict === 'fail' ? EXIT.failed : EXIT.ok;
  },
};

export const replayList: Command = {
  name: 'replay list',
  usage: 'mms replay list [--use-case NAME] [--limit 20]',
  summary: 'stored replay comparisons, newest first',
  options: { 'use-case': { type: 'string' }, limit: { type: 'string' } },
  async run(ctx) {
    const v = ctx.args.values;
    const limit = parseCount(v.limit as string | undefined, '--limit', 1000) ?? 20;
    const mm = await ctx.connect();
    const items = await mm.deploymentManager.listReplays({
      ...(typeof v['use-case'] === 'string' && { useCase: v['use-case'] }),
      limit,
    });
    if (ctx.out.json) ctx.out.data({ items });
    else
      ctx.out.line(
        table(ctx.out, [
          ['id', 'use case', 'candidate', 'against', 'pairs', 'verdict', 'created'],
          ...items.map((c) => [
            c.id,
            c.useCase,
            short(c.candidateModelId),
            short(c.stableModelId),
            String(c.pairs),
            verdictText(ctx.out, c.verdict.verdict),
            when(c.createdAt),
          ]),
        ]),
      );
    return EXIT.ok;
  },
};

function verdictText(out: Pick<Output, 'color'>, verdict: string): string {
  return paint(out, verdict === 'pass' ? 'green' : verdict === 'fail' ? 'red' : 'yellow', verdict);
}

/** The comparison as a human reads it: what was replayed, the verdict and the figures per metric. */
export function renderComparison(out: Pick<Output, 'color'>, c: ReplayComparison): string {
  const figure = (m: MetricFigures, x: number | null) => (m.metric === 'latencyP95' ? ms(x) : pct(x, 2));
  return [
    `${paint(out, 'bold', `replay ${c.id}`)}  ${c.useCase}  by ${c.actor} at ${when(c.createdAt)}`,
    `candidate ${c.candidateModelId} against current ${c.stableModelId}`,
    `history ${when(c.from)} → ${when(c.to)}: ${c.scanned} rows read, ${c.skipped} not reusable, ${c.pairs} prompts replayed (${c.requestedSample} asked)`,
    '',
    table(out, [
      ['metric', 'candidate', 'previous', 'pairs', 'evidence', 'boundary', 'decision'],
      ...c.verdict.metrics.map((m) => [
        m.metric,
        figure(m, m.candidate),
        figure(m, m.stable),
        String(m.candidateSamples),
        compact(m.evidence),
        compact(m.evidenceNeeded),
        m.breached ? paint(out, 'red', 'breached') : 'within',
      ]),
    ]),
    '',
    `verdict: ${verdictText(out, c.verdict.verdict)}`,
    `reason: ${c.verdict.reason}`,
  ].join('\n');
}
