import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../../src/adapters/prometheus/prometheus-metrics.js';
import { startFakePrometheus, type FakePrometheus } from '../support/fake-prometheus.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const WINDOW = { from: new Date(NOW.getTime() - 60_000), to: NOW };

let prometheus: FakePrometheus;
beforeAll(async () => {
  prometheus = await startFakePrometheus();
});
afterAll(async () => {
  await prometheus.close();
});
beforeEach(() => {
  prometheus.requests.length = 0;
  prometheus.faults.length = 0;
  prometheus.series.clear();
});

const source = (timeoutMs = 2_000) => new PrometheusMetrics({ baseUrl: prometheus.url, timeoutMs, headers: { authorization: 'Bearer t' } });

describe('PrometheusMetrics against /api/v1/query_range', () => {
  it('asks for the window in steps and leaves out the evaluation at its very end', async () => {
    prometheus.series.set('sum(increase(http_requests_total[10s]))', [(at) => String(at % 7)]);
    const measurement = await source().measure('sum(increase(http_requests_total[10s]))', WINDOW);
    const request = prometheus.requests[0]!;
    expect(request.query.get('start')).toBe(String(WINDOW.from.getTime() / 1000));
    expect(request.query.get('end')).toBe(String(NOW.getTime() / 1000));
    expect(request.query.get('step')).toBe('10s');
    expect(request.headers.authorization).toBe('Bearer t');
    expect(measurement.kind).toBe('series');
    if (measurement.kind !== 'series') return;
    expect(measurement.points).toHaveLength(6);
    expect(measurement.points.at(-1)!.at.toISOString()).toBe('2026-11-22T09:59:50.000Z');
    expect(measurement.points[0]!.value).toBe((WINDOW.from.getTime() / 1000) % 7);
  });

  it('passes NaN through for the judge, and an empty result is an empty series', async () => {
    prometheus.series.set('histogram_quantile(0.99, x)', [() => 'NaN']);
    const measurement = await source().measure('histogram_quantile(0.99, x)', WINDOW);
    expect(measurement.kind === 'series' && measurement.points.every((point) => Number.isNaN(point.value))).toBe(true);
    expect(await source().measure('absent_metric', WINDOW)).toEqual({ kind: 'series', points: [] });
  });

  it('refuses several series', async () => {
    prometheus.series.set('x', [() => '1', () => '2']);
    expect(await source().measure('x', WINDOW)).toMatchObject({ kind: 'error', reason: expect.stringContaining('returned 2 series') });
  });

  it('turns a parse error, a 503, a 429, non-JSON and a timeout into errors', async () => {
    expect(await source().measure('bad(x', WINDOW)).toMatchObject({ kind: 'error', reason: expect.stringContaining('bad_data: 1:1: parse error') });
    prometheus.faults.push({ kind: 'status', status: 503, body: { status: 'error', errorType: 'unavailable', error: 'too many queries' } });
    expect(await source().measure('x', WINDOW)).toMatchObject({ kind: 'error', reason: 'Prometheus answered 503: unavailable: too many queries' });
    prometheus.faults.push({ kind: 'status', status: 429, body: { status: 'error', errorType: 'too_many_requests', error: 'slow down' }, headers: { 'retry-after': '15' } });
    expect(await source().measure('x', WINDOW)).toMatchObject({ kind: 'error', retryAfterSeconds: 15 });
    prometheus.faults.push({ kind: 'raw', status: 502, body: 'Bad Gateway' });
    expect(await source().measure('x', WINDOW)).toMatchObject({ kind: 'error', reason: expect.stringContaining('other than JSON') });
    prometheus.faults.push({ kind: 'hang' });
    expect(await source(200).measure('x', WINDOW)).toEqual({ kind: 'error', reason: 'Prometheus did not answer within 200ms' });
  });
});
