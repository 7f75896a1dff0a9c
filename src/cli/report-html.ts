/**
 * The rollout report: one self-contained HTML file (inline SVG charts rendered headless by Vega-Lite,
 * inline CSS, no script, no network at view time) that prints well. Draws `DeploymentManager.report()`.
 * @module
 */
import type { DeploymentReport } from '../deployment/index.js';
import type { Model } from '../registry/index.js';

type Spec = Record<string, unknown>;

const COLORS = { stable: '#2f6db5', candidate: '#d9822b', threshold: '#c0392b', boundary: '#7f8c8d' };
const WIDTH = 760;

/** The charts of the report, in order: id, title, caption. */
export const REPORT_CHARTS = [
  [
    'chart-weight',
    'Traffic weight over time',
    'Candidate share of traffic; dashed lines mark step and status changes.',
  ],
  [
    'chart-error-rate',
    'Error rate per arm',
    'Share of failed requests per window; the red dashed line is what the candidate may reach.',
  ],
  [
    'chart-latency-p95',
    'p95 latency per arm',
    'p95 latency per window (ms); the red dashed line is the tolerated candidate p95.',
  ],
  [
    'chart-violation-rate',
    'Guardrail violation rate per arm',
    'Share of answers with a violation per window, with the threshold.',
  ],
  [
    'chart-critical-violation-rate',
    'Critical violation rate per arm',
    'Share of answers with a critical violation per window, with the threshold.',
  ],
  [
    'chart-evidence',
    "The judge's evidence per metric",
    'Evidence that the candidate is worse (log scale); a dot right of its boundary tick fails the metric.',
  ],
  [
    'chart-exposure',
    'Players exposed to the candidate',
    'Requests the candidate served so far (area) and the share of players routed to it (line, %).',
  ],
] as const;

/**
 * Renders the report as one HTML document.
 * @example
 * ```ts
 * const html = await renderReportHtml(await mm.deploymentManager.report(id));
 * ```
 */
