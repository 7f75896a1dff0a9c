/**
 * Real local HTTP servers speaking the providers' wire formats (Ollama NDJSON, OpenAI SSE, the
 * host guide's plain `{prompt} → {text}`), with scripted faults: slow answers, statuses with
 * `Retry-After`, malformed JSON, connection resets, servers that never answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Wire format a stub speaks. */
export type StubFormat = 'ollama' | 'openai' | 'http';

/** What the stub does with one request. */
export type StubBehavior =
  | { kind: 'ok'; text?: string; delayMs?: number; chunkDelayMs?: number; chunks?: string[] }
  | { kind: 'status'; status: number; body?: string; retryAfter?: string; delayMs?: number }
  | { kind: 'malformed' }
  | { kind: 'reset' }
  | { kind: 'reset_mid_stream'; chunks: string[] }
  | { kind: 'hang' };

/** A request the stub received. */
export interface StubRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  at: number;
}

/** A running stub. */
export interface ProviderStub {
  readonly url: string;
  readonly format: StubFormat;
  readonly requests: StubRequest[];
  /** Behaviours for the next requests, consumed in order; then `setDefault`'s applies. */
  enqueue(...behaviors: StubBehavior[]): void;
  setDefault(behavior: StubBehavior): void;
  close(): Promise<void>;
}

