/**
 * `mms report <deploymentId> [--out report.html]`: the rollout report as one self-contained HTML file.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT, requireId } from '../args.js';
import type { Command } from '../context.js';
import { renderReportHtml } from '../report-html.js';

const REPORT = 'mms report <deploymentId> [--out report.html]';
export const reportCommand: Command = {
  name: 'report',
  usage: REPORT,
  summary: 'writes the rollout report (self-contained HTML with charts) of a deployment',
  options: { out: { type: 'string' } },
  maxPositionals: 1,
  async run(ctx) {
    const id = requireId(ctx.args.positionals[0], 'deployment', REPORT);
    const out = resolve(
      typeof ctx.args.values.out === 'string' ? ctx.args.values.out : `deployment-${id}.html`,
    );
    const mm = await ctx.connect();
    const report = await mm.deploymentManager.report(id);
    await writeFile(out, await renderReportHtml(report));
    if (ctx.out.json) ctx.out.data({ out, verdict: report.verdict });
    else ctx.out.line(`${report.verdict.headline}\nreport written to ${out}`);
    return EXIT.ok;
  },
};
