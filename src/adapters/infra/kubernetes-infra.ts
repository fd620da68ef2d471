import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../ports/clock.js';
import type { Infra, InfraOutcome, ProvisionRequest, RetireRequest } from '../../ports/infra.js';
import { kubernetesFailure, kubernetesNameFor, labelValueFor, namespaceFor, type KubernetesApis } from '../kubernetes/kubernetes-client.js';

/** Labels and annotations the bot puts on every object it mints, and finds them by. */
export const LABELS = {
  infraSet: 'durable-delivery/infra-set',
  service: 'durable-delivery/service',
  environment: 'durable-delivery/environment',
  name: 'app.kubernetes.io/name',
  version: 'app.kubernetes.io/version',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
export const INFRA_SET_ANNOTATION = 'durable-delivery/infra-set-id';
export const VERSION_ANNOTATION = 'durable-delivery/version';

type Json = Record<string, unknown>;

export interface KubernetesInfraOptions {
  apis: KubernetesApis;
  namespace: string | Readonly<Record<string, string>>;
  /** Deployment fields (spec.template's containers, replicas, …); strings may use {service}, {environment}, {version}, {infraSet}. */
  deployment: Json;
  /** Service spec fields (ports, type, …); the selector is the bot's. */
  service?: Json | undefined;
  /** The Service port when the template names none. */
  port: number;
  /** How long a new Deployment may take to become available before the step fails. */
  readyTimeoutMs: number;
  /** How long one provision call waits for readiness before saying "retry" (kept under the outbox lease). */
  waitMs?: number;
  pollMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface RenderedInfraSet {
  name: string;
  namespace: string;
  deployment: Json & { metadata: Json & { name: string } };
  service: Json & { metadata: Json & { name: string } };
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
    const namespace = namespaceFor(this.options.namespace, request.environment);
    if (!namespace) return { invalid: `no namespace is configured for ${request.environment}` };
    const name = kubernetesNameFor(request.infraSetId);
    const values: Record<string, string> = { service: request.service, environment: request.environment, version: request.version, infraSet: request.infraSetId, name };
    const labels = {
      [LABELS.name]: labelValueFor(request.service),
      [LABELS.version]: labelValueFor(request.version),
      [LABELS.managedBy]: 'durable-delivery',
      [LABELS.service]: labelValueFor(request.service),
      [LABELS.environment]: labelValueFor(request.environment),
      [LABELS.infraSet]: name,
    };
    const annotations = { [INFRA_SET_ANNOTATION]: request.infraSetId, [VERSION_ANNOTATION]: request.version };
    const template = fill(this.options.deployment, values) as Json;
    const metadata = (template.metadata ?? {}) as Json;
    const spec = (template.spec ?? {}) as Json;
    const podTemplate = (spec.template ?? {}) as Json;
    const podMetadata = (podTemplate.metadata ?? {}) as Json;
    const deployment = {
      ...template,
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...metadata, name, namespace, labels: { ...(metadata.labels as Json | undefined), ...labels }, annotations: { ...(metadata.annotations as Json | undefined), ...annotations } },
      spec: {
        ...spec,
        progressDeadlineSeconds: Math.max(1, Math.round(this.options.readyTimeoutMs / 1000)),
        selector: { matchLabels: { [LABELS.infraSet]: name } },
        template: { ...podTemplate, metadata: { ...podMetadata, labels: { ...(podMetadata.labels as Json | undefined), ...labels } } },
      },
    };
    const containerPort = firstContainerPort(deployment.spec.template as Json);
    const serviceSpec = (fill(this.options.service ?? {}, values) ?? {}) as Json;
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels, annotations },
      spec: {
        ports: [{ name: 'http', port: this.options.port, targetPort: containerPort ?? this.options.port, protocol: 'TCP' }],
        ...serviceSpec,
        selector: { [LABELS.infraSet]: name },
      },
    };
    return { name, namespace, deployment, service };
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

function firstContainerPort(podTemplate: Json): number | undefined {
  const containers = ((podTemplate.spec as Json | undefined)?.containers ?? []) as Array<{ ports?: Array<{ containerPort?: number }> }>;
  return containers[0]?.ports?.[0]?.containerPort;
}

/** Fills {placeholders} in every string of a template. */
function fill(value: unknown, values: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return value.replace(/\{(service|environment|version|infraSet|name)\}/g, (_, key: string) => values[key] ?? '');
  if (Array.isArray(value)) return value.map((item) => fill(item, values));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, values)]));
  return value;
}
