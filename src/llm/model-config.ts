import { ValidationError } from '../errors.js';
import { describe } from '../internal/validate.js';

/**
 * The provider part of a model's `configuration`. Secrets are never stored here: `apiKeyEnv` names the
 * environment variable that holds the key, read at call time.
 */
export interface ModelConfiguration {
  /** Provider URL, e.g. `http://localhost:11434` (ollama) or `https://api.openai.com/v1`. */
  endpoint: string;
  /** Provider model name; defaults to the model's `modelName`. */
  model?: string;
  /** Name of the environment variable holding the API key, e.g. `OPENAI_API_KEY`. */
  apiKeyEnv?: string;
  /** Header carrying the key; `authorization` sends `Bearer <key>`, any other sends the bare key. @default 'authorization' */
  apiKeyHeader?: string;
  /** Per-attempt timeout in ms. @default DEFAULT_LLM_CLIENT_OPTIONS.attemptTimeoutMs */
  timeoutMs?: number;
  /** Extra non-secret headers. */
  headers?: Record<string, string>;
  /** Retries for this endpoint. @default DEFAULT_LLM_CLIENT_OPTIONS.retry.retries */
  maxRetries?: number;
}

/** A validated configuration plus the derived, log-safe endpoint label. */
export interface ParsedModelConfiguration extends ModelConfiguration {
  /** Endpoint without credentials or query string: safe for errors, events and breaker keys. */
  endpointLabel: string;
  /** The whole configuration as given (provider-specific settings such as the simulated provider's rates). */
  raw: Readonly<Record<string, unknown>>;
}

const SECRET_KEYS = [
  'apikey',
  'api_key',
  'key',
  'token',
  'secret',
  'password',
  'accesstoken',
  'access_token',
];
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Validates a model configuration. `field` prefixes field names in error messages
 * (e.g. `configuration` or `fallbackEndpoints.foundation_layer`).
 */
export function parseModelConfiguration(
  raw: unknown,
  field: string,
  options: { endpointOptional?: boolean } = {},
): ParsedModelConfiguration {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(`Expected \`${field}\` to be an object, got ${describe(raw)}`, { field });
  }
  const c = raw as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (SECRET_KEYS.includes(key.toLowerCase())) {
      throw new ValidationError(
        `\`${field}.${key}\` looks like a secret; secrets must not be stored in a model configuration — set \`${field}.apiKeyEnv\` to the name of an environment variable instead`,
        { field: `${field}.${key}` },
      );
    }
  }
  let endpoint = c['endpoint'];
  if (endpoint === undefined && options.endpointOptional) endpoint = 'simulated://default';
  if (typeof endpoint !== 'string' || !isUrl(endpoint)) {
    throw new ValidationError(
      `Expected \`${field}.endpoint\` to be an absolute URL, got ${describe(endpoint)}`,
      {
        field: `${field}.endpoint`,
      },
    );
  }
  const out: ParsedModelConfiguration = {
    endpoint,
    endpointLabel: endpointLabel(endpoint),
    raw: Object.freeze({ ...c }),
  };
  if (c['model'] !== undefined) out.model = nonEmpty(c['model'], `${field}.model`);
  if (c['apiKeyEnv'] !== undefined) {
    if (typeof c['apiKeyEnv'] !== 'string' || !ENV_NAME.test(c['apiKeyEnv'])) {
      throw new ValidationError(
        `Expected \`${field}.apiKeyEnv\` to be an environment variable name like OPENAI_API_KEY, got ${describe(c['apiKeyEnv'])}`,
        { field: `${field}.apiKeyEnv` },
      );
    }
    out.apiKeyEnv = c['apiKeyEnv'];
  }
  if (c['apiKeyHeader'] !== undefined)
    out.apiKeyHeader = nonEmpty(c['apiKeyHeader'], `${field}.apiKeyHeader`);
  if (c['timeoutMs'] !== undefined) out.timeoutMs = positive(c['timeoutMs'], `${field}.timeoutMs`);
  if (c['maxRetries'] !== undefined) {
    const n = c['maxRetries'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 10) {
      throw new ValidationError(
        `Expected \`${field}.maxRetries\` to be an integer from 0 to 10, got ${describe(n)}`,
        {
          field: `${field}.maxRetries`,
        },
      );
    }
    out.maxRetries = n;
  }
  if (c['headers'] !== undefined) {
    const h = c['headers'];
    if (typeof h !== 'object' || h === null || Array.isArray(h)) {
      throw new ValidationError(
        `Expected \`${field}.headers\` to be an object of strings, got ${describe(h)}`,
        {
          field: `${field}.headers`,
        },
      );
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(h)) {
      if (SECRET_HEADERS.includes(name.toLowerCase())) {
        throw new ValidationError(
          `\`${field}.headers.${name}\` carries a secret; set \`${field}.apiKeyEnv\` (and \`apiKeyHeader\`) instead of storing it`,
          { field: `${field}.headers.${name}` },
        );
      }
      if (typeof value !== 'string') {
        throw new ValidationError(
          `Expected \`${field}.headers.${name}\` to be a string, got ${describe(value)}`,
          {
            field: `${field}.headers.${name}`,
          },
        );
      }
      headers[name] = value;
    }
    out.headers = headers;
  }
  return out;
}

/** The endpoint without userinfo, query or fragment: what errors, events and metrics show. */
export function endpointLabel(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '<invalid endpoint>';
  }
}

function isUrl(value: string): boolean {
  try {
    return new URL(value).protocol.length > 1;
  } catch {
    return false;
  }
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`Expected \`${field}\` to be a non-empty string, got ${describe(value)}`, {
      field,
    });
  }
  return value;
}

function positive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(`Expected \`${field}\` to be a positive number, got ${describe(value)}`, {
      field,
    });
  }
  return value;
}
