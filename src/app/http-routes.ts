import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql, type SQL } from 'drizzle-orm';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { queryRows, type Database } from '../store/db.js';
import type { Logger } from './logger.js';

/** The shape Bolt's receivers accept as customRoutes (and that a plain node:http server can dispatch). */
export interface HttpRoute {
  path: string;
  method: string | string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

/**
 * Bolt calls a custom route's handler without awaiting it: a rejected promise would be unhandled and
 * end the process. Every route served next to /slack/events goes through this, so a failing
 * handler answers 500 and is logged instead.
 */
export function guardRoute(route: HttpRoute, logger: Logger): HttpRoute {
  return {
    ...route,
    handler: (req, res) => {
      Promise.resolve()
        .then(() => route.handler(req, res))
        .catch((error: unknown) => {
          logger.error({ err: error, path: route.path }, 'route handler failed');
          if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
          else res.end();
        });
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/**
 * /healthz answers while the process runs; /readyz only when the database answers and every
 * migration is applied; /metrics is Prometheus text, with store gauges read at scrape time so the
 * engine needs no metrics plumbing of its own.
 */
export function operationalRoutes(database: Database, registry: Registry = new Registry()): { routes: HttpRoute[]; registry: Registry } {
  collectDefaultMetrics({ register: registry });

  const countBy = (name: string, help: string, label: string, query: SQL) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await queryRows<{ key: string; n: number }>(database.db, query).catch(() => []);
        for (const row of rows) this.set({ [label]: row.key }, row.n);
      },
    });
  countBy('durable_delivery_releases', 'Releases by status', 'status', sql`SELECT status AS key, count(*)::int AS n FROM releases GROUP BY status`);
  countBy('durable_delivery_outbox_pending', 'Effects waiting in the outbox, by lane', 'lane', sql`SELECT lane AS key, count(*)::int AS n FROM outbox WHERE status = 'pending' GROUP BY lane`);
  countBy(
    'durable_delivery_merge_queue_length',
    'Pull requests in the merge queue (queued, updating, validating or batched), by repository',
    'repo',
    sql`SELECT repo AS key, count(*)::int AS n FROM merge_queue_entries WHERE status IN ('queued', 'updating', 'validating', 'batched') GROUP BY repo`,
  );
  // Read from the store, so every replica reports the same total (the merge itself runs on one).
  countBy('durable_delivery_merge_queue_merged', 'Pull requests the merge queue has merged, all time, by repository', 'repo', sql`SELECT repo AS key, count(*)::int AS n FROM merge_queue_entries WHERE status = 'merged' GROUP BY repo`);

  const routes: HttpRoute[] = [
    { path: '/healthz', method: 'GET', handler: (_req, res) => sendJson(res, 200, { ok: true }) },
    {
      path: '/readyz',
      method: 'GET',
      handler: async (_req, res) => {
        const ready = await database.ready();
        sendJson(res, ready.ok ? 200 : 503, ready);
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: async (_req, res) => {
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
    },
  ];
  return { routes, registry };
}
