import type { TypedEmitter } from '../events.js';
import type { Clock } from '../internal/clock.js';
import { DEFAULT_CIRCUIT_BREAKER_OPTIONS } from './circuit-breaker.js';
import { EndpointCaller } from './endpoint-caller.js';
import type { LLMClientEvents } from './llm-events.js';
import type { LLMCounters } from './llm-metrics.js';
import { DEFAULT_LLM_CLIENT_OPTIONS, type LLMClientOptions } from './llm-options.js';
import { ProviderRegistry } from './provider-registry.js';
import { errorCode } from './request-path.js';
import { DEFAULT_RETRY_OPTIONS } from './retry.js';
import { processEnvSecrets } from './secrets.js';
import type { HttpTransport } from './transport.js';

/** The client's providers as a registry (an array is added to the built-ins). @internal */
export function providerRegistry(providers: LLMClientOptions['providers']): ProviderRegistry {
  if (!Array.isArray(providers)) return providers ?? new ProviderRegistry();
  const registry = new ProviderRegistry();
  for (const p of providers) registry.register(p);
  return registry;
}

/**
 * The endpoint caller of a client: providers, secrets, retry policy and breakers from `options`,
 * retries and circuit transitions reported as `llm:*` events and counters. @internal
 */
export function createEndpointCaller(
  options: LLMClientOptions,
  providers: ProviderRegistry,
  clock: Clock,
  counters: LLMCounters,
  emitter: TypedEmitter<LLMClientEvents>,
  transport: HttpTransport,
): EndpointCaller {
  return new EndpointCaller({
    providers,
    transport,
    secrets: options.secrets ?? processEnvSecrets,
    retry: { ...DEFAULT_RETRY_OPTIONS, ...options.retry },
    breaker: { ...DEFAULT_CIRCUIT_BREAKER_OPTIONS, ...options.circuitBreaker },
    clock,
    attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_LLM_CLIENT_OPTIONS.attemptTimeoutMs,
    hooks: {
      onRetry: (target, info) => {
        counters.retries++;
        emitter.emitSafely('llm:retry', {
          useCase: target.useCase,
          provider: target.provider,
          endpoint: target.config.endpointLabel,
          attempt: info.attempt,
          code: errorCode(info.error),
          status: (info.error as { status?: number }).status ?? null,
          retryAfterMs: info.retryAfterMs ?? null,
        });
      },
      onCircuit: (provider, t) => {
        const event =
          t.to === 'open'
            ? 'llm:circuit_open'
            : t.to === 'half_open'
              ? 'llm:circuit_half_open'
              : 'llm:circuit_closed';
        emitter.emitSafely(event, { provider, endpoint: t.key.slice(provider.length + 1), ...t });
      },
    },
  });
}
