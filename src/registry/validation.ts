import { ValidationError } from '../errors.js';
import { checkProviderEndpoint } from '../internal/provider-endpoint.js';
import { findSecrets } from '../internal/secret-detector.js';
import {
  describe,
  optionalString,
  optionKeys,
  rejectUnknownKeys,
  requireJsonObject,
  requireOneOf,
  requireString,
} from '../internal/validate.js';
import { MODEL_STATUSES, type ModelStatus, type RegisterModelInput } from './types.js';

/** Providers the registry accepts unless the host names others. */
export const DEFAULT_PROVIDERS: readonly string[] = ['ollama', 'openai', 'http', 'simulated'];

/** `modelName`: letters, digits and `. _ : / -`, starting with a letter or digit, 1–128 characters. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
/** `useCase`, `modelType`, provider names: lower-case snake case, 1–64 characters. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
/** `version`: letters, digits and `. _ + -`, 1–64 characters (`1.0`, `2024-06-01`, `1.2.0-rc.1+build5`). */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
/** A tag: letters, digits and `. _ : -`, 1–64 characters. */
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const MAX_JSON_BYTES = 64 * 1024;
const MAX_TAGS = 32;
/** Key names that hold secrets, compared without case, `_` or `-`. */
const SECRET_KEYS = new Set([
  'token',
  'apitoken',
  'accesstoken',
  'refreshtoken',
  'authtoken',
  'bearertoken',
  'idtoken',
  'sessiontoken',
  'authorization',
  'credentials',
]);
/** Endings that make any key a secret (`openaiApiKey`, `db_password`, `clientSecret`…). */
const SECRET_SUFFIXES = ['apikey', 'secret', 'secretkey', 'privatekey', 'password', 'passwd'];
/**
 * A whole value shaped like a key or bearer header. Stricter than the shared detector (which must stay
 * precise on free text): a configuration value that is nothing but `sk-…` is a key.
 */
const KEY_SHAPED_VALUE =
  /^(?:sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|Bearer\s+\S{8,})$/;
/**
 * Query parameters that carry credentials (`?api_key=`, `?key=AIza…`, `?token=`, `access_token`,
 * signed-URL `sig`/`X-Amz-Signature`…), compared without case, `_` or `-`.
 */
const CREDENTIAL_PARAMS = new Set([
  'key',
  'apikey',
  'token',
  'accesstoken',
  'authtoken',
  'idtoken',
  'refreshtoken',
  'sessiontoken',
  'auth',
  'authorization',
  'secret',
  'clientsecret',
  'password',
  'passwd',
  'pwd',
  'sig',
  'signature',
  'xamzsignature',
  'xamzcredential',
  'xamzsecuritytoken',
  'xgoogsignature',
  'xgoogcredential',
  'code',
]);

/** The kind of credential `text` holds (never the text itself), or undefined. */
function credentialIn(text: string): string | undefined {
  if (KEY_SHAPED_VALUE.test(text.trim())) return 'a key';
  const found = findSecrets(text)[0];
  return found ? `a ${found.type.replace(/_/g, ' ')}` : undefined;
}

/** Refuses `text` when it holds a credential; the message names `path`, never the value. */
export function refuseSecretText(text: string, path: string): void {
  const kind = credentialIn(text);
  if (kind) {
    throw new ValidationError(
      `\`${path}\` holds what looks like a credential (${kind}); secrets are never stored. Reference an environment variable instead, e.g. \`apiKeyEnv: 'OPENAI_API_KEY'\``,
      { field: path },
    );
  }
}

/** Refuses an http(s) URL whose query string (or fragment) carries a credential parameter. */
function refuseCredentialParams(url: URL, path: string): void {
  const params = [...url.searchParams.keys()];
  if (url.hash.length > 1) params.push(...new URLSearchParams(url.hash.slice(1)).keys());
  for (const name of params) {
    if (CREDENTIAL_PARAMS.has(name.replace(/[-_]/g, '').toLowerCase())) {
      throw new ValidationError(
        `\`${path}\` carries a credential in its query parameter \`${name.slice(0, 40)}\`; secrets are never stored. Put the key in an environment variable and reference it with \`apiKeyEnv\``,
        { field: path },
      );
    }
  }
}

export const ID_RULES = {
  useCase: {
    max: 64,
    pattern: IDENTIFIER_PATTERN,
    expected: 'lower-case snake case such as `foundation_layer` (1–64 characters)',
  },
  modelName: {
    max: 128,
    pattern: MODEL_NAME_PATTERN,
    expected: 'a name of letters, digits and . _ : / - (1–128 characters)',
  },
  version: {
    max: 64,
    pattern: VERSION_PATTERN,
    expected: 'a version of letters, digits and . _ + - (1–64 characters)',
  },
  modelType: {
    max: 64,
    pattern: IDENTIFIER_PATTERN,
    expected: 'lower-case snake case such as `self_hosted` (1–64 characters)',
  },
  actor: { max: 200, expected: 'a string of 1–200 characters' },
  reason: { min: 0, max: 2000, expected: 'a string of at most 2000 characters' },
} as const;

/** Validates a use case name. */
export function requireUseCase(value: unknown, field = 'useCase'): string {
  return requireString(value, field, ID_RULES.useCase);
}

/** Validates a status. */
export function requireStatus(value: unknown, field = 'status'): ModelStatus {
  return requireOneOf(value, field, MODEL_STATUSES);
}

