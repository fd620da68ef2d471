import { kubernetesNameFor, labelValueFor, namespaceFor } from '../kubernetes/kubernetes-names.js';

/**
 * How an infra-set becomes a Deployment and a Service: pure, so the provider mints them and the
 * plan shows them from the same rendering.
 */

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

/** The config's side of an infra-set: where it goes and what it is made from. */
export interface InfraSetTemplate {
  namespace: string | Readonly<Record<string, string>>;
  /** Deployment fields; strings may use {service}, {environment}, {version}, {infraSet}. */
  deployment: Json;
  /** Service spec fields (ports, type, …); the selector is the bot's. */
  service?: Json | undefined;
  /** The Service port when the template names none. */
  port: number;
  readyTimeoutMs: number;
}

export interface InfraSetIdentity {
  infraSetId: string;
  service: string;
  environment: string;
  version: string;
}

export interface RenderedInfraSet {
  name: string;
  namespace: string;
  deployment: Json & { metadata: Json & { name: string } };
  service: Json & { metadata: Json & { name: string } };
}

export function renderInfraSet(source: InfraSetTemplate, request: InfraSetIdentity): RenderedInfraSet | { invalid: string } {
  const namespace = namespaceFor(source.namespace, request.environment);
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
  const template = fill(source.deployment, values) as Json;
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
      progressDeadlineSeconds: Math.max(1, Math.round(source.readyTimeoutMs / 1000)),
      selector: { matchLabels: { [LABELS.infraSet]: name } },
      template: { ...podTemplate, metadata: { ...podMetadata, labels: { ...(podMetadata.labels as Json | undefined), ...labels } } },
    },
  };
  const containerPort = firstContainerPort(deployment.spec.template as Json);
  const serviceSpec = (fill(source.service ?? {}, values) ?? {}) as Json;
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels, annotations },
    spec: {
      ports: [{ name: 'http', port: source.port, targetPort: containerPort ?? source.port, protocol: 'TCP' }],
      ...serviceSpec,
      selector: { [LABELS.infraSet]: name },
    },
  };
  return { name, namespace, deployment, service };
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
