import { ProviderError, ProviderRateLimitError } from '../../errors.js';
import { endpointLabel } from '../model-config.js';
import type { ProviderRequest } from '../provider.js';

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

/** The typed error for a non-2xx answer: 429 → rate limit, 5xx → retryable, other 4xx → not retryable. */
export function errorFromResponse(
  status: number,
  retryAfter: string | null,
  bodyText: string,
  request: ProviderRequest,
  providerName: string,
): ProviderError {
  const where = `${providerName} ${endpointLabel(request.endpoint)}`;
  const body = request.redact(bodyText).slice(0, BODY_SNIPPET);
  const details = { endpoint: endpointLabel(request.endpoint), provider: providerName, status, body };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, Date.now());
    return new ProviderRateLimitError(
      `${where} answered 429 Too Many Requests${retryAfterMs === undefined ? '' : ` (Retry-After ${retryAfterMs} ms)`}`,
      { retryAfterMs, details },
    );
  }
  return new ProviderError(`${where} answered HTTP ${status}`, {
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

/** POSTs JSON and returns the successful response (throws the typed error for a non-2xx one). */
export async function postJson(
  url: string,
  body: unknown,
  request: ProviderRequest,
  providerName: string,
): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...request.headers },
    body: JSON.stringify(body),
    signal: request.signal,
  });
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw errorFromResponse(
      response.status,
      response.headers.get('retry-after'),
      text,
      request,
      providerName,
    );
  }
  return response;
}

/** Reads a JSON body, mapping parse failures to `PROVIDER_BAD_RESPONSE`. */
export async function readJson(
  response: Response,
  request: ProviderRequest,
  providerName: string,
): Promise<Record<string, unknown>> {
  const text = await response.text();
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
export async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      yield line;
      nl = buffer.indexOf('\n');
    }
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer.replace(/\r$/, '');
}

/** A non-negative integer from a provider's usage field, else 0. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}
