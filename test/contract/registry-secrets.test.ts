import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { ValidationError } from '../../src/errors.js';
import { ModelRegistry, type RegisterModelInput } from '../../src/registry/index.js';
import { openTestDatabase, TEST_DATABASE_URL } from '../helpers/backends.js';

// Fake but well-formed credentials, assembled so no literal in the repository looks like a live key.
const body = 'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4';
const SECRETS = {
  openai: `sk-proj-${body}${body}`,
  github: `ghp_${body}`,
  aws: 'AKIAIOSFODNN7EXAMPLE',
  google: `AIzaSy${body.slice(0, 33)}`,
  stripe: `sk_live_${body.slice(0, 24)}`,
  jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJnYW1lIn0.c2lnbmF0dXJlLXZhbHVlLWhlcmU',
  pem: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
};

const base = (n: number): RegisterModelInput => ({
  modelName: 'npc-dialogue',
  modelType: 'self_hosted',
  provider: 'ollama',
  useCase: 'interaction_layer',
  version: `1.${n}`,
  configuration: { endpoint: 'http://localhost:11434' },
});

/** Runs `call`, expects a ValidationError naming `field`, and returns its message (checked for echoes). */
async function refused(call: () => Promise<unknown>, field: RegExp, secret: string): Promise<void> {
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  const e = error as ValidationError;
  expect(e.message).toMatch(field);
  const shown = `${e.message} ${JSON.stringify(e.details ?? {})}`;
  expect(shown).not.toContain(secret);
  expect(shown).not.toContain(secret.slice(-12));
}

const backends = ['pg-mem', ...(TEST_DATABASE_URL ? ['postgres' as const] : [])] as const;

describe.each(backends)('registry refuses credentials in what it stores (%s)', (backend) => {
  let db: Database;
  let registry: ModelRegistry;
  const emitted: string[] = [];
  let n = 0;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    registry = new ModelRegistry({ db });
    for (const event of [
      'registry:model_registered',
      'registry:status_changed',
      'registry:changed',
    ] as const) {
      registry.on(event, (e: unknown) => emitted.push(JSON.stringify(e)));
    }
  });
  afterAll(async () => {
    await registry.close();
    await db.close();
  });

  const endpointCases: Array<[string, string, string]> = [
    ['api_key', 'https://llm.example.com/v1?api_key=abc123def456', 'abc123def456'],
    ['key', `https://generativelanguage.googleapis.com/v1beta?key=${SECRETS.google}`, SECRETS.google],
    ['token', 'http://localhost:8001/generate?token=tok-7f3a9b2c1d', 'tok-7f3a9b2c1d'],
    ['access_token', 'https://llm.example.com/v1?model=x&access_token=at-99887766', 'at-99887766'],
    ['sig', 'https://store.example.net/m?sv=2022&sig=Zm9vYmFyYmF6cXV4cXV1eA%3D%3D', 'Zm9vYmFyYmF6cXV4cXV1eA'],
    [
      'X-Amz-Signature',
      'https://s3.example.com/m?X-Amz-Signature=5d41402abc4b2a76b9719d91',
      '5d41402abc4b2a76b9719d91',
    ],
    ['access_token', 'https://llm.example.com/v1#access_token=frag-12345678', 'frag-12345678'],
  ];

  it.each(endpointCases)(
    'item 7: endpoint query parameter %s is refused by name, value never echoed nor emitted',
    async (param, endpoint, secret) => {
      await refused(
        () => registry.registerModel({ ...base(++n), configuration: { endpoint } }),
        new RegExp(`\`configuration.endpoint\`.*query parameter \`${param}\``),
        secret,
      );
      expect(emitted.join('\n')).not.toContain(secret);
    },
  );

  it('item 7: ordinary query parameters are accepted', async () => {
    // An Ollama base URL (a gateway prefix): a path such as /generate is refused by the endpoint convention.
    const m = await registry.registerModel({
      ...base(++n),
      configuration: { endpoint: 'https://llm-gateway.example/ollama?tenant=npc-team&region=eu-west' },
    });
    expect(m.configuration).toMatchObject({
      endpoint: 'https://llm-gateway.example/ollama?tenant=npc-team&region=eu-west',
    });
  });

  it('item 8: secret-named metadata keys and key-shaped metadata values are refused at registration', async () => {
    await refused(
      () => registry.registerModel({ ...base(++n), metadata: { password: 'hunter2-x' } }),
      /`metadata.password` looks like a secret/,
      'hunter2-x',
    );
    for (const [name, secret] of Object.entries(SECRETS)) {
      await refused(
        () => registry.registerModel({ ...base(++n), metadata: { notes: { [name]: secret } } }),
        new RegExp(`\`metadata.notes.${name}\` holds what looks like a credential`),
        secret,
      );
    }
    expect(emitted.join('\n')).not.toMatch(/sk-proj-|ghp_|AKIA|BEGIN PRIVATE/);
  });

  it('item 8: setMetadata, setTags and status reasons refuse secrets without echoing them', async () => {
    const model = await registry.registerModel({
      ...base(++n),
      metadata: { owner: 'narrative-team', maxTokens: 200 },
      tags: ['npc', 'v1'],
    });
    await refused(
      () => registry.setMetadata(model.id, { token: 'tok-abcdef12345' }),
      /`metadata.token`/,
      'tok-abcdef12345',
    );
    await refused(
      () => registry.setMetadata(model.id, { note: `ask ops, key is ${SECRETS.openai}` }),
      /`metadata.note` holds what looks like a credential/,
      SECRETS.openai,
    );
    await refused(
      () => registry.setTags(model.id, ['npc', SECRETS.openai.slice(0, 60)]),
      /`tags\[1\]`/,
      SECRETS.openai.slice(0, 60),
    );
    await refused(() => registry.setTags(model.id, [SECRETS.github]), /`tags\[0\]`/, SECRETS.github);
    await refused(
      () => registry.updateModelStatus(model.id, 'current', { reason: `rotated ${SECRETS.stripe}` }),
      /`reason` holds what looks like a credential/,
      SECRETS.stripe,
    );
    const stored = await registry.getModel(model.id);
    expect(stored.metadata).toEqual({ owner: 'narrative-team', maxTokens: 200 });
    expect(stored.tags).toEqual(['npc', 'v1']);
    expect(stored.status).toBe('candidate');
    expect(emitted.join('\n')).not.toMatch(/sk-proj-|ghp_|sk_live_|tok-abcdef/);
  });
});
