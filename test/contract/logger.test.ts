import { afterEach, describe, expect, it } from 'vitest';
import {
  consoleLogger,
  createModelManagement,
  DeploymentManager,
  type Logger,
  type ModelManagement,
  ModelRegistry,
  ValidationError,
} from '../../src/index.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';

type Line = { level: keyof Logger; fields: Record<string, unknown>; message: string | undefined };

/** A logger that keeps every line, pino-style (fields first). */
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: keyof Logger) =>
    (fields: object, message?: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const USE_CASE = 'interaction_layer';

// PGlite's cold start is slow on a shared machine; the logger does not depend on the backend.
describe.each(testBackends().filter((b) => b !== 'pglite'))('the logger option on %s', (backend) => {
  let mm: ModelManagement | undefined;
  afterEach(async () => {
    const db = mm?.db;
    await mm?.close();
    await db?.close();
    mm = undefined;
  });

  async function rolledBackDeployment(management: ModelManagement): Promise<string> {
    const reg = (version: string) =>
      management.registry.registerModel({
        modelName: 'innkeeper',
        modelType: 'api',
        provider: 'simulated',
        useCase: USE_CASE,
        version,
        configuration: { seed: version },
      });
    const stable = await reg('1');
    await management.registry.updateModelStatus(stable.id, 'current');
    const candidate = await reg('2');
    const d = await management.deployments.startDeployment({
      useCase: USE_CASE,
      newModelId: candidate.id,
      strategy: 'canary',
    });
    await management.deployments.rollbacks.rollback(USE_CASE, { reason: 'players report loops' });
    return d.id;
  }

  it('createModelManagement({ logger }) logs a rollback as a warn with its deployment, use case and trigger', async () => {
    const logger = recordingLogger();
    mm = await createModelManagement({ db: await openTestDatabase(backend), logger });
    const deploymentId = await rolledBackDeployment(mm);
    const rollbacks = logger.lines.filter((l) => l.fields.event === 'deployment:rolled_back');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({
      level: 'warn',
      message: 'deployment rolled back',
      fields: { deploymentId, useCase: USE_CASE, trigger: 'manual', reason: 'players report loops' },
    });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        fields: expect.objectContaining({ event: 'deployment:started', deploymentId, useCase: USE_CASE }),
      }),
    );
  });

  it('refuses a logger without warn, naming `logger`', async () => {
    const { warn: _omitted, ...noWarn } = recordingLogger();
    const db = await openTestDatabase(backend);
    try {
      await expect(createModelManagement({ db, logger: noWarn as unknown as Logger })).rejects.toThrow(
        ValidationError,
      );
      await expect(createModelManagement({ db, logger: noWarn as unknown as Logger })).rejects.toMatchObject({
        field: 'logger',
        message: expect.stringMatching(/`logger`.*missing warn/),
      });
      // Each part checks its own `logger` too (the composition root is not the only door).
      expect(() => new DeploymentManager({ db, drive: false, logger: noWarn as unknown as Logger })).toThrow(
        expect.objectContaining({ field: 'logger' }),
      );
      expect(() => new ModelRegistry({ db, logger: {} as Logger })).toThrow(ValidationError);
    } finally {
      await db.close();
    }
  });

  it('without a logger nothing reaches the console and the rollback still happens', async () => {
    const calls: unknown[][] = [];
    const spy = (...args: unknown[]) => calls.push(args);
    const saved = { debug: console.debug, info: console.info, warn: console.warn, error: console.error };
    Object.assign(console, { debug: spy, info: spy, warn: spy, error: spy });
    try {
      mm = await createModelManagement({ db: await openTestDatabase(backend) });
      const deploymentId = await rolledBackDeployment(mm);
      expect((await mm.deployments.getDeployment(deploymentId)).status).toBe('rolled_back');
    } finally {
      Object.assign(console, saved);
    }
    expect(calls).toEqual([]);
  });

  it('consoleLogger() writes message first, then the fields', () => {
    const calls: unknown[][] = [];
    const target = {
      debug: (...a: unknown[]) => calls.push(['debug', ...a]),
      info: (...a: unknown[]) => calls.push(['info', ...a]),
      warn: (...a: unknown[]) => calls.push(['warn', ...a]),
      error: (...a: unknown[]) => calls.push(['error', ...a]),
    };
    consoleLogger(target).warn({ deploymentId: 'd1' }, 'deployment rolled back');
    expect(calls).toEqual([['warn', 'deployment rolled back', { deploymentId: 'd1' }]]);
  });
});
