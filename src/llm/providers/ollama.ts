import { ProviderError } from '../../errors.js';
import { endpointLabel } from '../model-config.js';
import type { Provider, ProviderRequest, ProviderResponse, ProviderStreamChunk } from '../provider.js';
import { badResponse, count, lines, postJson, readJson, truncatedStream } from './http-util.js';

/**
 * Ollama's native API: `POST /api/generate` for a prompt, `POST /api/chat` for messages; NDJSON when
 * streaming. The endpoint is Ollama's base URL (`http://localhost:11434`, or a proxy prefix such as
 * `https://gw.example/ollama`); the client appends `/api/generate` or `/api/chat`. An endpoint that
 * already ends in one of those is switched to match the input.
 * @example
 * ```ts
 * configuration: { endpoint: 'http://localhost:11434', model: 'llama3.1:8b' }
 * ```
 */
export class OllamaProvider implements Provider {
  readonly name = 'ollama';

  async generate(request: ProviderRequest): Promise<ProviderResponse> {
    const response = await postJson(ollamaUrl(request), ollamaBody(request, false), request, this.name);
    const json = await readJson(response, request, this.name);
    return { text: extractText(json, request), usage: usageOf(json) };
  }

  async *stream(request: ProviderRequest): AsyncGenerator<ProviderStreamChunk> {
    const response = await postJson(ollamaUrl(request), ollamaBody(request, true), request, this.name);
    for await (const line of lines(response.body)) {
      if (line.trim() === '') continue;
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw badResponse(request, this.name, 'stream line is not valid JSON', error);
      }
      if (typeof json['error'] === 'string') {
        throw new ProviderError(
          `ollama ${endpointLabel(request.endpoint)} failed mid-stream: ${request.redact(json['error'])}`,
          {
            retryable: false,
            details: { endpoint: endpointLabel(request.endpoint), provider: this.name },
          },
        );
      }
      const text = extractText(json, request, true);
      if (json['done'] === true) {
        yield { text, usage: usageOf(json) };
        return;
      }
      if (text !== '') yield { text };
    }
    // Ollama ends every complete stream with `done: true`; a body that stops before it was cut off.
    throw truncatedStream(request, this.name);
  }
}

const urls = new Map<string, string>();
function ollamaUrl(request: ProviderRequest): string {
  const want = request.messages ? '/api/chat' : '/api/generate';
  const key = `${want} ${request.endpoint}`;
  let url = urls.get(key);
  if (url === undefined) {
    url = apiUrl(request.endpoint, want);
    if (urls.size >= 1_000) urls.clear();
    urls.set(key, url);
  }
  return url;
}

function apiUrl(endpoint: string, want: string): string {
  const u = new URL(endpoint);
  const base = u.pathname.replace(/\/api\/(generate|chat)\/?$/, '').replace(/\/+$/, '');
  u.pathname = `${base}${want}`;
  return u.toString();
}

function ollamaBody(request: ProviderRequest, stream: boolean): Record<string, unknown> {
  const options: Record<string, number> = {};
  if (request.maxTokens !== undefined) options['num_predict'] = request.maxTokens;
  if (request.temperature !== undefined) options['temperature'] = request.temperature;
  const body: Record<string, unknown> = { model: request.model, stream, options };
  if (request.messages) body['messages'] = request.messages;
  else body['prompt'] = request.prompt;
  return body;
}

function extractText(json: Record<string, unknown>, request: ProviderRequest, partial = false): string {
  if (typeof json['response'] === 'string') return json['response'];
  const message = json['message'];
  if (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { content?: unknown }).content === 'string'
  ) {
    return (message as { content: string }).content;
  }
  if (partial && json['done'] === true) return '';
  throw badResponse(request, 'ollama', 'neither `response` nor `message.content` is a string');
}

function usageOf(json: Record<string, unknown>): { tokensIn: number; tokensOut: number } {
  return { tokensIn: count(json['prompt_eval_count']), tokensOut: count(json['eval_count']) };
}