export async function renderReportHtml(r: DeploymentReport): Promise<string> {
  const specs = chartSpecs(r);
  const svgs = await Promise.all(REPORT_CHARTS.map(([id]) => toSvg(specs[id]!)));
  const d = r.deployment;
  const name = (m: Model | null, fallback: string) => (m ? `${m.modelName} ${m.version}` : fallback);
  const title = `Deployment ${d.id} — ${d.useCase}: ${name(r.models.stable, 'no previous model')} → ${name(r.models.candidate, d.candidateModelId)}`;
  const tone =
    r.verdict.outcome === 'success' ? 'good' : r.verdict.outcome === 'in progress' ? 'info' : 'bad';
  const figures = REPORT_CHARTS.map(
    ([id, heading, caption], i) =>
      `<figure id="${id}"><h3>${esc(heading)}</h3>${svgs[i]}<figcaption>${esc(caption)}</figcaption></figure>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">${esc(d.strategy.replace(/_/g, '-'))} · started ${esc(iso(d.createdAt))} by ${esc(d.actor)} · ${d.finishedAt ? `ended ${esc(iso(d.finishedAt))}` : 'still running'} · report made ${esc(iso(r.generatedAt))}</p>
<section id="verdict" class="verdict ${tone}">
<h2>Verdict: ${esc(r.verdict.outcome)}</h2>
<p class="headline">${esc(r.verdict.headline)}</p>
${r.verdict.reason ? `<p class="reason">${esc(r.verdict.reason)}</p>` : ''}
</section>
<section id="next"><h2>What to do next</h2><ol>${r.nextSteps.map((s) => `<li>${code(s)}</li>`).join('')}</ol></section>
</header>
<main>
<section id="charts"><h2>The rollout in pictures</h2>
${figures}
</section>
<section id="models"><h2>Models compared</h2>${modelsTable(r)}</section>
<section id="plan"><h2>The plan</h2>${planTable(r)}</section>
<section id="timeline"><h2>Timeline</h2>${timelineTable(r)}</section>
</main>
<footer>model-management-sdk · <code>mms report ${esc(d.id)}</code> · everything above comes from the database only</footer>
</body></html>
`;
}

async function toSvg(spec: Spec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function iso(d: Date | string | null): string {
  return d
    ? new Date(d)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : '-';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escapes, then renders `backticked` parts as code. */
function code(s: string): string {
  return esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');
}

const base = (title: string, height = 170): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  width: WIDTH,
  height,
  background: 'white',
  title: { text: title, anchor: 'start', fontSize: 13 },
  config: {
    font: 'Helvetica, Arial, sans-serif',
    axis: { labelFontSize: 11, titleFontSize: 11 },
    legend: { orient: 'top', title: null },
  },
});

const time = { field: 'at', type: 'temporal', title: null, axis: { format: '%H:%M:%S', labelAngle: 0 } };
const arms = {
  field: 'variant',
  type: 'nominal',
  scale: { domain: ['stable', 'candidate'], range: [COLORS.stable, COLORS.candidate] },
};

function chartSpecs(r: DeploymentReport): Record<string, Spec> {
  const specs: Record<string, Spec> = {};
  const weight = r.weight.map((p) => ({ at: iso8601(p.at), weight: p.weight, status: p.status }));
  const boundaries = r.weight
    .filter((p) => p.boundary)
    .map((p) => ({ at: iso8601(p.at), label: `${p.status} ${p.weight}%` }));
  specs['chart-weight'] = {
    ...base('Candidate traffic weight (%)'),
    layer: [
      {
        data: { values: boundaries },
        mark: { type: 'rule', strokeDash: [4, 4], color: COLORS.boundary },
        encoding: { x: time },
      },
      {
        data: { values: weight },
        mark: {
          type: 'line',
          interpolate: 'step-after',
          color: COLORS.candidate,
          strokeWidth: 2.5,
          point: true,
        },
        encoding: {
          x: time,
          y: { field: 'weight', type: 'quantitative', title: 'weight %', scale: { domain: [0, 100] } },
        },
      },
    ],
  };
  const metrics = [
    ['chart-error-rate', 'errorRate', 'errorRate', 'error rate', true],
    ['chart-latency-p95', 'p95Ms', 'latencyP95', 'p95 ms', false],
    ['chart-violation-rate', 'violationRate', 'violationRate', 'violation rate', true],
    [
      'chart-critical-violation-rate',
      'criticalViolationRate',
      'criticalViolationRate',
      'critical rate',
      true,
    ],
  ] as const;
  for (const [id, field, metric, label, rate] of metrics) {
    const values = r.series
      .filter((s) => s[field] !== null && s.requests > 0)
      .map((s) => ({ at: iso8601(s.at), variant: s.variant, value: s[field] }));
    const thresholds = r.thresholds
      .filter((t) => t.metric === metric)
      .map((t) => ({ at: iso8601(t.at), value: t.value, variant: 'threshold' }));
    const y = {
      field: 'value',
      type: 'quantitative',
      title: label,
      ...(rate && { axis: { format: '.1%' } }),
    };
    specs[id] = {
      ...base(`${label} per window`, 150),
      layer: [
        {
          data: { values },
          mark: { type: 'line', point: true, strokeWidth: 2 },
          encoding: { x: time, y, color: { ...arms, title: null } },
        },
        {
          data: { values: thresholds },
          mark: { type: 'line', strokeDash: [6, 4], color: COLORS.threshold, strokeWidth: 1.5 },
          encoding: { x: time, y },
        },
      ],
    };
  }
  const evidence = r.evidence.map((e) => ({
    metric: e.metric,
    evidence: clamp(e.evidence),
    boundary: clamp(e.boundary),
    decision: e.decision,
    label: `${e.decision} (evidence ${fmt(e.evidence)} / boundary ${fmt(e.boundary)})`,
  }));
  const x = {
    type: 'quantitative',
    title: 'evidence (e-value, log scale)',
    scale: { type: 'log', domain: [0.001, 1e6], clamp: true },
  };
  specs['chart-evidence'] = {
    ...base('Evidence against "candidate within thresholds"', Math.max(60, 32 * evidence.length)),
    data: { values: evidence },
    encoding: { y: { field: 'metric', type: 'nominal', title: null, sort: null } },
    layer: [
      { mark: { type: 'rule', color: '#ddd' }, encoding: { x: { ...x, datum: 0.001 }, x2: { datum: 1e6 } } },
      {
        mark: { type: 'tick', color: COLORS.threshold, thickness: 3, size: 22 },
        encoding: { x: { ...x, field: 'boundary' } },
      },
      {
        mark: { type: 'point', filled: true, size: 140 },
        encoding: {
          x: { ...x, field: 'evidence' },
          color: {
            field: 'decision',
            type: 'nominal',
            scale: { domain: ['within', 'breached'], range: ['#27ae60', COLORS.threshold] },
            title: null,
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 10, dy: -10, fontSize: 10 },
        encoding: { x: { ...x, field: 'evidence' }, text: { field: 'label' } },
      },
    ],
  };
  const exposure = r.exposure.map((p) => ({ at: iso8601(p.at), requests: p.candidateRequests }));
  specs['chart-exposure'] = {
    ...base('Candidate exposure', 150),
    width: WIDTH - 60,
    encoding: { x: time },
    layer: [
      {
        data: { values: exposure },
        mark: { type: 'area', color: COLORS.candidate, opacity: 0.35, interpolate: 'monotone' },
        encoding: { y: { field: 'requests', type: 'quantitative', title: 'candidate requests' } },
      },
      {
        // Sticky bucketing: the share of players routed to the candidate is the traffic weight.
        data: { values: weight },
        mark: { type: 'line', color: COLORS.stable, interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          y: {
            field: 'weight',
            type: 'quantitative',
            title: 'players on candidate %',
            scale: { domain: [0, 100] },
          },
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  };
  return specs;
}

function iso8601(d: Date): string {
  return new Date(d).toISOString();
}

function clamp(v: number | null): number | null {
  return v === null ? null : Math.min(1e6, Math.max(0.001, v));
}

function fmt(v: number | null): string {
  if (v === null) return '-';
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 0.01)
    ? v.toExponential(1)
    : String(Math.round(v * 100) / 100);
}

function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(2)}%`;
}

function modelsTable(r: DeploymentReport): string {
  const row = (label: string, m: Model | null, a: DeploymentReport['arms']['stable']) =>
    `<tr><th>${label}</th><td>${m ? esc(`${m.modelName} ${m.version}`) : '-'}</td><td>${m ? esc(m.provider) : '-'}</td><td>${m ? esc(m.status) : '-'}</td><td class="n">${a.requests}</td><td class="n">${pct(a.errorRate)}</td><td class="n">${a.p95Ms === null ? '-' : `${Math.round(a.p95Ms)} ms`}</td><td class="n">${pct(a.violationRate)}</td><td class="n">${pct(a.criticalViolationRate)}</td><td class="n">${pct(a.fallbackRate)}</td><td><code>${m ? esc(m.id) : '-'}</code></td></tr>`;
  return `<table><thead><tr><th></th><th>model</th><th>provider</th><th>status now</th><th>requests</th><th>errors</th><th>p95</th><th>violations</th><th>critical</th><th>fallbacks</th><th>id</th></tr></thead><tbody>${row('stable', r.models.stable, r.arms.stable)}${row('candidate', r.models.candidate, r.arms.candidate)}</tbody></table>`;
}

function planTable(r: DeploymentReport): string {
  const d = r.deployment;
  const p = d.plan;
  const rows: Array<[string, string]> = [
    ['strategy', d.strategy.replace(/_/g, '-')],
    ...(d.strategy === 'canary'
      ? ([
          ['steps', p.steps.map((w) => `${w}%`).join(' → ')],
          [
            'each step at least',
            `${p.stepMinDurationMs / 1000} s and ${p.stepMinSamples} candidate requests`,
          ],
        ] as Array<[string, string]>)
      : [
          ['rollback window', `${p.rollbackWindowMs / 1000} s under analysis after the switch`] as [
            string,
            string,
          ],
        ]),
  ];
  for (const [metric, t] of Object.entries(d.analysis ?? {})) {
    if (typeof t === 'object' && t !== null)
      rows.push([
        `threshold: ${metric}`,
        Object.entries(t)
          .map(([k, v]) => `${k} ${String(v)}`)
          .join(', '),
      ]);
    else rows.push([metric, String(t)]);
  }
  return `<table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
}

function timelineTable(r: DeploymentReport): string {
  const events = r.events
    .map(
      (e) =>
        `<tr><td>${esc(iso(e.at))}</td><td>${esc(e.fromStatus ?? '—')} → <b>${esc(e.toStatus)}</b></td><td class="n">${e.weight}%</td><td>${esc(e.actor)}</td><td>${esc(e.reason ?? '')}</td></tr>`,
    )
    .join('');
  const rollbacks = r.rollbacks
    .map(
      (b) =>
        `<tr><td>${esc(iso(b.startedAt))}</td><td>rollback (${esc(b.trigger)}) <b>${esc(b.status)}</b></td><td class="n">${b.durationMs === null ? '-' : `${Math.round(b.durationMs)} ms`}</td><td>${esc(b.actor)}</td><td>${esc(b.reason)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>when</th><th>transition</th><th>weight</th><th>actor</th><th>reason</th></tr></thead><tbody>${events}${rollbacks}</tbody></table>`;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #1d2329; margin: 24px auto; max-width: 860px; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #e3e6ea; padding-bottom: 4px; }
h3 { font-size: 13px; margin: 0 0 4px; color: #4a5560; }
.meta { color: #5d6975; margin: 0 0 12px; }
.verdict { border-left: 6px solid; padding: 8px 14px; border-radius: 4px; }
.verdict h2 { border: 0; margin: 0 0 4px; text-transform: capitalize; }
.verdict.good { border-color: #27ae60; background: #eefaf2; }
.verdict.bad { border-color: #c0392b; background: #fdf0ee; }
.verdict.info { border-color: #2f6db5; background: #eef4fb; }
.headline { font-size: 15px; font-weight: bold; margin: 0; }
.reason { margin: 4px 0 0; }
figure { margin: 0 0 18px; break-inside: avoid; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #5d6975; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; break-inside: auto; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eceff2; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
table.kv th { width: 30%; }
code { font-family: Menlo, Consolas, monospace; font-size: 12px; background: #f3f5f7; padding: 0 3px; border-radius: 3px; }
footer { margin-top: 28px; color: #8a949e; font-size: 11px; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
@page { size: A4; margin: 14mm; }
`;
