import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The platform's side of the traffic and infra webhooks, on loopback: answers 200 (traffic with the
 * weights now in effect, as a router that confirms does) and records every call with the moment it
 * arrived, so tests and benchmarks can count effects and time them.
 */

export interface RecordedWebhook {
  path: '/traffic' | '/infra' | string;
  /** process.hrtime in ms when the request arrived. */
  atMs: number;
  idempotencyKey: string | undefined;
  body: Record<string, unknown>;
}

export class WebhookRecorder {
  readonly calls: RecordedWebhook[] = [];
  #server: Server | undefined;
  #listeners: Array<(call: RecordedWebhook) => void> = [];
  /** Answer this status instead of 200 (fault trials). */
  failWith: number | null = null;
  /**
   * Calls this matches are recorded but never answered: the caller's request stays in flight
   * (fault trials kill the app mid-call). The hold ends when the caller goes away.
   */
  hold: ((call: RecordedWebhook) => boolean) | null = null;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const atMs = Number(process.hrtime.bigint()) / 1e6;
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        } catch {
          // Recorded as an empty body.
        }
        const key = req.headers['x-delivery-idempotency-key'];
        const call: RecordedWebhook = { path: new URL(req.url ?? '/', 'http://r').pathname, atMs, idempotencyKey: Array.isArray(key) ? key[0] : key ?? (body.idempotencyKey as string | undefined), body };
        this.calls.push(call);
        const held = this.hold?.(call) ?? false;
        for (const listener of this.#listeners) listener(call);
        if (held) return;
        if (this.failWith !== null) {
          res.writeHead(this.failWith, { 'content-type': 'application/json' });
          res.end('{"error":"injected"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(call.path === '/traffic' ? { weights: body.weights } : { status: 'done' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#server = server;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  /** Resolves with the first call (already recorded or arriving) that matches, or null after `timeoutMs`. */
  waitFor(match: (call: RecordedWebhook) => boolean, timeoutMs: number): Promise<RecordedWebhook | null> {
    const found = this.calls.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const listener = (call: RecordedWebhook) => {
        if (!match(call)) return;
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((entry) => entry !== listener);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.#listeners = this.#listeners.filter((entry) => entry !== listener);
        resolve(null);
      }, timeoutMs);
      this.#listeners.push(listener);
    });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on: connections to it are refused at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
