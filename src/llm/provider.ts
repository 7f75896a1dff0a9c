import type { HttpTransport } from './transport.js';
import type { ChatMessage, Usage } from './types.js';

/**
 * One call to a provider, already resolved by the client: endpoint, provider model name, headers
 * (static ones plus the API key read from the environment for this call only) and a signal that
 * fires on the attempt's timeout or the caller's abort.
 */
export interface ProviderRequest {
  /** The endpoint from the model configuration (or the fallback endpoint). */
  endpoint: string;
  /** The model name to send to the provider. */
  model: string;
  /** Plain prompt; exactly one of `prompt` and `messages` is set. */
  prompt?: string;
  /** Chat messages; exactly one of `prompt` and `messages` is set. */
  messages?: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** Headers to send, including the resolved `Authorization` when `apiKeyEnv` is configured. */
  headers: Record<string, string>;
  /** The whole model configuration, for provider-specific settings (e.g. the simulated provider's rates). */
  configuration: Readonly<Record<string, unknown>>;
  /** Aborts the call (attempt timeout or caller abort). Providers must pass it to their HTTP call. */
  signal: AbortSignal;
  /** Removes this request's secrets (the API key, in every encoding) from text a provider puts into an error. */
  redact(text: string): string;
  /** The client's keep-alive HTTP transport (built-in providers post through it). */
  transport?: HttpTransport;
}

/** A provider's complete answer. */
export interface ProviderResponse {
  text: string;
  usage: Usage;
}

/** One piece of a streamed answer; `usage` usually arrives on the last one. */
export interface ProviderStreamChunk {
  text: string;
  usage?: Usage;
}

/**
 * A model provider: turns a {@link ProviderRequest} into text. Throw `ProviderError` (or a subclass)
 * for failures; the client classifies anything else as a connection failure.
 * @example
 * ```ts
 * const echo: Provider = { name: 'echo', async generate(req) {
 *   return { text: req.prompt ?? '', usage: { tokensIn: 0, tokensOut: 0 } }; } };
 * providers.register(echo);
 * ```
 */
export interface Provider {
  /** Name models refer to in their `provider` field. */
  readonly name: string;
  /** Non-streaming call. */
  generate(request: ProviderRequest): Promise<ProviderResponse>;
  /** Streaming call; when absent the client streams the complete answer as one chunk. */
  stream?(request: ProviderRequest): AsyncIterable<ProviderStreamChunk>;
}
