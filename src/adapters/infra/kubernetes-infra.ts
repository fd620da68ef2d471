import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../ports/clock.js';
import type { Infra, InfraOutcome, ProvisionRequest, RetireRequest } from '../../ports/infra.js';
import { kubernetesFailure, kubernetesNameFor, namespaceFor, type KubernetesApis } from '../kubernetes/kubernetes-client.js';
import { INFRA_SET_ANNOTATION, renderInfraSet, VERSION_ANNOTATION, type InfraSetTemplate, type RenderedInfraSet } from './kubernetes-infra-set.js';

export { INFRA_SET_ANNOTATION, LABELS, VERSION_ANNOTATION, type RenderedInfraSet } from './kubernetes-infra-set.js';

type Json = Record<string, unknown>;

export interface KubernetesInfraOptions extends InfraSetTemplate {
  apis: KubernetesApis;
  /** How long one provision call waits for readiness before saying "retry" (kept under the outbox lease). */
  waitMs?: number;
  pollMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Kubernetes infra provider: each infra-set is its own Deployment and Service, rendered from the
 * config's template with the version filled in and labelled with service, version and infra-set.
 * Objects are created, read and deleted, never updated: an infra-set is immutable once minted.
 * Ready means the Deployment's available replicas reached the desired count; the Deployment's own
 * progressDeadlineSeconds is the deadline, and its conditions say why it was missed.
 */
export class KubernetesInfra implements Infra {
  constructor(private readonly options: KubernetesInfraOptions) {}

  render(request: Pick<ProvisionRequest, 'infraSetId' | 'service' | 'environment' | 'version'>): RenderedInfraSet | { invalid: string } {
    return renderInfraSet(this.options, request);
  }

  async provision(request: ProvisionRequest): Promise<InfraOutcome> {
    const rendered = this.render(request);
    if ('invalid' in rendered) return { kind: 'failed', retryable: false, reason: rendered.invalid };
    const { apis } = this.options;
    const { name, namespace } = rendered;

    const service = await this.#createOrAdopt('services', rendered.service, request, () => apis.core.createNamespacedService({ namespace, body: rendered.service as never }, apis.options), () => apis.core.readNamespacedService({ namespace, name }, apis.options));
    if (service) return service;
    const deployment = await this.#createOrAdopt(
      'deployments.apps',
      rendered.deployment,
      request,
      () => apis.apps.createNamespacedDeployment({ namespace, body: rendered.deployment as never }, apis.options),
      () => apis.apps.readNamespacedDeployment({ namespace, name }, apis.options),
    );
    if (deployment) return deployment;
    return this.#awaitReady(namespace, name, request);
  }

