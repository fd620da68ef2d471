import type { Infra, InfraOutcome, ProvisionRequest, RetireRequest } from '../../ports/infra.js';
import { postSignedWebhook, type SignedWebhookTarget } from '../signed-webhook.js';
import { detailOf, provisionPayload, retirePayload, type InfraPayload } from './infra-payload.js';

/** Provisions and retires infra-sets by posting signed JSON webhooks to the platform (docs/webhooks.md). */
export class WebhookInfra implements Infra {
  constructor(private readonly target: SignedWebhookTarget) {}

  provision(request: ProvisionRequest): Promise<InfraOutcome> {
    return this.#send(provisionPayload(request));
  }

  retire(request: RetireRequest): Promise<InfraOutcome> {
    return this.#send(retirePayload(request));
  }

  async #send(payload: InfraPayload): Promise<InfraOutcome> {
    const result = await postSignedWebhook(this.target, payload);
    if (result.kind === 'failed') return result;
    const detail = detailOf(result.body);
    return detail === undefined ? { kind: 'done' } : { kind: 'done', detail };
  }
}
