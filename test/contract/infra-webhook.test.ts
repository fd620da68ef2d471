import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/adapters/signed-webhook.js';
import { WebhookInfra } from '../../src/adapters/infra/webhook-infra.js';
import { sendJson, startHttpFake, type HttpFake } from '../support/http-fake.js';

const SECRET = 'whsec-infra-test';

/** A platform's provisioner, as docs/webhooks.md describes it. */
let platform: HttpFake;
let infraSets: Map<string, string>;

beforeAll(async () => {
  platform = await startHttpFake((request, res) => {
    const check = verifyWebhook(SECRET, { timestamp: request.headers['x-delivery-timestamp'] as string, signature: request.headers['x-delivery-signature'] as string }, request.body, new Date());
    if (!check.ok) return sendJson(res, 401, { error: check.reason });
    const body = JSON.parse(request.body) as { type: string; infraSetId: string; version?: string };
    if (body.type === 'infra.provision') {
      infraSets.set(body.infraSetId, body.version ?? '');
      return sendJson(res, 202, { detail: `provisioning ${body.infraSetId} (3 instances)` });
    }
    if (body.type === 'infra.retire') {
      infraSets.delete(body.infraSetId);
      res.writeHead(204);
      return res.end();
    }
    sendJson(res, 400, { error: `unknown type ${body.type}` });
  });
});
afterAll(async () => {
  await platform.close();
});
beforeEach(() => {
  platform.faults.length = 0;
  platform.requests.length = 0;
  infraSets = new Map();
});

const infra = () => new WebhookInfra({ url: `${platform.url}/infra`, secret: SECRET, timeoutMs: 2_000 });

describe('WebhookInfra', () => {
  it('provisions and retires with signed, documented payloads', async () => {
    const provision = { infraSetId: 'checkout-production-v2', service: 'checkout', environment: 'production', version: 'v2', releaseId: 'r-1', idempotencyKey: 'r-1:provision' };
    expect(await infra().provision(provision)).toEqual({ kind: 'done', detail: 'provisioning checkout-production-v2 (3 instances)' });
    expect(JSON.parse(platform.requests[0]!.body)).toEqual({ type: 'infra.provision', ...provision });
    expect(infraSets.get('checkout-production-v2')).toBe('v2');
    expect(await infra().retire({ infraSetId: 'checkout-production-v2', service: 'checkout', environment: 'production', idempotencyKey: 'r-1:retire' })).toEqual({ kind: 'done' });
    expect(JSON.parse(platform.requests[1]!.body)).toEqual({ type: 'infra.retire', infraSetId: 'checkout-production-v2', service: 'checkout', environment: 'production', idempotencyKey: 'r-1:retire' });
    expect(infraSets.size).toBe(0);
  });

  it('fails retryably on 503 and a timeout, and for good on a refusal', async () => {
    const retire = { infraSetId: 'x', service: 'checkout', environment: 'production', idempotencyKey: 'k' };
    platform.faults.push({ kind: 'status', status: 503, body: { error: 'maintenance' } });
    expect(await infra().retire(retire)).toEqual({ kind: 'failed', retryable: true, reason: 'the receiver answered 503: maintenance' });
    platform.faults.push({ kind: 'status', status: 422, body: { error: 'unknown infra-set' } });
    expect(await infra().retire(retire)).toEqual({ kind: 'failed', retryable: false, reason: 'the receiver answered 422: unknown infra-set' });
    platform.faults.push({ kind: 'hang' });
    expect(await new WebhookInfra({ url: platform.url, secret: SECRET, timeoutMs: 150 }).retire(retire)).toEqual({ kind: 'failed', retryable: true, reason: 'no answer within 150ms' });
  });
});
