/**
 * The first, home-made text exposition of `metrics()` objects, kept for code that calls it. Every
 * series is a gauge and latencies are quantiles: use `PrometheusExporter` (`mm.prometheus`).
 * @module
 */

/** One part's metrics object: nested numbers and booleans; strings, nulls and arrays are skipped. */
export type MetricsTree = { readonly [key: string]: unknown };

const NAME_CHARS = /[^a-zA-Z0-9_]/g;

function metricName(parts: string[]): string {
  return parts
    .map((p) =>
      p
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(NAME_CHARS, '_')
        .toLowerCase(),
    )
    .join('_')
    .replace(/_+/g, '_');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
}

/**
 * @deprecated Use `PrometheusExporter` (`mm.prometheus.metrics()`): proper counters, histograms in
 * seconds and `# HELP`, which this flattening cannot give.
 *
 * Flattens metrics into gauges named `mms_<part>_<path>` (camelCase → snake_case). Arrays of objects
 * that carry string identity fields (e.g. guardrails metrics per `modelId`/`useCase`) become labelled
 * series. Serve the result on your `/metrics` endpoint with content type
 * `text/plain; version=0.0.4`.
 * @example
 * ```ts
 * app.get('/metrics', (_req, res) => res.type('text/plain').send(toPrometheus({ registry: registry.metrics() })));
 * ```
 */
export function toPrometheus(parts: Readonly<Record<string, unknown>>, prefix = 'mms'): string {
  const series = new Map<string, string[]>();
  const emit = (name: string, labels: Record<string, string>, value: number) => {
    const lines = series.get(name) ?? [];
    lines.push(`${name}${labelText(labels)} ${Number.isFinite(value) ? value : 0}`);
    series.set(name, lines);
  };
  const walk = (node: unknown, path: string[], labels: Record<string, string>) => {
    if (typeof node === 'number') emit(metricName(path), labels, node);
    else if (typeof node === 'boolean') emit(metricName(path), labels, node ? 1 : 0);
    else if (Array.isArray(node)) {
      for (const item of node) {
        if (typeof item !== 'object' || item === null) continue;
        const ids: Record<string, string> = {};
        for (const [k, v] of Object.entries(item)) if (typeof v === 'string') ids[metricName([k])] = v;
        walk(item, path, { ...labels, ...ids });
      }
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) walk(value, [...path, key], labels);
    }
  };
  for (const [part, metrics] of Object.entries(parts)) walk(metrics, [prefix, part], {});
  let out = '';
  for (const [name, lines] of series) out += `# TYPE ${name} gauge\n${lines.join('\n')}\n`;
  return out;
}