function refuseSecrets(key: string, path: string): void {
  const normalised = key.replace(/[-_]/g, '').toLowerCase();
  if (SECRET_KEYS.has(normalised) || SECRET_SUFFIXES.some((suffix) => normalised.endsWith(suffix))) {
    throw new ValidationError(
      `\`${path}\` looks like a secret; secrets are never stored. Put it in an environment variable and reference it, e.g. \`apiKeyEnv: 'OPENAI_API_KEY'\``,
      { field: path },
    );
  }
}

function refuseSecretValues(node: unknown, path: string): void {
  if (typeof node === 'string') {
    // A URL's credential parameter is named in the error; then any key anywhere in the text.
    if (/^https?:\/\//i.test(node) && URL.canParse(node)) refuseCredentialParams(new URL(node), path);
    refuseSecretText(node, path);
  } else if (Array.isArray(node)) for (const [i, v] of node.entries()) refuseSecretValues(v, `${path}[${i}]`);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) refuseSecretValues(v, `${path}.${k}`);
  }
}

/** Validates `configuration`: plain JSON ≤ 64 KB, no secrets, an http(s) `endpoint` when given. */
export function validateConfiguration(value: unknown, field = 'configuration'): string {
  const text = requireJsonObject(value, field, { maxBytes: MAX_JSON_BYTES, visitKey: refuseSecrets });
  refuseSecretValues(value, field);
  const endpoint = (value as Record<string, unknown>).endpoint;
  if (endpoint !== undefined) {
    let url: URL | null = null;
    try {
      url = typeof endpoint === 'string' ? new URL(endpoint) : null;
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ValidationError(
        `Expected \`${field}.endpoint\` to be an http(s) URL such as 'http://localhost:8001/generate', got ${describe(endpoint)}`,
        { field: `${field}.endpoint` },
      );
    }
    if (url.username || url.password) {
      throw new ValidationError(
        `\`${field}.endpoint\` carries credentials in the URL; secrets are never stored. Use \`apiKeyEnv\` instead`,
        { field: `${field}.endpoint` },
      );
    }
  }
  return text;
}

/** Validates `metadata`: plain JSON ≤ 64 KB, no secret-named keys, no values shaped like credentials. */
export function validateMetadata(value: unknown, field = 'metadata'): string {
  const text = requireJsonObject(value, field, { maxBytes: MAX_JSON_BYTES, visitKey: refuseSecrets });
  refuseSecretValues(value, field);
  return text;
}

/** Validates and de-duplicates tags. */
export function validateTags(value: unknown, field = 'tags'): string[] {
  if (!Array.isArray(value) || value.length > MAX_TAGS) {
    throw new ValidationError(
      `Expected \`${field}\` to be an array of at most ${MAX_TAGS} tags, got ${describe(value)}`,
      {
        field,
      },
    );
  }
  // Checked before the pattern, so no error message can echo a key given as a tag.
  for (const [i, t] of value.entries()) if (typeof t === 'string') refuseSecretText(t, `${field}[${i}]`);
  const tags = value.map((t, i) =>
    requireString(t, `${field}[${i}]`, {
      max: 64,
      pattern: TAG_PATTERN,
      expected: 'a tag of letters, digits and . _ : - (1–64 characters)',
    }),
  );
  return [...new Set(tags)];
}

/** The validated, normalised form of {@link RegisterModelInput}. */
export interface ValidRegistration {
  modelName: string;
  modelType: string;
  provider: string;
  useCase: string;
  version: string;
  configurationJson: string;
  tags: string[];
  metadataJson: string;
  actor: string | undefined;
}

/** An optional actor name, refused when it holds a credential (it is stored and emitted). */
function optionalActor(value: unknown): string | undefined {
  const actor = optionalString(value, 'actor', ID_RULES.actor);
  if (actor !== undefined) refuseSecretText(actor, 'actor');
  return actor;
}

/** Validates a registration; `providers` is the accepted provider list. */
const REGISTER_KEYS = optionKeys<RegisterModelInput>({
  modelName: true,
  modelType: true,
  provider: true,
  useCase: true,
  version: true,
  configuration: true,
  tags: true,
  metadata: true,
  actor: true,
});

export function validateRegistration(input: unknown, providers: readonly string[]): ValidRegistration {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError(`Expected the model to register to be an object, got ${describe(input)}`);
  }
  rejectUnknownKeys(input, REGISTER_KEYS, 'registerModel input');
  const i = input as Partial<Record<keyof RegisterModelInput, unknown>>;
  const provider = requireString(i.provider, 'provider', { max: 64, expected: 'a provider name' });
  if (!providers.includes(provider)) {
    throw new ValidationError(
      `Unknown provider ${describe(provider)}; expected one of ${providers.map((p) => `'${p}'`).join(', ')} or a provider the host registers through the \`providers\` option`,
      { field: 'provider' },
    );
  }
  const configurationJson = validateConfiguration(i.configuration ?? {});
  checkProviderEndpoint(
    provider,
    (i.configuration as { endpoint?: unknown })?.endpoint,
    'configuration.endpoint',
  );
  return {
    modelName: requireString(i.modelName, 'modelName', ID_RULES.modelName),
    modelType: requireString(i.modelType, 'modelType', ID_RULES.modelType),
    provider,
    useCase: requireUseCase(i.useCase),
    version: requireString(i.version, 'version', ID_RULES.version),
    configurationJson,
    tags: validateTags(i.tags ?? []),
    metadataJson: validateMetadata(i.metadata ?? {}),
    actor: optionalActor(i.actor),
  };
}
