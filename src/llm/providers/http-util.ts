import { StringDecoder } from 'node:string_decoder';
import { ProviderError, ProviderRateLimitError } from '../../errors.js';
import { endpointLabel } from '../model-config.js';
import type { ProviderRequest } from '../provider.js';
import { sharedTransport, type TransportResponse } from '../transport.js';

const BODY_SNIPPET = 200;

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `nowMs`;
 * `undefined` when absent or unparsable. Dates in the past give 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date always names its month (`Wed, 21 Oct 2015 07:28:00 GMT`); Date.parse alone would read '-5' as a year.
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The wait a throttled answer asks for: OpenAI's `retry-after-ms` (milliseconds) wins over the
 * standard `Retry-After` (seconds or an HTTP date); `undefined` when neither parses.
 */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): number | undefined {
  const ms = header(headers, 'retry-after-ms')?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  return parseRetryAfter(header(headers, 'retry-after'), nowMs);
}

/** One header's value (the first of repeated ones). */
export function header(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The provider's own explanation in an error body: OpenAI's `error.message`, Ollama's `error`, a
 * `message`/`detail` field, or the start of a plain-text body. Redacted, on one line, capped.
 */
export function providerMessage(bodyText: string, redact: (text: string) => string): string {
  let message = bodyText;
  try {
    const json = JSON.parse(bodyText) as Record<string, unknown>;
    const e = json['error'];
    const candidate =
      typeof e === 'string'
        ? e
        : typeof (e as { message?: unknown })?.message === 'string'
          ? (e as { message: string }).message
          : typeof json['message'] === 'string'
            ? json['message']
            : typeof json['detail'] === 'string'
              ? json['detail']
              : undefined;
    if (candidate !== undefined) message = candidate;
  } catch {
    // not JSON: the text itself
  }
  const clean = redact(message).replace(/\s+/g, ' ').trim();
  return clean.length > MESSAGE_CHARS ? `${clean.slice(0, MESSAGE_CHARS - 1)}…` : clean;
}

const MESSAGE_CHARS = 160;

/**
 * The typed error for a non-2xx answer: 429 → rate limit, 5xx → retryable, other 4xx → not retryable.
 * The message and `details` carry the status and the provider's (redacted) explanation.
 */
export function errorFromResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  request: ProviderRequest,
  providerName: string,
): ProviderError {
  const where = `${providerName} ${endpointLabel(request.endpoint)}`;
  const body = request.redact(bodyText).slice(0, BODY_SNIPPET);
  const message = providerMessage(bodyText, request.redact);
  const details = {
    endpoint: endpointLabel(request.endpoint),
    provider: providerName,
    status,
    body,
    message,
  };
  const explained = message === '' ? '' : `: ${message}`;
  if (status === 429) {
    const wait = retryAfterMs(headers, Date.now());
    return new ProviderRateLimitError(
      `${where} answered 429 Too Many Requests${wait === undefined ? '' : ` (Retry-After ${wait} ms)`}${explained}`,
      { retryAfterMs: wait, details },
    );
  }
  return new ProviderError(`${where} answered HTTP ${status}${explained}`, {
    status,
    retryable: status >= 500,
    details,
  });
}

/** Error for an answer whose body could not be understood. Not retried; counts against the breaker. */
export function badResponse(
  request: ProviderRequest,
  providerName: string,
  what: string,
  cause?: unknown,
): ProviderError {
  return new ProviderError(
    `${providerName} ${endpointLabel(request.endpoint)} sent a malformed answer: ${what}`,
    {
      code: 'PROVIDER_BAD_RESPONSE',
      retryable: false,
      cause,
      details: { endpoint: endpointLabel(request.endpoint), provider: providerName },
    },
  );
}

/** POSTs JSON through the request's transport and returns the 2xx answer (throws the typed error otherwise). */
export async function postJson(
  url: string,
  body: unknown,
  request: ProviderRequest,
  providerName: string,
): Promise<TransportResponse> {
  const transport = request.transport ?? sharedTransport;
  const response = await transport.post(
    url,
    JSON.stringify(body),
    { 'content-type': 'application/json', accept: 'application/json', ...request.headers },
    request.signal,
  );
  if (response.status < 200 || response.status > 299) {
    const text = await response.body.text().catch(() => '');
    throw errorFromResponse(response.status, response.headers, text, request, providerName);
  }
  return response;
}

/** Reads a JSON body, mapping parse failures to `PROVIDER_BAD_RESPONSE`. */
export async function readJson(
  response: TransportResponse,
  request: ProviderRequest,
  providerName: string,
): Promise<Record<string, unknown>> {
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badResponse(request, providerName, 'body is not valid JSON', error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badResponse(request, providerName, 'body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Splits a byte stream into lines (NDJSON and SSE both are line-based). */
export async function* lines(body: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  for await (const bytes of body) {
    buffer += typeof bytes === 'string' ? bytes : decoder.write(bytes);
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.charCodeAt(nl - 1) === 13 ? buffer.slice(0, nl - 1) : buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      yield line;
      nl = buffer.indexOf('\n');
    }
  }
  buffer += decoder.end();
  if (buffer.length > 0) yield buffer.replace(/\r$/, '');
}

/**
 * Error for a stream that ended before the provider said it was complete (Ollama's `done: true`,
 * OpenAI's `finish_reason` / `data: [DONE]`): a connection failure, retried when no chunk was
 * delivered yet.
 */
export function truncatedStream(request: ProviderRequest, providerName: string): ProviderError {
  return new ProviderError(
    `${providerName} ${endpointLabel(request.endpoint)}: the stream ended before the provider marked it complete`,
    {
      code: 'PROVIDER_CONNECTION_ERROR',
      retryable: true,
      details: { endpoint: endpointLabel(request.endpoint), provider: providerName, truncated: true },
    },
  );
}

/** A non-negative integer from a provider's usage field, else 0. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}
