import { formatDuration } from '../config/duration.js';
import type { InfraProviderConfig, TrafficRouterConfig } from '../config/delivery-schema.js';
import { assertNever } from '../domain/assert-never.js';
import { renderInfraSet } from './infra/kubernetes-infra-set.js';
import { kubernetesNameFor, namespaceFor } from './kubernetes/kubernetes-names.js';
import { targetGroupNameFor } from './traffic/aws-names.js';

/**
 * What a deploy will touch, per router and provider kind, named as the platform names it: the
 * object and the field a traffic move writes, and the objects an infra-set is made of. Pure (no
 * client, no call), so `plan` shows it before anything exists.
 */

export interface PlannedInfraSet {
  infraSetId: string;
  service: string;
  environment: string;
  version: string;
}

/** The object and field a traffic move for this infra-set writes. */
export function plannedTrafficChange(router: TrafficRouterConfig, set: PlannedInfraSet): string {
  switch (router.kind) {
    case 'gateway-api': {
      const namespace = namespaceFor(router.namespace, set.environment) ?? '(no namespace)';
      return `HTTPRoute ${namespace}/${router.route}, ${ruleLabel('rule', router.rule)}: spec.rules[].backendRefs[].weight, backendRef Service ${kubernetesNameFor(set.infraSetId)} port ${router.port}`;
    }
    case 'istio': {
      const namespace = namespaceFor(router.namespace, set.environment) ?? '(no namespace)';
      const name = kubernetesNameFor(set.infraSetId);
      const destination = router.destination === 'subset' ? `host ${router.host} subset ${name}` : `host ${name}.${namespace}.svc.cluster.local`;
      return `VirtualService ${namespace}/${router.virtualService}, ${ruleLabel('http route', router.route)}: spec.http[].route[].weight, destination ${destination}`;
    }
    case 'aws-alb': {
      const ruleArn = typeof router.ruleArn === 'string' ? router.ruleArn : (router.ruleArn[set.environment] ?? '(no listener rule)');
      return `ALB listener rule ${ruleArn} (${router.region}): forward action ForwardConfig.TargetGroups[].Weight, target group ${targetGroupNameFor(set.infraSetId)}`;
    }
    case 'nginx':
      return `${router.upstreamFile}: upstream ${router.upstreamName ?? '(the first)'} server weights, checked by \`${router.testCommand.join(' ')}\`, then \`${router.reloadCommand.join(' ')}\``;
    case 'webhook':
      return `POST ${router.url}: signed JSON with every infra-set's weight, confirmed by the receiver's answer`;
    case 'command':
      return `\`${router.argv.join(' ')}\` with every infra-set's weight as JSON on stdin`;
    case 'simulated':
      return "the sandbox's simulated fleet";
    default:
      return assertNever(router, 'traffic router');
  }
}

/** The objects the new infra-set is made of, and what retiring it removes. */
export function plannedInfraSet(provider: InfraProviderConfig, set: PlannedInfraSet): string {
  switch (provider.kind) {
    case 'kubernetes': {
      const rendered = renderInfraSet({ ...provider, readyTimeoutMs: provider.readyTimeout * 1000 }, set);
      if ('invalid' in rendered) return `nothing can be created: ${rendered.invalid}`;
      const where = `${rendered.namespace}/${rendered.name}`;
      const spec = rendered.deployment.spec as { replicas?: number; template: { spec: { containers: Array<{ image: string }> } } };
      const images = spec.template.spec.containers.map((container) => container.image).join(', ');
      const ports = ((rendered.service.spec as { ports?: Array<{ port?: number }> }).ports ?? []).map((entry) => entry.port).join(', ');
      return `creates Deployment ${where} (image ${images}, ${spec.replicas ?? 1} replica${spec.replicas === 1 ? '' : 's'}, available within ${formatDuration(provider.readyTimeout)}) and Service ${where} (port ${ports}); retiring deletes both`;
    }
    case 'webhook':
      return `POST ${provider.url}: signed provision (and later retire) request for ${set.infraSetId}`;
    case 'command':
      return `\`${provider.argv.join(' ')}\` with the provision (and later retire) request as JSON on stdin`;
    case 'simulated':
      return "the sandbox's simulated fleet";
    default:
      return assertNever(provider, 'infra provider');
  }
}

function ruleLabel(what: string, selector: string | number): string {
  return typeof selector === 'number' ? `${what} ${selector}` : `${what} "${selector}"`;
}
