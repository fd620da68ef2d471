import type { IncomingMessage, ServerResponse } from 'node:http';
import { Webhooks } from '@octokit/webhooks';
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { WebhookOutcome } from '../../services/merge-queue/merge-queue-service.js';
import type { QueueWebhookEvent } from '../../services/merge-queue/webhook-event.js';
import type { Db } from '../../store/db.js';
import { processedRequests } from '../../store/schema/requests.js';
import { sendJson, type HttpRoute } from '../http-routes.js';
import { parseQueueWebhook } from './webhook-event-parser.js';

const MAX_BODY_BYTES = 25 * 1024 * 1024;

export interface GitHubWebhookDeps {
  /** GITHUB_WEBHOOK_SECRET */
  secret: string;
  queue: { handleWebhook(event: QueueWebhookEvent): Promise<WebhookOutcome> };
  /** When given, a redelivered X-GitHub-Delivery is answered without acting twice. */
  db?: Db;
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

/** POST /github/webhook: verified with the webhook secret (X-Hub-Signature-256), parsed, handed to the queue. */
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
      const key = delivery ? `github:${delivery}` : null;
      if (deps.db && key) {
        const inserted = await deps.db.insert(processedRequests).values({ key, source: 'github_webhook' }).onConflictDoNothing().returning();
        if (inserted.length === 0) {
          sendJson(res, 200, { duplicate: true });
          return;
        }
      }
      try {
        const outcome = await deps.queue.handleWebhook(event);
        sendJson(res, 200, outcome);
      } catch (error) {
        deps.logger?.error({ err: error, event: eventName, delivery }, 'github webhook failed');
        // Forget the delivery, so GitHub's redelivery (or a manual one) is acted on.
        if (deps.db && key) await deps.db.delete(processedRequests).where(eq(processedRequests.key, key)).catch(() => {});
        sendJson(res, 500, { error: 'internal error' });
      }
    },
  };
}
