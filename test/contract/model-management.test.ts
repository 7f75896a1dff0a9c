import { afterEach, describe, expect, it } from 'vitest';
import { createModelManagement, type ModelManagement, ValidationError } from '../../src/index.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';

describe.each(testBackends())('createModelManagement on %s', (backend) => {
  let mm: ModelManagement | undefined;
  afterEach(async () => {
    const db = mm?.db;
    await mm?.close();
    await db?.close();
    mm = undefined;
  });

  it('wires every part on one database: a request is routed, checked, logged and visible in health and metrics', async () => {
    mm = await createModelManagement({ db: await openTestDatabase(backend) });
    const model = await mm.registry.registerModel({
      modelName: 'innkeeper',
      modelType: 'api',
      provider: 'simulated',
      useCase: 'interaction_layer',
      version: '1',
      configuration: { seed: 'inn', responses: ['Welcome, traveller. Mind the dragon.'] },
    });
    await mm.registry.updateModelStatus(model.id, 'current');
    const reply = await mm.llm.generate({
      useCase: 'interaction_layer',
      prompt: 'Hello',
      stickyKey: 'player-1',
    });
    expect(reply).toMatchObject({ modelId: model.id, source: 'model', variant: 'stable' });
    expect(reply.text.length).toBeGreaterThan(0);
    await mm.logProcessor.flush();
    const page = await mm.logProcessor.query({ modelId: model.id });
    expect(page.items.map((r) => r.id)).toContain(reply.logId);

    const health = await mm.health();
    expect(health.status).toBe('ok');
    expect(health.database.ok).toBe(true);
    expect(health.deployments.active).toBe(0);
    const metrics = mm.metrics() as { llm: { completed: number }; history: { logged: number } };
    expect(metrics.llm.completed).toBe(1);
    expect(metrics.history.logged).toBe(1);
    const text = await mm.toPrometheus();
    expect(text).toMatch(/^mms_llm_requests_total\{kind="generate"\} 1$/m);
    expect(text).toMatch(/^# TYPE mms_history_logged_total counter$/m);
    expect(text).toMatch(/^mms_registry_status_changes_total 1$/m);
    expect(text).toMatch(
      /^mms_llm_request_duration_seconds_count\{use_case="interaction_layer",model="innkeeper@1",variant="stable",source="model"\} 1$/m,
    );
  });

  it('redacts PII from logged prompts by default', async () => {
    mm = await createModelManagement({ db: await openTestDatabase(backend) });
    const model = await mm.registry.registerModel({
      modelName: 'clerk',
      modelType: 'api',
      provider: 'simulated',
      useCase: 'customization_layer',
      version: '1',
      configuration: { seed: 'clerk' },
    });
    await mm.registry.updateModelStatus(model.id, 'current');
    await mm.llm.generate({
      useCase: 'customization_layer',
      prompt: 'Mail me at ayla@example.com',
      stickyKey: 'p',
    });
    await mm.logProcessor.flush();
    const [row] = (await mm.logProcessor.query({ modelId: model.id })).items;
    expect(row?.prompt).not.toContain('ayla@example.com');
  });

  it('close() is idempotent and leaves a database it was given open', async () => {
    const db = await openTestDatabase(backend);
    mm = await createModelManagement({ db });
    await mm.close();
    await mm.close();
    expect(await db.changes.versions()).toBeInstanceOf(Map);
  });
});

describe('createModelManagement.fromEnv', () => {
  it('reads the host guide variables and refuses invalid ones with the variable named', async () => {
    await expect(
      createModelManagement.fromEnv({ DEPLOYMENT_STRATEGY_DEFAULT: 'yolo' }, { db: { memory: true } }),
    ).rejects.toThrow(
      /DEPLOYMENT_STRATEGY_DEFAULT to be one of blue_green, canary, all_at_once \(shadow only when named per deployment\), got "yolo"/,
    );
    // shadow never promotes by itself, so it is no default
    await expect(
      createModelManagement.fromEnv({ DEPLOYMENT_STRATEGY_DEFAULT: 'shadow' }, { db: { memory: true } }),
    ).rejects.toThrow(
      /DEPLOYMENT_STRATEGY_DEFAULT to be one of blue_green, canary, all_at_once .*got "shadow"/,
    );
    await expect(
      createModelManagement.fromEnv({ HISTORICAL_LOGGING_ENABLED: 'maybe' }),
    ).rejects.toBeInstanceOf(ValidationError);
    const mm = await createModelManagement.fromEnv(
      {
        HISTORICAL_LOGGING_ENABLED: 'false',
        GUARDRAILS_MONITORING_ENABLED: 'false',
        DEPLOYMENT_STRATEGY_DEFAULT: 'canary',
      },
      { db: { memory: true } },
    );
    try {
      expect(mm.db.backend).toBe('pg-mem');
      const id = await mm.logProcessor.logInference({
        modelId: null,
        useCase: 'health_check',
        prompt: 'Health check',
      });
      await mm.logProcessor.flush();
      expect((await mm.logProcessor.query({})).items).toHaveLength(0);
      expect(typeof id).toBe('string');
      const check = await mm.guardrails.check({ text: 'anything', stage: 'output' });
      expect(check.monitored).toBe(false);
    } finally {
      await mm.close();
    }
  });
});
