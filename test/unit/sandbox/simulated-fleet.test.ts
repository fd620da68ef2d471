import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/ports/clock.js';
import { AcceleratedClock } from '../../../src/sandbox/accelerated-clock.js';
import { mulberry32, poisson } from '../../../src/adapters/fleet/prng.js';
import { SimulatedFleet } from '../../../src/adapters/fleet/simulated-fleet.js';
import { SimulatedInfra } from '../../../src/adapters/fleet/simulated-infra.js';
import { SimulatedMetrics } from '../../../src/adapters/fleet/simulated-metrics.js';
import { parseSimulatedQuery } from '../../../src/adapters/fleet/simulated-query.js';
import { SimulatedTraffic } from '../../../src/adapters/fleet/simulated-traffic.js';
import type { Measurement } from '../../../src/ports/metrics.js';

const T0 = new Date('2026-01-05T10:00:00Z');

function setUp() {
  const clock = new ManualClock(T0);
  const fleet = new SimulatedFleet({
    clock,
    seed: 42,
    loads: { checkout: { requestsPerSecond: 2000, errorRate: 0.005, latencyMedianMs: 80 } },
  });
  fleet.seedServing('checkout', 'production', 'v1', 'checkout-production-v1', new Date(T0.getTime() - 3_600_000));
  return { clock, fleet, traffic: new SimulatedTraffic(fleet), infra: new SimulatedInfra(fleet), metrics: new SimulatedMetrics(fleet) };
}

const total = (measurement: Measurement) => {
  if (measurement.kind !== 'series') throw new Error(`expected a series, got ${measurement.reason}`);
  return measurement.points.reduce((sum, point) => sum + (point.value ?? 0), 0);
};

const datadog = (metric: string, infraSet: string) =>
  `sum:${metric}{service:checkout,env:production,infra_set:${infraSet}}.as_count()`;

async function canaryAt(setup: ReturnType<typeof setUp>, weight: number) {
  await setup.infra.provision({
    infraSetId: 'checkout-production-v2',
    service: 'checkout',
    environment: 'production',
    version: 'v2',
    releaseId: 'r1',
    idempotencyKey: 'p1',
  });
  const outcome = await setup.traffic.setWeights({
    target: { service: 'checkout', environment: 'production' },
    weights: { 'checkout-production-v1': 100 - weight, 'checkout-production-v2': weight },
    releaseId: 'r1',
    idempotencyKey: `w${weight}`,
  });
  expect(outcome).toEqual({ kind: 'applied', verified: true });
}

describe('simulated fleet', () => {
  it('routes traffic between known infra-sets and refuses what a real router would', async () => {
    const setup = setUp();
    await canaryAt(setup, 10);
    expect(setup.fleet.weights('checkout', 'production')).toEqual({ 'checkout-production-v1': 90, 'checkout-production-v2': 10 });
    const unknown = await setup.traffic.setWeights({
      target: { service: 'checkout', environment: 'production' },
      weights: { nope: 100 },
      releaseId: null,
      idempotencyKey: 'x',
    });
    expect(unknown).toMatchObject({ kind: 'failed', retryable: false });
    const partial = await setup.traffic.setWeights({
      target: { service: 'checkout', environment: 'production' },
      weights: { 'checkout-production-v2': 50 },
      releaseId: null,
      idempotencyKey: 'y',
    });
    expect(partial).toMatchObject({ kind: 'failed', reason: 'weights add up to 50, not 100' });
    const serving = await setup.infra.retire({ infraSetId: 'checkout-production-v2', service: 'checkout', environment: 'production', idempotencyKey: 'r' });
    expect(serving).toMatchObject({ kind: 'failed' });
  });

  it('reports requests in proportion to the traffic weight held at each instant', async () => {
    const setup = setUp();
    await canaryAt(setup, 10);
    setup.clock.advance(60_000);
    const window = { from: T0, to: setup.clock.now() };
    const canary = total(await setup.metrics.measure(datadog('trace.http.request.hits', 'checkout-production-v2'), window));
    const baseline = total(await setup.metrics.measure(datadog('trace.http.request.hits', 'checkout-production-v1'), window));
    // 2,000 req/s × 60 s: 12,000 on the canary at 10 %, 108,000 on the baseline.
    expect(canary).toBeGreaterThan(11_000);
    expect(canary).toBeLessThan(13_000);
    expect(baseline).toBeGreaterThan(105_000);
    expect(baseline).toBeLessThan(111_000);
    // The canary had no traffic before it was routed any.
    const before = await setup.metrics.measure(datadog('trace.http.request.hits', 'checkout-production-v2'), {
      from: new Date(T0.getTime() - 60_000),
      to: T0,
    });
    expect(total(before)).toBe(0);
  });

  it('makes a faulty version err and slow down, and answers the same when asked twice', async () => {
    const setup = setUp();
    await canaryAt(setup, 50);
    setup.clock.advance(120_000);
    const window = { from: T0, to: setup.clock.now() };
    const errorsQuery = datadog('trace.http.request.errors', 'checkout-production-v2');
    const healthy = total(await setup.metrics.measure(errorsQuery, window));
    setup.fleet.injectFault('checkout', 'v2', { errorRate: 0.05, latencyMs: 400 });
    const faulty = total(await setup.metrics.measure(errorsQuery, window));
    expect(faulty).toBeGreaterThan(healthy * 5);
    const p99 = await setup.metrics.measure('p99:trace.http.request.duration{infra_set:checkout-production-v2}', window);
    const baselineP99 = await setup.metrics.measure('p99:trace.http.request.duration{infra_set:checkout-production-v1}', window);
    expect(Math.min(...values(p99))).toBeGreaterThan(Math.max(...values(baselineP99)) + 300);
    expect(await setup.metrics.measure(errorsQuery, window)).toEqual(await setup.metrics.measure(errorsQuery, window));
  });

  it('turns an unreachable source or an unknown query into an error, never a series', async () => {
    const setup = setUp();
    const window = { from: T0, to: setup.clock.advance(60_000) };
    expect(await setup.metrics.measure(datadog('hits', 'someone-else'), window)).toMatchObject({ kind: 'error' });
    setup.fleet.setMetricsReachable(false);
    expect(await setup.metrics.measure(datadog('hits', 'checkout-production-v1'), window)).toEqual({
      kind: 'error',
      reason: 'simulated metrics source unreachable (game day)',
    });
  });
});

