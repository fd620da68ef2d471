import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTraffic } from '../../src/adapters/traffic/create-traffic.js';
import { trafficRouterSchema } from '../../src/config/delivery-schema.js';
import type { Traffic, TrafficChange } from '../../src/ports/traffic.js';
import { startFakeKubernetes, type FakeKubernetes, type KubeObject } from '../support/fake-kubernetes.js';

let cluster: FakeKubernetes;
let router: Traffic;

const OLD = 'is-r1-production-checkout';
const NEW = 'is-r2-production-checkout';
const change = (weights: Record<string, number>, key = 'rel:r2:1'): TrafficChange => ({ target: { service: 'checkout', environment: 'production' }, weights, releaseId: 'r2', idempotencyKey: key });

function route(): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'shop', namespace: 'shop-production' },
    spec: {
      parentRefs: [{ name: 'public' }],
      rules: [
        { name: 'assets', matches: [{ path: { type: 'PathPrefix', value: '/assets' } }], backendRefs: [{ name: 'cdn-cache', port: 80 }] },
        { name: 'checkout', matches: [{ path: { type: 'PathPrefix', value: '/checkout' } }], backendRefs: [{ name: OLD, port: 8080, weight: 1 }] },
      ],
    },
  };
}

const rule = (name: string) => ((cluster.get('httproutes', 'shop-production', 'shop')!.spec as { rules: Array<{ name: string; backendRefs: unknown[] }> }).rules.find((r) => r.name === name)!);

beforeAll(async () => {
  cluster = await startFakeKubernetes();
  router = createTraffic(
    trafficRouterSchema.parse({ kind: 'gateway-api', route: 'shop', rule: 'checkout', namespace: 'shop-{environment}', port: 8080, timeout: 1, cluster: { kubeconfig: cluster.kubeconfigPath } }),
    { secrets: {} },
  );
});
afterAll(async () => {
  await cluster.close();
});
beforeEach(() => {
  cluster.put('httproutes', route());
  cluster.calls.length = 0;
  cluster.http.faults.length = 0;
  cluster.allowAll();
});

