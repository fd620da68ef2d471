import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInfra } from '../../src/adapters/infra/create-infra.js';
import { kubernetesNameFor } from '../../src/adapters/kubernetes/kubernetes-names.js';
import { renderReleaseCard } from '../../src/adapters/slack/blocks/release-card.js';
import { targetGroupNameFor } from '../../src/adapters/traffic/aws-alb-traffic.js';
import { createTraffic } from '../../src/adapters/traffic/create-traffic.js';
import { RoutedInfra, RoutedTraffic } from '../../src/app/routed-ports.js';
import { infraProviderSchema, trafficRouterSchema, type DeliveryConfig } from '../../src/config/delivery-schema.js';
import { ManualClock } from '../../src/ports/clock.js';
import { createEngine } from '../../src/app/create-engine.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind, truncateAll } from '../support/databases.js';
import { drive, seedServing, silentLogger, type EngineHarness } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { FakeAnnotations, FakeChat, ScriptedHealthProbe } from '../support/fakes/fake-ports.js';
import { startFakeElbv2 } from '../support/fake-elbv2.js';
import { startFakeKubernetes, type FakeKubernetes, type KubeObject } from '../support/fake-kubernetes.js';

/**
 * The release engine end to end on a (fake) cluster: the real routers and the Kubernetes infra
 * provider talk to the fake API server through @kubernetes/client-node, once per router kind, for a
 * canary that converges and one that fails and rolls back.
 */

const SEED = 'is-seed-staging-checkout-v1';
const NAMESPACE = 'shop-staging';

interface RouterCase {
  name: string;
  traffic: (kubeconfig: string) => Record<string, unknown>;
  seed: () => { resource: string; object: KubeObject };
  /** The split on the object, infra-set → percent. */
  split: (cluster: FakeKubernetes) => Record<string, number>;
  /** Routers outside the cluster (an ALB): their own fake, its config and its split. */
  outside?: () => Promise<{ traffic: Record<string, unknown>; secrets: Record<string, string>; seed(): void; watch(listener: () => void): void; split(): Record<string, number>; close(): Promise<void> }>;
}

const ALB_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
let clusterForAlb: FakeKubernetes | null = null;

const routers: RouterCase[] = [
  {
    name: 'gateway-api',
    traffic: (kubeconfig) => ({ kind: 'gateway-api', route: 'shop', rule: 'checkout', namespace: 'shop-{environment}', port: 80, cluster: { kubeconfig } }),
    seed: () => ({
      resource: 'httproutes',
      object: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'shop', namespace: NAMESPACE },
        spec: { parentRefs: [{ name: 'public' }], rules: [{ name: 'checkout', backendRefs: [{ name: kubernetesNameFor(SEED), port: 80, weight: 100 }] }] },
      },
    }),
    split: (cluster) => {
      const refs = (cluster.get('httproutes', NAMESPACE, 'shop')!.spec as { rules: Array<{ backendRefs: Array<{ name: string; weight: number }> }> }).rules[0]!.backendRefs;
      const total = refs.reduce((sum, ref) => sum + ref.weight, 0);
      return Object.fromEntries(refs.filter((ref) => ref.weight > 0).map((ref) => [ref.name, (ref.weight / total) * 100]));
    },
  },
  {
    name: 'istio',
    traffic: (kubeconfig) => ({ kind: 'istio', virtualService: 'checkout', namespace: 'shop-{environment}', cluster: { kubeconfig } }),
    seed: () => ({
      resource: 'virtualservices',
      object: {
        apiVersion: 'networking.istio.io/v1beta1',
        kind: 'VirtualService',
        metadata: { name: 'checkout', namespace: NAMESPACE },
        spec: { hosts: ['checkout'], http: [{ route: [{ destination: { host: `${kubernetesNameFor(SEED)}.${NAMESPACE}.svc.cluster.local` }, weight: 100 }] }] },
      },
    }),
    split: (cluster) => {
      const route = (cluster.get('virtualservices', NAMESPACE, 'checkout')!.spec as { http: Array<{ route: Array<{ destination: { host: string }; weight: number }> }> }).http[0]!.route;
      return Object.fromEntries(route.filter((entry) => entry.weight > 0).map((entry) => [entry.destination.host.split('.')[0]!, entry.weight]));
    },
  },
  {
    name: 'aws-alb',
    traffic: () => ({}),
    seed: () => ({ resource: 'none', object: { metadata: { name: 'none' } } }),
    split: () => ({}),
    outside: async () => {
      const aws = await startFakeElbv2();
      const seedArn = aws.addTargetGroup(targetGroupNameFor(SEED));
      // As the AWS Load Balancer Controller would: each infra-set's Service gets its target group.
      clusterForAlb!.onChange((resource, object) => {
        const id = (object.metadata.annotations as Record<string, string> | undefined)?.['durable-delivery/infra-set-id'];
        if (resource === 'services' && id && !aws.targetGroups.has(targetGroupNameFor(id))) aws.addTargetGroup(targetGroupNameFor(id));
      });
      const nameOf = (arn: string) => [...aws.targetGroups.entries()].find(([, candidate]) => candidate === arn)![0];
      return {
        traffic: { kind: 'aws-alb', region: aws.region, ruleArn: ALB_RULE, endpoint: aws.url },
        secrets: { AWS_ACCESS_KEY_ID: aws.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.secretAccessKey },
        seed: () => aws.rules.set(ALB_RULE, { RuleArn: ALB_RULE, Priority: '10', Conditions: [{ Field: 'path-pattern', Values: ['/checkout/*'] }], Actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: seedArn, Weight: 1 }] } }] }),
        watch: (listener) => aws.onModify(listener),
        split: () => {
          const tuples = aws.rules.get(ALB_RULE)!.Actions[0]!.ForwardConfig!.TargetGroups;
          const total = tuples.reduce((sum, tuple) => sum + tuple.Weight, 0);
          return Object.fromEntries(tuples.filter((tuple) => tuple.Weight > 0).map((tuple) => [nameOf(tuple.TargetGroupArn), (tuple.Weight / total) * 100]));
        },
        close: () => aws.close(),
      };
    },
  },
];

