/**
 * A game backend's NPC dialogue service on plain `node:http`, with the SDK embedded:
 *
 *   POST /talk     {"playerId": "p1", "text": "Hello"}  → the NPC's answer through llm.generate
 *   GET  /health   the SDK's health report (200 ok, 503 degraded)
 *   GET  /metrics  Prometheus metrics of every part (scrape it; see monitoring/ for rules and a dashboard)
 *
 *   npx tsx examples/http-service.ts                     # embedded database, a simulated model, port 3000
 *   DATABASE_URL=postgres://… PORT=3001 npx tsx examples/http-service.ts   # a replica on PostgreSQL
 *   npx tsx examples/http-service.ts --self-test         # start on a free port, call every route, exit
 *
 * With no database configured it runs on the embedded PGlite database. When the use case has no
 * current model yet, it registers a simulated one, so the service answers out of the box. Several
 * replicas on one PostgreSQL share models, rollouts and metrics rows; each serves its own /metrics.
 * `DATABASE_SCHEMA` puts the SDK's tables in a schema of their own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConflictError,
  configFromEnv,
  createModelManagement,
  type ModelManagement,
  ModelManagementError,
  NotFoundError,
} from '../src/index.js';

const USE_CASE = 'interaction_layer';
const MAX_BODY_BYTES = 16 * 1024;

/** Builds the SDK from the environment; the schema, when given, is this service's own setting. */
async function openSdk(): Promise<ModelManagement> {
  const { database } = configFromEnv(process.env);
  const schema = process.env.DATABASE_SCHEMA?.trim();
  return createModelManagement.fromEnv(process.env, {
    ...(database && schema ? { db: { ...database, schema } } : {}),
    llmClient: { inputGuardrails: true }, // players type anything: check what they say, too
  });
}

/** Registers a simulated NPC model when the use case has no current model (first start). */
async function ensureModel(mm: ModelManagement): Promise<void> {
  if (await mm.modelRegistry.getCurrentModel(USE_CASE)) return;
  try {
    const model = await mm.modelRegistry.registerModel({
      modelName: 'npc-dialogue',
      modelType: 'self_hosted',
      provider: 'simulated',
      useCase: USE_CASE,
      version: '1.0',
      configuration: { seed: 'npc-dialogue', latencyMs: 5, latencyJitterMs: 20 },
    });
    await mm.modelRegistry.updateModelStatus(model.id, 'current', { reason: 'example service first start' });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error; // another replica registered it first
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RangeError(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** The request handler: three routes, JSON errors with the SDK's error code. */
function handler(mm: ModelManagement) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method === 'GET' && path === '/metrics') {
        send(res, 200, await mm.prometheus.metrics(), mm.prometheus.contentType);
      } else if (req.method === 'GET' && path === '/health') {
        const report = await mm.health();
        send(res, report.status === 'ok' ? 200 : 503, report);
      } else if (req.method === 'POST' && path === '/talk') {
        let body: { playerId?: unknown; text?: unknown };
        try {
          body = (await readJson(req)) as typeof body;
        } catch (error) {
          send(res, 400, {
            error: 'BAD_REQUEST',
            message: `Expected a JSON body: ${(error as Error).message}`,
          });
          return;
        }
        const { playerId, text } = body ?? {};
        if (typeof playerId !== 'string' || playerId === '' || typeof text !== 'string' || text === '') {
          send(res, 400, { error: 'BAD_REQUEST', message: 'Expected {"playerId": string, "text": string}' });
          return;
        }
        const reply = await mm.llmClient.generate({
          useCase: USE_CASE,
          prompt: text,
          stickyKey: playerId,
          playerId,
        });
        send(res, 200, {
          text: reply.text,
          source: reply.source,
          variant: reply.variant,
          modelVersion: reply.modelVersion,
          latencyMs: Math.round(reply.latencyMs * 10) / 10,
        });
      } else {
        send(res, 404, { error: 'NOT_FOUND', message: `No route ${req.method} ${path}` });
      }
    } catch (error) {
      const code = error instanceof ModelManagementError ? error.code : 'INTERNAL';
      const status = error instanceof NotFoundError ? 404 : error instanceof ModelManagementError ? 503 : 500;
      send(res, status, { error: code, message: error instanceof Error ? error.message : String(error) });
    }
  };
}

/** Calls every route of the running service once and checks the answers (used by examples/run-all.ts). */
async function selfTest(base: string): Promise<void> {
  const talk = await fetch(`${base}/talk`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ playerId: 'player-1', text: 'Any news from the north road?' }),
  });
  const reply = (await talk.json()) as { text: string; source: string };
  console.log(`POST /talk    ${talk.status} ${reply.source}: ${reply.text}`);
  const health = await fetch(`${base}/health`);
  console.log(`GET  /health  ${health.status} ${((await health.json()) as { status: string }).status}`);
  const metrics = await fetch(`${base}/metrics`);
  const text = await metrics.text();
  const served = text.match(/^mms_llm_request_duration_seconds_count\{[^}]*\} (\d+)$/m)?.[1];
  console.log(
    `GET  /metrics ${metrics.status} ${text.split('\n').length} lines, ${served} request(s) served`,
  );
  if (talk.status !== 200 || health.status !== 200 || metrics.status !== 200 || served !== '1') {
    throw new Error('self-test failed');
  }
}

const mm = await openSdk();
await ensureModel(mm);
const server = createServer(handler(mm));
const selfTesting = process.argv.includes('--self-test');
const port = selfTesting ? 0 : Number(process.env.PORT ?? 3000);
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`NPC dialogue service on ${base} (database: ${mm.db.backend})`);

let stopping: Promise<void> | null = null;
const stop = () => {
  stopping ??= (async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await mm.close();
  })();
  return stopping;
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

if (selfTesting) {
  try {
    await selfTest(base);
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    server.closeAllConnections();
    await stop();
  }
}
