import type { Measurement, MetricPoint, MetricWindow, Metrics } from '../../ports/metrics.js';
import { assertNever } from '../../domain/assert-never.js';
import { hashSeed, mulberry32, PERCENTILE_Z, poisson, standardNormal, type Random } from './prng.js';
import type { FleetInfraSet, SimulatedFleet } from './simulated-fleet.js';
import { parseSimulatedQuery, type SimulatedSignal } from './simulated-query.js';

/** Spread of the log-normal latency: p99 ≈ 4× the median, as web services commonly show. */
const LATENCY_SIGMA = 0.6;
/** Saturation of an infra-set sized for its share of traffic (they autoscale with their weight). */
const BASE_SATURATION = 0.4;

/**
 * The golden signals of each infra-set, drawn from the fleet's state: requests are Poisson with the
 * service's expected load times the infra-set's weight at that instant, errors Poisson with the
 * version's error rate (a game-day fault overrides it), latency percentiles from a log-normal with
 * the fault's extra latency. Each bucket has its own seed, so asking twice answers the same.
 */
export class SimulatedMetrics implements Metrics {
  constructor(
    private readonly fleet: SimulatedFleet,
    private readonly options: { bucketSeconds?: number } = {},
  ) {}

  async measure(query: string, window: MetricWindow): Promise<Measurement> {
    if (!this.fleet.metricsReachable) {
      return { kind: 'error', reason: 'simulated metrics source unreachable (game day)' };
    }
    const fleet = this.fleet;
    const parsed = parseSimulatedQuery(query, { has: (id) => fleet.infraSet(id) !== undefined, ids: () => fleet.infraSets().map((infraSet) => infraSet.infraSetId) });
    if (parsed.kind === 'unrecognised') return { kind: 'error', reason: parsed.reason };
    const infraSet = this.fleet.infraSet(parsed.infraSetId);
    if (!infraSet) return { kind: 'error', reason: `no infra-set ${parsed.infraSetId}` };

    const bucketMs = (this.options.bucketSeconds ?? 10) * 1000;
    // A source has nothing for the future: buckets stop at the fleet's now.
    const end = Math.min(window.to.getTime(), this.fleet.clock.now().getTime());
    const points: MetricPoint[] = [];
    for (let start = window.from.getTime(); start < end; start += bucketMs) {
      const stop = Math.min(start + bucketMs, end);
      const value = this.#bucketValue(infraSet, parsed.signal, start, stop);
      points.push({ at: new Date(start), value: value === null || !parsed.perSecond ? value : value / ((stop - start) / 1000) });
    }
    return { kind: 'series', points };
  }

  #bucketValue(infraSet: FleetInfraSet, signal: SimulatedSignal, start: number, stop: number): number | null {
    const load = this.fleet.load(infraSet.service);
    const fault = this.fleet.fault(infraSet.service, infraSet.version);
    const weight = this.fleet.weightAt(infraSet.infraSetId, new Date((start + stop) / 2));
    const seconds = (stop - start) / 1000;
    // Requests come first from their own stream, so errors and latency see the same request count.
    const requests = poisson(this.#random(infraSet, 'requests', start, stop), load.requestsPerSecond * (weight / 100) * seconds);
    const random = this.#random(infraSet, signal.kind, start, stop);
    switch (signal.kind) {
      case 'requests':
        return requests;
      case 'errors':
        return poisson(random, requests * (fault?.errorRate ?? load.errorRate));
      case 'latency': {
        if (requests === 0) return null;
        const exact = load.latencyMedianMs * Math.exp(LATENCY_SIGMA * PERCENTILE_Z[signal.percentile]);
        // A percentile estimated from n requests wobbles by roughly 1/sqrt(n).
        const noise = Math.exp((0.3 / Math.sqrt(requests)) * standardNormal(random));
        return Math.round((exact * noise + (fault?.latencyMs ?? 0)) * 10) / 10;
      }
      case 'saturation': {
        if (weight === 0) return null;
        const extra = fault?.latencyMs ? Math.min(0.5, fault.latencyMs / 1000) : 0;
        return Math.round((BASE_SATURATION + extra + 0.03 * standardNormal(random)) * 1000) / 1000;
      }
      default:
        return assertNever(signal, 'signal');
    }
  }

  #random(infraSet: FleetInfraSet, stream: string, start: number, stop: number): Random {
    return mulberry32(hashSeed(this.fleet.seed, infraSet.infraSetId, stream, start, stop));
  }
}