describe.each(routers)('a release with the $name router and Kubernetes infra-sets', (router) => {
  let database: Database;
  let cluster: FakeKubernetes;
  let harness: EngineHarness;
  let health: ScriptedHealthProbe;
  let chat: FakeChat;
  /** Every split the routing object carried, in order. */
  let splits: Array<Record<string, number>>;

  let restart: () => Promise<void>;
  let outside: Awaited<ReturnType<NonNullable<RouterCase['outside']>>> | null = null;

  beforeAll(async () => {
    database = await pgliteKind.open();
    cluster = await startFakeKubernetes();
    clusterForAlb = cluster;
    outside = router.outside ? await router.outside() : null;
    if (outside) outside.watch(() => splits.push(outside!.split()));
    cluster.onChange((resource) => {
      if (resource === router.seed().resource) splits.push(router.split(cluster));
    });
    const config: DeliveryConfig = exampleShopConfig({
      staging: {
        stages: [
          { name: 'canary', weight: 10, bake: '2m' },
          { name: 'full', weight: 100, bake: '1m' },
        ],
        health: { interval: '1m', failAfter: 2, holdAfter: 3 },
      },
    });
    config.services.checkout!.traffic = trafficRouterSchema.parse(outside ? outside.traffic : router.traffic(cluster.kubeconfigPath));
    config.services.checkout!.infra = infraProviderSchema.parse({
      kind: 'kubernetes',
      namespace: 'shop-{environment}',
      cluster: { kubeconfig: cluster.kubeconfigPath },
      deployment: { spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/checkout:{version}', ports: [{ containerPort: 8080 }] }] } } } },
    });
    const clock = new ManualClock(TUESDAY_MORNING);
    health = new ScriptedHealthProbe();
    chat = new FakeChat();
    const deps = { secrets: outside?.secrets ?? {}, clock, logger: silentLogger };
    const ports = {
      traffic: new RoutedTraffic({ checkout: createTraffic(config.services.checkout!.traffic, deps) }),
      infra: new RoutedInfra({ checkout: createInfra(config.services.checkout!.infra, deps) }),
      health,
      chat,
      annotations: new FakeAnnotations(),
    };
    const engine = createEngine({ db: database.db, config, clock, ports, logger: silentLogger });
    harness = { engine, clock, ports: ports as never, db: database.db };
    restart = async () => {
      await harness.engine.stop();
      harness = { ...harness, engine: createEngine({ db: database.db, config, clock, ports, logger: silentLogger }) };
    };
  });
  afterAll(async () => {
    await harness?.engine.stop();
    await outside?.close();
    await cluster?.close();
    await database?.close();
  });
  beforeEach(async () => {
    await harness.engine.settle();
    await truncateAll(database.db);
    harness.clock.set(TUESDAY_MORNING);
    await seedServing(database.db, [{ environment: 'staging', service: 'checkout', version: 'v1' }], harness.clock.now());
    splits = [];
    if (outside) outside.seed();
    else {
      const seed = router.seed();
      cluster.put(seed.resource, seed.object);
    }
    splits = [];
    cluster.calls.length = 0;
  });

  async function release(version: string): Promise<string> {
    const outcome = await harness.engine.releases.act({ verb: 'deploy', actor: { userId: 'U0ALICE', userGroupIds: [] }, target: { kind: 'service', service: 'checkout', version }, environment: 'staging' });
    if (outcome.kind !== 'accepted') throw new Error(outcome.message);
    return outcome.view.id;
  }

  async function driveTo(id: string, statuses: string[]): Promise<void> {
    const reached = await drive(harness, async () => statuses.includes((await harness.engine.releases.status(id))?.status ?? ''));
    expect(reached, `release ${id} is ${(await harness.engine.releases.status(id))?.status}`).toBe(true);
  }

  it('mints a Deployment for the new version, walks the canary on the routing object and converges', async () => {
    const id = await release('v2');
    await driveTo(id, ['succeeded']);
    const fresh = `is-${id}-staging-checkout`;
    const name = kubernetesNameFor(fresh);
    const deployment = cluster.get('deployments', NAMESPACE, name)!;
    expect((deployment.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image).toBe('ghcr.io/acme/checkout:v2');
    expect(cluster.get('services', NAMESPACE, name)).toBeDefined();
    expect(splits).toEqual([
      { [kubernetesNameFor(SEED)]: 90, [name]: 10 },
      { [name]: 100 },
    ].map((split) => expect.objectContaining(split)));
    expect(splits.at(-1)).toEqual({ [name]: 100 });
    expect(chat.cards.get(id)!.view.status).toBe('succeeded');
    // The card shows what the router read back from the routing object, not what was asked of it.
    const { traffic } = chat.cards.get(id)!.view;
    expect(traffic).toMatchObject({ environment: 'staging', service: 'checkout', verified: true, detail: expect.stringContaining(`${fresh} 100%`) });
    expect(JSON.stringify(renderReleaseCard(chat.cards.get(id)!.view).blocks)).toContain(`Router, for checkout in staging at <!date^`);
    // Nothing the engine did patched a Deployment or a Service in place.
    expect(cluster.calls.filter((call) => call.verb === 'update' && (call.resource === 'deployments' || call.resource === 'services'))).toEqual([]);
  }, 120_000);

  it('rolls a failing canary back on the routing object and tears the new infra-set down', async () => {
    health.set('checkout', 'v3', 'fail');
    const id = await release('v3');
    await driveTo(id, ['rolled_back']);
    await harness.engine.runUntilIdle();
    const canary = `is-${id}-staging-checkout`;
    const name = kubernetesNameFor(canary);
    expect(splits[0]).toEqual({ [kubernetesNameFor(SEED)]: 90, [name]: 10 });
    expect(splits.at(-1)).toEqual({ [kubernetesNameFor(SEED)]: 100 });
    // Drain before break: out of traffic, the canary keeps running for the drain delay, and says so.
    expect(cluster.get('deployments', NAMESPACE, name)).toBeDefined();
    expect((await harness.engine.releases.listInfraSets('checkout', 'staging')).find((set) => set.id === canary)).toMatchObject({ state: 'draining', weight: 0 });
    expect(chat.threadLines.map((line) => line.text)).toContainEqual(`⏳ ${canary} is out of traffic and draining; it retires in 30s`);
    expect(chat.cards.get(id)!.view.draining).toEqual([{ environment: 'staging', service: 'checkout', infraSetId: canary, retiresAt: expect.any(String) }]);
    // The bot is killed during the delay; the new one retires the set once the delay is over, exactly once.
    await restart();
    expect(await drive(harness, () => cluster.get('deployments', NAMESPACE, name) === undefined)).toBe(true);
    await harness.engine.runUntilIdle();
    expect(cluster.get('deployments', NAMESPACE, name)).toBeUndefined();
    expect(cluster.get('services', NAMESPACE, name)).toBeUndefined();
    expect(cluster.calls.filter((call) => call.verb === 'delete').map((call) => `${call.resource} ${call.name}`)).toEqual([`deployments ${name}`, `services ${name}`]);
    expect((await harness.engine.releases.listInfraSets('checkout', 'staging')).find((set) => set.id === canary)).toMatchObject({ state: 'retired' });
    expect(chat.threadLines.map((line) => line.text)).toContainEqual(`🧹 ${canary} retired`);
    expect(chat.cards.get(id)!.view.status).toBe('rolled_back');
    expect(chat.cards.get(id)!.view.draining).toBeUndefined();
  }, 120_000);
});
