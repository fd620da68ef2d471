import { sendJson, startHttpFake, type HttpFake } from './http-fake.js';

/**
 * A local Datadog speaking the v1 wire format (facts carried from Datadog's OpenAPI and recorded
 * responses): GET /api/v1/query → { status: "ok", res_type: "time_series", series: [{ pointlist:
 * [[epoch_ms, value | null], …], interval, … }] }; GET /api/v1/monitor → [monitor]; POST
 * /api/v1/events → 202 { status: "ok", event }. Keys are checked as Datadog does (403 otherwise).
 */

export interface FakeDatadogSeries {
  /** Seconds per bucket. */
  interval: number;
  /** Value per bucket start (epoch ms); null is a bucket without data. An empty answer has no series at all. */
  value(at: number): number | null;
}

export interface FakeMonitor {
  id: number;
  name: string;
  overall_state: string;
  tags: string[];
}

export interface FakeDatadog extends HttpFake {
  apiKey: string;
  appKey: string;
  /** Answers per exact query text; an unknown query answers with no series, as Datadog does for an unknown metric. */
  series: Map<string, FakeDatadogSeries | FakeDatadogSeries[]>;
  monitors: FakeMonitor[];
  events: unknown[];
}

export async function startFakeDatadog(keys: { apiKey?: string; appKey?: string } = {}): Promise<FakeDatadog> {
  const apiKey = keys.apiKey ?? 'dd-api-key-test';
  const appKey = keys.appKey ?? 'dd-app-key-test';
  const series = new Map<string, FakeDatadogSeries | FakeDatadogSeries[]>();
  const monitors: FakeMonitor[] = [];
  const events: unknown[] = [];
  const fake = await startHttpFake((request, res) => {
    if (request.headers['dd-api-key'] !== apiKey) return sendJson(res, 403, { errors: ['Forbidden'] });
    if (request.method === 'POST' && request.path === '/api/v1/events') {
      const body = JSON.parse(request.body) as Record<string, unknown>;
      if (typeof body.title !== 'string' || typeof body.text !== 'string') return sendJson(res, 400, { errors: ['Event title and text are required'] });
      events.push(body);
      return sendJson(res, 202, { status: 'ok', event: { id: events.length, id_str: String(events.length), date_happened: Math.floor(Date.now() / 1000), ...body, url: `/event/event?id=${events.length}` } });
    }
    if (request.headers['dd-application-key'] !== appKey) return sendJson(res, 403, { errors: ['Forbidden'] });
    if (request.method === 'GET' && request.path === '/api/v1/query') {
      const from = Number(request.query.get('from')) * 1000;
      const to = Number(request.query.get('to')) * 1000;
      const query = request.query.get('query') ?? '';
      if (!Number.isFinite(from) || !Number.isFinite(to) || query === '') return sendJson(res, 400, { errors: ['from, to and query are required'] });
      if (query.startsWith('bad:')) return sendJson(res, 400, { status: 'error', error: `Error parsing query: unexpected token in ${query}`, series: [] });
      const configured = series.get(query);
      const list = configured === undefined ? [] : Array.isArray(configured) ? configured : [configured];
      return sendJson(res, 200, {
        status: 'ok',
        res_type: 'time_series',
        resp_version: 1,
        query,
        from_date: from,
        to_date: to,
        group_by: [],
        message: '',
        series: list.map((one, index) => {
          const step = one.interval * 1000;
          const pointlist: Array<[number, number | null]> = [];
          // Buckets aligned to the interval, the last one still open at `to`, as Datadog answers.
          for (let at = Math.floor(from / step) * step; at <= to; at += step) pointlist.push([at, one.value(at)]);
          return {
            metric: query.split('{')[0]?.split(':').pop() ?? query,
            display_name: query,
            expression: query,
            scope: '*',
            tag_set: [],
            aggr: 'sum',
            unit: null,
            attributes: {},
            query_index: index,
            interval: one.interval,
            length: pointlist.length,
            start: pointlist[0]?.[0] ?? from,
            end: (pointlist[pointlist.length - 1]?.[0] ?? to) + step - 1000,
            pointlist,
          };
        }),
      });
    }
    if (request.method === 'GET' && request.path === '/api/v1/monitor') {
      const wanted = (request.query.get('monitor_tags') ?? '').split(',').filter(Boolean);
      return sendJson(
        res,
        200,
        monitors
          .filter((monitor) => wanted.every((tag) => monitor.tags.includes(tag)))
          .map((monitor) => ({ ...monitor, type: 'metric alert', query: 'avg(last_5m):avg:x{*} > 1', message: '', options: {}, created: '2026-01-01T00:00:00Z' })),
      );
    }
    sendJson(res, 404, { errors: ['Not found'] });
  });
  return Object.assign(fake, { apiKey, appKey, series, monitors, events });
}
