import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatadogMetrics } from '../../../src/adapters/datadog/datadog-metrics.js';
import { DatadogMonitors } from '../../../src/adapters/datadog/datadog-monitors.js';
import type { HealthCheckConfig } from '../../../src/config/delivery-schema.js';
import type { HealthProbeRequest } from '../../../src/ports/health.js';
import type { Metrics } from '../../../src/ports/metrics.js';
import { MetricsHealthProbe } from '../../../src/services/health/metrics-health-probe.js';
import { renderQuery } from '../../../src/services/health/query-template.js';
import { startFakeDatadog, type FakeDatadog } from '../../support/fake-datadog.js';

const checks: HealthCheckConfig[] = [
  {
    name: 'errors',
    kind: 'error_rate',
    requests: 'sum:trace.http.request.hits{service:{service},env:{environment},infra_set:{infraSet}}.as_count()',
    errors: 'sum:trace.http.request.errors{service:{service},env:{environment},infra_set:{infraSet}}.as_count()',
    maxRatioToBaseline: 2,
  },
  { name: 'traffic', kind: 'traffic', query: 'sum:trace.http.request.hits{service:{service},env:{environment},infra_set:{infraSet}}.as_count()', minPerMinute: 100 },
];

const query = (metric: string, infraSet: string) => `sum:trace.http.request.${metric}{service:checkout,env:production,infra_set:${infraSet}}.as_count()`;

let datadog: FakeDatadog;
beforeAll(async () => {
  datadog = await startFakeDatadog();
});
afterAll(async () => {
  await datadog.close();
});
beforeEach(() => {
  datadog.series.clear();
  datadog.monitors.length = 0;
  datadog.faults.length = 0;
});

function request(minute: number, evidence: unknown): HealthProbeRequest {
  const to = new Date(Date.UTC(2026, 10, 22, 10, minute));
  return {
    service: 'checkout',
    environment: 'production',
    canary: { infraSetId: 'checkout-v2', version: 'v2' },
    baseline: { infraSetId: 'checkout-v1', version: 'v1' },
    weight: 1,
    checks,
    window: { from: new Date(to.getTime() - 60_000), to },
    evidence,
  };
}

/** Per 10 s bucket: the canary at 20 req/s (200 a bucket), the baseline at 1,980 req/s. */
function serve(canaryErrorsPerBucket: number) {
  datadog.series.set(query('hits', 'checkout-v2'), { interval: 10, value: () => 200 });
  datadog.series.set(query('errors', 'checkout-v2'), { interval: 10, value: (at) => (at % 20_000 === 0 ? canaryErrorsPerBucket * 2 : 0) });
  datadog.series.set(query('hits', 'checkout-v1'), { interval: 10, value: () => 19_800 });
  datadog.series.set(query('errors', 'checkout-v1'), { interval: 10, value: () => 99 });
}

const probe = () => new MetricsHealthProbe({ metrics: new DatadogMetrics({ baseUrl: datadog.url, apiKey: datadog.apiKey, appKey: datadog.appKey, timeoutMs: 2_000 }), intervalSeconds: 60 });

