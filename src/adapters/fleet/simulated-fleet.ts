import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { Clock } from '../../ports/clock.js';
import type { Weights } from '../../ports/traffic.js';

/**
 * The sandbox's pretend production: infra-sets, the traffic weights between them, per-version faults
 * and whether the metrics source answers. SimulatedTraffic, SimulatedInfra and SimulatedMetrics are
 * three views of this one state, so a weight the engine sets is the traffic the metrics then report.
 */

export type FleetInfraSetStatus = 'ready' | 'retired';

export interface FleetInfraSet {
  infraSetId: string;
  service: string;
  environment: string;
  version: string;
  status: FleetInfraSetStatus;
  provisionedAt: string;
}

/** A game-day fault: what a version does wrong, on top of the service's normal behaviour. */
export interface VersionFault {
  /** Absolute error rate (0–1) of every request the version serves. */
  errorRate?: number;
  /** Milliseconds added to every request's latency. */
  latencyMs?: number;
}

/** How a service behaves when nothing is wrong. */
export interface ServiceLoad {
  requestsPerSecond: number;
  errorRate: number;
  /** Median latency; the tail follows a log-normal distribution. */
  latencyMedianMs: number;
}

export interface FleetSnapshot {
  infraSets: FleetInfraSet[];
  weights: Array<{ service: string; environment: string; weights: Weights }>;
  faults: Array<{ service: string; version: string; fault: VersionFault }>;
  metricsReachable: boolean;
}

export interface SimulatedFleetOptions {
  clock: Clock;
  seed?: number;
  loads?: Record<string, ServiceLoad>;
}

const DEFAULT_LOAD: ServiceLoad = { requestsPerSecond: 200, errorRate: 0.005, latencyMedianMs: 80 };

const targetKey = (service: string, environment: string) => `${service}\u0000${environment}`;
const faultKey = (service: string, version: string) => `${service}\u0000${version}`;

export class SimulatedFleet {
  readonly clock: Clock;
  readonly seed: number;
  readonly #loads: Map<string, ServiceLoad>;
  readonly #infraSets = new Map<string, FleetInfraSet>();
  /** Per target, every weight change in order: metrics read the weight that held at each instant. */
  readonly #weightTimeline = new Map<string, Array<{ at: number; weights: Weights }>>();
  readonly #faults = new Map<string, { service: string; version: string; fault: VersionFault }>();
  readonly #listeners = new Set<() => void>();
  #metricsReachable = true;

  constructor(options: SimulatedFleetOptions) {
    this.clock = options.clock;
    this.seed = options.seed ?? 1;
    this.#loads = new Map(Object.entries(options.loads ?? {}));
  }

  /** A fleet whose services see the traffic the delivery config's `expectedLoad` says they usually see. */
  static fromConfig(config: DeliveryConfig, options: Omit<SimulatedFleetOptions, 'loads'>): SimulatedFleet {
    const loads: Record<string, ServiceLoad> = {};
    for (const [service, settings] of Object.entries(config.services)) {
      loads[service] = {
        requestsPerSecond: settings.expectedLoad?.requestsPerSecond ?? DEFAULT_LOAD.requestsPerSecond,
        errorRate: settings.expectedLoad?.errorRate ?? DEFAULT_LOAD.errorRate,
        latencyMedianMs: DEFAULT_LOAD.latencyMedianMs,
      };
    }
    return new SimulatedFleet({ ...options, loads });
  }

  load(service: string): ServiceLoad {
    return this.#loads.get(service) ?? DEFAULT_LOAD;
  }

