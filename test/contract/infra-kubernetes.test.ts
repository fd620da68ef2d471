import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesInfra } from '../../src/adapters/infra/kubernetes-infra.js';
import { kubeConfigFor, kubernetesApis } from '../../src/adapters/kubernetes/kubernetes-client.js';
import { infraProviderSchema } from '../../src/config/delivery-schema.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { ProvisionRequest } from '../../src/ports/infra.js';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.js';

let cluster: FakeKubernetes;

const request: ProvisionRequest = { infraSetId: 'is-r2-production-checkout', service: 'checkout', environment: 'production', version: 'v1.4.2', releaseId: 'r2', idempotencyKey: 'rel:r2:1' };
const NAME = 'is-r2-production-checkout';

const settings = () =>
  infraProviderSchema.parse({
    kind: 'kubernetes',
    namespace: 'shop-{environment}',
    cluster: { kubeconfig: cluster.kubeconfigPath },
    readyTimeout: '5m',
    deployment: {
      metadata: { labels: { team: 'payments' } },
      spec: {
        replicas: 3,
        template: { spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/checkout:{version}', ports: [{ containerPort: 8080 }], env: [{ name: 'DEPLOYED_AS', value: '{infraSet}' }] }] } },
      },
    },
  });

function provider(overrides: { clock?: ManualClock } = {}) {
  const config = settings();
  if (config.kind !== 'kubernetes') throw new Error('expected kubernetes');
  return new KubernetesInfra({
    apis: kubernetesApis(kubeConfigFor(config.cluster, {}), 2_000),
    namespace: config.namespace,
    deployment: config.deployment,
    service: config.service,
    port: config.port,
    readyTimeoutMs: config.readyTimeout * 1000,
    waitMs: 0,
    pollMs: 10,
    ...overrides,
  });
}

beforeAll(async () => {
  cluster = await startFakeKubernetes();
});
afterAll(async () => {
  await cluster.close();
});
beforeEach(async () => {
  cluster.rollout = 'manual';
  cluster.allowAll();
  await provider().retire(request);
  cluster.calls.length = 0;
});

describe('Kubernetes infra provider', () => {
  it('mints a Deployment and a Service from the template, labelled, and is ready once every replica is available', async () => {
    const first = await provider().provision(request);
    expect(first).toEqual({ kind: 'failed', retryable: true, reason: expect.stringContaining('is not ready yet: 0/3 replicas available') });
    const deployment = cluster.get('deployments', 'shop-production', NAME)!;
    expect(deployment.metadata.labels).toEqual({
      team: 'payments',
      'app.kubernetes.io/name': 'checkout',
      'app.kubernetes.io/version': 'v1.4.2',
      'app.kubernetes.io/managed-by': 'durable-delivery',
      'durable-delivery/service': 'checkout',
      'durable-delivery/environment': 'production',
      'durable-delivery/infra-set': NAME,
    });
    const spec = deployment.spec as { replicas: number; progressDeadlineSeconds: number; selector: unknown; template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: string; env: unknown }> } } };
    expect(spec.replicas).toBe(3);
    expect(spec.progressDeadlineSeconds).toBe(300);
    expect(spec.selector).toEqual({ matchLabels: { 'durable-delivery/infra-set': NAME } });
    expect(spec.template.metadata.labels['durable-delivery/infra-set']).toBe(NAME);
    expect(spec.template.spec.containers[0]!.image).toBe('ghcr.io/acme/checkout:v1.4.2');
    expect(spec.template.spec.containers[0]!.env).toEqual([{ name: 'DEPLOYED_AS', value: 'is-r2-production-checkout' }]);
    const service = cluster.get('services', 'shop-production', NAME)!;
    expect(service.spec).toEqual({ ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], selector: { 'durable-delivery/infra-set': NAME } });

    cluster.completeRollout('shop-production', NAME);
    expect(await provider().provision(request)).toEqual({ kind: 'done', detail: `Deployment shop-production/${NAME} (checkout@v1.4.2): 3/3 replicas available` });
    // The retry found its own objects and changed nothing: an infra-set is never patched.
    expect(cluster.calls.filter((call) => call.verb === 'update' || call.verb === 'patch')).toEqual([]);
    expect(cluster.calls.filter((call) => call.verb === 'create').map((call) => `${call.resource} ${call.name}`)).toEqual([`services ${NAME}`, `deployments ${NAME}`, `services ${NAME}`, `deployments ${NAME}`]);
  });

  it('fails the step with the reason from the Deployment conditions when the rollout cannot finish', async () => {
    await provider().provision(request);
    cluster.failRollout('shop-production', NAME, { reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${NAME}-5d9c" has timed out progressing.` });
    expect(await provider().provision(request)).toEqual({
      kind: 'failed',
      retryable: false,
      reason: expect.stringContaining(`did not become ready: 0/3 replicas available; Available=False MinimumReplicasUnavailable: Deployment does not have minimum availability.; Progressing=False ProgressDeadlineExceeded: ReplicaSet "${NAME}-5d9c" has timed out progressing.`),
    });
  });

  it('fails once its own deadline passes, even if the cluster never says so', async () => {
    await provider().provision(request);
    const created = Date.parse(String(cluster.get('deployments', 'shop-production', NAME)!.metadata.creationTimestamp));
    const late = new ManualClock(new Date(created + 5 * 60_000 + 1_000));
    expect(await provider({ clock: late }).provision(request)).toEqual({ kind: 'failed', retryable: false, reason: expect.stringContaining('not ready within 300s: 0/3 replicas available') });
  });

  it('refuses to adopt an object of the same name that is another version', async () => {
    await provider().provision(request);
    expect(await provider().provision({ ...request, version: 'v9' })).toEqual({
      kind: 'failed',
      retryable: false,
      reason: `services shop-production/${NAME} exists but is not infra-set ${request.infraSetId} at v9; infra-sets are never patched in place`,
    });
  });

  it('retires by deleting both objects, and a second retire is a no-op', async () => {
    cluster.rollout = 'instant';
    expect(await provider().provision(request)).toMatchObject({ kind: 'done' });
    expect(await provider().retire(request)).toEqual({ kind: 'done', detail: `deleted Deployment and Service shop-production/${NAME}` });
    expect(cluster.get('deployments', 'shop-production', NAME)).toBeUndefined();
    expect(cluster.get('services', 'shop-production', NAME)).toBeUndefined();
    expect(await provider().retire(request)).toEqual({ kind: 'done', detail: `shop-production/${NAME} was already gone` });
  });

  it('fails closed on 403 naming the permission, and retries a 500', async () => {
    cluster.deny({ verb: 'create', resource: 'deployments' });
    expect(await provider().provision(request)).toEqual({ kind: 'failed', retryable: false, reason: expect.stringContaining('needs permission to create deployments.apps in namespace shop-production') });
    cluster.allowAll();
    cluster.http.faults.push({ kind: 'status', status: 500, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'internal error', reason: 'InternalError', code: 500 } });
    expect(await provider().retire(request)).toEqual({ kind: 'failed', retryable: true, reason: expect.stringContaining('answered 500') });
  });
});
