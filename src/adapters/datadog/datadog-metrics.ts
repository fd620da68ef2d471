import { z } from 'zod';
import type { Measurement, MetricPoint, MetricWindow, Metrics } from '../../ports/metrics.js';
import { DatadogHttp, type DatadogHttpOptions } from './datadog-http.js';

/** Datadog's v1 query answer (QueryMetrics): only what the judge needs, the rest passes through. */
const queryResponse = z.object({
  status: z.string().optional(),
  error: z.string().optional(),
  series: z
    .array(
      z.object({
        /** [epoch ms, value or null] */
        pointlist: z.array(z.tuple([z.number(), z.number().nullable()])),
        /** Seconds per bucket. */
        interval: z.number().positive().optional(),
      }),
    )
    .default([]),
});

/**
 * Metrics from Datadog's metrics query API (GET /api/v1/query). The query is sent as written (the
 * health probe has already filled in service, environment, infra-set and role), over the window
 * [from, to]; the newest bucket, still filling up, is left out so a half-counted minute never looks
 * like a drop in traffic.
 */
export class DatadogMetrics implements Metrics {
  readonly #http: DatadogHttp;

  constructor(options: DatadogHttpOptions & { appKey: string }) {
    this.#http = new DatadogHttp(options);
  }

  async measure(query: string, window: MetricWindow): Promise<Measurement> {
    const from = Math.floor(window.from.getTime() / 1000);
    const to = Math.floor(window.to.getTime() / 1000);
    const response = await this.#http.request('GET', 'api/v1/query', {
      query: { from: String(from), to: String(to), query },
      limitName: 'query',
    });
    if (response.kind === 'error') {
      return { kind: 'error', reason: response.reason, ...(response.retryAfterSeconds !== undefined ? { retryAfterSeconds: response.retryAfterSeconds } : {}) };
    }
    const parsed = queryResponse.safeParse(response.body);
    if (!parsed.success) return { kind: 'error', reason: 'Datadog answered in an unexpected shape' };
    if (parsed.data.status === 'error' || parsed.data.error) {
      return { kind: 'error', reason: `Datadog refused the query: ${parsed.data.error ?? 'unknown error'}` };
    }
    const series = parsed.data.series;
    if (series.length === 0) return { kind: 'series', points: [] };
    if (series.length > 1) {
      return { kind: 'error', reason: `the query returned ${series.length} series; aggregate it to one (e.g. sum:metric{…})` };
    }
    const only = series[0]!;
    return { kind: 'series', points: completeBuckets(only.pointlist, only.interval, window) };
  }
}

/** Points inside the window whose bucket has closed by the window's end. */
function completeBuckets(pointlist: Array<[number, number | null]>, intervalSeconds: number | undefined, window: MetricWindow): MetricPoint[] {
  const fromMs = window.from.getTime();
  const toMs = window.to.getTime();
  const sorted = [...pointlist].sort((a, b) => a[0] - b[0]);
  const spacing = intervalSeconds !== undefined ? intervalSeconds * 1000 : inferSpacing(sorted);
  return sorted
    .filter(([at]) => at >= fromMs - spacing / 2 && (spacing > 0 ? at + spacing <= toMs : at < toMs))
    .map(([at, value]) => ({ at: new Date(at), value }));
}

function inferSpacing(sorted: Array<[number, number | null]>): number {
  if (sorted.length < 2) return 0;
  return sorted[sorted.length - 1]![0] - sorted[sorted.length - 2]![0];
}
