import { describe, expect, it } from 'vitest';
import { assessSufficiency } from '../../../src/domain/health/sufficiency.js';
import { expectedRequestsToFail } from '../../../src/domain/health/sprt.js';
import { referenceCheck, simulateCanary } from '../../support/poisson.js';

/**
 * DESIGN.md §7: the reference canary serves 20 req/s (1% of 2,000), the baseline fails 0.5% of
 * requests and a bad version 1.0%, measured every minute. The bound is Wald's expected time of an SPRT
 * at alpha 0.1%, beta 5%, rounded up to whole intervals: a judge that reads once a minute cannot speak
 * between readings (the design's "about three minutes" for the reference case).
 */

const INTERVAL = 60;
const BASELINE = 0.005;
const BAD = 0.01;

function bound(canaryRps: number) {
  const waldSeconds = expectedRequestsToFail({ p0: BASELINE, p1: BAD }, 0.001, 0.05) / canaryRps;
  return { waldSeconds, intervalBound: Math.ceil(waldSeconds / INTERVAL) * INTERVAL };
}

const levels = [
  { name: 'reference (20 req/s)', canaryRps: 20 },
  { name: 'ten times the traffic (200 req/s)', canaryRps: 200 },
  { name: 'a tenth of the traffic (2 req/s)', canaryRps: 2 },
];

describe.each(levels)('the error-rate judge at $name', ({ canaryRps }) => {
  const scenario = { canaryRps, baselineRps: canaryRps * 99, baselineErrorRate: BASELINE, intervalSeconds: INTERVAL, maxIntervals: 600 };

  it('fails a bad canary within 1.25× of the SPRT bound on average', () => {
    const times: number[] = [];
    let missed = 0;
    for (let seed = 1; seed <= 2_000; seed += 1) {
      const run = simulateCanary({ ...scenario, seed, canaryErrorRate: BAD });
      if (run.verdict === 'fail') times.push(run.seconds);
      else missed += 1;
    }
    const mean = times.reduce((sum, value) => sum + value, 0) / times.length;
    const { intervalBound, waldSeconds } = bound(canaryRps);
    expect(intervalBound).toBeGreaterThanOrEqual(waldSeconds);
    expect(mean / intervalBound).toBeLessThanOrEqual(1.25);
    // beta = 5%: a bad canary is let through at most that often.
    expect(missed / 2_000).toBeLessThanOrEqual(0.05);
  });

  it('fails at most 0.1% of 10,000 healthy, noisy canaries', () => {
    let failed = 0;
    let passed = 0;
    for (let seed = 1_000_001; seed <= 1_010_000; seed += 1) {
      const run = simulateCanary({ ...scenario, seed, canaryErrorRate: BASELINE, trafficJitter: 0.3 });
      if (run.verdict === 'fail') failed += 1;
      if (run.verdict === 'pass') passed += 1;
    }
    expect(failed).toBeLessThanOrEqual(10);
    expect(passed + failed).toBe(10_000);
  });
});

describe('a canary with too little traffic', () => {
  const question = { check: referenceCheck, requestsPerSecond: 20, weight: 1, baselineErrorRate: BASELINE, bakeSeconds: 600, intervalSeconds: INTERVAL };

  it('is said up front to be undecidable within its bake', () => {
    const sufficiency = assessSufficiency(question);
    expect(sufficiency.enough).toBe(false);
    expect(sufficiency.expectedSecondsToVerdict).toBeGreaterThan(600);
    expect(sufficiency.reason).toMatch(/not enough traffic to decide within the 10 min bake/);
  });

  it('comes back inconclusive at the end of the bake, healthy or bad', () => {
    for (const canaryErrorRate of [BASELINE, BAD]) {
      for (let seed = 1; seed <= 200; seed += 1) {
        const run = simulateCanary({ seed, canaryRps: 0.2, baselineRps: 19.8, canaryErrorRate, baselineErrorRate: BASELINE, intervalSeconds: INTERVAL, maxIntervals: 10 });
        expect(run).toEqual({ verdict: 'inconclusive', seconds: 600 });
      }
    }
  });

  it('is enough at the reference traffic with a half-hour bake', () => {
    const sufficiency = assessSufficiency({ ...question, requestsPerSecond: 2_000, bakeSeconds: 1_800 });
    expect(sufficiency.enough).toBe(true);
    expect(sufficiency.expectedSecondsToVerdict % INTERVAL).toBe(0);
    expect(sufficiency.expectedSecondsToVerdict).toBeLessThanOrEqual(300);
  });
});
