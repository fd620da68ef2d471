import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal Slack Web API on loopback for load tests: answers every method `ok` (auth.test with the
 * bot's identity, posts with a fresh ts) and every other POST (a response_url) with 200, and counts
 * calls by method (GET /__counts answers them as JSON). Lighter than the sandbox emulator, so it
 * costs whoever hosts it little; bench/workers/slack-stub.ts runs it as a process of its own.
 * `down()` closes it, so the app meets an unreachable Slack.
 */
export class SlackStub {
  readonly counts = new Map<string, number>();
  /** What was posted to response URLs (any path outside /api/), in order; kept unless `keepResponses` is false. */
  readonly responses: Array<{ path: string; body: string }> = [];
  #server: Server | undefined;
  #port = 0;
  #ts = 0;

  constructor(private readonly options: { keepResponses?: boolean } = {}) {}

  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  get responseUrl(): string {
    return `${this.url}/response`;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://stub').pathname;
      if (req.method === 'GET' && path === '/__counts') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(Object.fromEntries(this.counts)));
        return;
      }
      const method = path.startsWith('/api/') ? path.slice(5) : 'response_url';
      this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
      if (method === 'response_url' && this.options.keepResponses !== false) this.responses.push({ path, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (method === 'auth.test') {
        res.end(JSON.stringify({ ok: true, url: 'https://delivery.slack.com/', team: 'Delivery', user: 'delivery', team_id: 'T0DELIVERY', user_id: 'U0DELIVBOT', bot_id: 'B0DELIVBOT' }));
        return;
      }
      const ts = `1700000000.${String(++this.#ts).padStart(6, '0')}`;
      const channel = /channel=([^&]+)/.exec(Buffer.concat(chunks).toString())?.[1] ?? 'C0DEPLOYS';
      res.end(JSON.stringify({ ok: true, ts, channel: decodeURIComponent(channel), message: { ts }, users: [] }));
    });
  }
}

/** The stub running in its own process (bench/workers/slack-stub.ts), seen from the bench. */
export class RemoteSlackStub {
  constructor(readonly url: string) {}

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  get responseUrl(): string {
    return `${this.url}/response`;
  }

  /** Calls received so far by method (`response_url` for answers to response URLs). */
  async counts(): Promise<Map<string, number>> {
    const answer = await fetch(`${this.url}/__counts`);
    return new Map(Object.entries((await answer.json()) as Record<string, number>));
  }
}
