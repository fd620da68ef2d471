import { describe, expect, it } from 'vitest';
import { ClusterRoutedTraffic, SimulatedCluster } from '../../../src/adapters/fleet/simulated-cluster.js';
import { SimulatedFleet } from '../../../src/adapters/fleet/simulated-fleet.js';
import { SimulatedInfra } from '../../../src/adapters/fleet/simulated-infra.js';
import { SimulatedTraffic } from '../../../src/adapters/fleet/simulated-traffic.js';
import { ManualClock } from '../../../src/ports/clock.js';

const T0 = new Date('2026-01-05T10:00:00Z');

async function setUp() {
  const fleet = new SimulatedFleet({ clock: new ManualClock(T0), seed: 1 });
  fleet.seedServing('checkout', 'production', 'v1', 'checkout-production-v1', new Date(T0.getTime() - 60_000));
  const cluster = new SimulatedCluster();
  cluster.seedRoutes(fleet);
  await new SimulatedInfra(fleet).provision({ infraSetId: 'checkout-production-v2', service: 'checkout', environment: 'production', version: 'v2', releaseId: 'r1', idempotencyKey: 'p1' });
  return { fleet, cluster, traffic: new ClusterRoutedTraffic(new SimulatedTraffic(fleet), cluster) };
}

const change = (weights: Record<string, number>, key: string) => ({ target: { service: 'checkout', environment: 'production' }, weights, releaseId: 'r1', idempotencyKey: key });

describe("the sandbox's simulated cluster", () => {
  it('starts with an HTTPRoute per service and environment, sending traffic where the fleet does', async () => {
    const { cluster } = await setUp();
    expect(cluster.routes()).toEqual([{ namespace: 'production', name: 'checkout', resourceVersion: '1', backends: [{ name: 'checkout-production-v1', weight: 100 }] }]);
  });

  it('moves the fleet and the HTTPRoute through the real Gateway API router, which reads the route back', async () => {
    const { fleet, cluster, traffic } = await setUp();
    const outcome = await traffic.setWeights(change({ 'checkout-production-v1': 99, 'checkout-production-v2': 1 }, 'k1'));
    expect(outcome).toEqual({ kind: 'applied', verified: true, detail: 'HTTPRoute production/checkout rule 0 reads checkout-production-v1 99%, checkout-production-v2 1% (resourceVersion 2)' });
    expect(cluster.routes()[0]!.backends).toEqual([
      { name: 'checkout-production-v1', weight: 99 },
      { name: 'checkout-production-v2', weight: 1 },
    ]);
    expect(fleet.snapshot().weights).toEqual([{ service: 'checkout', environment: 'production', weights: { 'checkout-production-v1': 99, 'checkout-production-v2': 1 } }]);
  });

  it('leaves the route alone when the fleet refuses the move', async () => {
    const { cluster, traffic } = await setUp();
    const outcome = await traffic.setWeights(change({ 'checkout-production-v1': 50, 'checkout-production-v9': 50 }, 'k2'));
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'no infra-set checkout-production-v9 in the simulated fleet' });
    expect(cluster.routes()[0]!.resourceVersion).toBe('1');
  });

  it('answers a replace with a stale resourceVersion 409, as the API server does', async () => {
    const { cluster } = await setUp();
    const { custom } = cluster.apis();
    const key = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: 'production', plural: 'httproutes', name: 'checkout' };
    const read = await custom.getNamespacedCustomObject(key);
    await custom.replaceNamespacedCustomObject({ ...key, body: read });
    await expect(custom.replaceNamespacedCustomObject({ ...key, body: read })).rejects.toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    await expect(custom.getNamespacedCustomObject({ ...key, name: 'web' })).rejects.toMatchObject({ code: 404 });
  });
});
