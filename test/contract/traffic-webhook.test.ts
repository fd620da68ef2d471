import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../src/adapters/signed-webhook.js';
import { WebhookTraffic } from '../../src/adapters/traffic/webhook-traffic.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { TrafficChange } from '../../src/ports/traffic.js';
import { sendJson, startHttpFake, type HttpFake } from '../support/http-fake.js';

const SECRET = 'whsec-traffic-test';
const NOW = new Date('2026-11-22T10:00:00Z');

/** A platform team's router, written from docs/webhooks.md: verifies, applies once per key, reports the weights. */
let router: HttpFake;
let applied: Map<string, Record<string, number>>;
let answerWith: 'weights' | 'nothing' | 'other-weights';

beforeAll(async () => {
  router = await startHttpFake((request, res) => {
    const timestamp = String(request.headers['x-delivery-timestamp']);
    const expected = `v1=${createHmac('sha256', SECRET).update(`${timestamp}.${request.body}`).digest('hex')}`;
    if (request.headers['x-delivery-signature'] !== expected) return sendJson(res, 401, { error: 'bad signature' });
    const body = JSON.parse(request.body) as { type: string; idempotencyKey: string; weights: Record<string, number> };
    if (body.type !== 'traffic.set_weights') return sendJson(res, 400, { error: `unknown type ${body.type}` });
    if (request.headers['x-delivery-idempotency-key'] !== body.idempotencyKey) return sendJson(res, 400, { error: 'key mismatch' });
    if (!applied.has(body.idempotencyKey)) applied.set(body.idempotencyKey, body.weights);
    if (answerWith === 'nothing') return sendJson(res, 200, { ok: true });
    if (answerWith === 'other-weights') return sendJson(res, 200, { weights: { 'checkout-v1': 100 } });
    sendJson(res, 200, { weights: applied.get(body.idempotencyKey) });
  });
});
afterAll(async () => {
  await router.close();
});
beforeEach(() => {
  router.requests.length = 0;
  router.faults.length = 0;
  applied = new Map();
  answerWith = 'weights';
});

const change: TrafficChange = {
  target: { service: 'checkout', environment: 'production' },
  weights: { 'checkout-v1': 90, 'checkout-v2': 10 },
  releaseId: 'r-42',
  idempotencyKey: 'r-42:canary-10:weights',
};

const traffic = (overrides: { secret?: string; timeoutMs?: number } = {}) =>
  new WebhookTraffic({ url: `${router.url}/traffic`, secret: overrides.secret ?? SECRET, timeoutMs: overrides.timeoutMs ?? 2_000, clock: new ManualClock(NOW) });

describe('WebhookTraffic', () => {
  it('posts the documented JSON, signed, and is verified by the weights the router reports', async () => {
    expect(await traffic().setWeights(change)).toEqual({ kind: 'applied', verified: true, detail: 'the receiver confirmed checkout-v1 90%, checkout-v2 10%' });
    const request = router.requests[0]!;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-delivery-timestamp']).toBe(String(NOW.getTime() / 1000));
    expect(JSON.parse(request.body)).toEqual({
      type: 'traffic.set_weights',
      service: 'checkout',
      environment: 'production',
      weights: { 'checkout-v1': 90, 'checkout-v2': 10 },
      releaseId: 'r-42',
      idempotencyKey: 'r-42:canary-10:weights',
    });
  });

  it('sends the same key on a retry, so the router applies the change once', async () => {
    await traffic().setWeights(change);
    await traffic().setWeights({ ...change, weights: { 'checkout-v1': 50, 'checkout-v2': 50 } });
    expect(router.requests.map((request) => request.headers['x-delivery-idempotency-key'])).toEqual([change.idempotencyKey, change.idempotencyKey]);
    expect(applied.get(change.idempotencyKey)).toEqual(change.weights);
  });

  it('says when it cannot verify, and fails when the router reports another split', async () => {
    answerWith = 'nothing';
    expect(await traffic().setWeights(change)).toEqual({ kind: 'applied', verified: false, detail: 'the receiver did not report the weights in effect' });
    answerWith = 'other-weights';
    expect(await traffic().setWeights(change)).toMatchObject({ kind: 'failed', retryable: false, reason: expect.stringContaining('reports checkout-v1 100%') });
  });

  it('retries 5xx, 429 and timeouts but not a refusal', async () => {
    router.faults.push({ kind: 'status', status: 502, body: { error: 'upstream down' } });
    expect(await traffic().setWeights(change)).toEqual({ kind: 'failed', retryable: true, reason: 'the receiver answered 502: upstream down' });
    router.faults.push({ kind: 'status', status: 429, body: {} });
    expect(await traffic().setWeights(change)).toMatchObject({ kind: 'failed', retryable: true });
    expect(await traffic({ secret: 'wrong' }).setWeights(change)).toEqual({ kind: 'failed', retryable: false, reason: 'the receiver answered 401: bad signature' });
    router.faults.push({ kind: 'hang' });
    expect(await traffic({ timeoutMs: 200 }).setWeights(change)).toEqual({ kind: 'failed', retryable: true, reason: 'no answer within 200ms' });
  });

  it('fails retryably when nothing listens', async () => {
    const closed = new WebhookTraffic({ url: 'http://127.0.0.1:9/traffic', secret: SECRET, timeoutMs: 2_000 });
    expect(await closed.setWeights(change)).toMatchObject({ kind: 'failed', retryable: true, reason: expect.stringContaining('unreachable') });
  });
});

describe('the webhook signature', () => {
  const body = '{"type":"traffic.set_weights"}';
  const timestamp = NOW.getTime() / 1000;
  const signature = signWebhook(SECRET, timestamp, body);

  it('is HMAC-SHA256 of "<timestamp>.<body>" in hex, prefixed v1=', () => {
    expect(signature).toBe(`v1=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`);
    expect(verifyWebhook(SECRET, { timestamp: String(timestamp), signature }, body, NOW)).toEqual({ ok: true });
  });

  it('refuses a changed body, another secret, and a replay older than five minutes', () => {
    expect(verifyWebhook(SECRET, { timestamp: String(timestamp), signature }, `${body} `, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifyWebhook('other', { timestamp: String(timestamp), signature }, body, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verifyWebhook(SECRET, { timestamp: String(timestamp), signature }, body, new Date(NOW.getTime() + 301_000))).toEqual({ ok: false, reason: 'timestamp outside the tolerance' });
    expect(verifyWebhook(SECRET, { timestamp: undefined, signature }, body, NOW)).toEqual({ ok: false, reason: 'missing or malformed timestamp' });
  });
});
