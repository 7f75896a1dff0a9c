/** The undici transport (issue #14): keep-alive connections reused per origin; `close()` closes it. */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LLMClient } from '../../src/llm/index.js';
import { FakeRegistry, makeModel } from '../helpers/fakes.js';

const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('HttpTransport through LLMClient', () => {
  it('reuses keep-alive connections for sequential calls, and llm.close() closes it', async () => {
    const sockets: Socket[] = [];
    const closed: Socket[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ text: 'hi' }));
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s) => {
      sockets.push(s);
      s.on('close', () => closed.push(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push({ close: () => server.close() });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/generate`;
    const model = makeModel({ provider: 'http', configuration: { endpoint: url } });
    const llm = new LLMClient({ modelRegistry: new FakeRegistry({ interaction_layer: model }) });
    for (let i = 0; i < 20; i++) await llm.generate({ useCase: 'interaction_layer', prompt: `p${i}` });
    // Kept alive and reused (undici may open a second one while the first is being released).
    expect(sockets.length).toBeLessThanOrEqual(2);
    expect(closed).toHaveLength(0);
    await llm.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toHaveLength(sockets.length);
  });
});
