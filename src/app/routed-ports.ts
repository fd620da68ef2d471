import type { InfraOutcome, Infra, ProvisionRequest, RetireRequest } from '../ports/infra.js';
import type { Traffic, TrafficChange, TrafficOutcome } from '../ports/traffic.js';

/**
 * The engine sees one Traffic and one Infra; each service may use a different router or provider
 * (a webhook for one, nginx for another). These send each call to the service's own.
 */
export class RoutedTraffic implements Traffic {
  constructor(private readonly byService: Readonly<Record<string, Traffic>>) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    const router = this.byService[change.target.service];
    if (!router) return { kind: 'failed', retryable: false, reason: `no traffic router is configured for ${change.target.service}` };
    return router.setWeights(change);
  }
}

export class RoutedInfra implements Infra {
  constructor(private readonly byService: Readonly<Record<string, Infra>>) {}

  provision(request: ProvisionRequest): Promise<InfraOutcome> {
    return this.#providerFor(request.service)?.provision(request) ?? Promise.resolve(this.#missing(request.service));
  }

  retire(request: RetireRequest): Promise<InfraOutcome> {
    return this.#providerFor(request.service)?.retire(request) ?? Promise.resolve(this.#missing(request.service));
  }

  #providerFor(service: string): Infra | undefined {
    return this.byService[service];
  }

  #missing(service: string): InfraOutcome {
    return { kind: 'failed', retryable: false, reason: `no infra provider is configured for ${service}` };
  }
}
