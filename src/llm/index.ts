/**
 * The LLM client and its providers.
 * @module
 */

export type { CircuitBreakerOptions, CircuitState, CircuitTransition } from './circuit-breaker.js';
export { CircuitBreaker, DEFAULT_CIRCUIT_BREAKER_OPTIONS } from './circuit-breaker.js';
export type { EndpointCircuit } from './endpoint-caller.js';
export { LLMClient } from './llm-client.js';
export type {
  LLMBlockedEvent,
  LLMCircuitEvent,
  LLMClientEvents,
  LLMCompletedEvent,
  LLMDependencyErrorEvent,
  LLMFailedEvent,
  LLMFallbackEvent,
  LLMRegistryEvent,
  LLMRetryEvent,
  LLMShadowPairedEvent,
  ShadowArmOutcome,
} from './llm-events.js';
export type { LLMClientMetrics } from './llm-metrics.js';
export type {
  FallbackEndpoint,
  GenerateInput,
  GenerateResult,
  GenerateSource,
  LLMClientOptions,
} from './llm-options.js';
export { DEFAULT_LLM_CLIENT_OPTIONS } from './llm-options.js';
export type { LLMStream } from './llm-stream.js';
export type { ModelConfiguration, ParsedModelConfiguration } from './model-config.js';
export { parseModelConfiguration } from './model-config.js';
export type { ProbeInput, ProbeResult } from './probe.js';
export type { Provider, ProviderRequest, ProviderResponse, ProviderStreamChunk } from './provider.js';
export { ProviderRegistry } from './provider-registry.js';
export { HttpProvider } from './providers/http.js';
export { parseRetryAfter } from './providers/http-util.js';
export { OllamaProvider } from './providers/ollama.js';
export { OpenAIProvider } from './providers/openai.js';
export type { SimulatedConfiguration, SimulatedProviderOptions } from './providers/simulated.js';
export {
  DEFAULT_SIMULATED_RESPONSES,
  DEFAULT_SIMULATED_UNSAFE_TEXT,
  SimulatedProvider,
} from './providers/simulated.js';
export type { RetryOptions } from './retry.js';
export { countsAgainstBreaker, DEFAULT_RETRY_OPTIONS, isRetryableFailure } from './retry.js';
export type { SecretResolver } from './secrets.js';
export { processEnvSecrets } from './secrets.js';
export type { ShadowOptions, ShadowStats } from './shadow-runner.js';
export {
  HttpTransport,
  type HttpTransportOptions,
  type TransportBody,
  type TransportResponse,
} from './transport.js';
export type {
  ActiveDeploymentLike,
  ChatMessage,
  GuardrailCheckInput,
  GuardrailCheckResult,
  GuardrailsLike,
  GuardrailViolation,
  InferenceLogEntry,
  LogProcessorLike,
  Model as LLMModel,
  ModelRegistryLike,
  RouteDecision as LLMRouteDecision,
  RouteOutcome,
  RouterLike,
  StreamCheckContext,
  StreamCheckerLike,
  StreamCheckStep,
  StreamFinalVerdict,
  Usage,
  ViolationSeverity,
} from './types.js';
