import type { DeliveryConfig } from './delivery-schema.js';
import { namespaceFor } from './per-environment.js';
import type { KeyPath } from './source-map.js';
import type { ConfigIssue } from './validate-delivery-config.js';

type ServiceSpec = DeliveryConfig['services'][string];
type PerEnvironment = string | Readonly<Record<string, string>>;

/**
 * What must hold between a service's traffic router, its infra provider and the environments,
 * beyond each one's own keys: every environment has a namespace (or listener rule) to go to, each
 * infra-set runs its own version, and a route points at the Services the provider creates.
 */
export function validateRouting(config: DeliveryConfig): ConfigIssue[] {
  const environments = Object.keys(config.environments);
  const issues: ConfigIssue[] = [];
  for (const [service, spec] of Object.entries(config.services)) {
    const at = ['services', service];
    const { traffic, infra } = spec;
    if (traffic.kind === 'gateway-api' || traffic.kind === 'istio') issues.push(...coverage(traffic.namespace, [...at, 'traffic', 'namespace'], environments, 'namespace'));
    if (traffic.kind === 'aws-alb') issues.push(...coverage(traffic.ruleArn, [...at, 'traffic', 'ruleArn'], environments, 'listener rule'));
    if (infra.kind !== 'kubernetes') continue;
    issues.push(...coverage(infra.namespace, [...at, 'infra', 'namespace'], environments, 'namespace'));
    issues.push(...versionedImage(service, infra, [...at, 'infra', 'deployment', 'spec', 'template', 'spec', 'containers']));
    issues.push(...routeMeetsServices(spec, infra, at, environments));
  }
  return issues;
}

/** A map per environment names every environment, and nothing else. */
function coverage(value: PerEnvironment, at: KeyPath, environments: readonly string[], what: string): ConfigIssue[] {
  if (typeof value === 'string') return [];
  const issues: ConfigIssue[] = [];
  const missing = environments.filter((environment) => value[environment] === undefined);
  if (missing.length > 0) issues.push({ path: at, message: `no ${what} for ${missing.map((environment) => `'${environment}'`).join(', ')}: name one for every environment (or one for all)` });
  for (const key of Object.keys(value)) {
    if (!environments.includes(key)) issues.push({ path: [...at, key], message: `unknown environment '${key}' (known environments: ${environments.join(', ')})` });
  }
  return issues;
}

type KubernetesInfra = Extract<ServiceSpec['infra'], { kind: 'kubernetes' }>;

/** Without {version} in an image every infra-set of the service would run the same build. */
function versionedImage(service: string, infra: KubernetesInfra, at: KeyPath): ConfigIssue[] {
  const containers = infra.deployment.spec.template.spec.containers;
  if (containers.some((container) => container.image.includes('{version}'))) return [];
  return [{ path: [...at, 0, 'image'], message: `no container image uses {version}: every infra-set of ${service} would run the same image (e.g. "registry/${service}:{version}")` }];
}

/**
 * The Gateway API router names each infra-set's Service in the route's own namespace, on
 * `traffic.port`; Istio's host destinations do the same (<set>.<namespace>.svc). The provider must
 * create those Services there, listening on that port.
 */
function routeMeetsServices(spec: ServiceSpec, infra: KubernetesInfra, at: KeyPath, environments: readonly string[]): ConfigIssue[] {
  const traffic = spec.traffic;
  const byName = traffic.kind === 'gateway-api' || (traffic.kind === 'istio' && traffic.destination === 'host');
  if (!byName) return [];
  const issues: ConfigIssue[] = [];
  const apart = environments.filter((environment) => {
    const routeNamespace = namespaceFor(traffic.namespace, environment);
    const setNamespace = namespaceFor(infra.namespace, environment);
    return routeNamespace !== null && setNamespace !== null && routeNamespace !== setNamespace;
  });
  if (apart.length > 0) {
    const environment = apart[0]!;
    issues.push({
      path: [...at, 'traffic', 'namespace'],
      message: `in ${apart.join(', ')} the ${traffic.kind === 'istio' ? 'VirtualService' : 'HTTPRoute'} is in namespace '${namespaceFor(traffic.namespace, environment)}' but infra-sets are created in '${namespaceFor(infra.namespace, environment)}': the route names Services of its own namespace`,
    });
  }
  const routePort = traffic.port;
  const servicePorts = servicePortsOf(infra);
  if (routePort !== undefined && !servicePorts.includes(routePort)) {
    issues.push({
      path: [...at, 'traffic', 'port'],
      message: `the route sends traffic to port ${routePort}, but each infra-set's Service listens on ${servicePorts.join(', ')} (${infra.service?.ports ? 'infra.service.ports' : 'infra.port'})`,
    });
  }
  return issues;
}

function servicePortsOf(infra: KubernetesInfra): number[] {
  const ports = infra.service?.ports;
  if (!Array.isArray(ports)) return [infra.port];
  return ports.flatMap((entry: unknown) => (typeof entry === 'object' && entry !== null && typeof (entry as { port?: unknown }).port === 'number' ? [(entry as { port: number }).port] : []));
}
