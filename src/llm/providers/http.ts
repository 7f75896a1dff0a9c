import type { Provider, ProviderRequest, ProviderResponse } from '../provider.js';
import { badResponse, count, postJson, readJson } from './http-util.js';

/**
 * The host guide's plain endpoint: `POST {endpoint}` with `{ prompt, model?, maxTokens?, temperature? }`,
 * answered by `{ text }` (also accepted: `response`, `output`, `generated_text`). Messages are sent
 * as `messages` next to a `prompt` made of their contents. No streaming: a stream gets one chunk.
 * @example
 * ```ts
 * fallbackEndpoints: { foundation_layer: 'http://localhost:8001/generate' }
 * ```
 */
export class HttpProvider implements Provider {
  readonly name = 'http';

  async generate(request: ProviderRequest): Promise<ProviderResponse> {
    const body: Record<string, unknown> = {
      prompt: request.prompt ?? request.messages?.map((m) => m.content).join('\n') ?? '',
    };
    if (request.messages) body['messages'] = request.messages;
    if (request.model) body['model'] = request.model;
    if (request.maxTokens !== undefined) body['maxTokens'] = request.maxTokens;
    if (request.temperature !== undefined) body['temperature'] = request.temperature;
    const response = await postJson(request.endpoint, body, request, this.name);
    const json = await readJson(response, request, this.name);
    const text = json['text'] ?? json['response'] ?? json['output'] ?? json['generated_text'];
    if (typeof text !== 'string') throw badResponse(request, this.name, '`text` is not a string');
    const usage = (json['usage'] ?? {}) as { tokensIn?: unknown; tokensOut?: unknown };
    return { text, usage: { tokensIn: count(usage.tokensIn), tokensOut: count(usage.tokensOut) } };
  }
}
