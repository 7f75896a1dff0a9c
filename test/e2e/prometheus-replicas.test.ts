/**
 * Two replicas of examples/http-service.ts on one PostgreSQL schema, scraped by a real Prometheus
 * server (loopback only, its own port and temp dir, 1 s scrape and rule evaluation, the shipped
 * alerting rules loaded). A canary is driven through the replicas; what Prometheus computes across
 * both must match what the canary judge saw.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricName } from '../../src/deployment/index.js';
import { createModelManagement, type ModelManagement, type Verdict } from '../../src/index.js';
import { REQUEST_BUCKETS_SECONDS } from '../../src/observability/prometheus.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { registerNpc } from '../helpers/models.js';
import { prometheusAvailable, promtool } from '../helpers/promtool.js';

const ROOT = join(import.meta.dirname, '../..');
const USE_CASE = 'interaction_layer'; // the use case the example service answers
const WINDOW_MS = 10_000; // the router's default metrics window
const REQUESTS = 400;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a child process and resolves once a line of its output matches `ready`. */
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start in 60 s:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}:\n${output}`));
    });
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.runIf(prometheusAvailable() && TEST_DATABASE_URL)(
  'Prometheus across two replicas of the example service',
  () => {
    const schema = uniqueSchema('obs');
    const dir = mkdtempSync(join(tmpdir(), 'mms-prometheus-'));
    const replicas: ChildProcess[] = [];
    const ports: number[] = [];
    let prometheus: ChildProcess | undefined;
    let promUrl = '';
    let mm: ModelManagement;
    let deploymentId = '';

    /** Result vector of an instant PromQL query. */
    async function query(
      expr: string,
    ): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: [] } };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      return body.data.result;
    }

    /** `{ stable: x, candidate: y }` from a query grouped by variant. */
    async function byVariant(expr: string): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const r of await query(expr)) out[r.metric.variant!] = Number(r.value[1]);
      return out;
    }

    async function talk(port: number, playerId: string, text: string) {
      const res = await fetch(`http://127.0.0.1:${port}/talk`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ playerId, text }),
      });
      // 503 when every source failed (the candidate, then stable): counted as an error of its arm.
      expect([200, 503]).toContain(res.status);
      return (await res.json()) as { variant?: string | null; source?: string };
    }

    beforeAll(async () => {
      const db = { connectionString: TEST_DATABASE_URL!, schema };
      mm = await createModelManagement({ db, deployments: { drive: false } });
      const stable = await registerNpc(mm.registry, USE_CASE, '1', {
        endpoint: 'http://simulated.invalid/stable', // a circuit breaker of its own
        seed: 'stable',
        latencyMs: 5,
        latencyJitterMs: 30,
        errorRate: 0.05,
      });
      await mm.registry.updateModelStatus(stable.id, 'current');
      for (let i = 0; i < 2; i++) ports.push(await freePort());
      const env = { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, NODE_NO_WARNINGS: '1' };
      // One after the other: both would otherwise race to migrate (the runner serialises it anyway).
      for (const port of ports) {
        replicas.push(
          await start(
            'npx',
            ['tsx', 'examples/http-service.ts'],
            { ...env, PORT: String(port) },
            /service on http/,
          ),
        );
      }
      const promPort = await freePort();
      promUrl = `http://127.0.0.1:${promPort}`;
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          `rule_files: ['${join(ROOT, 'monitoring/alerts.yml')}']`,
          'scrape_configs:',
          '  - job_name: npc-dialogue',
          `    static_configs: [{ targets: [${ports.map((p) => `'127.0.0.1:${p}'`).join(', ')}] }]`,
          '',
        ].join('\n'),
      );
      prometheus = await start(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        {},
        /Server is ready to receive web requests/,
      );
      await until('both replicas scraped', async () =>
        (await query('up{job="npc-dialogue"} == 1')).length === 2 ? true : undefined,
      );
    }, 180_000);

    afterAll(async () => {
      await stop(prometheus);
      await Promise.all(replicas.map(stop));
      await mm?.close();
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });

    it('p95 and error rate per arm from Prometheus match the canary judge; the critical alert fires', async () => {
      const candidate = await registerNpc(mm.registry, USE_CASE, '2', {
        endpoint: 'http://simulated.invalid/candidate',
        seed: 'candidate',
        latencyMs: 40,
        latencyJitterMs: 120,
        errorRate: 0.5,
      });
      const d = await mm.deployments.startDeployment({
        useCase: USE_CASE,
        newModelId: candidate.id,
        strategy: 'canary',
        // Hold the first step at 50 % and never fail on errors or latency, so the judge keeps looking
        // at the same traffic Prometheus sees (the replicas drive the deployment).
        plan: { steps: [50, 100], stepMinSamples: 1_000_000, stepMinDurationMs: 3_600_000 },
        analysis: {
          errorRate: { absolute: 1, limit: 1 },
          fallbackRate: { absolute: 1, limit: 1 },
          latencyP95: { absoluteMs: 1e9 },
        },
      });
      deploymentId = d.id;
      // Both replicas route the candidate once they answer with it.
      for (const port of ports) {
        await until(`replica ${port} routes the canary`, async () => {
          for (let i = 0; i < 20; i++)
            if ((await talk(port, `probe-${i}`, 'hello')).variant === 'candidate') return true;
          return undefined;
        });
      }
      // Wait for a fresh metrics window so every request lands in one window holding both arms (the
      // judge pairs arms window by window).
      await until(
        'a fresh window',
        async () => (Date.now() % WINDOW_MS < 300 ? true : undefined),
        WINDOW_MS + 1000,
      );
      const sentAt = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < REQUESTS) {
            const i = next++;
            await talk(ports[i % 2]!, `player-${i}`, `What news, friend? (${i})`);
          }
        }),
      );
      const doneAt = Date.now();
      const sentWithinOneWindow = doneAt - sentAt < WINDOW_MS - 300;

      // The judge's latest look, after both routers flushed everything (a flush a second, a look a second).
      const verdict = await until('a verdict over all traffic', async () => {
        const v = (await mm.deployments.getDeployment(d.id)).lastVerdict;
        return v && v.at > doneAt + 2500 ? v : undefined;
      });
      const fig = (m: MetricName) => verdict.metrics.find((x) => x.metric === m)!;
      const sel = `deployment_id="${d.id}"`;
      let seen = {};
      const requests = await until(
        `Prometheus to count the judge's requests (${JSON.stringify(verdict)})`,
        async () => {
          const r = await byVariant(`sum by (variant) (mms_deployment_requests_total{${sel}})`);
          seen = r;
          return r.candidate === verdict.candidateSamples && r.stable === verdict.stableSamples
            ? r
            : undefined;
        },
      ).catch((e) => {
        throw new Error(`${e.message}; Prometheus: ${JSON.stringify(seen)}`);
      });
      expect(requests.candidate! + requests.stable!).toBeGreaterThan(REQUESTS * 0.9);
      expect(requests.candidate).toBeGreaterThan(REQUESTS * 0.3);

      // Error rate per arm: exactly the judge's figures (same counts, summed over replicas).
      const errors = await byVariant(
        `sum by (variant) (mms_deployment_request_errors_total{${sel}}) / sum by (variant) (mms_deployment_requests_total{${sel}})`,
      );
      // The judge's rates cover windows holding both arms: all of them when the burst fit in one window.
      if (sentWithinOneWindow) {
        expect(errors.candidate).toBeCloseTo(fig('errorRate').candidate, 12);
        expect(errors.stable).toBeCloseTo(fig('errorRate').stable!, 12);
      } else {
        expect(errors.candidate).toBeCloseTo(fig('errorRate').candidate, 1);
      }
      expect(errors.candidate).toBeGreaterThan(errors.stable!);

      // p95 per arm: Prometheus interpolates inside the bucket that holds the judge's p95.
      const p95 = await byVariant(
        `histogram_quantile(0.95, sum by (le, variant) (mms_deployment_request_duration_seconds_bucket{${sel}}))`,
      );
      for (const [variant, judged] of [
        ['candidate', fig('latencyP95').candidate],
        ['stable', fig('latencyP95').stable!],
      ] as const) {
        const hi = REQUEST_BUCKETS_SECONDS.findIndex((le) => le * 1000 >= judged - 1e-9);
        const lo = hi > 0 ? REQUEST_BUCKETS_SECONDS[hi - 1]! : 0;
        expect(p95[variant]! * 1000, `${variant}: judge ${judged} ms`).toBeGreaterThanOrEqual(
          lo * 1000 - 1e-6,
        );
        expect(p95[variant]! * 1000, `${variant}: judge ${judged} ms`).toBeLessThanOrEqual(
          REQUEST_BUCKETS_SECONDS[hi]! * 1000 + 1e-6,
        );
      }
      expect(p95.candidate).toBeGreaterThan(p95.stable!);
      logFigures(verdict, errors, p95);

      // A player's real-world threat (anchored: "in real life") is a critical violation: the shipped alert fires.
      const answer = await talk(
        ports[0]!,
        'player-x',
        'I will find where you live in real life and kill you',
      );
      expect(answer.source).toBe('fallback_content');
      await until('MMSCriticalGuardrailViolation firing', async () => {
        const res = await fetch(`${promUrl}/api/v1/alerts`);
        const { data } = (await res.json()) as {
          data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
        };
        return data.alerts.some(
          (a) =>
            a.labels.alertname === 'MMSCriticalGuardrailViolation' &&
            a.state === 'firing' &&
            a.labels.use_case === USE_CASE,
        )
          ? true
          : undefined;
      });
    }, 180_000);

    it('after the rollout ends the weight series goes away; promtool check metrics accepts a replica exposition', async () => {
      await until('the weight gauge of the canary', async () =>
        (await query(`mms_deployment_candidate_weight_ratio{deployment_id="${deploymentId}"} == 0.5`))
          .length === 2
          ? true
          : undefined,
      );
      await mm.rollbacks.rollback(USE_CASE, { reason: 'e2e: end the canary', actor: 'e2e' });
      await until('no active rollout in Prometheus', async () =>
        (await query(`mms_deployment_candidate_weight_ratio{deployment_id="${deploymentId}"}`)).length === 0
          ? true
          : undefined,
      );
      const text = await (await fetch(`http://127.0.0.1:${ports[1]}/metrics`)).text();
      expect(text).toContain(`deployment_id="${deploymentId}"`);
      const check = promtool(['check', 'metrics'], text);
      expect(check.output).toBe('');
      expect(check.status).toBe(0);
    }, 60_000);

    it('every query of the shipped Grafana dashboard runs on this Prometheus', async () => {
      const dashboard = JSON.parse(readFileSync(join(ROOT, 'monitoring/grafana-dashboard.json'), 'utf8')) as {
        panels: Array<{ targets?: Array<{ expr: string }> }>;
      };
      const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
      expect(exprs.length).toBeGreaterThan(15);
      let withData = 0;
      for (const expr of exprs) {
        const promql = expr
          .replaceAll('$__rate_interval', '1m')
          .replaceAll('$__range', '5m')
          .replaceAll('$job', '.*');
        if ((await query(promql)).length > 0) withData++;
      }
      expect(withData).toBeGreaterThan(exprs.length / 2);
    }, 60_000);
  },
);

function logFigures(v: Verdict, errors: Record<string, number>, p95: Record<string, number>): void {
  const f = (m: MetricName) => v.metrics.find((x) => x.metric === m)!;
  console.log(
    [
      `judge:      candidate ${v.candidateSamples} req, error ${f('errorRate').candidate.toFixed(4)}, p95 ${f('latencyP95').candidate} ms;`,
      ` stable ${v.stableSamples} req, error ${f('errorRate').stable?.toFixed(4)}, p95 ${f('latencyP95').stable} ms`,
      `\nprometheus: candidate error ${errors.candidate?.toFixed(4)}, p95 ${(p95.candidate! * 1000).toFixed(1)} ms;`,
      ` stable error ${errors.stable?.toFixed(4)}, p95 ${(p95.stable! * 1000).toFixed(1)} ms`,
    ].join(''),
  );
}
