import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KeepAliveResponseUrls } from '../../src/adapters/slack/response-url.js';

/** A response_url on loopback: records each POST and answers with the status the test sets. */
let server: Server;
let base = '';
let status = 200;
let connections = 0;
const received: Array<{ path: string; type: string | undefined; body: unknown }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'expired_url');
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('posts each answer as JSON to its response_url, over one kept-alive connection', async () => {
  const urls = new KeepAliveResponseUrls();
  try {
    const before = connections;
    await urls.post(`${base}/commands/T1/1`, { response_type: 'ephemeral', text: 'one' });
    await urls.post(`${base}/commands/T1/2`, 'two');
    await urls.post(`${base}/commands/T1/3`, { text: 'three', blocks: [] });
    expect(received.slice(-3)).toEqual([
      { path: '/commands/T1/1', type: 'application/json; charset=utf-8', body: { response_type: 'ephemeral', text: 'one' } },
      { path: '/commands/T1/2', type: 'application/json; charset=utf-8', body: { text: 'two' } },
      { path: '/commands/T1/3', type: 'application/json; charset=utf-8', body: { text: 'three', blocks: [] } },
    ]);
    expect(connections - before).toBe(1);
  } finally {
    urls.close();
  }
});

it('fails when Slack does not take the answer (an expired response_url), and when nothing listens', async () => {
  const urls = new KeepAliveResponseUrls();
  try {
    status = 404;
    await expect(urls.post(`${base}/commands/T1/old`, { text: 'late' })).rejects.toThrow('response_url answered 404');
    status = 200;
    await expect(urls.post('http://127.0.0.1:9/closed', { text: 'nobody' })).rejects.toThrow();
  } finally {
    status = 200;
    urls.close();
  }
});
