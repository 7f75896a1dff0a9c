import { Pool } from 'undici';

/** Options of an {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** Keep-alive connections per endpoint origin. @default 64 */
  connectionsPerOrigin?: number;
  /** How long an idle connection is kept open, ms. @default 30_000 */
  keepAliveTimeoutMs?: number;
}

/** An HTTP answer: status, lower-case headers and the body as a Node stream. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body: iterate it for chunks, or read it whole with `text()`. */
  body: TransportBody;
}

/** A response body: iterate it for chunks (a Node readable stream underneath), or read it whole. */
export interface TransportBody extends AsyncIterable<Buffer | string> {
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** Discards the rest of the body (frees the connection). */
  dump(): Promise<void>;
}

/**
 * Providers' HTTP client: `undici` with one keep-alive `Pool` per endpoint origin, bodies as
 * Node streams (no web-stream layer), aborted by the request's signal. Global `fetch` costs about five
 * times the CPU per call. `LLMClient.close()` closes the pools it created.
 * @example
 * ```ts
 * const transport = new HttpTransport();
 * const res = await transport.post('http://127.0.0.1:11434/api/generate', '{"model":"m","prompt":"hi"}', {}, signal);
 * console.log(res.status, await res.body.text());
 * await transport.close();
 * ```
 */
export class HttpTransport {
  private readonly pools = new Map<string, Pool>();
  private readonly connections: number;
  private readonly keepAliveTimeout: number;

  constructor(options: HttpTransportOptions = {}) {
    this.connections = options.connectionsPerOrigin ?? 64;
    this.keepAliveTimeout = options.keepAliveTimeoutMs ?? 30_000;
  }

  /** POSTs `body` to `url`; resolves when the status and headers arrived. */
  async post(
    url: string,
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<TransportResponse> {
    const target = splitUrl(url);
    const res = await this.pool(target.origin).request({
      method: 'POST',
      path: target.path,
      headers,
      body,
      signal,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** Closes every pool (connections in use finish first). Idempotent; a later `post` opens new pools. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.connections,
        keepAliveTimeout: this.keepAliveTimeout,
        // Our own deadlines (attempt timeout, request budget) bound every call.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

// Endpoints are few and fixed: parse each URL once.
const splitCache = new Map<string, { origin: string; path: string }>();
function splitUrl(url: string): { origin: string; path: string } {
  let hit = splitCache.get(url);
  if (!hit) {
    const u = new URL(url);
    hit = { origin: u.origin, path: `${u.pathname}${u.search}` };
    if (splitCache.size >= 1_000) splitCache.clear();
    splitCache.set(url, hit);
  }
  return hit;
}

/** The transport of providers called without one (a custom caller): connections are unref'd when idle. */
export const sharedTransport = new HttpTransport();
