import type { Traffic, TrafficChange, TrafficOutcome } from '../../ports/traffic.js';
import { postSignedWebhook, type SignedWebhookTarget } from '../signed-webhook.js';
import { trafficPayload, verifyReportedWeights } from './traffic-payload.js';

/** Moves traffic by posting a signed JSON webhook to the platform team's router (docs/webhooks.md). */
export class WebhookTraffic implements Traffic {
  constructor(private readonly target: SignedWebhookTarget) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    const result = await postSignedWebhook(this.target, trafficPayload(change));
    if (result.kind === 'failed') return result;
    return verifyReportedWeights(change.weights, result.body);
  }
}