function values(measurement: Measurement): number[] {
  if (measurement.kind !== 'series') throw new Error(measurement.reason);
  return measurement.points.map((point) => point.value).filter((value): value is number => value !== null);
}

describe('simulated query', () => {
  const known = ['checkout-production-v2', 'checkout-production-v2-b'];
  it.each([
    ['sum:trace.http.request.hits{infra_set:checkout-production-v2}.as_count()', 'checkout-production-v2', { kind: 'requests' }, false],
    ['sum:trace.http.request.errors{infra_set:checkout-production-v2-b}.as_count()', 'checkout-production-v2-b', { kind: 'errors' }, false],
    ['sum(rate(http_requests_total{infra_set="checkout-production-v2",code=~"5.."}[1m]))', 'checkout-production-v2', { kind: 'errors' }, true],
    ['sum(rate(http_requests_total{infra_set="checkout-production-v2"}[1m]))', 'checkout-production-v2', { kind: 'requests' }, true],
    ['histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{infra_set="checkout-production-v2"}[1m])) by (le))', 'checkout-production-v2', { kind: 'latency', percentile: 'p99' }, true],
    ['avg:system.cpu.user{deployment:checkout-production-v2-b}', 'checkout-production-v2-b', { kind: 'saturation' }, false],
  ])('reads %s', (query, infraSetId, signal, perSecond) => {
    expect(parseSimulatedQuery(query, known)).toEqual({ kind: 'query', infraSetId, signal, perSecond });
  });
});

describe('sandbox randomness and time', () => {
  it('draws Poisson counts with the asked mean', () => {
    const random = mulberry32(7);
    for (const mean of [3, 200]) {
      let sum = 0;
      for (let i = 0; i < 2000; i += 1) sum += poisson(random, mean);
      expect(sum / 2000).toBeGreaterThan(mean * 0.95);
      expect(sum / 2000).toBeLessThan(mean * 1.05);
    }
  });

  it('runs sandbox time faster than the wall from its start', () => {
    let wall = 1_000_000;
    const clock = new AcceleratedClock(30, { wall: () => wall });
    wall += 2_000;
    expect(clock.now().getTime()).toBe(1_000_000 + 60_000);
    // A sandbox restarted on a store that ran ahead of the wall resumes from where the store was.
    const resumed = new AcceleratedClock(30, { wall: () => wall, resumeFrom: new Date(5_000_000) });
    wall += 1_000;
    expect(resumed.now().getTime()).toBe(5_000_000 + 30_000);
    expect(() => new AcceleratedClock(0.5)).toThrow(/at least 1/);
  });
});