describe('Gateway API router', () => {
  it('moves the weights on the named rule of the HTTPRoute and reads them back', async () => {
    const outcome = await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    expect(outcome).toMatchObject({ kind: 'applied', verified: true, detail: expect.stringContaining(`HTTPRoute shop-production/shop rule "checkout" reads ${NEW} 10%, ${OLD} 90%`) });
    expect(rule('checkout').backendRefs).toEqual([
      { name: NEW, port: 8080, weight: 10 },
      { name: OLD, port: 8080, weight: 90 },
    ]);
    expect(rule('assets').backendRefs).toEqual([{ name: 'cdn-cache', port: 80 }]);
    expect(cluster.calls.map((call) => `${call.verb} ${call.resource}`)).toEqual(['get httproutes', 'update httproutes']);
  });

  it('writes nothing when the split is already in effect (the same intent twice)', async () => {
    await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    cluster.calls.length = 0;
    const again = await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    expect(again).toMatchObject({ kind: 'applied', verified: true, detail: expect.stringContaining('already in effect') });
    expect(cluster.calls.map((call) => call.verb)).toEqual(['get']);
  });

  it('keeps tenths of a percent as integer weights and weights of zero for warm sets', async () => {
    const outcome = await router.setWeights(change({ [NEW]: 0.5, [OLD]: 99.5 }));
    expect(outcome).toMatchObject({ kind: 'applied', verified: true });
    expect(rule('checkout').backendRefs).toEqual([
      { name: NEW, port: 8080, weight: 5 },
      { name: OLD, port: 8080, weight: 995 },
    ]);
    await router.setWeights(change({ [NEW]: 100, [OLD]: 0 }, 'rel:r2:2'));
    expect(rule('checkout').backendRefs).toEqual([
      { name: NEW, port: 8080, weight: 100 },
      { name: OLD, port: 8080, weight: 0 },
    ]);
  });

  it('re-reads on a conflict and re-applies on top of the other writer, whose change to another rule survives', async () => {
    cluster.beforeNextUpdate('httproutes', (stored) => {
      const rules = (stored.spec as { rules: Array<{ name: string; backendRefs: Array<{ name: string; port: number }> }> }).rules;
      rules[0]!.backendRefs = [{ name: 'cdn-cache-v2', port: 80 }];
    });
    const outcome = await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    expect(outcome).toMatchObject({ kind: 'applied', verified: true });
    expect(rule('assets').backendRefs).toEqual([{ name: 'cdn-cache-v2', port: 80 }]);
    expect(rule('checkout').backendRefs).toEqual([
      { name: NEW, port: 8080, weight: 10 },
      { name: OLD, port: 8080, weight: 90 },
    ]);
    expect(cluster.calls.map((call) => call.verb)).toEqual(['get', 'update', 'get', 'update']);
  });

  it('fails closed on 403, naming the permission that is missing', async () => {
    cluster.deny({ verb: 'update', resource: 'httproutes' });
    const outcome = await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    expect(outcome).toEqual({
      kind: 'failed',
      retryable: false,
      reason: expect.stringContaining('forbidden: the bot needs permission to update httproutes.gateway.networking.k8s.io in namespace shop-production'),
    });
    expect(rule('checkout').backendRefs).toEqual([{ name: OLD, port: 8080, weight: 1 }]);
  });

  it('fails closed on 401 with a message about the credentials', async () => {
    const stranger = await startFakeKubernetes({ token: 'another-token' });
    try {
      const { writeFileSync, readFileSync } = await import('node:fs');
      writeFileSync(stranger.kubeconfigPath, readFileSync(stranger.kubeconfigPath, 'utf8').replace('another-token', 'wrong-token'));
      const refused = createTraffic(trafficRouterSchema.parse({ kind: 'gateway-api', route: 'shop', namespace: 'shop', cluster: { kubeconfig: stranger.kubeconfigPath } }), { secrets: {} });
      expect(await refused.setWeights(change({ [NEW]: 100 }))).toEqual({ kind: 'failed', retryable: false, reason: expect.stringContaining("refused the bot's credentials (401)") });
    } finally {
      await stranger.close();
    }
  });

  it('asks for a retry with the same intent on 5xx and on a timeout, and then applies it', async () => {
    cluster.http.faults.push({ kind: 'status', status: 503, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'etcdserver: leader changed', reason: 'ServiceUnavailable', code: 503 } });
    expect(await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }))).toEqual({ kind: 'failed', retryable: true, reason: expect.stringContaining('503') });
    cluster.http.faults.push({ kind: 'hang' });
    expect(await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }))).toEqual({ kind: 'failed', retryable: true, reason: expect.stringContaining('did not answer within 1000ms') });
    expect(await router.setWeights(change({ [NEW]: 10, [OLD]: 90 }))).toMatchObject({ kind: 'applied', verified: true });
  });

  it('refuses a split that does not add up to 100, and a route or rule that does not exist', async () => {
    expect(await router.setWeights(change({ [NEW]: 10, [OLD]: 80 }))).toEqual({ kind: 'failed', retryable: false, reason: 'weights add up to 90%, not 100%' });
    const missingRule = createTraffic(trafficRouterSchema.parse({ kind: 'gateway-api', route: 'shop', rule: 'payments', namespace: 'shop-{environment}', cluster: { kubeconfig: cluster.kubeconfigPath } }), { secrets: {} });
    expect(await missingRule.setWeights(change({ [NEW]: 100 }))).toEqual({ kind: 'failed', retryable: false, reason: 'HTTPRoute shop-production/shop: it has no rule "payments"' });
    const missingRoute = createTraffic(trafficRouterSchema.parse({ kind: 'gateway-api', route: 'nope', namespace: 'shop-{environment}', cluster: { kubeconfig: cluster.kubeconfigPath } }), { secrets: {} });
    expect(await missingRoute.setWeights(change({ [NEW]: 100 }))).toEqual({ kind: 'failed', retryable: false, reason: expect.stringContaining('"nope" in namespace shop-production not found') });
    expect(cluster.calls.filter((call) => call.verb === 'update')).toEqual([]);
  });
});
