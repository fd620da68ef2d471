import { sendJson, startHttpFake, type HttpFake } from './http-fake.js';

/**
 * A local Prometheus speaking the HTTP API's wire format: GET /api/v1/query_range?query&start&end&step
 * → { status: "success", data: { resultType: "matrix", result: [{ metric, values: [[unix_s, "1.5"], …] }] } };
 * errors → { status: "error", errorType, error } with 400 / 422 / 503.
 */
export interface FakePrometheus extends HttpFake {
  /** Value per evaluation time (unix seconds) as Prometheus prints it ("NaN", "+Inf" …); one function per series. */
  series: Map<string, Array<(at: number) => string | null>>;
}

export async function startFakePrometheus(): Promise<FakePrometheus> {
  const series = new Map<string, Array<(at: number) => string | null>>();
  const fake = await startHttpFake((request, res) => {
    if (request.path !== '/api/v1/query_range') return sendJson(res, 404, { status: 'error', errorType: 'not_found', error: 'not found' });
    const query = request.query.get('query') ?? '';
    const start = Number(request.query.get('start'));
    const end = Number(request.query.get('end'));
    const step = Number((request.query.get('step') ?? '').replace(/s$/, ''));
    if (!query || !Number.isFinite(start) || !Number.isFinite(end) || !(step > 0)) {
      return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: 'invalid parameter "step"' });
    }
    if (query.startsWith('bad(')) return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: `1:1: parse error: unexpected "(" in ${query}` });
    const functions = series.get(query) ?? [];
    sendJson(res, 200, {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: functions.map((value, index) => {
          const values: Array<[number, string]> = [];
          for (let at = start; at <= end; at += step) {
            const text = value(at);
            if (text !== null) values.push([at, text]);
          }
          return { metric: { __name__: 'x', instance: `i-${index}` }, values };
        }),
      },
    });
  });
  return Object.assign(fake, { series });
}
