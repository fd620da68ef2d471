import { describe, expect, it } from 'vitest';
import type { HealthCheckConfig } from '../../../src/config/delivery-schema.js';
import { binomialLogLikelihoodRatio, expectedRequestsToFail, expectedRequestsToPass, sprtBoundaries } from '../../../src/domain/health/sprt.js';
import { assessSufficiency } from '../../../src/domain/health/sufficiency.js';

const errors: HealthCheckConfig = { name: 'errors', kind: 'error_rate', requests: 'r', errors: 'e', maxRatioToBaseline: 2 };
const traffic: HealthCheckConfig = { name: 'traffic', kind: 'traffic', query: 'q', minPerMinute: 600 };
const latency: HealthCheckConfig = { name: 'p99', kind: 'latency', percentile: 'p99', query: 'q', maxRatioToBaseline: 1.5 };

describe('the SPRT arithmetic', () => {
  it("matches Wald's numbers for the reference case (DESIGN.md §7: about three minutes at 20 req/s)", () => {
    const { upper, lower } = sprtBoundaries(0.001, 0.05);
    expect(upper).toBeCloseTo(Math.log(950), 10);
    expect(lower).toBeCloseTo(Math.log(0.05 / 0.999), 10);
    const requests = expectedRequestsToFail({ p0: 0.005, p1: 0.01 }, 0.001, 0.05);
    expect(requests / 20).toBeGreaterThan(150);
    expect(requests / 20).toBeLessThan(180);
    expect(expectedRequestsToPass({ p0: 0.005, p1: 0.01 }, 0.001, 0.05)).toBeLessThan(requests);
    // Twelve errors in 1,200 requests favour "twice the baseline"; six favour the baseline.
    expect(binomialLogLikelihoodRatio(1_200, 12, { p0: 0.005, p1: 0.01 })).toBeGreaterThan(0);
    expect(binomialLogLikelihoodRatio(1_200, 6, { p0: 0.005, p1: 0.01 })).toBeLessThan(0);
  });
});

describe('assessSufficiency', () => {
  const base = { requestsPerSecond: 2_000, weight: 1, baselineErrorRate: 0.005, bakeSeconds: 1_800, intervalSeconds: 60 };

  it('gives the expected time to a verdict in whole intervals, and more traffic means sooner', () => {
    const reference = assessSufficiency({ ...base, check: errors });
    const tenPercent = assessSufficiency({ ...base, check: errors, weight: 10 });
    expect(reference.enough).toBe(true);
    expect(reference.reason).toMatch(/^errors: telling 1\.00% errors from 0\.50% takes about \d+ min on average, within the 30 min bake$/);
    expect(tenPercent.expectedSecondsToVerdict).toBe(60);
    expect(reference.expectedSecondsToVerdict).toBeGreaterThan(tenPercent.expectedSecondsToVerdict);
  });

  it('says a canary without traffic can never be judged', () => {
    const none = assessSufficiency({ ...base, check: errors, requestsPerSecond: 0 });
    expect(none).toMatchObject({ enough: false, expectedSecondsToVerdict: Number.POSITIVE_INFINITY });
  });

  it('judges traffic checks by the canary share against minPerMinute', () => {
    expect(assessSufficiency({ ...base, check: traffic }).enough).toBe(true); // 1,200 a minute
    const small = assessSufficiency({ ...base, check: traffic, requestsPerSecond: 500 });
    expect(small).toMatchObject({ enough: false, reason: 'traffic: the canary would see about 300 requests/min, fewer than the 600 needed' });
  });

  it('needs one interval for window checks, and a bake at least that long', () => {
    expect(assessSufficiency({ ...base, check: latency })).toMatchObject({ enough: true, expectedSecondsToVerdict: 60 });
    expect(assessSufficiency({ ...base, check: latency, bakeSeconds: 30 }).enough).toBe(false);
  });
});
