import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Database,
  type Model,
  ModelRegistry,
  type RegisterModelInput,
  ValidationError,
} from '../../src/index.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';

const good: RegisterModelInput = {
  modelName: 'foundation-model-v1',
  modelType: 'self_hosted',
  provider: 'ollama',
  useCase: 'foundation_layer',
  version: '1.0',
  configuration: { endpoint: 'http://localhost:11434' },
};

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;

/** Each case: a registration that must be refused, and the words the message must contain. */
const badRegistrations: Array<[string, unknown, RegExp]> = [
  [
    'not an object',
    'foundation-model-v1',
    /Expected the model to register to be an object, got "foundation-model-v1"/,
  ],
  ['null', null, /to be an object, got null/],
  [
    'modelName missing',
    { ...good, modelName: undefined },
    /Expected `modelName` to be a name .* got undefined/,
  ],
  ['modelName a number', { ...good, modelName: 42 }, /`modelName`.*got 42/],
  ['modelName empty', { ...good, modelName: '' }, /`modelName`.*got ""/],
  [
    'modelName 10 KB',
    { ...good, modelName: 'x'.repeat(10_240) },
    /`modelName`.*a string of 10240 characters/,
  ],
  ['modelName with emoji', { ...good, modelName: 'dragon-🐉' }, /`modelName`/],
  ['modelName with SQL', { ...good, modelName: "x'; drop table models; --" }, /`modelName`/],
  [
    'useCase upper case',
    { ...good, useCase: 'Foundation' },
    /Expected `useCase` to be lower-case snake case/,
  ],
  ['useCase RTL text', { ...good, useCase: 'طبقة' }, /`useCase`/],
  ['version 65 chars', { ...good, version: '1'.repeat(65) }, /`version`/],
  ['version with spaces', { ...good, version: '1 0' }, /`version`/],
  ['modelType array', { ...good, modelType: ['self_hosted'] }, /`modelType`.*got an array/],
  [
    'unknown provider',
    { ...good, provider: 'skynet' },
    /Unknown provider "skynet"; expected one of 'ollama', 'openai', 'http', 'simulated'/,
  ],
  [
    'configuration an array',
    { ...good, configuration: [1, 2] },
    /`configuration` to be a plain JSON object, got an array/,
  ],
  ['configuration a Date', { ...good, configuration: new Date() }, /plain JSON object/],
  ['configuration circular', { ...good, configuration: circular }, /without cycles/],
  [
    'configuration with a function',
    { ...good, configuration: { f: () => 1 } },
    /`configuration.f` to be JSON.*got a function/,
  ],
  ['configuration with BigInt', { ...good, configuration: { n: 10n } }, /`configuration.n` to be JSON/],
  [
    'configuration with NaN',
    { ...good, configuration: { t: Number.NaN } },
    /`configuration.t` to be a finite number/,
  ],
  [
    '__proto__ key',
    { ...good, configuration: JSON.parse('{"__proto__": {"admin": true}}') },
    /forbidden key "__proto__"/,
  ],
  [
    'nested constructor key',
    { ...good, metadata: { a: { constructor: { x: 1 } } } },
    /forbidden key "constructor"/,
  ],
  [
    'configuration over 64 KB',
    { ...good, configuration: { blob: 'x'.repeat(70_000) } },
    /at most 65536 bytes/,
  ],
  [
    'endpoint not http',
    { ...good, configuration: { endpoint: 'file:///etc/passwd' } },
    /`configuration.endpoint` to be an http\(s\) URL/,
  ],
  ['endpoint not a URL', { ...good, configuration: { endpoint: 'localhost:8001' } }, /http\(s\) URL/],
  [
    'endpoint with credentials',
    { ...good, configuration: { endpoint: 'http://u:p@h/x' } },
    /credentials in the URL/,
  ],
  [
    'apiKey stored',
    { ...good, configuration: { apiKey: 'abc' } },
    /looks like a secret.*apiKeyEnv: 'OPENAI_API_KEY'/,
  ],
  [
    'nested password',
    { ...good, configuration: { auth: { password: 'hunter2' } } },
    /`configuration.auth.password` looks like a secret/,
  ],
  ['API_TOKEN key', { ...good, configuration: { API_TOKEN: 'x' } }, /looks like a secret/],
  [
    'key-shaped value',
    { ...good, configuration: { header: 'sk-abcdefghijklmnopqrstuvwx' } },
    /looks like a credential/,
  ],
  ['tags not an array', { ...good, tags: 'prod' }, /`tags` to be an array/],
  ['tag with spaces', { ...good, tags: ['ok', 'not ok'] }, /`tags\[1\]`/],
  ['metadata a string', { ...good, metadata: 'x' }, /`metadata` to be a plain JSON object/],
];

describe.each(testBackends())('ModelRegistry bad input on %s', (backend) => {
  let db: Database;
  let registry: ModelRegistry;
  let stored: Model;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    registry = new ModelRegistry({ db });
    stored = await registry.registerModel({ ...good, metadata: { note: "x'); delete from models; --" } });
  });
  afterAll(async () => {
    await registry.close();
    await db.close();
  });

  it.each(badRegistrations)('refuses %s with a clear ValidationError', async (_name, input, message) => {
    const error = await registry.registerModel(input as RegisterModelInput).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('VALIDATION_ERROR');
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['non-UUID id', () => registry.getModel('42'), /Expected `id` to be a UUID, got "42"/],
    ['SQL in id', () => registry.updateModelStatus("1' or '1'='1", 'current'), /`id` to be a UUID/],
    [
      'unknown status',
      () => registry.updateModelStatus(stored.id, 'live' as never),
      /`status` to be one of 'candidate', 'current'/,
    ],
    [
      'reason too long',
      () => registry.updateModelStatus(stored.id, 'current', { reason: 'r'.repeat(3000) }),
      /`reason`/,
    ],
    [
      'invalid date',
      () => registry.getModelAt('foundation_layer', new Date('nope')),
      /`at` to be a valid Date/,
    ],
    [
      'bad list limit',
      () => registry.listModels({ limit: 0 }),
      /`limit` to be an integer from 1 to 500, got 0/,
    ],
    ['bad list status', () => registry.listModels({ status: 'gone' as never }), /`status` to be one of/],
    ['bad tags on setTags', () => registry.setTags(stored.id, [''] as string[]), /`tags\[0\]`/],
    ['bad metadata on setMetadata', () => registry.setMetadata(stored.id, [] as never), /plain JSON object/],
    ['bad useCase lookup', () => registry.getCurrentModel('DROP TABLE'), /`useCase`/],
  ])('refuses %s', async (_name, call, message) => {
    await expect(call()).rejects.toThrow(message);
    await expect(call()).rejects.toBeInstanceOf(ValidationError);
  });

  it('stores SQL fragments, emoji and RTL text in free fields verbatim and changed nothing else', async () => {
    const page = await registry.listModels({});
    expect(page.items).toHaveLength(1);
    const model = await registry.getModel(stored.id);
    expect(model.metadata).toEqual({ note: "x'); delete from models; --" });
    expect(model.status).toBe('candidate');
    expect(await registry.getStatusHistory(stored.id)).toHaveLength(1);
    const unicode = await registry.setMetadata(stored.id, { line: 'مرحبا بالمسافر 🐉 — «héros»' });
    expect((await registry.getModel(stored.id)).metadata).toEqual(unicode.metadata);
  });
});