  /** Subscribes to every change (for the console's live view); returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  addInfraSet(infraSet: Omit<FleetInfraSet, 'status' | 'provisionedAt'>): FleetInfraSet {
    const existing = this.#infraSets.get(infraSet.infraSetId);
    if (existing) return existing;
    const created: FleetInfraSet = { ...infraSet, status: 'ready', provisionedAt: this.clock.now().toISOString() };
    this.#infraSets.set(created.infraSetId, created);
    this.#changed();
    return created;
  }

  infraSet(infraSetId: string): FleetInfraSet | undefined {
    return this.#infraSets.get(infraSetId);
  }

  infraSets(): FleetInfraSet[] {
    return [...this.#infraSets.values()];
  }

  retire(infraSetId: string): void {
    const infraSet = this.#infraSets.get(infraSetId);
    if (!infraSet || infraSet.status === 'retired') return;
    infraSet.status = 'retired';
    this.#changed();
  }

  /** The weights serving now, or {} when nothing was ever routed for the target. */
  weights(service: string, environment: string): Weights {
    const timeline = this.#weightTimeline.get(targetKey(service, environment));
    return { ...(timeline?.at(-1)?.weights ?? {}) };
  }

  /** The weight an infra-set had at an instant, in percent. */
  weightAt(infraSetId: string, at: Date): number {
    const infraSet = this.#infraSets.get(infraSetId);
    if (!infraSet) return 0;
    const timeline = this.#weightTimeline.get(targetKey(infraSet.service, infraSet.environment)) ?? [];
    let weight = 0;
    for (const entry of timeline) {
      if (entry.at > at.getTime()) break;
      weight = entry.weights[infraSetId] ?? 0;
    }
    return weight;
  }

  /** Routes traffic now, or from `at` when the weights held since an earlier instant (a restored fleet). */
  setWeights(service: string, environment: string, weights: Weights, at: Date = this.clock.now()): void {
    const key = targetKey(service, environment);
    const timeline = this.#weightTimeline.get(key) ?? [];
    const entry = { at: at.getTime(), weights: { ...weights } };
    const index = timeline.findIndex((existing) => existing.at > entry.at);
    if (index === -1) timeline.push(entry);
    else timeline.splice(index, 0, entry);
    this.#weightTimeline.set(key, timeline);
    this.#changed();
  }

  /**
   * Puts a version in service at 100% since `since`, as if deployed long ago: the starting point of
   * a sandbox, so a first canary has a baseline to be compared with.
   */
  seedServing(service: string, environment: string, version: string, infraSetId: string, since: Date): FleetInfraSet {
    const infraSet: FleetInfraSet = { infraSetId, service, environment, version, status: 'ready', provisionedAt: since.toISOString() };
    this.#infraSets.set(infraSetId, infraSet);
    this.setWeights(service, environment, { [infraSetId]: 100 }, since);
    return infraSet;
  }

  injectFault(service: string, version: string, fault: VersionFault): void {
    this.#faults.set(faultKey(service, version), { service, version, fault: { ...fault } });
    this.#changed();
  }

  clearFault(service: string, version: string): void {
    if (this.#faults.delete(faultKey(service, version))) this.#changed();
  }

  clearAllFaults(): void {
    if (this.#faults.size === 0) return;
    this.#faults.clear();
    this.#changed();
  }

  fault(service: string, version: string): VersionFault | undefined {
    return this.#faults.get(faultKey(service, version))?.fault;
  }

  get metricsReachable(): boolean {
    return this.#metricsReachable;
  }

  setMetricsReachable(reachable: boolean): void {
    if (this.#metricsReachable === reachable) return;
    this.#metricsReachable = reachable;
    this.#changed();
  }

  snapshot(): FleetSnapshot {
    const weights: FleetSnapshot['weights'] = [];
    for (const [key, timeline] of this.#weightTimeline) {
      const [service = '', environment = ''] = key.split('\u0000');
      weights.push({ service, environment, weights: { ...(timeline.at(-1)?.weights ?? {}) } });
    }
    return {
      infraSets: this.infraSets().map((infraSet) => ({ ...infraSet })),
      weights,
      faults: [...this.#faults.values()].map((entry) => ({ ...entry, fault: { ...entry.fault } })),
      metricsReachable: this.#metricsReachable,
    };
  }
}
