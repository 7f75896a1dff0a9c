import { ProviderError } from '../../errors.js';
import { endpointLabel } from '../model-config.js';
import type { Provider, ProviderRequest, ProviderResponse, ProviderStreamChunk } from '../provider.js';
import type { ChatMessage } from '../types.js';
import { badResponse, count, lines, postJson, readJson, truncatedStream } from './http-util.js';

/**
 * OpenAI-compatible chat completions (`POST /v1/chat/completions`; SSE when streaming): OpenAI, vLLM,
 * llama.cpp server, LM Studio. The endpoint is the base URL, as the OpenAI SDK's `baseURL`
 * (`https://api.openai.com/v1`): the client appends `/chat/completions`; an endpoint without a path
 * gets `/v1/chat/completions`; one already ending in `/chat/completions` is used as given. A prompt is
 * sent as one user message.
 * @example
 * ```ts
 * configuration: { endpoint: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY' }
 * ```
 */
export class OpenAIProvider implements Provider {
  readonly name = 'openai';

  async generate(request: ProviderRequest): Promise<ProviderResponse> {
    const response = await postJson(
      openaiUrl(request.endpoint),
      openaiBody(request, false),
      request,
      this.name,
    );
    const json = await readJson(response, request, this.name);
    const choice = firstChoice(json);
    const content = (choice?.['message'] as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string')
      throw badResponse(request, this.name, '`choices[0].message.content` is not a string');
    return { text: content, usage: usageOf(json['usage']) };
  }

  async *stream(request: ProviderRequest): AsyncGenerator<ProviderStreamChunk> {
    const response = await postJson(
      openaiUrl(request.endpoint),
      openaiBody(request, true),
      request,
      this.name,
    );
    let usage: ProviderStreamChunk['usage'];
    let complete = false;
    for await (const line of lines(response.body)) {
      if (!line.startsWith('data:')) continue; // comments, event names, blank separators
      const data = line.slice(5).trim();
      if (data === '[DONE]') {
        complete = true;
        break;
      }
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(data) as Record<string, unknown>;
      } catch (error) {
        throw badResponse(request, this.name, 'SSE data is not valid JSON', error);
      }
      if (json['error'] !== undefined) {
        const message = (json['error'] as { message?: unknown })?.message;
        throw new ProviderError(
          `openai ${endpointLabel(request.endpoint)} failed mid-stream: ${request.redact(typeof message === 'string' ? message : 'error event')}`,
          { retryable: false, details: { endpoint: endpointLabel(request.endpoint), provider: this.name } },
        );
      }
      if (json['usage']) usage = usageOf(json['usage']);
      const choice = firstChoice(json);
      if (typeof choice?.['finish_reason'] === 'string') complete = true;
      const delta = choice?.['delta'] as { content?: unknown } | undefined;
      if (typeof delta?.content === 'string' && delta.content !== '') yield { text: delta.content };
    }
    // A complete stream names a `finish_reason` and ends with `data: [DONE]`; neither means it was cut off.
    if (!complete) throw truncatedStream(request, this.name);
    yield { text: '', usage: usage ?? { tokensIn: 0, tokensOut: 0 } };
  }
}

const urls = new Map<string, string>();
function openaiUrl(endpoint: string): string {
  let url = urls.get(endpoint);
  if (url === undefined) {
    url = chatCompletionsUrl(endpoint);
    if (urls.size >= 1_000) urls.clear();
    urls.set(endpoint, url);
  }
  return url;
}

function chatCompletionsUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/chat/completions';
  else if (!/\/chat\/completions\/?$/.test(u.pathname))
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/chat/completions`;
  return u.toString();
}

function openaiBody(request: ProviderRequest, stream: boolean): Record<string, unknown> {
  const messages: ChatMessage[] = request.messages ?? [{ role: 'user', content: request.prompt ?? '' }];
  const body: Record<string, unknown> = { model: request.model, messages, stream };
  if (stream) body['stream_options'] = { include_usage: true };
  if (request.maxTokens !== undefined) body['max_tokens'] = request.maxTokens;
  if (request.temperature !== undefined) body['temperature'] = request.temperature;
  return body;
}

function firstChoice(json: Record<string, unknown>): Record<string, unknown> | undefined {
  const choices = json['choices'];
  if (!Array.isArray(choices) || typeof choices[0] !== 'object' || choices[0] === null) return undefined;
  return choices[0] as Record<string, unknown>;
}

function usageOf(raw: unknown): { tokensIn: number; tokensOut: number } {
  const u = (raw ?? {}) as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return { tokensIn: count(u.prompt_tokens), tokensOut: count(u.completion_tokens) };
}
