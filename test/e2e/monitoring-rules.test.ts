import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prometheusAvailable, promtool } from '../helpers/promtool.js';

const MONITORING = join(import.meta.dirname, '../../monitoring');
const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const rules = readFileSync(join(MONITORING, 'alerts.yml'), 'utf8');
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
