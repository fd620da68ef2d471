import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTraffic } from '../../src/adapters/traffic/create-traffic.js';
import { trafficRouterSchema } from '../../src/config/delivery-schema.js';
import type { TrafficChange } from '../../src/ports/traffic.js';
import { startFakeKubernetes, type FakeKubernetes, type KubeObject } from '../support/fake-kubernetes.js';

let cluster: FakeKubernetes;

const OLD = 'is-r1-production-checkout';
const NEW = 'is-r2-production-checkout';
const change = (weights: Record<string, number>): TrafficChange => ({ target: { service: 'checkout', environment: 'production' }, weights, releaseId: 'r2', idempotencyKey: 'rel:r2:1' });

function virtualService(destinations: unknown[]): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      hosts: ['checkout.shop.svc.cluster.local'],
      http: [
        { name: 'admin', match: [{ uri: { prefix: '/admin' } }], route: [{ destination: { host: 'admin.shop.svc.cluster.local' } }] },
        { name: 'primary', route: destinations, retries: { attempts: 3 } },
      ],
    },
  };
}

const primary = () => ((cluster.get('virtualservices', 'shop', 'checkout')!.spec as { http: Array<{ name: string; route: unknown[]; retries?: unknown }> }).http.find((r) => r.name === 'primary')!);
const router = (settings: Record<string, unknown>) =>
  createTraffic(trafficRouterSchema.parse({ kind: 'istio', virtualService: 'checkout', route: 'primary', namespace: { production: 'shop' }, cluster: { kubeconfig: cluster.kubeconfigPath }, ...settings }), { secrets: {} });

beforeAll(async () => {
  cluster = await startFakeKubernetes();
});
afterAll(async () => {
  await cluster.close();
});
beforeEach(() => {
  cluster.calls.length = 0;
  cluster.allowAll();
});

describe('Istio router', () => {
  it('weights one destination host per infra-set on the named http route, other routes untouched', async () => {
    cluster.put('virtualservices', virtualService([{ destination: { host: `${OLD}.shop.svc.cluster.local` } }]));
    const outcome = await router({}).setWeights(change({ [NEW]: 10, [OLD]: 90 }));
    expect(outcome).toMatchObject({ kind: 'applied', verified: true, detail: expect.stringContaining(`VirtualService shop/checkout http route "primary" reads ${NEW} 10%, ${OLD} 90%`) });
    expect(primary()).toEqual({
      name: 'primary',
      retries: { attempts: 3 },
      route: [
        { destination: { host: `${NEW}.shop.svc.cluster.local` }, weight: 10 },
        { destination: { host: `${OLD}.shop.svc.cluster.local` }, weight: 90 },
      ],
    });
    expect(await router({}).setWeights(change({ [NEW]: 10, [OLD]: 90 }))).toMatchObject({ kind: 'applied', detail: expect.stringContaining('already in effect') });
  });

  it('weights subsets of one host, rounding to whole percents that add up to exactly 100', async () => {
    cluster.put('virtualservices', virtualService([{ destination: { host: 'checkout.shop.svc.cluster.local', subset: OLD }, weight: 100 }]));
    const third = 'is-r3-production-checkout';
    const outcome = await router({ destination: 'subset', host: 'checkout.shop.svc.cluster.local' }).setWeights(change({ [NEW]: 33.3, [OLD]: 33.3, [third]: 33.4 }));
    expect(outcome).toMatchObject({ kind: 'applied', verified: true });
    expect(primary().route).toEqual([
      { destination: { host: 'checkout.shop.svc.cluster.local', subset: NEW }, weight: 33 },
      { destination: { host: 'checkout.shop.svc.cluster.local', subset: OLD }, weight: 33 },
      { destination: { host: 'checkout.shop.svc.cluster.local', subset: third }, weight: 34 },
    ]);
  });

  it('re-applies after a conflict without undoing the other writer, and fails closed on 403', async () => {
    cluster.put('virtualservices', virtualService([{ destination: { host: `${OLD}.shop.svc.cluster.local` } }]));
    cluster.beforeNextUpdate('virtualservices', (stored) => {
      (stored.spec as { http: Array<{ timeout?: string }> }).http[0]!.timeout = '5s';
    });
    expect(await router({}).setWeights(change({ [NEW]: 1, [OLD]: 99 }))).toMatchObject({ kind: 'applied', verified: true });
    const spec = cluster.get('virtualservices', 'shop', 'checkout')!.spec as { http: Array<{ timeout?: string; route: Array<{ weight: number }> }> };
    expect(spec.http[0]!.timeout).toBe('5s');
    expect(spec.http[1]!.route.map((entry) => entry.weight)).toEqual([1, 99]);

    cluster.deny({ verb: 'get', resource: 'virtualservices' });
    expect(await router({}).setWeights(change({ [NEW]: 10, [OLD]: 90 }))).toEqual({
      kind: 'failed',
      retryable: false,
      reason: expect.stringContaining('needs permission to get virtualservices.networking.istio.io in namespace shop'),
    });
  });

  it('needs a host for subsets and a namespace for the environment', async () => {
    expect(trafficRouterSchema.safeParse({ kind: 'istio', virtualService: 'checkout', namespace: 'shop', destination: 'subset' }).success).toBe(false);
    const staging = await router({}).setWeights({ ...change({ [NEW]: 100 }), target: { service: 'checkout', environment: 'staging' } });
    expect(staging).toEqual({ kind: 'failed', retryable: false, reason: 'no namespace is configured for staging' });
  });
});
