import type { Traffic, TrafficChange, TrafficOutcome } from '../../ports/traffic.js';
import type { SimulatedFleet } from './simulated-fleet.js';

/**
 * The sandbox's traffic router: moves weights between the fleet's infra-sets at once. Refuses what a
 * real router would (an unknown or retired infra-set, weights not adding up to 100), so an engine bug
 * shows in the sandbox too.
 */
export class SimulatedTraffic implements Traffic {
  readonly #applied = new Set<string>();

  constructor(private readonly fleet: SimulatedFleet) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    if (this.#applied.has(change.idempotencyKey)) return { kind: 'applied', verified: true, detail: 'already applied' };
    const { service, environment } = change.target;
    const total = Object.values(change.weights).reduce((sum, weight) => sum + weight, 0);
    if (Math.abs(total - 100) > 0.001) {
      return { kind: 'failed', retryable: false, reason: `weights add up to ${total}, not 100` };
    }
    for (const [infraSetId, weight] of Object.entries(change.weights)) {
      const infraSet = this.fleet.infraSet(infraSetId);
      if (!infraSet) return { kind: 'failed', retryable: false, reason: `no infra-set ${infraSetId} in the simulated fleet` };
      if (infraSet.service !== service || infraSet.environment !== environment) {
        return { kind: 'failed', retryable: false, reason: `infra-set ${infraSetId} belongs to ${infraSet.service} in ${infraSet.environment}` };
      }
      if (infraSet.status === 'retired' && weight > 0) {
        return { kind: 'failed', retryable: false, reason: `infra-set ${infraSetId} is retired` };
      }
    }
    this.fleet.setWeights(service, environment, change.weights);
    this.#applied.add(change.idempotencyKey);
    return { kind: 'applied', verified: true };
  }
}
