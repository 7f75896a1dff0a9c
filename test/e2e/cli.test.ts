import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelManagement } from '../../src/create-model-management.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { cliTestsCanRun, keyPaths, mms, mmsJson, simulatedRollout, tableCounts } from '../helpers/cli.js';
import { type ProviderStub, startProviderStub } from '../helpers/provider-stubs.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/cli/${name}`, import.meta.url));
const MODEL_KEYS = [
  'configuration',
  'createdAt',
  'id',
  'metadata',
  'modelName',
  'modelType',
  'provider',
  'status',
  'tags',
  'updatedAt',
  'useCase',
  'version',
];
const DEPLOYMENT_KEYS = [
  'actor',
  'analysis',
  'candidateModelId',
  'createdAt',
  'finishedAt',
  'id',
  'lastVerdict',
  'leaseExpiresAt',
  'leaseOwner',
  'plan',
  'plan.holdbackPercent',
  'plan.onLowTraffic',
  'plan.rollbackWindowMs',
  'plan.stepMaxDurationMs',
  'plan.stepMinDurationMs',
  'plan.stepMinSamples',
  'plan.steps',
  'reason',
  'stableModelId',
  'status',
  'stepIndex',
  'stepStartedAt',
  'strategy',
  'switched',
  'updatedAt',
  'useCase',
  'version',
  'weight',
];
const prefixed = (prefix: string, keys: readonly string[]) => keys.map((k) => `${prefix}.${k}`);
const REPLAY_KEYS = [
  'actor',
  'candidateModelId',
  'createdAt',
  'from',
  'id',
  'pairs',
  'requestedSample',
  'scanned',
  'skipped',
  'stableModelId',
  'to',
  'useCase',
  'verdict',
  ...prefixed('verdict', ['at', 'baseline']),
  ...prefixed('verdict.baseline', [
    'concurrentRequests',
    'description',
    'kind',
    'modelId',
    'preSwitchRequests',
  ]),
  ...prefixed('verdict', ['candidateSamples', 'metrics']),
  ...prefixed('verdict.metrics[]', [
    'baseline',
    'breached',
    'candidate',
    'candidateSamples',
    'evidence',
    'evidenceNeeded',
    'metric',
    'stable',
    'stableSamples',
  ]),
  ...prefixed('verdict', ['reason', 'stableSamples', 'stepElapsedMs', 'stepSamples', 'verdict']),
];
const ARM_KEYS = ['criticalViolationRate', 'errorRate', 'fallbackRate', 'p95Ms', 'requests', 'violationRate'];

