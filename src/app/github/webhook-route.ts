import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks } from '@octokit/webhooks';
import type { Logger } from 'pino';
import type { QueueWebhookEvent } from '../../domain/merge-queue/webhook-event.js';
import { sendJson, type HttpRoute } from '../http-routes.js';
import { parseQueueWebhook } from './webhook-event-parser.js';

const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** The queue's webhook inbox: records a delivery once per X-GitHub-Delivery (the service implements it). */
export interface WebhookInbox {
  receiveWebhook(deliveryId: string, event: QueueWebhookEvent): Promise<'recorded' | 'duplicate' | 'ignored'>;
}

export interface GitHubWebhookDeps {
  /** GITHUB_WEBHOOK_SECRET */
  secret: string;
  inbox: WebhookInbox;
  /** Called after a delivery is recorded: wakes the processor (never awaited by the answer to GitHub). */
  onRecorded?: () => void;
  logger?: Logger;
}
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('payload too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * POST /github/webhook: verified with the webhook secret (X-Hub-Signature-256), parsed, recorded in
 * the queue's inbox (deduplicated by X-GitHub-Delivery) and answered 202 at once; the queue processes
 * the inbox afterwards, so no delivery waits on GitHub's 10 s timeout, and a crash after the answer
 * loses nothing (the recorded delivery is processed on restart).
 */
export function githubWebhookRoute(deps: GitHubWebhookDeps): HttpRoute {
  const webhooks = new Webhooks({ secret: deps.secret });
  return {
    path: '/github/webhook',
    method: 'POST',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      let body: string;
      try {
        body = await readBody(req);
      } catch {
        sendJson(res, 413, { error: 'payload too large' });
        return;
      }
      const signature = header(req, 'x-hub-signature-256');
      if (!signature || !(await webhooks.verify(body, signature).catch(() => false))) {
        sendJson(res, 401, { error: 'signature does not match' });
        return;
      }
      const eventName = header(req, 'x-github-event') ?? '';
      const delivery = header(req, 'x-github-delivery');
      if (!delivery) {
        sendJson(res, 400, { error: 'X-GitHub-Delivery header is missing' });
        return;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        sendJson(res, 400, { error: 'body is not JSON' });
        return;
      }
      const event = parseQueueWebhook(eventName, payload);
      if (event.kind === 'ignored') {
        sendJson(res, 200, { ignored: event.reason });
        return;
      }
      try {
        const recorded = await deps.inbox.receiveWebhook(delivery, event);
        if (recorded === 'duplicate') {
          sendJson(res, 200, { duplicate: true });
          return;
        }
        if (recorded === 'ignored') {
          sendJson(res, 200, { ignored: 'the merge queue is not configured' });
          return;
        }
        sendJson(res, 202, { recorded: delivery });
        deps.onRecorded?.();
      } catch (error) {
        deps.logger?.error({ err: error, event: eventName, delivery }, 'github webhook could not be recorded');
        // Not recorded: GitHub's redelivery (or a manual one) brings it again.
        sendJson(res, 503, { error: 'the delivery could not be recorded; redeliver it' });
      }
    },
  };
}
