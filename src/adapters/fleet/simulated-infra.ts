import type { Infra, InfraOutcome, ProvisionRequest, RetireRequest } from '../../ports/infra.js';
import type { SimulatedFleet } from './simulated-fleet.js';

/** The sandbox's infra provider: an infra-set is ready the moment it is asked for. */
export class SimulatedInfra implements Infra {
  constructor(private readonly fleet: SimulatedFleet) {}

  async provision(request: ProvisionRequest): Promise<InfraOutcome> {
    const existing = this.fleet.infraSet(request.infraSetId);
    if (existing && (existing.version !== request.version || existing.service !== request.service)) {
      return { kind: 'failed', retryable: false, reason: `infra-set ${request.infraSetId} already holds ${existing.service}@${existing.version}` };
    }
    if (existing?.status === 'retired') return { kind: 'failed', retryable: false, reason: `infra-set ${request.infraSetId} was retired` };
    this.fleet.addInfraSet({
      infraSetId: request.infraSetId,
      service: request.service,
      environment: request.environment,
      version: request.version,
    });
    return { kind: 'done', detail: existing ? 'already provisioned' : 'provisioned' };
  }

  async retire(request: RetireRequest): Promise<InfraOutcome> {
    const existing = this.fleet.infraSet(request.infraSetId);
    if (!existing) return { kind: 'done', detail: 'unknown infra-set, nothing to retire' };
    if ((this.fleet.weights(existing.service, existing.environment)[request.infraSetId] ?? 0) > 0) {
      return { kind: 'failed', retryable: false, reason: `infra-set ${request.infraSetId} still serves traffic` };
    }
    this.fleet.retire(request.infraSetId);
    return { kind: 'done' };
  }
}
