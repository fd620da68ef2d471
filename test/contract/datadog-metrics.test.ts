import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatadogAnnotations } from '../../src/adapters/datadog/datadog-annotations.js';
import { DatadogMetrics } from '../../src/adapters/datadog/datadog-metrics.js';
import { DatadogMonitors } from '../../src/adapters/datadog/datadog-monitors.js';
import { ManualClock } from '../../src/ports/clock.js';
import { recordedV1Query } from '../support/datadog-recorded.js';
import { startFakeDatadog, type FakeDatadog } from '../support/fake-datadog.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const WINDOW = { from: new Date(NOW.getTime() - 60_000), to: NOW };

let datadog: FakeDatadog;
let clock: ManualClock;
let sleeps: number[];

beforeAll(async () => {
  datadog = await startFakeDatadog();
});
afterAll(async () => {
  await datadog.close();
});
beforeEach(() => {
  datadog.requests.length = 0;
  datadog.faults.length = 0;
  datadog.series.clear();
  datadog.monitors.length = 0;
  datadog.events.length = 0;
  clock = new ManualClock(NOW);
  sleeps = [];
});

function metrics(overrides: { timeoutMs?: number; appKey?: string } = {}) {
  return new DatadogMetrics({
    baseUrl: datadog.url,
    apiKey: datadog.apiKey,
    appKey: overrides.appKey ?? datadog.appKey,
    timeoutMs: overrides.timeoutMs ?? 2_000,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

describe('DatadogMetrics against the v1 query API', () => {
  it('queries the window with both keys and leaves out the bucket still filling up', async () => {
    datadog.series.set('sum:trace.http.request.hits{service:checkout}.as_count()', { interval: 10, value: (at) => at / 1000 % 100 });
    const measurement = await metrics().measure('sum:trace.http.request.hits{service:checkout}.as_count()', WINDOW);
    const request = datadog.requests[0]!;
    expect(request.path).toBe('/api/v1/query');
    expect(request.query.get('from')).toBe(String(WINDOW.from.getTime() / 1000));
    expect(request.query.get('to')).toBe(String(NOW.getTime() / 1000));
    expect(request.headers['dd-api-key']).toBe(datadog.apiKey);
    expect(request.headers['dd-application-key']).toBe(datadog.appKey);
    expect(measurement.kind).toBe('series');
    if (measurement.kind !== 'series') return;
    // Six closed 10 s buckets from 09:59:00 to 09:59:50; the one starting at 10:00:00 is still open.
    expect(measurement.points.map((point) => point.at.toISOString())).toEqual(
      [0, 10, 20, 30, 40, 50].map((second) => `2026-11-22T09:59:${String(second).padStart(2, '0')}.000Z`),
    );
    expect(measurement.points[0]!.value).toBe((WINDOW.from.getTime() / 1000) % 100);
  });

  it('reads a recorded Datadog answer and drops its open last bucket', async () => {
    datadog.faults.push({ kind: 'raw', status: 200, body: JSON.stringify(recordedV1Query.response), headers: { 'content-type': 'application/json' } });
    const window = { from: new Date(recordedV1Query.from * 1000), to: new Date(recordedV1Query.to * 1000) };
    const measurement = await metrics().measure(recordedV1Query.query, window);
    expect(measurement.kind === 'series' && measurement.points.map((point) => [point.at.getTime(), point.value])).toEqual(
      recordedV1Query.response.series[0]!.pointlist.slice(0, -1),
    );
  });

  it('keeps null buckets as null and answers an unknown metric with no points', async () => {
    datadog.series.set('avg:p99{*}', { interval: 20, value: (at) => (at % 40_000 === 0 ? null : 250) });
    const gappy = await metrics().measure('avg:p99{*}', WINDOW);
    expect(gappy).toEqual({ kind: 'series', points: expect.arrayContaining([expect.objectContaining({ value: null }), expect.objectContaining({ value: 250 })]) });
    expect(await metrics().measure('avg:nothing{*}', WINDOW)).toEqual({ kind: 'series', points: [] });
  });

  it('refuses a query that returns several series instead of guessing how to combine them', async () => {
    datadog.series.set('sum:hits{*} by {host}', [{ interval: 10, value: () => 1 }, { interval: 10, value: () => 2 }]);
    const measurement = await metrics().measure('sum:hits{*} by {host}', WINDOW);
    expect(measurement).toMatchObject({ kind: 'error', reason: expect.stringContaining('returned 2 series') });
  });

  it('turns a query Datadog cannot parse into an error', async () => {
    expect(await metrics().measure('bad:query{', WINDOW)).toMatchObject({ kind: 'error', reason: expect.stringContaining('Error parsing query') });
  });

  it('turns a 500, a refused key, a non-JSON answer and a timeout into errors', async () => {
    datadog.faults.push({ kind: 'status', status: 500 });
    expect(await metrics().measure('sum:hits{*}', WINDOW)).toMatchObject({ kind: 'error', reason: 'Datadog answered 500: Internal Server Error' });
    expect(await metrics({ appKey: 'wrong' }).measure('sum:hits{*}', WINDOW)).toMatchObject({ kind: 'error', reason: 'Datadog answered 403: Forbidden' });
    datadog.faults.push({ kind: 'raw', status: 200, body: '<html>gateway</html>' });
    expect(await metrics().measure('sum:hits{*}', WINDOW)).toMatchObject({ kind: 'error', reason: expect.stringContaining('other than JSON') });
    datadog.faults.push({ kind: 'hang' });
    expect(await metrics({ timeoutMs: 200 }).measure('sum:hits{*}', WINDOW)).toMatchObject({ kind: 'error', reason: 'Datadog did not answer within 200ms' });
  });

  it('waits out a 429 whose window resets within a second or two, then retries once', async () => {
    datadog.series.set('sum:hits{*}', { interval: 10, value: () => 5 });
    datadog.faults.push({ kind: 'status', status: 429, body: { errors: ['Too many requests'] }, headers: { 'X-RateLimit-Limit': '100', 'X-RateLimit-Period': '10', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1', 'X-RateLimit-Name': 'query' } });
    const measurement = await metrics().measure('sum:hits{*}', WINDOW);
    expect(measurement.kind).toBe('series');
    expect(sleeps).toEqual([1_000]);
    expect(datadog.requests).toHaveLength(2);
  });

  it('honours a longer 429 reset: an error with retryAfterSeconds, and no calls until the reset', async () => {
    datadog.series.set('sum:hits{*}', { interval: 10, value: () => 5 });
    datadog.faults.push({ kind: 'status', status: 429, body: { errors: ['Too many requests'] }, headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '30' } });
    const source = metrics();
    expect(await source.measure('sum:hits{*}', WINDOW)).toEqual({ kind: 'error', reason: 'rate limited by Datadog (resets in 30s)', retryAfterSeconds: 30 });
    clock.advance(10_000);
    expect(await source.measure('sum:hits{*}', WINDOW)).toEqual({ kind: 'error', reason: 'rate limited by Datadog for another 20s', retryAfterSeconds: 20 });
    expect(datadog.requests).toHaveLength(1);
    clock.advance(20_000);
    expect((await source.measure('sum:hits{*}', WINDOW)).kind).toBe('series');
    expect(sleeps).toEqual([]);
  });

  it('stops before a 429 when Datadog says the budget is spent', async () => {
    datadog.series.set('sum:hits{*}', { interval: 10, value: () => 5 });
    datadog.faults.push({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'ok', series: [] }), headers: { 'content-type': 'application/json', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '7' } });
    const source = metrics();
    expect(await source.measure('sum:hits{*}', WINDOW)).toEqual({ kind: 'series', points: [] });
    expect(await source.measure('sum:hits{*}', WINDOW)).toMatchObject({ kind: 'error', retryAfterSeconds: 7 });
    expect(datadog.requests).toHaveLength(1);
  });
});

describe('DatadogMonitors', () => {
  it('lists the monitors in Alert tagged for the service and environment', async () => {
    datadog.monitors.push(
      { id: 1, name: 'checkout 5xx', overall_state: 'Alert', tags: ['service:checkout', 'env:production'] },
      { id: 2, name: 'checkout latency', overall_state: 'OK', tags: ['service:checkout', 'env:production'] },
      { id: 3, name: 'checkout staging 5xx', overall_state: 'Alert', tags: ['service:checkout', 'env:staging'] },
    );
    const gate = new DatadogMonitors({ baseUrl: datadog.url, apiKey: datadog.apiKey, appKey: datadog.appKey });
    expect(await gate.alerting({ service: 'checkout', environment: 'production' })).toEqual({ kind: 'ok', alerting: [{ id: '1', name: 'checkout 5xx' }] });
    expect(datadog.requests[0]!.query.get('monitor_tags')).toBe('service:checkout,env:production');
    datadog.faults.push({ kind: 'status', status: 500 });
    expect(await gate.alerting({ service: 'checkout', environment: 'production' })).toMatchObject({ kind: 'error' });
  });
});

describe('DatadogAnnotations', () => {
  const annotation = {
    title: 'checkout v1.4.2: canary 1% → 10%',
    text: 'Release r-42 moved to stage canary-10.',
    kind: 'stage_changed' as const,
    service: 'checkout',
    environment: 'production',
    version: 'v1.4.2',
    releaseId: 'r-42',
    alert: 'info' as const,
  };

  it('posts an event tagged with service, environment and version', async () => {
    await new DatadogAnnotations({ baseUrl: datadog.url, apiKey: datadog.apiKey }).record(annotation);
    expect(datadog.events).toEqual([
      expect.objectContaining({
        title: annotation.title,
        text: annotation.text,
        alert_type: 'info',
        aggregation_key: 'release:r-42',
        tags: expect.arrayContaining(['service:checkout', 'env:production', 'version:v1.4.2', 'deploy_event:stage_changed']),
      }),
    ]);
    expect(datadog.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('throws when the event is not recorded, so the outbox retries it', async () => {
    datadog.faults.push({ kind: 'status', status: 503, body: { errors: ['Service Unavailable'] } });
    await expect(new DatadogAnnotations({ baseUrl: datadog.url, apiKey: datadog.apiKey }).record(annotation)).rejects.toThrow('Datadog answered 503');
  });
});
