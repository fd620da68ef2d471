import { describe, expect, it } from 'vitest';
import type { HealthCheckConfig } from '../../../src/config/delivery-schema.js';
import { healthEvidenceSchema, type HealthEvidence } from '../../../src/domain/health/evidence.js';
import { ManualClock } from '../../../src/ports/clock.js';
import type { HealthProbeRequest } from '../../../src/ports/health.js';
import { SimulatedFleet } from '../../../src/adapters/fleet/simulated-fleet.js';
import { SimulatedMetrics } from '../../../src/adapters/fleet/simulated-metrics.js';
import { MetricsHealthProbe } from '../../../src/services/health/metrics-health-probe.js';

/**
 * The judge adds each reading's counts to the evidence, so every request must be counted once: a
 * reading whose window reaches back over what the evidence already holds measures only what is new.
 */

const START = new Date('2026-11-18T10:00:00.000Z');
const errors: HealthCheckConfig = {
  name: 'errors',
  kind: 'error_rate',
  requests: 'sum:trace.http.request.hits{service:{service},infra_set:{infraSet}}.as_count()',
  errors: 'sum:trace.http.request.errors{service:{service},infra_set:{infraSet}}.as_count()',
  maxRatioToBaseline: 2,
};

function setup() {
  const clock = new ManualClock(START);
  const fleet = new SimulatedFleet({ clock, seed: 5, loads: { checkout: { requestsPerSecond: 2_000, errorRate: 0.005, latencyMedianMs: 80 } } });
  fleet.seedServing('checkout', 'production', 'v1', 'is-v1', new Date(START.getTime() - 3_600_000));
  fleet.addInfraSet({ infraSetId: 'is-v2', service: 'checkout', environment: 'production', version: 'v2' });
  fleet.setWeights('checkout', 'production', { 'is-v2': 1, 'is-v1': 99 });
  const metrics = new SimulatedMetrics(fleet);
  return { clock, metrics, probe: new MetricsHealthProbe({ metrics }) };
}

const request = (window: { from: Date; to: Date }, evidence: unknown): HealthProbeRequest => ({
  service: 'checkout',
  environment: 'production',
  canary: { infraSetId: 'is-v2', version: 'v2' },
  baseline: { infraSetId: 'is-v1', version: 'v1' },
  weight: 1,
  checks: [errors],
  window,
  evidence,
});

const errorEvidence = (evidence: HealthEvidence) => {
  const found = evidence.checks.errors;
  if (found?.kind !== 'error_rate') throw new Error('no error-rate evidence');
  return found;
};

async function total(metrics: SimulatedMetrics, query: string, window: { from: Date; to: Date }): Promise<number> {
  const measured = await metrics.measure(query, window);
  if (measured.kind !== 'series') throw new Error(measured.reason);
  return measured.points.reduce((sum, point) => sum + (point.value ?? 0), 0);
}

describe('evidence counts every request once', () => {
  it('holds the same counts after 30 readings of windows growing from the stage start as one look at the whole bake', async () => {
    const { clock, metrics, probe } = setup();
    let evidence: unknown = null;
    const verdicts: string[] = [];
    for (let minute = 1; minute <= 30; minute += 1) {
      const to = clock.advance(60_000);
      const reading = await probe.read(request({ from: START, to }, evidence));
      evidence = JSON.parse(JSON.stringify(reading.evidence));
      verdicts.push(reading.verdict);
    }
    const kept = errorEvidence(healthEvidenceSchema.parse(evidence));
    const whole = { from: START, to: clock.now() };
    expect(kept.requests).toBe(await total(metrics, 'sum:trace.http.request.hits{service:checkout,infra_set:is-v2}.as_count()', whole));
    expect(kept.errors).toBe(await total(metrics, 'sum:trace.http.request.errors{service:checkout,infra_set:is-v2}.as_count()', whole));
    expect(kept.baselineRequests).toBe(await total(metrics, 'sum:trace.http.request.hits{service:checkout,infra_set:is-v1}.as_count()', whole));
    expect(kept.intervals).toBe(30);
    // A healthy canary, counted once, does not drift toward a false alarm.
    expect(verdicts).not.toContain('fail');
    expect(verdicts.at(-1)).toBe('pass');
  });

  it('measures nothing again when asked for a window the evidence already holds', async () => {
    const { clock, probe } = setup();
    const to = clock.advance(120_000);
    const first = await probe.read(request({ from: START, to }, null));
    const again = await probe.read(request({ from: START, to }, JSON.parse(JSON.stringify(first.evidence))));
    expect(again.verdict).toBe('inconclusive');
    expect(again.checks[0]!.summary).toBe(`nothing new to measure: already measured until ${to.toISOString()}`);
    expect(errorEvidence(healthEvidenceSchema.parse(again.evidence))).toEqual(errorEvidence(healthEvidenceSchema.parse(first.evidence)));
  });
});