// Every `mms` command in a child process against PostgreSQL, in a schema of its own.
describe.runIf(cliTestsCanRun())('mms (built CLI) against PostgreSQL', { timeout: 180_000 }, () => {
  const schema = uniqueSchema('cli');
  const tmp = mkdtempSync(join(tmpdir(), 'mms-cli-'));
  const ids: Record<string, string> = {};
  const stubs: ProviderStub[] = [];

  beforeAll(async () => {
    const migrated = await mmsJson<{ applied: string[]; skipped: string[] }>(schema, ['migrate']);
    expect(migrated.applied).toContain('0001_registry.sql');
    expect(migrated.skipped).toEqual([]);
    // A canary that the judge rolls back, driven in another process: history, violations, a rollback.
    const seeded = JSON.parse(await simulatedRollout(schema, ['seed', 'canary-rollback']));
    expect(seeded.status).toBe('rolled_back');
    ids.rolledBack = seeded.id;
  }, 120_000);

  afterAll(async () => {
    for (const stub of stubs) await stub.close();
    await dropSchema(schema);
  });

  it('migrate is idempotent and doctor finds nothing to fix', async () => {
    const again = await mmsJson<{ applied: string[]; skipped: string[] }>(schema, ['migrate']);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toContain('0004_deployments.sql');
    const doctor = await mmsJson<{ ok: boolean; checks: Array<{ check: string; ok: boolean }> }>(schema, [
      'doctor',
    ]);
    expect(keyPaths(doctor)).toEqual([
      'checks',
      'checks[].check',
      'checks[].detail',
      'checks[].fix',
      'checks[].ok',
      'ok',
    ]);
    expect(doctor.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['database', 'clock', 'migrations', 'leases']),
    );
    expect(doctor.ok).toBe(true);
  });

  it('models register (flags and file), promote, list, show, history, retire', async () => {
    const stable = await mmsJson(schema, [
      ...['models', 'register', '--use-case', 'quest_layer', '--name', 'quest-model', '--version', '1.0'],
      ...[
        '--provider',
        'simulated',
        '--type',
        'self_hosted',
        '--config',
        '{"endpoint":"http://simulated.invalid/q/1"}',
      ],
      ...['--tags', 'stable,launch'],
    ]);
    expect(keyPaths(stable)).toEqual(MODEL_KEYS);
    expect(stable.status).toBe('candidate');
    expect(stable.tags).toEqual(['stable', 'launch']);
    const candidate = await mmsJson(schema, [
      'models',
      'register',
      '--file',
      fixture('candidate-model.json'),
    ]);
    expect(candidate.version).toBe('2.0');
    ids.questStable = stable.id as string;
    ids.questCandidate = candidate.id as string;

    const promoted = await mmsJson(schema, ['models', 'promote', ids.questStable!, '--reason', 'launch']);
    expect(promoted.status).toBe('current');
    const list = await mmsJson<{ items: Array<{ id: string }>; nextCursor: string | null }>(schema, [
      ...['models', 'list', '--use-case', 'quest_layer'],
    ]);
    expect(keyPaths(list)).toEqual(['items', ...prefixed('items[]', MODEL_KEYS), 'nextCursor']);
    expect(list.items.map((m) => m.id).sort()).toEqual([ids.questStable, ids.questCandidate].sort());
    const shown = await mmsJson<{ model: { id: string }; history: unknown[] }>(schema, [
      'models',
      'show',
      ids.questStable!,
    ]);
    expect(keyPaths(shown)).toEqual([
      'history',
      ...prefixed('history[]', [
        'actor',
        'changedAt',
        'fromStatus',
        'id',
        'modelId',
        'reason',
        'toStatus',
        'useCase',
      ]),
      'model',
      ...prefixed('model', MODEL_KEYS),
    ]);
    const history = await mmsJson<{ history: Array<{ toStatus: string }> }>(schema, [
      'models',
      'history',
      'quest_layer',
    ]);
    expect(history.history.map((h) => h.toStatus)).toEqual(['candidate', 'candidate', 'current']);

    const human = await mms(schema, ['models', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/quest-model\s+2\.0/);
    expect(human.stdout).not.toContain('\x1b['); // not a terminal: no colour
  });

  it('deploy start, status, pause, resume, promote, list, watch of a finished one, rollback', async () => {
    const started = await mmsJson(schema, [
      ...[
        'deploy',
        'start',
        '--use-case',
        'quest_layer',
        '--model',
        ids.questCandidate!,
        '--strategy',
        'canary',
      ],
      ...['--plan', fixture('plan.json'), '--reason', 'cli e2e'],
    ]);
    expect(keyPaths(started)).toEqual(DEPLOYMENT_KEYS);
    expect(started.status).toBe('pending');
    expect((started.plan as { steps: number[] }).steps).toEqual([10, 50, 100]);
    const id = started.id as string;

    const status = await mmsJson<{ useCases: Array<{ useCase: string; deployment: unknown }> }>(schema, [
      'status',
    ]);
    expect(keyPaths(status)).toEqual([
      ...['checkedAt', 'database', 'database.error', 'database.latencyMs', 'database.ok'],
      ...['history', 'history.error', 'history.lastLoggedAt', 'history.ok'],
      ...['registry', 'registry.models', 'registry.ok', 'registry.useCases'],
      'useCases',
      'useCases[].current',
      ...prefixed('useCases[].current', ['id', 'modelName', 'provider', 'status', 'version']),
      'useCases[].deployment',
      'useCases[].rollbacks',
      ...prefixed('useCases[].rollbacks[]', [
        'durationMs',
        'from',
        'id',
        'reason',
        'startedAt',
        'status',
        'to',
        'trigger',
      ]),
      'useCases[].useCase',
    ]);
    const quest = await mmsJson<{ useCases: Array<Record<string, unknown>> }>(schema, [
      'status',
      'quest_layer',
    ]);
    expect(quest.useCases).toHaveLength(1);
    expect(keyPaths(quest.useCases[0]!.deployment)).toEqual([
      'arms',
      'arms.candidate',
      ...prefixed('arms.candidate', ARM_KEYS),
      'arms.stable',
      ...prefixed('arms.stable', ARM_KEYS),
      'candidate',
      ...prefixed('candidate', ['id', 'modelName', 'provider', 'status', 'version']),
      'evidence',
      ...[
        'id',
        'lease',
        'lease.expiresAt',
        'lease.owner',
        'status',
        'step',
        'steps',
        'strategy',
        'updatedAt',
      ],
      'verdict',
      'verdict.kind',
      'verdict.reason',
      'weight',
    ]);
    const humanStatus = await mms(schema, ['status', 'quest_layer']);
    expect(humanStatus.stdout).toMatch(/deployment \w{8}\s+canary\s+pending\s+step 1\/3/);
    expect(humanStatus.stdout).toMatch(/candidate\s+0\s+-/);

    // Nobody drives it (the CLI never does): doctor says so and what to do, exit code 1.
    const doctor = await mms(schema, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    const leases = (
      JSON.parse(doctor.stdout) as { checks: Array<{ check: string; ok: boolean; fix: string }> }
    ).checks.find((c) => c.check === 'leases' && !c.ok);
    expect(leases?.fix).toMatch(/no replica is driving it/);

    expect((await mmsJson(schema, ['deploy', 'pause', id, '--reason', 'lunch'])).status).toBe('paused');
    expect((await mmsJson(schema, ['deploy', 'resume', id])).status).toBe('progressing');
    const promoted = await mmsJson(schema, ['deploy', 'promote', id, '--reason', 'looks good']);
    expect(promoted.status).toBe('succeeded');
    const list = await mmsJson<{ items: Array<{ id: string; status: string }> }>(schema, ['deploy', 'list']);
    expect(keyPaths(list)).toEqual(['items', ...prefixed('items[]', DEPLOYMENT_KEYS)]);
    expect(list.items.find((d) => d.id === id)?.status).toBe('succeeded');

    // watch as a CI gate: 0 on success, 1 on rollback (the seeded canary), without a terminal.
    const okWatch = await mms(schema, ['deploy', 'watch', id, '--interval', '100ms']);
    expect(okWatch.code).toBe(0);
    expect(okWatch.stdout).toContain('succeeded');
    const badWatch = await mms(schema, ['deploy', 'watch', ids.rolledBack!]);
    expect(badWatch.code).toBe(1);
    expect(badWatch.stdout).toContain('rolled back');
    const watchedJson = await mms(schema, ['deploy', 'watch', ids.rolledBack!, '--json']);
    expect(watchedJson.code).toBe(1);
    expect(keyPaths(JSON.parse(watchedJson.stdout)).filter((k) => !k.startsWith('deployment.'))).toEqual([
      'arms',
      'arms.candidate',
      ...prefixed('arms.candidate', ARM_KEYS),
      'arms.stable',
      ...prefixed('arms.stable', ARM_KEYS),
      'deployment',
      'evidence',
      ...prefixed('evidence[]', ['boundary', 'candidate', 'decision', 'evidence', 'metric', 'stable']),
      'verdict',
      ...prefixed('verdict', ['headline', 'outcome', 'reason', 'status']),
    ]);

    const rb = await mmsJson(schema, ['rollback', 'quest_layer', '--reason', 'players report loops']);
    expect(rb.status).toBe('completed');
    expect(rb.to).toBe(ids.questStable);
    expect(keyPaths(rb)).toEqual([
      'actor',
      'completedAt',
      'deploymentId',
      'durationMs',
      'error',
      'from',
      'id',
      'reason',
      'startedAt',
      'status',
      'to',
      'trigger',
      'useCase',
    ]);
    const retired = await mmsJson(schema, ['models', 'retire', ids.questCandidate!]);
    expect(retired.status).toBe('retired');
  });

  it('deploy abort ends a deployment and watch exits 2 for it', async () => {
    const model = await mmsJson(schema, [
      ...['models', 'register', '--use-case', 'quest_layer', '--name', 'quest-model', '--version', '3.0'],
      ...['--provider', 'simulated', '--config', '{"endpoint":"http://simulated.invalid/q/3"}'],
    ]);
    const d = await mmsJson(schema, [
      ...[
        'deploy',
        'start',
        '--use-case',
        'quest_layer',
        '--model',
        model.id as string,
        '--strategy',
        'blue_green',
      ],
    ]);
    const aborted = await mmsJson(schema, ['deploy', 'abort', d.id as string, '--reason', 'wrong build']);
    expect(aborted.status).toBe('aborted');
    expect((await mms(schema, ['deploy', 'watch', d.id as string])).code).toBe(2);
  });

  it('history query, stats, export, purge read what the rollout logged', async () => {
    const page = await mmsJson<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>(schema, [
      ...['history', 'query', '--deployment', ids.rolledBack!, '--variant', 'candidate', '--limit', '5'],
    ]);
    expect(page.items).toHaveLength(5);
    expect(page.items.every((e) => e.variant === 'candidate' && e.deploymentId === ids.rolledBack)).toBe(
      true,
    );
    expect(Object.keys(page.items[0]!)).toEqual(
      expect.arrayContaining(['id', 'createdAt', 'useCase', 'status', 'latencyMs']),
    );
    expect(page.nextCursor).not.toBeNull();
    const stats = await mmsJson<Record<string, unknown> & { groups: Array<{ key: string; count: number }> }>(
      schema,
      [...['history', 'stats', '--use-case', 'interaction_layer', '--group-by', 'variant']],
    );
    expect(stats.count).toBeGreaterThan(100);
    expect(stats.groups.map((g) => g.key).sort()).toEqual(['candidate', 'stable']);
    expect(Object.keys(stats)).toEqual(
      expect.arrayContaining([
        'count',
        'errorRate',
        'fallbackRate',
        'blockedRate',
        'violationRate',
        'latencyMs',
        'groups',
      ]),
    );

    const out = join(tmp, 'dataset.jsonl');
    const exported = await mmsJson<{ out: string; examples: number }>(schema, [
      ...['history', 'export', '--use-case', 'interaction_layer', '--out', out],
    ]);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(exported.examples).toBe(lines.length);
    expect(lines.length).toBeGreaterThan(10);
    expect(JSON.parse(lines[0]!).messages.at(-1).role).toBe('assistant');
    const toStdout = await mms(schema, ['history', 'export', '--use-case', 'interaction_layer']);
    expect(toStdout.stdout.trim().split('\n')).toHaveLength(lines.length);

    const kept = await mmsJson<{ deleted: number }>(schema, ['history', 'purge', '--older-than', '30d']);
    expect(kept.deleted).toBe(0);
    const purged = await mmsJson<{ deleted: number }>(schema, ['history', 'purge', '--older-than', '1m']);
    // The fixture's clock ran minutes ahead of the wall clock: entries made "in the future" stay.
    expect(purged.deleted).toBeGreaterThanOrEqual(0);
  });

  it('reviews list and resolve work on the guardrails queue', async () => {
    const page = await mmsJson<{
      items: Array<{ id: string; reviewStatus: string }>;
      nextCursor: string | null;
    }>(schema, ['reviews', 'list', '--limit', '3']);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((v) => v.reviewStatus === 'pending')).toBe(true);
    const resolved = await mmsJson<{ id: string; verdict: string; reviewer: string; reviewStatus: string }>(
      schema,
      [
        ...[
          'reviews',
          'resolve',
          page.items[0]!.id,
          '--verdict',
          'false_positive',
          '--reviewer',
          'ana',
          '--note',
          'quest text',
        ],
      ],
    );
    expect(resolved).toMatchObject({
      id: page.items[0]!.id,
      verdict: 'false_positive',
      reviewer: 'ana',
      reviewStatus: 'resolved',
    });
    const again = await mms(schema, [
      'reviews',
      'resolve',
      page.items[0]!.id,
      '--verdict',
      'confirmed',
      '--reviewer',
      'bo',
    ]);
    expect(again.code).toBe(2);
  });

  it('report writes the HTML file and --json says where', async () => {
    const out = join(tmp, 'canary.html');
    const r = await mmsJson<{ out: string; verdict: { outcome: string; headline: string } }>(schema, [
      ...['report', ids.rolledBack!, '--out', out],
    ]);
    expect(r.out).toBe(out);
    expect(r.verdict.outcome).toBe('rolled back');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`<title>Deployment ${ids.rolledBack}`);
    expect(html.match(/<svg/g)?.length).toBe(7);
    expect(html).not.toMatch(/<script|https?:\/\/(?!simulated\.invalid|www\.w3\.org|vega\.github\.io)/);
  });

  it('replay sends historic prompts to a candidate (local provider stub), prints and stores the comparison; replay list shows them', async () => {
    const stable = await startProviderStub('openai', { kind: 'ok', text: 'Stable greets you.' });
    const candidate = await startProviderStub('openai', { kind: 'ok', text: 'Candidate greets you.' });
    stubs.push(stable, candidate);
    const register = (version: string, stub: ProviderStub) =>
      mmsJson(schema, [
        ...['models', 'register', '--use-case', 'replay_layer', '--name', 'npc', '--version', version],
        ...['--provider', 'openai', '--type', 'self_hosted', '--config', `{"endpoint":"${stub.url}/v1"}`],
      ]);
    ids.replayStable = (await register('1', stable)).id as string;
    ids.replayCandidate = (await register('2', candidate)).id as string;
    await mmsJson(schema, ['models', 'promote', ids.replayStable!]);
    // What the current model answered in production: 240 reusable rows and 20 that are not.
    const seeder = await createModelManagement({
      db: { connectionString: TEST_DATABASE_URL!, schema, migrate: false },
      deployments: { drive: false },
    });
    try {
      for (let i = 0; i < 260; i++)
        await seeder.logProcessor.logInference({
          modelId: ids.replayStable!,
          useCase: 'replay_layer',
          prompt: `Historic line ${i}`,
          generatedOutput: 'Stable greets you.',
          latencyMs: 400 + (i % 50), // slower than the local stub: the latency test has nothing to find
          status: i < 20 ? 'blocked' : 'ok',
        });
      await seeder.logProcessor.flush();
    } finally {
      await seeder.close();
    }
    const range = ['--from', '1h', '--to', new Date(Date.now() + 60_000).toISOString()];
    const args = ['replay', '--use-case', 'replay_layer', '--model', ids.replayCandidate!, ...range];

    const c = await mmsJson<Record<string, unknown> & { verdict: { verdict: string; reason: string } }>(
      schema,
      [...args, '--sample', '200', '--concurrency', '4'],
    );
    expect(keyPaths(c).filter((k) => k !== 'verdict.lowTraffic')).toEqual(REPLAY_KEYS);
    expect(c).toMatchObject({ pairs: 200, requestedSample: 200, scanned: 260, skipped: 20, actor: 'mms' });
    expect(c.stableModelId).toBe(ids.replayStable);
    expect(c.verdict.verdict).toBe('pass');
    expect(c.verdict.reason).toMatch(/historic prompts/);
    expect(candidate.requests.length).toBe(200);
    expect(stable.requests.length).toBe(0); // compared with what it answered then

    const human = await mms(schema, [...args, '--sample', '100']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/260 rows read, 20 not reusable, 100 prompts replayed \(100 asked\)/);
    expect(human.stdout).toMatch(/errorRate\s+0\.00%\s+0\.00%\s+100\s/);
    expect(human.stdout).toMatch(/^verdict: pass$/m);
    expect(human.stdout).not.toContain('\x1b[');

    // A candidate that fails every call: the comparison says fail, exit code 1 (usable as a CI gate).
    candidate.setDefault({ kind: 'status', status: 500, body: 'boom' });
    const failed = await mms(schema, [...args, '--sample', '100', '--json']);
    expect(failed.code, failed.stderr).toBe(1);
    const failedComparison = JSON.parse(failed.stdout) as {
      id: string;
      verdict: { verdict: string; reason: string };
    };
    expect(failedComparison.verdict.verdict).toBe('fail');
    expect(failedComparison.verdict.reason).toMatch(/error rate/i);

    const list = await mmsJson<{ items: Array<{ id: string; verdict: { verdict: string } }> }>(schema, [
      ...['replay', 'list', '--use-case', 'replay_layer'],
    ]);
    expect(list.items.map((x) => x.verdict.verdict)).toEqual(['fail', 'pass', 'pass']);
    expect(list.items[0]!.id).toBe(failedComparison.id);
    expect(list.items[2]!.id).toBe(c.id);
    expect(keyPaths(list.items[2]).filter((k) => k !== 'verdict.lowTraffic')).toEqual(REPLAY_KEYS);
    const table = await mms(schema, ['replay', 'list']);
    expect(table.stdout).toMatch(
      new RegExp(`${failedComparison.id}\\s+replay_layer\\s+\\w{8}\\s+\\w{8}\\s+100\\s+fail`),
    );
  });

  it('an unreachable database is exit code 3 with one line; doctor explains it', async () => {
    const url = ['--database-url', 'postgres://postgres@127.0.0.1:1/test'];
    const status = await mms(schema, ['status', ...url]);
    expect(status.code).toBe(3);
    expect(status.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(status.stderr).toMatch(/ECONNREFUSED.* — try: mms doctor/);
    const doctor = await mms(schema, ['doctor', '--json', ...url]);
    expect(doctor.code).toBe(1);
    expect(JSON.parse(doctor.stdout).checks).toEqual([
      expect.objectContaining({ check: 'database', ok: false, fix: expect.stringMatching(/DATABASE_URL/) }),
    ]);
  });

  describe('bad input: one line saying what to type instead, exit code 2, nothing changed', () => {
    const uuid = randomUUID();
    const cases: Array<[string, string[], RegExp]> = [
      ['unknown command', ['stauts'], /unknown command 'stauts' — try: mms status$/],
      ['unknown subcommand', ['models', 'lst'], /try: mms models list$/],
      ['group without subcommand', ['deploy'], /try: mms deploy start\|/],
      ['unknown flag', ['status', '--frobnicate'], /unknown flag '--frobnicate'.* — try: mms status/],
      [
        'missing flag',
        ['deploy', 'start', '--use-case', 'quest_layer', '--strategy', 'canary'],
        /missing model id — try: mms deploy start/,
      ],
      [
        'missing --reason',
        ['rollback', 'quest_layer'],
        /missing --reason — try: mms rollback <useCase> --reason/,
      ],
      [
        'bad strategy',
        ['deploy', 'start', '--use-case', 'q', '--model', uuid, '--strategy', 'rainbow'],
        /--strategy 'rainbow' is not one of/,
      ],
      [
        'not an id',
        ['deploy', 'abort', 'abc'],
        /'abc' is not a deployment id .* — try: mms deploy abort <deploymentId>/,
      ],
      ['unknown deployment', ['deploy', 'abort', uuid], /No deployment with id .* — try: mms deploy list/],
      ['unknown model', ['models', 'promote', uuid], /— try: mms models list/],
      ['unknown report', ['report', uuid], /No deployment with id .* — try: mms deploy list/],
      [
        'unknown violation',
        ['reviews', 'resolve', uuid, '--verdict', 'confirmed', '--reviewer', 'a'],
        /— try: mms reviews list/,
      ],
      [
        'bad duration',
        ['history', 'purge', '--older-than', '30x'],
        /--older-than '30x' is not a duration — try: --older-than 30d/,
      ],
      ['bad date', ['history', 'query', '--from', 'yesterday'], /--from 'yesterday' is not a date/],
      ['bad limit', ['models', 'list', '--limit', '0'], /--limit '0' is not a whole number/],
      [
        'bad JSON',
        [
          'models',
          'register',
          '--use-case',
          'q',
          '--name',
          'n',
          '--version',
          '1',
          '--provider',
          'simulated',
          '--config',
          '{',
        ],
        /--config must be a JSON object/,
      ],
      [
        'missing plan file',
        ['deploy', 'start', '--use-case', 'q', '--model', uuid, '--plan', '/nope.json'],
        /--plan file '\/nope.json' cannot be read/,
      ],
      ['wrong state', ['deploy', 'resume', '__ROLLED_BACK__'], /not paused — try: mms status/],
      ['extra argument', ['status', 'a', 'b'], /unexpected argument 'b'/],
      [
        'replay without --use-case',
        ['replay', '--model', uuid],
        /missing --use-case — try: mms replay --use-case NAME --model MODEL_ID/,
      ],
      [
        'replay with an empty range',
        ['replay', '--use-case', 'replay_layer', '--model', uuid, '--from', '1h', '--to', '2h'],
        /the range is empty: --from .* is not before --to .* — try: --from 7d --to 1h/,
      ],
      [
        'replay with a bad date',
        ['replay', '--use-case', 'replay_layer', '--model', uuid, '--from', 'last week'],
        /--from 'last week' is not a date/,
      ],
      [
        'replay with a bad sample',
        ['replay', '--use-case', 'replay_layer', '--model', uuid, '--sample', '0'],
        /--sample '0' is not a whole number from 1 to 100000/,
      ],
      [
        'replay of an unknown model',
        ['replay', '--use-case', 'replay_layer', '--model', uuid],
        /No model with id .* — try: mms models list/,
      ],
      [
        'replay of a model of another use case',
        ['replay', '--use-case', 'replay_layer', '--model', '__QUEST_STABLE__'],
        /serves use case 'quest_layer', not 'replay_layer'/,
      ],
      [
        'replay of a range without history',
        [
          ...['replay', '--use-case', 'replay_layer', '--model', '__REPLAY_CANDIDATE__'],
          ...['--from', '2020-01-01T00:00:00Z', '--to', '2020-01-02T00:00:00Z'],
        ],
        /No reusable prompts .* \(0 rows read, 0 not reusable\) — try: a wider range, e.g. --from 30d/,
      ],
      [
        'unknown replay subcommand',
        ['replay', 'lst'],
        /unknown command 'mms replay lst' — try: mms replay list$/,
      ],
      [
        'unknown use case',
        ['status', 'no_such_layer'],
        /no model is registered for use case 'no_such_layer' — try: mms status/,
      ],
      ['unknown use case history', ['models', 'history', 'no_such_layer'], /— try: mms models list/],
      [
        'SDK validation',
        [
          'models',
          'register',
          '--use-case',
          'q',
          '--name',
          'n',
          '--version',
          '1',
          '--provider',
          'simulated',
          '--config',
          '{"apiKey":"sk-live-123456789012345678901234"}',
        ],
        /— try: mms models register/,
      ],
    ];
    it.each(cases)('%s', async (_name, args, message) => {
      const placeholders: Record<string, string | undefined> = {
        __ROLLED_BACK__: ids.rolledBack,
        __QUEST_STABLE__: ids.questStable,
        __REPLAY_CANDIDATE__: ids.replayCandidate,
      };
      const resolved = args.map((a) => placeholders[a] ?? a);
      const before = await tableCounts(schema);
      const r = await mms(schema, resolved);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n')).toBe(true);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(await tableCounts(schema)).toEqual(before);
    });
  });
});
