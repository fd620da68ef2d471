import type { Infra, InfraOutcome, ProvisionRequest, RetireRequest } from '../ports/infra.js';
import type { Traffic, TrafficChange, TrafficOutcome } from '../ports/traffic.js';

/**
 * A router or provider whose SDK is loaded on first use: @kubernetes/client-node alone takes seconds
 * to import, which a bot (or a sandbox) that routes nothing through Kubernetes must not pay at start.
 */
export class LazyTraffic implements Traffic {
  #loaded: Promise<Traffic> | null = null;

  constructor(private readonly load: () => Promise<Traffic>) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    const router = await this.#router();
    if ('failed' in router) return { kind: 'failed', retryable: false, reason: router.failed };
    return router.setWeights(change);
  }

  async #router(): Promise<Traffic | { failed: string }> {
    this.#loaded ??= this.load();
    try {
      return await this.#loaded;
    } catch (error) {
      this.#loaded = null;
      return { failed: `the traffic router could not be set up: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}

export class LazyInfra implements Infra {
  #loaded: Promise<Infra> | null = null;

  constructor(private readonly load: () => Promise<Infra>) {}

  async provision(request: ProvisionRequest): Promise<InfraOutcome> {
    const provider = await this.#provider();
    return 'failed' in provider ? { kind: 'failed', retryable: false, reason: provider.failed } : provider.provision(request);
  }

  async retire(request: RetireRequest): Promise<InfraOutcome> {
    const provider = await this.#provider();
    return 'failed' in provider ? { kind: 'failed', retryable: false, reason: provider.failed } : provider.retire(request);
  }

  async #provider(): Promise<Infra | { failed: string }> {
    this.#loaded ??= this.load();
    try {
      return await this.#loaded;
    } catch (error) {
      this.#loaded = null;
      return { failed: `the infra provider could not be set up: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
