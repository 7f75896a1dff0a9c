/**
 * `mms deploy start|pause|resume|promote|abort|watch|list` and `mms rollback`.
 * @module
 */
import type { ModelManagement } from '../../create-model-management.js';
import { DEPLOYMENT_STRATEGIES, type Deployment, isActiveStatus } from '../../deployment/index.js';
import { EXIT, oneOf, parseCount, parseDuration, readJsonFile, required, requireId } from '../args.js';
import type { Command } from '../context.js';
import { paint, short, table, when, width } from '../output.js';
import { armTable, evidenceTable } from './status.js';

const START =
  'mms deploy start --use-case NAME --model MODEL_ID --strategy canary|blue_green|all_at_once|shadow [--plan plan.json] [--reason TEXT]';
export const deployStart: Command = {
  name: 'deploy start',
  usage: START,
  summary: 'starts a deployment (any replica running the SDK drives it)',
  options: {
    'use-case': { type: 'string' },
    model: { type: 'string' },
    strategy: { type: 'string' },
    plan: { type: 'string' },
    analysis: { type: 'string' },
    reason: { type: 'string' },
    actor: { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.args.values;
    const useCase = required(v['use-case'] as string | undefined, '--use-case', START);
    const model = requireId(v.model as string | undefined, 'model', START);
    const strategy = oneOf(v.strategy as string | undefined, DEPLOYMENT_STRATEGIES, '--strategy');
    const plan = typeof v.plan === 'string' ? readJsonFile(v.plan, '--plan') : undefined;
    const analysis = typeof v.analysis === 'string' ? readJsonFile(v.analysis, '--analysis') : undefined;
    const mm = await ctx.connect();
    const d = await mm.deploymentManager.startDeployment({
      useCase,
      newModelId: model,
      ...(strategy && { strategy }),
      ...(plan !== undefined && { plan: plan as never }),
      ...(analysis !== undefined && { analysis: analysis as never }),
      actor: (v.actor as string | undefined) ?? 'mms',
      ...(typeof v.reason === 'string' && { reason: v.reason }),
    });
    if (ctx.out.json) ctx.out.data(d);
    else {
      ctx.out.line(`started ${d.strategy} deployment ${d.id} for ${d.useCase}`);
      ctx.out.line(`watch it: mms deploy watch ${d.id}`);
    }
    return EXIT.ok;
  },
};

export const deployList: Command = {
  name: 'deploy list',
  usage: 'mms deploy list [--use-case NAME] [--limit 20]',
  summary: 'deployments, newest first',
  options: { 'use-case': { type: 'string' }, limit: { type: 'string' } },
  async run(ctx) {
    const v = ctx.args.values;
    const limit = parseCount(v.limit as string | undefined, '--limit', 1000, 20) ?? 20;
    const mm = await ctx.connect();
    const items = await mm.deploymentManager.listDeployments({
      ...(typeof v['use-case'] === 'string' && { useCase: v['use-case'] }),
      limit,
    });
    if (ctx.out.json) ctx.out.data({ items });
    else
      ctx.out.line(
        table(ctx.out, [
          ['id', 'use case', 'strategy', 'status', 'weight', 'created', 'finished'],
          ...items.map((d) => [
            d.id,
            d.useCase,
            d.strategy,
            d.status,
            `${d.weight}%`,
            when(d.createdAt),
            when(d.finishedAt),
          ]),
        ]),
      );
    return EXIT.ok;
  },
};

function manual(name: 'pause' | 'resume' | 'promote' | 'abort', summary: string): Command {
  return {
    name: `deploy ${name}`,
    usage: `mms deploy ${name} <deploymentId> [--reason TEXT] [--actor NAME]`,
    summary,
    options: { reason: { type: 'string' }, actor: { type: 'string' } },
    maxPositionals: 1,
    async run(ctx) {
      const id = requireId(ctx.args.positionals[0], 'deployment', this.usage);
      const v = ctx.args.values;
      const mm = await ctx.connect();
      const options = {
        actor: (v.actor as string | undefined) ?? 'mms',
        ...(typeof v.reason === 'string' && { reason: v.reason }),
      };
      const d = await mm.deploymentManager[name](id, options);
      if (ctx.out.json) ctx.out.data(d);
      else ctx.out.line(`deployment ${d.id} is ${d.status} at ${d.weight}%`);
      return EXIT.ok;
    },
  };
}

export const deployPause = manual('pause', 'holds the current weight; analysis stops until resume');
export const deployResume = manual('resume', 'continues a paused deployment');
export const deployPromote = manual(
  'promote',
  'skips the remaining steps: the candidate becomes current now',
);
export const deployAbort = manual('abort', 'stops the deployment; the previous model serves again');

/** Exit code of `deploy watch` for a finished deployment. */
export function watchExitCode(d: Pick<Deployment, 'status'>): number {
  if (d.status === 'succeeded') return EXIT.ok;
  if (d.status === 'aborted') return EXIT.usage;
  return EXIT.failed;
}

const WATCH = 'mms deploy watch <deploymentId> [--interval 2s] [--timeout 1h]';
export const deployWatch: Command = {
  name: 'deploy watch',
  usage: WATCH,
  summary: 'live view until the deployment ends: exit 0 on success, 1 on rollback or failure, 2 on abort',
  options: { interval: { type: 'string' }, timeout: { type: 'string' } },
  maxPositionals: 1,
  async run(ctx) {
    const id = requireId(ctx.args.positionals[0], 'deployment', WATCH);
    const v = ctx.args.values;
    const interval = typeof v.interval === 'string' ? parseDuration(v.interval, '--interval') : 2000;
    const timeout =
      typeof v.timeout === 'string' ? parseDuration(v.timeout, '--timeout') : Number.POSITIVE_INFINITY;
    const mm = await ctx.connect();
    const started = Date.now();
    let drawn = 0;
    let lastLine = '';
    for (;;) {
      const r = await mm.deploymentManager.report(id);
      const d = r.deployment;
      const done = !isActiveStatus(d.status);
      if (ctx.out.json) {
        if (done) ctx.out.data({ deployment: d, verdict: r.verdict, arms: r.arms, evidence: r.evidence });
      } else if (ctx.out.tty) {
        const frame = renderFrame(ctx.out, r, done);
        // Redraw in place: move up over the previous frame and clear to the end of the screen.
        ctx.out.write(`${drawn > 0 ? `\x1b[${drawn}A\r\x1b[0J` : ''}${frame}\n`);
        // Rows on screen, counting lines the terminal wraps, so the next frame starts where this one did.
        const columns = process.stdout.columns || 80;
        drawn = frame.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(width(l) / columns)), 0);
      } else {
        const line = `${when(new Date())} ${d.status} step ${d.stepIndex + 1} weight ${d.weight}% candidate ${r.arms.candidate.requests} req`;
        if (line.slice(21) !== lastLine.slice(21) || done) ctx.out.line(line);
        lastLine = line;
        if (done) ctx.out.line(`${r.verdict.headline}${r.verdict.reason ? ` ${r.verdict.reason}` : ''}`);
      }
      if (done) return watchExitCode(d);
      if (Date.now() - started > timeout) {
        if (!ctx.out.json) ctx.out.line(`still ${d.status} after ${v.timeout}; stopped watching`);
        return EXIT.failed;
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  },
};

function renderFrame(
  out: { color: boolean },
  r: Awaited<ReturnType<ModelManagement['deployments']['report']>>,
  done: boolean,
): string {
  const d = r.deployment;
  const c = r.models.candidate;
  const s = r.models.stable;
  const steps =
    d.strategy === 'canary'
      ? d.plan.steps.map((w, i) => (i === d.stepIndex ? `[${w}%]` : `${w}%`)).join(' → ')
      : `${d.weight}%`;
  const colour =
    d.status === 'succeeded'
      ? 'green'
      : d.status === 'rolled_back' || d.status === 'failed' || d.status === 'rolling_back'
        ? 'red'
        : 'yellow';
  const bar = '█'.repeat(Math.round(d.weight / 5)).padEnd(20, '·');
  const lines = [
    `${paint(out, 'bold', `deployment ${d.id}`)}  ${d.useCase}  ${d.strategy}`,
    `${s ? `${s.modelName} ${s.version}` : '(none)'} → ${c ? `${c.modelName} ${c.version}` : short(d.candidateModelId)}`,
    `status ${paint(out, colour, d.status)}   weight ${d.weight}%  ${bar}   steps ${steps}`,
    '',
    armTable(out, r.arms),
    '',
    ...(r.evidence.length ? [evidenceTable(out, r.evidence), ''] : []),
    `verdict: ${paint(out, colour, r.verdict.headline)}`,
    ...(r.verdict.reason ? [`reason: ${r.verdict.reason}`] : []),
    done
      ? `finished ${when(d.finishedAt)}`
      : `updated ${when(d.updatedAt)}  (Ctrl-C stops watching; the deployment goes on)`,
  ];
  return lines.join('\n');
}

const ROLLBACK = 'mms rollback <useCase> --reason TEXT [--to MODEL_ID] [--actor NAME]';
export const rollbackCommand: Command = {
  name: 'rollback',
  usage: ROLLBACK,
  summary: 'rolls a use case back: its active deployment, else the current model to the one it replaced',
  options: { reason: { type: 'string' }, to: { type: 'string' }, actor: { type: 'string' } },
  maxPositionals: 1,
  async run(ctx) {
    const useCase = required(ctx.args.positionals[0], 'use case', ROLLBACK);
    const v = ctx.args.values;
    const reason = required(v.reason as string | undefined, '--reason', ROLLBACK);
    const to = typeof v.to === 'string' ? requireId(v.to, 'model', ROLLBACK) : undefined;
    const mm = await ctx.connect();
    const rb = await mm.rollbackManager.rollback(useCase, {
      reason,
      actor: (v.actor as string | undefined) ?? 'mms',
      ...(to && { toModelId: to }),
    });
    if (ctx.out.json) ctx.out.data(rb);
    else
      ctx.out.line(
        `rollback ${rb.id} ${rb.status}: ${useCase} is back on ${rb.to ?? '(none)'}${rb.durationMs !== null ? ` in ${Math.round(rb.durationMs)} ms` : ''}`,
      );
    return rb.status === 'failed' ? EXIT.failed : EXIT.ok;
  },
};
