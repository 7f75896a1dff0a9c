import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, uniqueSchema } from '../helpers/backends.js';
import { cliTestsCanRun, keyPaths, mms, mmsJson, simulatedRollout, tableCounts } from '../helpers/cli.js';

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
const ARM_KEYS = ['criticalViolationRate', 'errorRate', 'fallbackRate', 'p95Ms', 'requests', 'violationRate'];
const prefixed = (prefix: string, keys: readonly string[]) => keys.map((k) => `${prefix}.${k}`);

// Every `mms` command in a child process against PostgreSQL, in a schema of its own.
describe.runIf(cliTestsCanRun())('mms (built CLI) against PostgreSQL', { timeout: 180_000 }, () => {
  const schema = uniqueSchema('cli');
  const tmp = mkdtempSync(join(tmpdir(), 'mms-cli-'));
  const ids: Record<string, string> = {};

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
      const resolved = args.map((a) => (a === '__ROLLED_BACK__' ? ids.rolledBack! : a));
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
