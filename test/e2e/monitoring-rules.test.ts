import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModelManagement } from '../../src/index.js';
import { prometheusAvailable, promtool } from '../helpers/promtool.js';

const MONITORING = join(import.meta.dirname, '../../monitoring');
const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const rules = readFileSync(join(MONITORING, 'alerts.yml'), 'utf8');
const dashboard = readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8');
const alerts = [...rules.matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]!);

describe('shipped alerting rules (monitoring/alerts.yml)', () => {
  it('cover the host guide alerts, and each has a runbook paragraph in the README', () => {
    expect(alerts).toEqual(
      expect.arrayContaining([
        'MMSRegistryUnavailable',
        'MMSLoggingFailureRateHigh',
        'MMSDeploymentFailed',
        'MMSCriticalGuardrailViolation',
        'MMSHistorySpoolBacklogGrowing',
        'MMSHistoryQueueNearBound',
        'MMSProviderCircuitOpen',
        'MMSReviewQueueGrowing',
      ]),
    );
    for (const alert of alerts) {
      expect(rules).toContain(`runbook_url: "README.md#runbook-${alert.toLowerCase()}"`);
      expect(README).toMatch(new RegExp(`^#### Runbook: ${alert}$`, 'm'));
    }
  });

  it.runIf(prometheusAvailable())('pass promtool check rules and promtool test rules', () => {
    const check = promtool(['check', 'rules', join(MONITORING, 'alerts.yml')]);
    expect(check.output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(check.status).toBe(0);
    const test = promtool(['test', 'rules', join(MONITORING, 'alerts.test.yml')]);
    expect(test.output).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });
});

/** Metric names a PromQL text refers to (histogram series folded to the histogram's name). */
function metricNames(text: string): Set<string> {
  return new Set([...text.matchAll(/\bmms_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
}

describe('shipped monitoring assets refer to series the exporter writes', () => {
  it('every metric in the rules and the Grafana dashboard is in the exposition', async () => {
    const mm = await createModelManagement({ db: { memory: true } });
    try {
      const exposed = new Set([...(await mm.toPrometheus()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const used = new Set([...metricNames(rules), ...metricNames(dashboard)]);
      expect(used.size).toBeGreaterThan(20);
      for (const name of used) expect(exposed.has(name), name).toBe(true);
    } finally {
      await mm.close();
    }
  });

  it('the dashboard is a Grafana dashboard with the fleet panels', () => {
    const d = JSON.parse(dashboard) as { uid: string; panels: Array<{ title: string; type: string }> };
    expect(d.uid).toBe('mms-fleet');
    const titles = d.panels.map((p) => p.title).join('\n');
    for (const expected of [
      /by model and arm/,
      /p95 latency by arm/,
      /Error rate by arm/,
      /violation rates/,
      /Active rollouts/,
      /Rollbacks/,
      /Log write failure/,
    ]) {
      expect(titles).toMatch(expected);
    }
  });
});
