import { readFileSync } from 'node:fs';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createInfra } from '../../src/adapters/infra/create-infra.js';
import { kubernetesNameFor } from '../../src/adapters/kubernetes/kubernetes-names.js';
import { createTraffic } from '../../src/adapters/traffic/create-traffic.js';
import { deliveryConfigSchema, infraProviderSchema, trafficRouterSchema } from '../../src/config/delivery-schema.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';

/**
 * The RBAC rules in deploy/kubernetes/ against what the code really calls: every router and the
 * provider are driven through their paths (already applied, changed, conflict, not ready, retire)
 * against the fake API server, which records each verb on each resource. Every call must be allowed
 * by the ClusterRole, and the ClusterRole must grant nothing the code never calls.
 */

const DIR = new URL('../../deploy/kubernetes/', import.meta.url);
const documents = (file: string) => parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((document) => document.toJSON() as Record<string, unknown>);

let cluster: FakeKubernetes;

beforeAll(async () => {
  cluster = await startFakeKubernetes();
});
afterAll(async () => {
  await cluster.close();
});

async function exerciseEverything(): Promise<void> {
  const kubeconfig = cluster.kubeconfigPath;
  const old = 'is-r1-production-checkout';
  const fresh = 'is-r2-production-checkout';
  cluster.put('httproutes', { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'shop', namespace: 'shop-production' }, spec: { rules: [{ backendRefs: [{ name: old, port: 80 }] }] } });
  cluster.put('virtualservices', { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'checkout', namespace: 'shop-production' }, spec: { hosts: ['checkout'], http: [{ route: [{ destination: { host: `${old}.shop-production.svc.cluster.local` } }] }] } });
  const change = { target: { service: 'checkout', environment: 'production' }, weights: { [fresh]: 10, [old]: 90 }, releaseId: 'r2', idempotencyKey: 'rel:r2:1' };
  for (const settings of [
    { kind: 'gateway-api', route: 'shop', namespace: 'shop-{environment}', cluster: { kubeconfig } },
    { kind: 'istio', virtualService: 'checkout', namespace: 'shop-{environment}', cluster: { kubeconfig } },
  ]) {
    const router = createTraffic(trafficRouterSchema.parse(settings), { secrets: {} });
    const resource = settings.kind === 'istio' ? 'virtualservices' : 'httproutes';
    cluster.beforeNextUpdate(resource, (stored) => {
      stored.metadata.labels = { touched: 'by-someone-else' };
    });
    expect(await router.setWeights(change)).toMatchObject({ kind: 'applied' });
    expect(await router.setWeights(change)).toMatchObject({ kind: 'applied' });
  }
  const infra = createInfra(
    infraProviderSchema.parse({
      kind: 'kubernetes',
      namespace: 'shop-{environment}',
      cluster: { kubeconfig },
      deployment: { spec: { template: { spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/checkout:{version}' }] } } } },
    }),
    { secrets: {} },
  );
  const request = { infraSetId: fresh, service: 'checkout', environment: 'production', version: 'v2', releaseId: 'r2', idempotencyKey: 'rel:r2:2' };
  expect(await infra.provision(request)).toMatchObject({ kind: 'done' });
  expect(await infra.provision(request)).toMatchObject({ kind: 'done' });
  expect(await infra.retire(request)).toMatchObject({ kind: 'done' });
  expect(cluster.get('deployments', 'shop-production', kubernetesNameFor(fresh))).toBeUndefined();
}

describe('deploy/kubernetes', () => {
  it('grants exactly the verbs on the resources that the routers and the provider call', async () => {
    await exerciseEverything();
    const called = new Set(cluster.calls.map((call) => `${call.group}/${call.resource}:${call.verb}`));
    const role = documents('rbac.yaml').find((document) => document.kind === 'ClusterRole') as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    const granted = new Set(role.rules.flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)))));
    expect([...called].filter((call) => !granted.has(call)), 'called but not granted').toEqual([]);
    expect([...granted].filter((grant) => !called.has(grant)), 'granted but never called').toEqual([]);
    expect(role.rules.flatMap((rule) => rule.verbs)).not.toContain('*');
  });

  it('binds the role in every namespace the example config deploys to, to the bot’s service account', () => {
    const bindings = documents('rbac.yaml').filter((document) => document.kind === 'RoleBinding') as Array<{ metadata: { namespace: string }; subjects: Array<{ name: string; namespace: string }>; roleRef: { name: string } }>;
    const account = documents('serviceaccount.yaml')[0] as { metadata: { name: string; namespace: string } };
    expect(bindings.map((binding) => binding.metadata.namespace).sort()).toEqual(['shop-production', 'shop-staging']);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
      expect(binding.roleRef.name).toBe('durable-delivery');
    }
    const deployment = documents('deployment.yaml')[0] as { spec: { template: { spec: { serviceAccountName: string } } } };
    expect(deployment.spec.template.spec.serviceAccountName).toBe(account.metadata.name);
  });

  it('holds manifests the published models accept, tokens only by Secret reference, and a config that parses', () => {
    const models: Record<string, (object: Record<string, unknown>) => { validate(): void }> = {
      Namespace: (o) => new Namespace(o as never),
      ServiceAccount: (o) => new ServiceAccount(o as never),
      ClusterRole: (o) => new ClusterRole(o as never),
      RoleBinding: (o) => new RoleBinding(o as never),
      ConfigMap: (o) => new ConfigMap(o as never),
      Deployment: (o) => new Deployment(o as never),
      Service: (o) => new Service(o as never),
    };
    const kustomization = documents('kustomization.yaml')[0] as { resources: string[] };
    let count = 0;
    for (const file of kustomization.resources) {
      for (const document of documents(file)) {
        const model = models[String(document.kind)];
        expect(model, `${file}: ${String(document.kind)}`).toBeDefined();
        model!(document).validate();
        count += 1;
      }
    }
    expect(count).toBe(8);
    const deployment = documents('deployment.yaml')[0] as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }> }> } } } };
    const env = deployment.spec.template.spec.containers[0]!.env;
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'DATABASE_URL', 'GITHUB_TOKEN', 'DD_API_KEY', 'DD_APP_KEY']) {
      const entry = env.find((candidate) => candidate.name === name);
      expect(entry?.valueFrom?.secretKeyRef, name).toBeDefined();
      expect(entry?.value, name).toBeUndefined();
    }
    const configMap = documents('configmap.yaml')[0] as { data: Record<string, string> };
    const parsed = deliveryConfigSchema.safeParse(parseAllDocuments(configMap.data['delivery.yaml']!)[0]!.toJSON());
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});

describe('examples/kubernetes.yaml', () => {
  it('is a complete config that loads with every Kubernetes and AWS kind', async () => {
    const { loadDeliveryConfig } = await import('../../src/config/load-delivery-config.js');
    const loaded = loadDeliveryConfig(new URL('../../examples/kubernetes.yaml', import.meta.url).pathname, { cwd: process.cwd() });
    expect(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded)).toBe(true);
    if (!loaded.ok) return;
    expect(Object.values(loaded.config.services).map((service) => [service.traffic.kind, service.infra.kind])).toEqual([
      ['gateway-api', 'kubernetes'],
      ['istio', 'kubernetes'],
      ['aws-alb', 'webhook'],
    ]);
    expect(loaded.config.services.checkout!.drainDelay).toBe(45);
  });
});