describe('MetricsHealthProbe over Datadog', () => {
  it('templates canary and baseline queries, accumulates evidence across readings and fails a bad canary', async () => {
    serve(2); // 12 errors a minute out of 1,200: 1.0% against the baseline's 0.5%
    let evidence: unknown = null;
    const verdicts: string[] = [];
    let firstSummary = '';
    for (let minute = 1; minute <= 8 && !verdicts.includes('fail'); minute += 1) {
      const reading = await probe().read(request(minute, evidence));
      evidence = JSON.parse(JSON.stringify(reading.evidence));
      verdicts.push(reading.verdict);
      if (minute === 1) firstSummary = reading.checks[0]!.summary;
    }
    expect(firstSummary).toMatch(/^errors 1\.00% vs baseline 0\.50% \(2\.0×\), \d+% of the way to a verdict$/);
    expect(verdicts[0]).toBe('inconclusive');
    expect(verdicts.at(-1)).toBe('fail');
    const asked = new Set(datadog.requests.map((recorded) => recorded.query.get('query')));
    expect(asked).toEqual(new Set([query('hits', 'checkout-v2'), query('errors', 'checkout-v2'), query('hits', 'checkout-v1'), query('errors', 'checkout-v1')]));
  });

  it('keeps the evidence of each reading: queries as sent, the window, counts on each side, the bound and the sequential test', async () => {
    serve(2); // 1.0% against the baseline's 0.5%: the test leans to failing and is not decided after one minute
    const reading = await probe().read(request(1, null));
    const detail = reading.checks[0]!.detail!;
    const window = { from: '2026-11-22T10:00:00.000Z', to: '2026-11-22T10:01:00.000Z' };
    expect(detail.canary).toEqual({ value: 0.01, requests: 1200, errors: 12, queries: [query('hits', 'checkout-v2'), query('errors', 'checkout-v2')], window });
    expect(detail.baseline).toMatchObject({ requests: 118_800, errors: 594, queries: [query('hits', 'checkout-v1'), query('errors', 'checkout-v1')], window });
    expect(detail.bound).toMatchObject({ kind: 'ceiling', outcome: 'undecided', text: "2× the baseline's error rate (1.00%)" });
    const test = detail.sequential!;
    expect(test).toMatchObject({ leaning: 'unhealthy', intervals: 1 });
    expect(test.llr).toBeGreaterThan(0);
    expect(test.llr).toBeLessThan(test.upper);
    expect(test.lower).toBeLessThan(0);
    // At 1,200 requests a minute the ratio grows at its rate so far: the minutes left to reach the threshold.
    expect(test.minutesToDecide).toBeCloseTo((test.upper - test.llr) / (test.llr / 1200) / 1200, 6);
    expect(test.minutesToDecide).toBeGreaterThan(0);
    // The traffic check reads one side only and says its floor.
    expect(reading.checks[1]!.detail).toMatchObject({ unit: 'per_minute', baseline: null, bound: { kind: 'floor', value: 100, outcome: 'held' }, canary: { queries: [query('hits', 'checkout-v2')], points: 6 } });
  });

  it('passes a healthy canary once the evidence accepts it', async () => {
    serve(1); // 6 errors a minute: 0.5%, the baseline's rate
    let evidence: unknown = null;
    let verdict = '';
    for (let minute = 1; minute <= 8 && verdict !== 'pass'; minute += 1) {
      const reading = await probe().read(request(minute, evidence));
      evidence = reading.evidence;
      verdict = reading.verdict;
    }
    expect(verdict).toBe('pass');
  });

  it('holds with an error verdict, never a pass, when Datadog fails', async () => {
    serve(1);
    for (let i = 0; i < 8; i += 1) datadog.faults.push({ kind: 'status', status: 500 });
    const reading = await probe().read(request(1, null));
    expect(reading.verdict).toBe('error');
    expect(reading.checks.find((check) => check.check === 'errors')!.summary).toContain('Datadog answered 500');
  });

  it('says not enough data when the metrics are missing', async () => {
    const reading = await probe().read(request(1, null));
    expect(reading.verdict).toBe('inconclusive');
    expect(reading.checks.map((check) => check.summary)).toEqual(['not enough data: no request counts for the canary', 'not enough data: no request counts in the window']);
  });

  it('fails the canary while a monitor for the service is in alert', async () => {
    serve(1);
    datadog.monitors.push({ id: 7, name: 'checkout 5xx burst', overall_state: 'Alert', tags: ['service:checkout', 'env:production'] });
    const options = { baseUrl: datadog.url, apiKey: datadog.apiKey, appKey: datadog.appKey };
    const gated = new MetricsHealthProbe({ metrics: new DatadogMetrics(options), monitors: new DatadogMonitors(options) });
    const reading = await gated.read(request(1, null));
    expect(reading.verdict).toBe('fail');
    expect(reading.checks.at(-1)).toMatchObject({ check: 'monitors', verdict: 'fail', summary: 'in alert: checkout 5xx burst' });
  });

  it('turns a Metrics source that throws into an error verdict', async () => {
    const throwing: Metrics = { measure: async () => Promise.reject(new Error('socket hang up')) };
    const reading = await new MetricsHealthProbe({ metrics: throwing }).read(request(1, null));
    expect(reading.verdict).toBe('error');
  });
});

describe('renderQuery', () => {
  it('fills the placeholders and leaves query braces alone', () => {
    expect(
      renderQuery('sum:hits{service:{service},env:{environment},infra_set:{infraSet},version:{version},role:{role}}', {
        service: 'checkout',
        environment: 'production',
        infraSet: 'checkout-v2',
        version: 'v2',
        role: 'canary',
      }),
    ).toBe('sum:hits{service:checkout,env:production,infra_set:checkout-v2,version:v2,role:canary}');
  });
});
