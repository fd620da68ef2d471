import { describe, expect, it } from 'vitest';
import { loadDeliveryConfig, SHIPPED_DELIVERY_CONFIG } from '../../../src/config/load-delivery-config.js';
import { awaitsMoreEvidence } from '../../../src/domain/health/judge.js';
import { ManualClock } from '../../../src/ports/clock.js';
import type { HealthReading } from '../../../src/ports/health.js';
import { SimulatedFleet } from '../../../src/adapters/fleet/simulated-fleet.js';
import { SimulatedMetrics } from '../../../src/adapters/fleet/simulated-metrics.js';
import { MetricsHealthProbe } from '../../../src/services/health/metrics-health-probe.js';
import { readEachInterval } from '../../support/health-windows.js';

/**
 * A healthy canary at 1% in production, on the example config and the sandbox's simulated fleet:
 * the error-rate test needs several intervals of 1% traffic, and those readings are inconclusive.
 * They must read as a judge on its way to a verdict, not as "cannot be judged", or the release
 * would hold a healthy canary for a human after holdAfter minutes (it did, for about one seed in six).
 */

const loaded = loadDeliveryConfig(SHIPPED_DELIVERY_CONFIG);
if (!loaded.ok) throw new Error(loaded.errors.map((error) => error.message).join('; '));
const config = loaded.config;
const START = new Date('2026-11-18T10:00:00.000Z');
const production = config.environments.production!;
const canary = production.stages[0]!;

const BAKE_READINGS = Math.ceil(canary.bake / production.health.interval);

/** The canary's readings, one per interval (through its bake unless told); `unreachable` lists those taken during a metrics outage. */
async function bakeCanary(service: string, seed: number, options: { unreachable?: ReadonlySet<number>; readings?: number } = {}): Promise<HealthReading[]> {
  const unreachable = options.unreachable ?? new Set<number>();
  const clock = new ManualClock(START);
  const fleet = SimulatedFleet.fromConfig(config, { clock, seed });
  fleet.seedServing(service, 'production', 'v1', 'is-v1', new Date(START.getTime() - 3_600_000));
  fleet.addInfraSet({ infraSetId: 'is-v2', service, environment: 'production', version: 'v2' });
  fleet.setWeights(service, 'production', { 'is-v2': canary.weight, 'is-v1': 100 - canary.weight });
  const probe = new MetricsHealthProbe({ metrics: new SimulatedMetrics(fleet) });
  const readings: HealthReading[] = [];
  const next = readEachInterval(probe, clock, production.health.interval);
  for (let index = 0; index < (options.readings ?? BAKE_READINGS); index += 1) {
    fleet.setMetricsReachable(!unreachable.has(index));
    readings.push(
      await next({ service, environment: 'production', canary: { infraSetId: 'is-v2', version: 'v2' }, baseline: { infraSetId: 'is-v1', version: 'v1' }, weight: canary.weight, checks: config.services[service]!.checks }),
    );
  }
  return readings;
}

const SEEDS = Array.from({ length: 40 }, (_, index) => index + 1);

describe('a healthy 1% canary in production', () => {
  it.each(['web', 'checkout'])('%s: every reading before its pass is still deciding, and it passes within the bake', async (service) => {
    let deciding = 0;
    for (const seed of SEEDS) {
      const readings = await bakeCanary(service, seed);
      const firstPass = readings.findIndex((reading) => reading.verdict === 'pass');
      expect(firstPass, `seed ${seed}: ${readings.map((reading) => reading.verdict).join(' ')}`).toBeGreaterThanOrEqual(0);
      for (const reading of readings.slice(0, firstPass)) {
        expect(awaitsMoreEvidence(reading), `seed ${seed}: ${reading.checks.map((check) => `${check.check} ${check.verdict}: ${check.summary}`).join(' | ')}`).toBe(true);
        deciding += 1;
      }
    }
    // The case that matters happens: many canaries need more than one interval.
    expect(deciding).toBeGreaterThan(SEEDS.length / 2);
  });

  it('after a metrics outage, the readings are errors that cannot judge, then the judge goes on deciding', async () => {
    for (const seed of SEEDS.slice(0, 10)) {
      // Past the bake: the outage took three of its readings.
      const readings = await bakeCanary('web', seed, { unreachable: new Set([1, 2, 3]), readings: BAKE_READINGS + 3 });
      expect(readings.slice(1, 4).map((reading) => [reading.verdict, awaitsMoreEvidence(reading)])).toEqual([['error', false], ['error', false], ['error', false]]);
      const after = readings.slice(4);
      const firstPass = after.findIndex((reading) => reading.verdict === 'pass');
      expect(firstPass, `seed ${seed}`).toBeGreaterThanOrEqual(0);
      expect(after.slice(0, firstPass).every(awaitsMoreEvidence)).toBe(true);
    }
  });
});
