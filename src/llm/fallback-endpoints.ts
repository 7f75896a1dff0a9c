import { ValidationError } from '../errors.js';
import { checkProviderEndpoint } from '../internal/provider-endpoint.js';
import type { FallbackEndpoint, LLMClientOptions } from './llm-options.js';
import { type ParsedModelConfiguration, parseModelConfiguration } from './model-config.js';
import type { ProviderRegistry } from './provider-registry.js';

/** One validated fallback endpoint. @internal */
export interface ParsedFallback {
  provider: string;
  config: ParsedModelConfiguration;
}

/**
 * Validates `fallbackEndpoints` once, at construction: a string is an `http` endpoint; an object names
 * its `provider` (default `http`) and carries a model configuration. @internal
 */
export function parseFallbacks(
  raw: LLMClientOptions['fallbackEndpoints'],
  providers: ProviderRegistry,
): Map<string, ParsedFallback[]> {
  const out = new Map<string, ParsedFallback[]>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError('Expected `fallbackEndpoints` to be an object keyed by use case', {
      field: 'fallbackEndpoints',
    });
  }
  for (const [useCase, value] of Object.entries(raw)) {
    const list: FallbackEndpoint[] = Array.isArray(value) ? value : [value];
    out.set(
      useCase,
      list.map((fb, i) => {
        const field = `fallbackEndpoints.${useCase}${Array.isArray(value) ? `[${i}]` : ''}`;
        const obj = typeof fb === 'string' ? { endpoint: fb } : fb;
        const provider = typeof obj?.provider === 'string' ? obj.provider : 'http';
        if (!providers.has(provider)) {
          throw new ValidationError(
            `Unknown provider '${provider}' in \`${field}.provider\`; known: ${providers.names().join(', ')}`,
            {
              field: `${field}.provider`,
            },
          );
        }
        const { provider: _p, ...config } = obj ?? {};
        const parsed = parseModelConfiguration(config, field, { endpointOptional: provider === 'simulated' });
        checkProviderEndpoint(provider, parsed.endpoint, `${field}.endpoint`);
        if (provider === 'openai' && parsed.model === undefined) {
          // There is no registry model to name it: every call would send `"model": ""`.
          throw new ValidationError(
            `Expected \`${field}.model\` for the 'openai' provider (the model name sent on every call, e.g. 'gpt-4o-mini')`,
            { field: `${field}.model` },
          );
        }
        return { provider, config: parsed };
      }),
    );
  }
  return out;
}
