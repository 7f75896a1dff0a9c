// Public behaviour of the architecture work (issue 9, issue 10 items 10–12 and 19), through the public
// entries only: renamed options and their deprecated aliases, unknown keys with "did you mean", capped
// error messages, ValidationError instead of TypeError, close() on the coordinator and the narrative
// generator. Runs on pg-mem, and on PostgreSQL when MMS_TEST_DATABASE_URL is set.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClosedError,
  createDatabase,
  createModelManagement,
  type ErrorCode,
  LLMClient,
  type ModelManagement,
  ModelManagementError,
  TrafficRouter,
  ValidationError,
} from '../../src/index.js';
import { ManualClock, SimulatedProvider } from '../../src/testing.js';
import { openTestDatabase } from '../helpers/backends.js';

const backends = process.env.MMS_TEST_DATABASE_URL
  ? (['pg-mem', 'postgres'] as const)
  : (['pg-mem'] as const);
const HUGE = 'x'.repeat(10 * 2 ** 20);

async function rejection(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function validationError(run: () => unknown, pattern?: RegExp): Promise<ValidationError> {
  const error = await rejection(run);
  expect(error).toBeInstanceOf(ValidationError);
  const message = (error as Error).message;
  expect(message.length).toBeLessThan(400);
  if (pattern) expect(message).toMatch(pattern);
  return error as ValidationError;
}

describe('public surface without a database', () => {
  it('refuses an unknown LLMClient option and names the closest one', async () => {
    await validationError(
      () => new LLMClient({ fallbackEndpoint: {} } as never),
      /fallbackEndpoint.*did you mean `fallbackEndpoints`\?/,
    );
  });

  it('refuses unknown keys and a NUL use case in generate() input', async () => {
    const llm = new LLMClient({});
    await validationError(
      () => llm.generate({ useCase: 'npc', prompt: 'hi', stickykey: 'p1' } as never),
      /stickykey.*did you mean `stickyKey`\?/,
    );
    await validationError(() => llm.generate({ useCase: 'a\0', prompt: 'hi' }), /`useCase`/);
    await llm.close();
  });

  it('refuses a deprecated alias given together with its new name', async () => {
    const guard = { check: async () => ({ action: 'allow', violations: [], fallbackUsed: false }) };
    await validationError(
      () => new LLMClient({ guardrails: guard, guardrailsMonitor: guard } as never),
      /`guardrailsMonitor` or its deprecated alias `guardrails`/,
    );
    await validationError(() => new TrafficRouter({} as never), /`modelRegistry`/);
  });

  it('answers bad createDatabase / fromEnv input with a ValidationError, not a TypeError', async () => {
    await validationError(() => createDatabase({ memory: 'yes' } as never), /`memory` to be true/);
    await validationError(
      () => createDatabase({ connectionString: undefined }),
      /connectionString` is undefined.*embedded/,
    );
    await validationError(() => createDatabase({ memroy: true } as never), /did you mean `memory`\?/);
    await validationError(() => createDatabase({ embedded: { dataDir: 'a\0b' } }), /NUL/);
    await validationError(() => createModelManagement.fromEnv(null as never));
    await validationError(() => createModelManagement.fromEnv(5 as never));
    await validationError(() => createModelManagement.fromEnv({ MMS_EMBEDDED_DATA_DIR: 'a\0b' }), /NUL/);
    await validationError(
      () => createModelManagement({ llmClients: {} } as never),
      /did you mean `llmClient`/,
    );
  });

  it('gives ModelManagementError.code as a union that switch narrows', () => {
    const label = (code: ErrorCode): string => {
      switch (code) {
        case 'VALIDATION_ERROR':
          return 'bad input';
        case 'CLOSED':
          return 'closed';
        default:
          return 'other';
      }
    };
    expect(label(new ValidationError('x').code)).toBe('bad input');
    expect(new ClosedError('x')).toBeInstanceOf(ModelManagementError);
  });

  it('exposes the testing helpers from the /testing entry', () => {
    const clock = new ManualClock();
    const before = clock.now();
    clock.advance(1000);
    expect(clock.now() - before).toBe(1000);
    expect(typeof SimulatedProvider).toBe('function');
  });
});

describe.each(backends)('public surface on %s', (backend) => {
  let mm: ModelManagement | null = null;
  afterEach(async () => {
    await mm?.close();
    mm = null;
  });

  async function open(): Promise<ModelManagement> {
    const db = await openTestDatabase(backend);
    mm = await createModelManagement({ db, clock: new ManualClock() });
    const close = mm.close;
    mm = {
      ...mm,
      close: async () => {
        await close();
        await db.close();
      },
    };
    return mm;
  }

  it('names every part as the host guide does, the old names pointing at the same objects', async () => {
    const m = await open();
    expect(m.registry).toBe(m.modelRegistry);
    expect(m.guardrails).toBe(m.guardrailsMonitor);
    expect(m.deployments).toBe(m.deploymentManager);
    expect(m.router).toBe(m.trafficRouter);
    expect(m.rollbacks).toBe(m.rollbackManager);
    expect(m.llm).toBe(m.llmClient);
    expect(m.coordinator).toBe(m.serviceCoordinator);
    expect(m.narrative).toBe(m.narrativeGenerator);
  });

  it('caps the message of a 10 MB bad input and refuses null options with a ValidationError', async () => {
    const m = await open();
    await validationError(() => m.deploymentManager.promote(HUGE), /a string of 10485760 characters/);
    await validationError(() => m.deploymentManager.abort(HUGE));
    await validationError(() => m.guardrailsMonitor.check(HUGE as never));
    await validationError(() => m.serviceCoordinator.coordinateModelDeployment({ useCase: HUGE } as never));
    await validationError(() => m.narrativeGenerator.generate({ kind: HUGE } as never));
    const model = await m.modelRegistry.registerModel({
      modelName: 'npc',
      modelType: 'api',
      provider: 'simulated',
      useCase: 'surface',
      version: '1',
    });
    await validationError(() => m.modelRegistry.updateModelStatus(model.id, 'standby', null as never));
    await validationError(() => m.deploymentManager.abort(model.id, null as never));
    await validationError(() => m.deploymentManager.abort(model.id, { reason: HUGE }), /`reason`/);
    await validationError(
      () => m.deploymentManager.startDeployment({ useCase: 'surface', newModelId: model.id, reason: HUGE }),
      /`reason`/,
    );
    await validationError(
      () => m.deploymentManager.startDeployment({ useCase: 'surface', newModelId: model.id, actor: HUGE }),
      /`actor`/,
    );
    await validationError(() => m.narrativeGenerator.fallbackFor(null as never));
    await validationError(
      () => m.modelRegistry.registerModel({ modelname: 'npc' } as never),
      /modelname.*did you mean `modelName`\?/,
    );
  });

  it('closes the coordinator and the narrative generator: later calls get a ClosedError', async () => {
    const m = await open();
    await m.serviceCoordinator[Symbol.asyncDispose]();
    await m.narrativeGenerator.close();
    expect(await rejection(() => m.serviceCoordinator.coordinateModelDeployment({} as never))).toBeInstanceOf(
      ClosedError,
    );
    expect(await rejection(() => m.narrativeGenerator.generate({} as never))).toBeInstanceOf(ClosedError);
  });
});