/** Starts a stub on 127.0.0.1 with a free port. */
export async function startProviderStub(
  format: StubFormat,
  defaultBehavior: StubBehavior = { kind: 'ok' },
): Promise<ProviderStub> {
  const queue: StubBehavior[] = [];
  let fallback = defaultBehavior;
  const requests: StubRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
    });
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        body = { _raw: raw };
      }
      requests.push({ path: req.url ?? '/', headers: req.headers, body, at: Date.now() });
      void handle(format, queue.shift() ?? fallback, req, res, body);
    });
  });
  server.keepAliveTimeout = 1_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    format,
    requests,
    enqueue: (...b) => queue.push(...b),
    setDefault: (b) => {
      fallback = b;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function handle(
  format: StubFormat,
  b: StubBehavior,
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
): Promise<void> {
  switch (b.kind) {
    case 'hang':
      return; // never answer; the socket is destroyed on close()
    case 'reset':
      req.socket.destroy();
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"response": "unterminated');
      return;
    case 'status': {
      if (b.delayMs) await sleep(b.delayMs);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (b.retryAfter !== undefined) headers['retry-after'] = b.retryAfter;
      res.writeHead(b.status, headers);
      res.end(b.body ?? JSON.stringify({ error: { message: `stub status ${b.status}` } }));
      return;
    }
    case 'reset_mid_stream': {
      startStream(format, res);
      for (const c of b.chunks) res.write(streamChunk(format, body, c));
      await sleep(20);
      req.socket.destroy();
      return;
    }
    case 'ok': {
      if (b.delayMs) await sleep(b.delayMs);
      const text = b.text ?? `echo: ${promptOf(body)}`;
      if (body['stream'] === true) {
        startStream(format, res);
        for (const c of b.chunks ?? text.split(/(?<= )/)) {
          if (res.destroyed) return;
          res.write(streamChunk(format, body, c));
          if (b.chunkDelayMs) await sleep(b.chunkDelayMs);
        }
        res.end(streamEnd(format, body));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(complete(format, body, text)));
      return;
    }
  }
}

function promptOf(body: Record<string, unknown>): string {
  if (typeof body['prompt'] === 'string') return body['prompt'];
  const messages = body['messages'] as Array<{ content: string }> | undefined;
  return messages?.map((m) => m.content).join(' | ') ?? '';
}

function complete(format: StubFormat, body: Record<string, unknown>, text: string): Record<string, unknown> {
  if (format === 'http') return { text };
  if (format === 'openai') {
    return {
      id: 'chatcmpl-stub',
      object: 'chat.completion',
      model: body['model'],
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
    };
  }
  const common = {
    model: body['model'],
    created_at: new Date().toISOString(),
    done: true,
    prompt_eval_count: 7,
    eval_count: 5,
  };
  return body['messages']
    ? { ...common, message: { role: 'assistant', content: text } }
    : { ...common, response: text };
}

function startStream(format: StubFormat, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': format === 'openai' ? 'text/event-stream' : 'application/x-ndjson' });
}

function streamChunk(format: StubFormat, body: Record<string, unknown>, text: string): string {
  if (format === 'openai')
    return `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
  const piece = body['messages'] ? { message: { role: 'assistant', content: text } } : { response: text };
  return `${JSON.stringify({ model: body['model'], done: false, ...piece })}\n`;
}

function streamEnd(format: StubFormat, body: Record<string, unknown>): string {
  if (format === 'openai') {
    return `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 5 } })}\n\ndata: [DONE]\n\n`;
  }
  const piece = body['messages'] ? { message: { role: 'assistant', content: '' } } : { response: '' };
  return `${JSON.stringify({ model: body['model'], done: true, prompt_eval_count: 7, eval_count: 5, ...piece })}\n`;
}

/**
 * What a docs-conformant server does with one request (see {@link startDocsServer}).
 * `truncated` sends `chunks` and ends the body without the vendor's end marker (Ollama's final
 * `done: true` object; OpenAI's `finish_reason` chunk and `data: [DONE]`).
 */
export type DocsBehavior =
  | { kind: 'ok'; text?: string; chunks?: string[] }
  | { kind: 'error'; status: number; message: string; headers?: Record<string, string> }
  | { kind: 'truncated'; chunks: string[] };

/** A docs-conformant server and what it received. */
export interface DocsServer {
  readonly url: string;
  readonly requests: StubRequest[];
  enqueue(...behaviors: DocsBehavior[]): void;
  close(): Promise<void>;
}

/**
 * A server written from the vendors' API documentation, not from our client:
 * - `ollama` (docs.ollama.com/api): `POST /api/generate` (`prompt` → `response`) and `POST /api/chat`
 *   (`messages` → `message`); streaming is the default (`application/x-ndjson`, one JSON object a
 *   line, the last with `done: true`, `done_reason` and the `prompt_eval_count`/`eval_count` counts);
 *   errors are `{ "error": "…" }` with the HTTP status; any other path is Go's plain-text
 *   `404 page not found`.
 * - `openai` (platform.openai.com/docs/api-reference/chat): `POST /v1/chat/completions` only;
 *   `stream: true` answers `text/event-stream` of `chat.completion.chunk` objects whose last choice
 *   has a `finish_reason`, a usage chunk with `choices: []` when `stream_options.include_usage`,
 *   then `data: [DONE]`; errors are `{ "error": { "message", "type", "param", "code" } }`, and 429s
 *   carry `retry-after-ms` / `x-ratelimit-*` headers when the test gives them.
 */
export async function startDocsServer(vendor: 'ollama' | 'openai'): Promise<DocsServer> {
  const queue: DocsBehavior[] = [];
  const requests: StubRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
    });
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        body = { _raw: raw };
      }
      requests.push({ path: req.url ?? '/', headers: req.headers, body, at: Date.now() });
      const routes = vendor === 'ollama' ? ['/api/generate', '/api/chat'] : ['/v1/chat/completions'];
      if (req.method !== 'POST' || !routes.includes(req.url ?? '')) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(
          vendor === 'ollama'
            ? '404 page not found'
            : JSON.stringify(openaiError('Not found', 'invalid_request_error')),
        );
        return;
      }
      const b = queue.shift() ?? { kind: 'ok' };
      if (b.kind === 'error') {
        res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers });
        res.end(
          JSON.stringify(
            vendor === 'ollama' ? { error: b.message } : openaiError(b.message, errorType(b.status)),
          ),
        );
        return;
      }
      const text = b.kind === 'ok' ? (b.text ?? `echo: ${promptOf(body)}`) : '';
      const chunks = b.kind === 'truncated' ? b.chunks : (b.chunks ?? text.split(/(?<= )/));
      const chat = req.url === '/api/chat';
      const model = String(body['model'] ?? '');
      // Ollama streams unless `stream: false`; OpenAI streams only with `stream: true`.
      const streaming = vendor === 'ollama' ? body['stream'] !== false : body['stream'] === true;
      if (!streaming) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            vendor === 'ollama' ? ollamaFinal(model, chat, text) : openaiCompletion(model, text),
          ),
        );
        return;
      }
      if (vendor === 'ollama') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        for (const c of chunks) res.write(`${JSON.stringify(ollamaPiece(model, chat, c, false))}\n`);
        if (b.kind === 'truncated') return void res.end();
        res.end(`${JSON.stringify(ollamaFinal(model, chat, ''))}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: Record<string, unknown>, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-docs', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      for (const c of chunks) res.write(chunk({ content: c }, null));
      if (b.kind === 'truncated') return void res.end();
      res.write(chunk({}, 'stop'));
      if ((body['stream_options'] as { include_usage?: boolean } | undefined)?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ id: 'chatcmpl-docs', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } })}\n\n`,
        );
      }
      res.end('data: [DONE]\n\n');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...b) => queue.push(...b),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function ollamaPiece(model: string, chat: boolean, text: string, done: boolean): Record<string, unknown> {
  const piece = chat ? { message: { role: 'assistant', content: text } } : { response: text };
  return { model, created_at: new Date().toISOString(), ...piece, done };
}

function ollamaFinal(model: string, chat: boolean, text: string): Record<string, unknown> {
  return {
    ...ollamaPiece(model, chat, text, true),
    done_reason: 'stop',
    total_duration: 5_000_000,
    load_duration: 1_000_000,
    prompt_eval_count: 9,
    prompt_eval_duration: 1_000_000,
    eval_count: 4,
    eval_duration: 2_000_000,
  };
}

function openaiCompletion(model: string, text: string): Record<string, unknown> {
  return {
    id: 'chatcmpl-docs',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
  };
}

function openaiError(message: string, type: string): Record<string, unknown> {
  return { error: { message, type, param: null, code: type === 'invalid_request_error' ? null : type } };
}

function errorType(status: number): string {
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}
