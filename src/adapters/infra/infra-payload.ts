import type { ProvisionRequest, RetireRequest } from '../../ports/infra.js';

/** The JSON a webhook receiver or a command gets for an infra change (docs/webhooks.md). */
export type InfraPayload =
  | ({ type: 'infra.provision' } & ProvisionRequest)
  | ({ type: 'infra.retire' } & RetireRequest);

export function provisionPayload(request: ProvisionRequest): InfraPayload {
  return {
    type: 'infra.provision',
    infraSetId: request.infraSetId,
    service: request.service,
    environment: request.environment,
    version: request.version,
    releaseId: request.releaseId,
    idempotencyKey: request.idempotencyKey,
  };
}

export function retirePayload(request: RetireRequest): InfraPayload {
  return {
    type: 'infra.retire',
    infraSetId: request.infraSetId,
    service: request.service,
    environment: request.environment,
    idempotencyKey: request.idempotencyKey,
  };
}

/** A receiver may answer {"detail": "…"}: shown in the release's thread. */
export function detailOf(answer: unknown): string | undefined {
  if (typeof answer === 'object' && answer !== null && 'detail' in answer && typeof answer.detail === 'string') return answer.detail.slice(0, 500);
  return undefined;
}
