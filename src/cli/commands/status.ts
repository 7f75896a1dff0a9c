/**
 * `mms status [useCase]`: per use case the current model, the active deployment with its arms and the
 * judge's evidence, the last rollbacks, and the health of the database, registry and history.
 * Reads a handful of indexed rows: never scans the inference history.
 * @module
 */
import { sql } from 'kysely';
import type { ModelManagement } from '../../create-model-management.js';
import type { DeploymentReport, EvidenceFigure, Rollback } from '../../deployment/index.js';
import { ACTIVE_DEPLOYMENT_STATUSES, type Deployment } from '../../deployment/index.js';
import type { Model } from '../../registry/index.js';
import { EXIT, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { compact, ms, type Output, paint, pct, short, table, when } from '../output.js';

/** `mms status` as JSON (schema pinned by the CLI tests). */
export interface StatusJson {
  checkedAt: Date;
  database: { ok: boolean; latencyMs: number | null; error: string | null };
  registry: { ok: boolean; models: number; useCases: number };
  history: { ok: boolean; lastLoggedAt: Date | null; error: string | null };
  useCases: UseCaseStatus[];
}

/** One use case in `mms status`. */
export interface UseCaseStatus {
  useCase: string;
  current: ModelBrief | null;
  deployment: DeploymentBrief | null;
  rollbacks: RollbackBrief[];
}

/** The few fields of a model a status line shows. */
export interface ModelBrief {
  id: string;
  modelName: string;
  version: string;
  provider: string;
  status: string;
}

/** The active deployment in `mms status`. */
export interface DeploymentBrief {
  id: string;
  strategy: string;
  status: string;
  weight: number;
  step: number;
  steps: number;
  candidate: ModelBrief | null;
  arms: DeploymentReport['arms'];
  evidence: EvidenceFigure[];
  verdict: { kind: string | null; reason: string | null };
  updatedAt: Date;
  lease: { owner: string | null; expiresAt: Date | null };
}

/** A rollback in `mms status`. */
export interface RollbackBrief {
  id: string;
  trigger: string;
  status: string;
  reason: string;
  from: string | null;
  to: string | null;
  startedAt: Date;
  durationMs: number | null;
}

/** Picks the fields `mms` shows of a model. */
export function brief(m: Model | null): ModelBrief | null {
  return m
    ? { id: m.id, modelName: m.modelName, version: m.version, provider: m.provider, status: m.status }
    : null;
}

export const statusCommand: Command = {
  name: 'status',
  usage: 'mms status [useCase]',
  summary: 'current models, active deployments with their arms and evidence, last rollbacks, health',
  maxPositionals: 1,
  async run(ctx) {
    const only = ctx.args.positionals[0];
    const mm = await ctx.connect();
    if (
      only !== undefined &&
      (await mm.modelRegistry.listModels({ useCase: only, limit: 1 })).items.length === 0
    ) {
      throw new UsageError(`no model is registered for use case '${only}'`, 'mms status   (every use case)');
    }
    const report = await collect(mm, only);
    if (ctx.out.json) ctx.out.data(report);
    else print(ctx.out, report);
    return EXIT.ok;
  },
};

async function collect(mm: ModelManagement, only: string | undefined): Promise<StatusJson> {
  const started = performance.now();
  const ping = await sql`select 1`
    .execute(mm.db.kysely)
    .then(() => null)
    .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  const latencyMs = ping === null ? performance.now() - started : null;
  const snapshot = mm.modelRegistry.snapshot();
  const active = await mm.deploymentManager.listDeployments({ status: [...ACTIVE_DEPLOYMENT_STATUSES] });
  const names = new Set<string>([...snapshot.currentByUseCase.keys(), ...active.map((d) => d.useCase)]);
  if (only !== undefined) for (const n of [...names]) if (n !== only) names.delete(n);
  if (only !== undefined) names.add(only);
  const useCases = await Promise.all(
    [...names].sort().map(async (useCase): Promise<UseCaseStatus> => {
      const d = active.find((x) => x.useCase === useCase) ?? null;
      const [current, rollbacks, deployment] = await Promise.all([
        mm.modelRegistry.getCurrentModel(useCase),
        mm.rollbackManager.listRollbacks({ useCase, limit: 3 }),
        d ? deploymentBrief(mm, d) : null,
      ]);
      return { useCase, current: brief(current), deployment, rollbacks: rollbacks.map(rollbackBrief) };
    }),
  );
  // The newest entry by primary key (UUIDv7 is time-ordered): one index probe, not a scan.
  const last = await mm.logProcessor
    .query({ limit: 1 })
    .then((p) => ({ at: p.items[0] ? new Date(p.items[0].createdAt) : null, error: null }))
    .catch((e: unknown) => ({ at: null, error: e instanceof Error ? e.message : String(e) }));
  return {
    checkedAt: new Date(),
    database: { ok: ping === null, latencyMs, error: ping },
    registry: { ok: true, models: snapshot.models.size, useCases: snapshot.currentByUseCase.size },
    history: { ok: last.error === null, lastLoggedAt: last.at, error: last.error },
    useCases,
  };
}

async function deploymentBrief(mm: ModelManagement, d: Deployment): Promise<DeploymentBrief> {
  const r = await mm.deploymentManager.report(d.id);
  const v = d.lastVerdict as { verdict?: unknown; reason?: unknown } | null;
  return {
    id: d.id,
    strategy: d.strategy,
    status: d.status,
    weight: d.weight,
    step: d.stepIndex + 1,
    steps: d.strategy === 'canary' ? d.plan.steps.length : 1,
    candidate: brief(r.models.candidate),
    arms: r.arms,
    evidence: [...r.evidence],
    verdict: {
      kind: typeof v?.verdict === 'string' ? v.verdict : null,
      reason: typeof v?.reason === 'string' ? v.reason : null,
    },
    updatedAt: d.updatedAt,
    lease: { owner: d.leaseOwner, expiresAt: d.leaseExpiresAt },
  };
}

function rollbackBrief(r: Rollback): RollbackBrief {
  return {
    id: r.id,
    trigger: r.trigger,
    status: r.status,
    reason: r.reason,
    from: r.from,
    to: r.to,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
  };
}

function print(out: Output, s: StatusJson): void {
  const ok = (b: boolean) => (b ? paint(out, 'green', 'ok') : paint(out, 'red', 'NEEDS ATTENTION'));
  out.line(
    `database ${ok(s.database.ok)}${s.database.latencyMs !== null ? ` (${s.database.latencyMs.toFixed(1)} ms)` : ` ${s.database.error}`}` +
      `   registry ${ok(s.registry.ok)} (${s.registry.models} models, ${s.registry.useCases} use cases)` +
      `   history ${ok(s.history.ok)} (last entry ${when(s.history.lastLoggedAt)})`,
  );
  if (s.useCases.length === 0) out.line('\nNo use case has a model yet: `mms models register --help`.');
  for (const u of s.useCases) {
    out.line();
    const cur = u.current ? `${u.current.modelName} ${u.current.version} (${short(u.current.id)})` : 'none';
    out.line(`${paint(out, 'bold', u.useCase)}  current: ${cur}`);
    const d = u.deployment;
    if (d) {
      const cand = d.candidate ? `${d.candidate.modelName} ${d.candidate.version}` : short(d.id);
      out.line(
        `  deployment ${short(d.id)}  ${d.strategy}  ${paint(out, 'yellow', d.status)}  step ${d.step}/${d.steps}  weight ${d.weight}%  candidate ${cand}`,
      );
      out.line(indent(armTable(out, d.arms), 4));
      if (d.evidence.length > 0) out.line(indent(evidenceTable(out, d.evidence), 4));
      if (d.verdict.reason) out.line(`    judge: ${d.verdict.kind ?? '?'}: ${d.verdict.reason}`);
    } else out.line('  no active deployment');
    for (const r of u.rollbacks) {
      out.line(
        `  rollback ${short(r.id)} ${when(r.startedAt)} ${r.trigger} ${r.status} in ${ms(r.durationMs)}: ${r.reason}`,
      );
    }
  }
}

/** The two arms side by side. */
export function armTable(out: Pick<Output, 'color'>, arms: DeploymentReport['arms']): string {
  const row = (name: string, a: DeploymentReport['arms']['stable']) => [
    name,
    String(a.requests),
    pct(a.errorRate),
    ms(a.p95Ms),
    pct(a.violationRate),
    pct(a.criticalViolationRate, 2),
  ];
  return table(out, [
    ['arm', 'requests', 'errors', 'p95', 'violations', 'critical'],
    row('stable', arms.stable),
    row('candidate', arms.candidate),
  ]);
}

/** The judge's evidence per metric against its boundary. */
export function evidenceTable(out: Pick<Output, 'color'>, evidence: readonly EvidenceFigure[]): string {
  return table(out, [
    ['metric', 'candidate', 'stable', 'evidence', 'boundary', 'decision'],
    ...evidence.map((e) => {
      const latency = /latency/i.test(e.metric);
      const v = (x: number | null) => (latency ? ms(x) : pct(x, 2));
      const decision = e.decision === 'breached' ? paint(out, 'red', e.decision) : e.decision;
      return [e.metric, v(e.candidate), v(e.stable), compact(e.evidence), compact(e.boundary), decision];
    }),
  ]);
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}
