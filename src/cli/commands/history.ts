/**
 * `mms history query|stats|export|purge` and `mms reviews list|resolve`.
 * @module
 */
import { createWriteStream } from 'node:fs';
import type { LogFilter, StatsGroupBy } from '../../history/index.js';
import {
  EXIT,
  oneOf,
  parseCount,
  parseDuration,
  parseInstant,
  required,
  requireId,
  UsageError,
} from '../args.js';
import type { Command, Parsed } from '../context.js';
import { ms, pct, short, table, when } from '../output.js';

const FILTER_OPTIONS = {
  'use-case': { type: 'string' },
  model: { type: 'string' },
  deployment: { type: 'string' },
  variant: { type: 'string' },
  status: { type: 'string' },
  player: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;
const FILTER_USAGE =
  '[--use-case NAME] [--model ID] [--deployment ID] [--variant stable|candidate] [--status ok|error|…] [--player ID] [--from 7d|ISO] [--to ISO]';

function filterOf(values: Parsed['values']): LogFilter {
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const variant = oneOf(s('variant'), ['stable', 'candidate'] as const, '--variant');
  return {
    ...(s('use-case') && { useCase: s('use-case') }),
    ...(s('model') && { modelId: requireId(s('model'), 'model', '--model MODEL_ID') }),
    ...(s('deployment') && { deploymentId: s('deployment') }),
    ...(variant && { variant }),
    ...(s('status') && { status: s('status') as never }),
    ...(s('player') && { playerId: s('player') }),
    ...(s('from') && { from: parseInstant(s('from')!, '--from') }),
    ...(s('to') && { to: parseInstant(s('to')!, '--to') }),
  };
}

export const historyQuery: Command = {
  name: 'history query',
  usage: `mms history query ${FILTER_USAGE} [--limit 20] [--cursor C]`,
  summary: 'inference log entries, newest first',
  options: { ...FILTER_OPTIONS, limit: { type: 'string' }, cursor: { type: 'string' } },
  async run(ctx) {
    const filter = filterOf(ctx.args.values);
    const limit = parseCount(ctx.args.values.limit as string | undefined, '--limit', 1000) ?? 20;
    const cursor = ctx.args.values.cursor as string | undefined;
    const mm = await ctx.connect();
    const page = await mm.logProcessor.query({ ...filter, limit, ...(cursor && { cursor }) });
    if (ctx.out.json) ctx.out.data(page);
    else {
      ctx.out.line(
        table(ctx.out, [
          ['when', 'use case', 'model', 'variant', 'status', 'latency', 'violations', 'prompt'],
          ...page.items.map((e) => [
            when(e.createdAt),
            e.useCase,
            short(e.modelId),
            e.variant ?? '-',
            e.status,
            ms(e.latencyMs),
            String(e.violationCount),
            e.prompt.replace(/\s+/g, ' ').slice(0, 40),
          ]),
        ]),
      );
      if (page.nextCursor) ctx.out.line(`more: add --cursor ${page.nextCursor}`);
    }
    return EXIT.ok;
  },
};

const GROUPS: readonly StatsGroupBy[] = ['modelId', 'useCase', 'deploymentId', 'variant', 'status'];
export const historyStats: Command = {
  name: 'history stats',
  usage: `mms history stats ${FILTER_USAGE} [--group-by modelId|useCase|deploymentId|variant|status]`,
  summary: 'counts, error/fallback/blocked rates, latency percentiles, violation rates',
  options: { ...FILTER_OPTIONS, 'group-by': { type: 'string' } },
  async run(ctx) {
    const filter = filterOf(ctx.args.values);
    const groupBy = oneOf(ctx.args.values['group-by'] as string | undefined, GROUPS, '--group-by');
    const mm = await ctx.connect();
    const stats = await mm.logProcessor.stats({ ...filter, ...(groupBy && { groupBy }) });
    if (ctx.out.json) ctx.out.data(stats);
    else {
      const rows = [
        { key: 'all', ...stats },
        ...(stats.groups ?? []).map((g) => ({ ...g, key: g.key ?? '-' })),
      ];
      ctx.out.line(
        table(ctx.out, [
          [groupBy ?? '', 'count', 'errors', 'fallbacks', 'blocked', 'violations', 'p50', 'p95', 'p99'],
          ...rows.map((r) => [
            String(r.key),
            String(r.count),
            pct(r.errorRate),
            pct(r.fallbackRate),
            pct(r.blockedRate),
            pct(r.violationRate),
            ms(r.latencyMs.p50),
            ms(r.latencyMs.p95),
            ms(r.latencyMs.p99),
          ]),
        ]),
      );
    }
    return EXIT.ok;
  },
};

export const historyExport: Command = {
  name: 'history export',
  usage: `mms history export ${FILTER_USAGE} [--out data.jsonl] [--all] [--system-prompt TEXT]`,
  summary:
    'fine-tuning JSONL (clean calls only unless --all) to a file or stdout, with progress on a terminal',
  options: {
    ...FILTER_OPTIONS,
    out: { type: 'string' },
    all: { type: 'boolean' },
    'system-prompt': { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.args.values;
    const filter = filterOf(v);
    const mm = await ctx.connect();
    const file = typeof v.out === 'string' ? createWriteStream(v.out) : null;
    const sink: NodeJS.WritableStream = file ?? process.stdout;
    // On a terminal: a progress bar on stderr against the number of matching entries (an upper
    // bound: unclean ones are skipped), redrawn at most every 100 ms.
    const progress = process.stderr.isTTY === true && (file !== null || process.stdout.isTTY !== true);
    const total = progress ? (await mm.logProcessor.stats(filter)).count : 0;
    let drawnAt = 0;
    let lines = 0;
    for await (const line of mm.logProcessor.exportDataset({
      ...filter,
      onlyClean: v.all !== true,
      ...(typeof v['system-prompt'] === 'string' && { systemPrompt: v['system-prompt'] }),
    })) {
      if (!sink.write(line)) await new Promise<void>((r) => sink.once('drain', () => r()));
      lines++;
      if (progress && Date.now() - drawnAt > 100) {
        drawnAt = Date.now();
        process.stderr.write(`\r${bar(lines, total)}`);
      }
    }
    if (file)
      await new Promise<void>((resolve, reject) =>
        file.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
    if (progress) process.stderr.write(`\r${bar(total, total)} → ${lines} examples\n`);
    if (file) {
      if (ctx.out.json) ctx.out.data({ out: v.out, examples: lines });
      else ctx.out.line(`${lines} examples written to ${v.out}`);
    }
    return EXIT.ok;
  },
};

/** `[██████······]  52%  5,210 of ≤ 10,000 entries` */
function bar(done: number, total: number): string {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(share * 30);
  return `[${'█'.repeat(filled)}${'·'.repeat(30 - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  ${done.toLocaleString('en')} of ≤ ${total.toLocaleString('en')} entries`;
}

const PURGE = 'mms history purge --older-than 30d [--batch-size 1000]';
export const historyPurge: Command = {
  name: 'history purge',
  usage: PURGE,
  summary: 'deletes entries older than a duration, in batches (safe while logging)',
  options: { 'older-than': { type: 'string' }, 'batch-size': { type: 'string' } },
  async run(ctx) {
    const v = ctx.args.values;
    const age = parseDuration(
      required(v['older-than'] as string | undefined, '--older-than', PURGE),
      '--older-than',
    );
    if (age < 60_000)
      throw new UsageError(`--older-than ${v['older-than']} is under a minute`, '--older-than 30d');
    const batchSize = parseCount(v['batch-size'] as string | undefined, '--batch-size', 100_000);
    const olderThan = new Date(Date.now() - age);
    const mm = await ctx.connect();
    const { deleted } = await mm.logProcessor.purge({ olderThan, ...(batchSize && { batchSize }) });
    if (ctx.out.json) ctx.out.data({ deleted, olderThan });
    else ctx.out.line(`deleted ${deleted} entries created before ${when(olderThan)}`);
    return EXIT.ok;
  },
};

export const reviewsList: Command = {
  name: 'reviews list',
  usage:
    'mms reviews list [--status pending|resolved|not_required] [--severity critical] [--use-case NAME] [--limit 50] [--cursor C]',
  summary: 'the guardrails review queue, newest first (pending by default)',
  options: {
    status: { type: 'string' },
    severity: { type: 'string' },
    'use-case': { type: 'string' },
    model: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.args.values;
    const status = oneOf(
      (v.status as string | undefined) ?? 'pending',
      ['pending', 'resolved', 'not_required'] as const,
      '--status',
    );
    const severity = oneOf(
      v.severity as string | undefined,
      ['low', 'medium', 'high', 'critical'] as const,
      '--severity',
    );
    const limit = parseCount(v.limit as string | undefined, '--limit', 500);
    const mm = await ctx.connect();
    const page = await mm.guardrailsMonitor.reviews.list({
      ...(status && { status }),
      ...(severity && { severity }),
      ...(typeof v['use-case'] === 'string' && { useCase: v['use-case'] }),
      ...(typeof v.model === 'string' && { modelId: v.model }),
      ...(limit && { limit }),
      ...(typeof v.cursor === 'string' && { cursor: v.cursor }),
    });
    if (ctx.out.json) ctx.out.data(page);
    else {
      ctx.out.line(
        table(ctx.out, [
          ['id', 'when', 'severity', 'check', 'use case', 'status', 'excerpt'],
          ...page.items.map((r) => [
            r.id,
            when(r.createdAt),
            r.severity,
            r.checkId,
            r.useCase ?? '-',
            r.reviewStatus,
            r.excerpt.replace(/\s+/g, ' ').slice(0, 40),
          ]),
        ]),
      );
      if (page.nextCursor) ctx.out.line(`more: add --cursor ${page.nextCursor}`);
    }
    return EXIT.ok;
  },
};

const RESOLVE =
  'mms reviews resolve <violationId> --verdict confirmed|false_positive --reviewer NAME [--note TEXT]';
export const reviewsResolve: Command = {
  name: 'reviews resolve',
  usage: RESOLVE,
  summary: "records a reviewer's verdict on a violation",
  options: { verdict: { type: 'string' }, reviewer: { type: 'string' }, note: { type: 'string' } },
  maxPositionals: 1,
  async run(ctx) {
    const id = requireId(ctx.args.positionals[0], 'violation', RESOLVE);
    const v = ctx.args.values;
    const verdict = oneOf(
      required(v.verdict as string | undefined, '--verdict', RESOLVE),
      ['confirmed', 'false_positive'] as const,
      '--verdict',
    )!;
    const reviewer = required(v.reviewer as string | undefined, '--reviewer', RESOLVE);
    const mm = await ctx.connect();
    const record = await mm.guardrailsMonitor.reviews.resolve(id, {
      verdict,
      reviewer,
      ...(typeof v.note === 'string' && { note: v.note }),
    });
    if (ctx.out.json) ctx.out.data(record);
    else ctx.out.line(`violation ${record.id} resolved as ${record.verdict} by ${record.reviewer}`);
    return EXIT.ok;
  },
};