  async retire(request: RetireRequest): Promise<InfraOutcome> {
    const { apis } = this.options;
    const namespace = namespaceFor(this.options.namespace, request.environment);
    if (!namespace) return { kind: 'failed', retryable: false, reason: `no namespace is configured for ${request.environment}` };
    const name = kubernetesNameFor(request.infraSetId);
    const gone: string[] = [];
    for (const [resource, remove] of [
      ['deployments.apps', () => apis.apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: 'Background' }, apis.options)],
      ['services', () => apis.core.deleteNamespacedService({ namespace, name }, apis.options)],
    ] as const) {
      try {
        await remove();
        gone.push(resource === 'services' ? 'Service' : 'Deployment');
      } catch (error) {
        const failure = kubernetesFailure(error, { verb: 'delete', resource, namespace, name }, apis.timeoutMs);
        // Already gone is what retiring wants: a retried retire is a no-op.
        if (failure.kind === 'not-found') continue;
        return { kind: 'failed', retryable: failure.kind === 'retry', reason: failure.reason };
      }
    }
    return { kind: 'done', detail: gone.length > 0 ? `deleted ${gone.join(' and ')} ${namespace}/${name}` : `${namespace}/${name} was already gone` };
  }

  /** Creates an object; one that exists already must be this infra-set's (a retried provision), never patched. */
  async #createOrAdopt(resource: string, body: Json & { metadata: Json & { name: string } }, request: ProvisionRequest, create: () => Promise<unknown>, read: () => Promise<unknown>): Promise<InfraOutcome | null> {
    const { apis } = this.options;
    const namespace = String((body.metadata as Json).namespace);
    const name = body.metadata.name;
    try {
      await create();
      this.options.logger?.info({ resource, namespace, name }, 'created');
      return null;
    } catch (error) {
      const failure = kubernetesFailure(error, { verb: 'create', resource, namespace, name }, apis.timeoutMs);
      if (failure.kind !== 'already-exists') return { kind: 'failed', retryable: failure.kind === 'retry', reason: failure.reason };
    }
    let existing: { metadata?: { annotations?: Record<string, string> } };
    try {
      existing = (await read()) as typeof existing;
    } catch (error) {
      const failure = kubernetesFailure(error, { verb: 'get', resource, namespace, name }, apis.timeoutMs);
      return { kind: 'failed', retryable: failure.kind === 'retry' || failure.kind === 'not-found', reason: failure.reason };
    }
    const annotations = existing.metadata?.annotations ?? {};
    if (annotations[INFRA_SET_ANNOTATION] !== request.infraSetId || annotations[VERSION_ANNOTATION] !== request.version) {
      return {
        kind: 'failed',
        retryable: false,
        reason: `${resource} ${namespace}/${name} exists but is not infra-set ${request.infraSetId} at ${request.version}; infra-sets are never patched in place`,
      };
    }
    return null;
  }

  async #awaitReady(namespace: string, name: string, request: ProvisionRequest): Promise<InfraOutcome> {
    const { apis } = this.options;
    const clock = this.options.clock ?? systemClock;
    const waitUntil = Date.now() + (this.options.waitMs ?? 15_000);
    for (;;) {
      let deployment: DeploymentLike;
      try {
        deployment = (await apis.apps.readNamespacedDeployment({ namespace, name }, apis.options)) as DeploymentLike;
      } catch (error) {
        const failure = kubernetesFailure(error, { verb: 'get', resource: 'deployments.apps', namespace, name }, apis.timeoutMs);
        return { kind: 'failed', retryable: failure.kind === 'retry', reason: failure.reason };
      }
      const readiness = readinessOf(deployment);
      const where = `Deployment ${namespace}/${name} (${request.service}@${request.version})`;
      if (readiness.kind === 'ready') return { kind: 'done', detail: `${where}: ${readiness.summary}` };
      if (readiness.kind === 'failed') return { kind: 'failed', retryable: false, reason: `${where} did not become ready: ${readiness.summary}` };
      const created = Date.parse(String(deployment.metadata?.creationTimestamp ?? ''));
      if (Number.isFinite(created) && clock.now().getTime() > created + this.options.readyTimeoutMs) {
        return { kind: 'failed', retryable: false, reason: `${where} not ready within ${Math.round(this.options.readyTimeoutMs / 1000)}s: ${readiness.summary}` };
      }
      if (Date.now() >= waitUntil) return { kind: 'failed', retryable: true, reason: `${where} is not ready yet: ${readiness.summary}` };
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 1_000));
    }
  }
}

interface DeploymentLike {
  metadata?: { generation?: number; creationTimestamp?: string | Date };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

/** Ready, failed for good (Progressing=False: the deadline passed or the rollout cannot go on), or still rolling out. */
export function readinessOf(deployment: DeploymentLike): { kind: 'ready' | 'failed' | 'progressing'; summary: string } {
  const desired = deployment.spec?.replicas ?? 1;
  const available = deployment.status?.availableReplicas ?? 0;
  const observed = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1);
  const conditions = deployment.status?.conditions ?? [];
  const counted = `${available}/${desired} replicas available`;
  if (observed && available >= desired) return { kind: 'ready', summary: counted };
  const progressing = conditions.find((condition) => condition.type === 'Progressing');
  const said = conditions
    .filter((condition) => condition.status !== 'True' || condition.type === 'Progressing')
    .map((condition) => `${condition.type}=${condition.status}${condition.reason ? ` ${condition.reason}` : ''}${condition.message ? `: ${condition.message}` : ''}`)
    .join('; ');
  const summary = said ? `${counted}; ${said}` : counted;
  if (progressing?.status === 'False') return { kind: 'failed', summary };
  return { kind: 'progressing', summary };
}
