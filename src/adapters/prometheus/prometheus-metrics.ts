import type { Logger } from 'pino';
import { z } from 'zod';
import type { Measurement, MetricWindow, Metrics } from '../../ports/metrics.js';

const rangeResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.string(),
      /** values: [[unix seconds, "value as text"], …]; the text may be "NaN" or "+Inf". */
      result: z.array(z.object({ metric: z.record(z.string(), z.string()).default({}), values: z.array(z.tuple([z.number(), z.string()])).default([]) })),
    }),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);

export interface PrometheusMetricsOptions {
  /** The server's base URL, e.g. http://prometheus:9090 (PROMETHEUS_URL). */
  baseUrl: string;
  /** Points per window: the step is the window divided by this. */
  pointsPerWindow?: number;
  timeoutMs?: number;
  /** Extra headers, e.g. Authorization for a managed Prometheus. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  logger?: Logger;
}

/**
 * Metrics from Prometheus's HTTP API (GET /api/v1/query_range), for teams without Datadog. Queries
 * should yield one series per window step, e.g. `sum(increase(http_requests_total{job="{service}",
 * infra_set="{infraSet}"}[10s]))`. The evaluation at the window's very end is left out: scrapes for it
 * may not have arrived yet.
 */
export class PrometheusMetrics implements Metrics {
  readonly #options: PrometheusMetricsOptions;
  readonly #fetch: typeof fetch;

  constructor(options: PrometheusMetricsOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  async measure(query: string, window: MetricWindow): Promise<Measurement> {
    const start = window.from.getTime() / 1000;
    const end = window.to.getTime() / 1000;
    const step = Math.max(1, Math.floor((end - start) / (this.#options.pointsPerWindow ?? 6)));
    const base = this.#options.baseUrl.endsWith('/') ? this.#options.baseUrl : `${this.#options.baseUrl}/`;
    const url = new URL('api/v1/query_range', base);
    url.searchParams.set('query', query);
    url.searchParams.set('start', String(start));
    url.searchParams.set('end', String(end));
    url.searchParams.set('step', `${step}s`);
    const timeoutMs = this.#options.timeoutMs ?? 10_000;
    let response: Response;
    try {
      response = await this.#fetch(url, { headers: { accept: 'application/json', ...this.#options.headers }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const reason = timedOut ? `Prometheus did not answer within ${timeoutMs}ms` : `Prometheus unreachable: ${error instanceof Error ? error.message : String(error)}`;
      this.#options.logger?.warn({ reason }, 'prometheus request failed');
      return { kind: 'error', reason };
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return { kind: 'error', reason: `Prometheus answered ${response.status} with something other than JSON` };
    }
    const parsed = rangeResponse.safeParse(body);
    if (!parsed.success) return { kind: 'error', reason: `Prometheus answered ${response.status} in an unexpected shape` };
    if (parsed.data.status === 'error') {
      return {
        kind: 'error',
        reason: `Prometheus answered ${response.status}: ${parsed.data.errorType ?? 'error'}: ${parsed.data.error ?? ''}`.trim(),
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      };
    }
    if (!response.ok) return { kind: 'error', reason: `Prometheus answered ${response.status}` };
    const { result, resultType } = parsed.data.data;
    if (resultType !== 'matrix') return { kind: 'error', reason: `expected a range vector (matrix), got ${resultType}` };
    if (result.length === 0) return { kind: 'series', points: [] };
    if (result.length > 1) return { kind: 'error', reason: `the query returned ${result.length} series; aggregate it to one (e.g. sum(…))` };
    return {
      kind: 'series',
      points: result[0]!.values
        .filter(([at]) => at < end)
        // Number("NaN") is NaN and Number("+Inf") is Infinity: the judge treats both as no data.
        .map(([at, value]) => ({ at: new Date(at * 1000), value: Number(value) })),
    };
  }
}
