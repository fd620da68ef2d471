import { describe, expect, it } from 'vitest';
import type { HealthCheckConfig } from '../../../src/config/delivery-schema.js';
import { judgeTraffic } from '../../../src/domain/health/judge.js';
import { rateUnitOf } from '../../../src/domain/health/rate-unit.js';
import { ManualClock } from '../../../src/ports/clock.js';
import { SimulatedFleet } from '../../../src/adapters/fleet/simulated-fleet.js';
import { SimulatedMetrics } from '../../../src/adapters/fleet/simulated-metrics.js';
import { MetricsHealthProbe } from '../../../src/services/health/metrics-health-probe.js';

/** The reference: a 10% canary of a service at 2,000 req/s serves 200 req/s, 12,000 requests a minute. */

type TrafficCheck = Extract<HealthCheckConfig, { kind: 'traffic' }>;
const asRate: TrafficCheck = { name: 'traffic', kind: 'traffic', query: 'sum:trace.http.request.hits{service:{service},infra_set:{infraSet}}.as_rate()', minPerMinute: 60 };
const asCount: TrafficCheck = { ...asRate, query: 'sum:trace.http.request.hits{service:{service},infra_set:{infraSet}}.as_count()' };
const promRate: TrafficCheck = { ...asRate, query: 'sum(rate(http_requests_total{job="{service}",infra_set="{infraSet}"}[1m]))' };
const promIncrease: TrafficCheck = { ...asRate, query: 'sum(increase(http_requests_total{job="{service}",infra_set="{infraSet}"}[30s]))' };

const perMinute = (check: TrafficCheck, values: Array<number | null>, bucketSeconds: number | undefined, windowSeconds = 60) =>
  judgeTraffic(check, { kind: 'values', values, ...(bucketSeconds !== undefined ? { bucketSeconds } : {}) }, windowSeconds).reading.values.perMinute;

describe('the traffic check', () => {
  it('reads which unit a query answers in', () => {
    expect(rateUnitOf(asRate.query)).toBe('per_second');
    expect(rateUnitOf(promRate.query)).toBe('per_second');
    expect(rateUnitOf('sum(irate(http_requests_total[1m]))')).toBe('per_second');
    expect(rateUnitOf('per_second(sum:hits{*})')).toBe('per_second');
    expect(rateUnitOf('per_minute(sum:hits{*})')).toBe('per_minute');
    expect(rateUnitOf(asCount.query)).toBe('per_bucket');
    expect(rateUnitOf(promIncrease.query)).toBe('per_bucket');
    expect(rateUnitOf('sum:trace.http.request.hits{service:web}')).toBe('per_bucket');
  });

  it.each([10, 20, 60])('turns per-second points into requests per minute whatever the bucket (%is buckets)', (bucket) => {
    const points = Array.from({ length: 60 / bucket }, () => 200);
    expect(perMinute(asRate, points, bucket)).toBeCloseTo(12_000, 6);
    expect(perMinute(promRate, points, bucket)).toBeCloseTo(12_000, 6);
  });

  it.each([10, 30, 60])('turns per-bucket counts into requests per minute by the bucket length (%is buckets)', (bucket) => {
    const points = Array.from({ length: 60 / bucket }, () => 200 * bucket);
    expect(perMinute(asCount, points, bucket)).toBeCloseTo(12_000, 6);
    expect(perMinute(promIncrease, points, bucket)).toBeCloseTo(12_000, 6);
  });

  it('takes the bucket length from the window when the source did not say, and an empty bucket as no traffic', () => {
    // Six counts over a minute: 10 s buckets.
    expect(perMinute(asCount, [2_000, 2_000, 2_000, 2_000, 2_000, 2_000], undefined)).toBeCloseTo(12_000, 6);
    expect(perMinute(asCount, [2_000, 2_000, 2_000, null, null, null], 10)).toBeCloseTo(6_000, 6);
    // One count for a 5-minute window.
    expect(perMinute(asCount, [60_000], undefined, 300)).toBeCloseTo(12_000, 6);
  });

  it('holds (inconclusive) below the minimum and passes above it, in requests per minute', () => {
    const low = judgeTraffic({ ...asRate, minPerMinute: 600 }, { kind: 'values', values: [5, 5, 5], bucketSeconds: 20 }, 60).reading;
    expect(low).toMatchObject({ verdict: 'inconclusive', values: { perMinute: 300 } });
    expect(low.summary).toBe('not enough traffic: 300 requests/min (needs 600)');
    const enough = judgeTraffic({ ...asRate, minPerMinute: 600 }, { kind: 'values', values: [15, 15, 15], bucketSeconds: 20 }, 60).reading;
    expect(enough).toMatchObject({ verdict: 'pass', values: { perMinute: 900 } });
  });

  it.each([
    { unit: 'as_rate()', query: asRate.query, bucketSeconds: 10 },
    { unit: 'as_rate()', query: asRate.query, bucketSeconds: 30 },
    { unit: 'as_count()', query: asCount.query, bucketSeconds: 10 },
    { unit: 'as_count()', query: asCount.query, bucketSeconds: 60 },
  ])('measures a 10% canary of 2,000 req/s at about 12,000 requests/min through the probe ($unit, $bucketSeconds s buckets)', async ({ query, bucketSeconds }) => {
    const start = new Date('2026-11-18T10:00:00.000Z');
    const clock = new ManualClock(start);
    const fleet = new SimulatedFleet({ clock, seed: 3, loads: { web: { requestsPerSecond: 2_000, errorRate: 0.005, latencyMedianMs: 80 } } });
    fleet.seedServing('web', 'production', 'v1', 'is-v1', new Date(start.getTime() - 3_600_000));
    fleet.addInfraSet({ infraSetId: 'is-v2', service: 'web', environment: 'production', version: 'v2' });
    fleet.setWeights('web', 'production', { 'is-v2': 10, 'is-v1': 90 });
    const to = clock.advance(120_000);
    const probe = new MetricsHealthProbe({ metrics: new SimulatedMetrics(fleet, { bucketSeconds }) });
    const reading = await probe.read({
      service: 'web',
      environment: 'production',
      canary: { infraSetId: 'is-v2', version: 'v2' },
      baseline: { infraSetId: 'is-v1', version: 'v1' },
      weight: 10,
      checks: [{ ...asRate, query }],
      window: { from: start, to },
      evidence: null,
    });
    const measured = reading.checks[0]!.values.perMinute!;
    // Poisson noise over two minutes at 200 req/s is well under 1%.
    expect(measured).toBeGreaterThan(11_700);
    expect(measured).toBeLessThan(12_300);
  });
});
