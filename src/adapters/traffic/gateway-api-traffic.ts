import type { Weights } from '../../ports/traffic.js';
import { kubernetesNameFor } from '../kubernetes/kubernetes-names.js';
import { relativeWeights } from './integer-weights.js';
import { KubernetesRouteTraffic, type KubernetesRouteTrafficOptions, type RouteObject, type WeightedRouteShape } from './kubernetes-route-traffic.js';

export interface GatewayApiTrafficOptions extends Omit<KubernetesRouteTrafficOptions, 'shape' | 'name'> {
  /** The HTTPRoute's name. */
  route: string;
  /** The rule whose backendRefs carry the split: its `name`, or its index. */
  rule: string | number;
  /** The port of each infra-set's Service. */
  port: number;
}

interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [key: string]: unknown;
}

interface HttpRouteRule {
  name?: string;
  backendRefs?: BackendRef[];
  [key: string]: unknown;
}

/**
 * Gateway API router: the split lives in one HTTPRoute rule's backendRefs, one Service per
 * infra-set (named as the Kubernetes infra provider names it). Works with every implementation of
 * the Gateway API, since weights on backendRefs are part of its core.
 */
export function gatewayApiTraffic(options: GatewayApiTrafficOptions): KubernetesRouteTraffic {
  const ruleLabel = typeof options.rule === 'number' ? `rule ${options.rule}` : `rule "${options.rule}"`;
  const ruleOf = (object: RouteObject): HttpRouteRule | undefined => {
    const rules = (object.spec?.rules ?? []) as HttpRouteRule[];
    return typeof options.rule === 'number' ? rules[options.rule] : rules.find((rule) => rule.name === options.rule);
  };
  const isService = (ref: BackendRef) => (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service';
  const shape: WeightedRouteShape = {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    kind: 'HTTPRoute',
    ruleLabel,
    backendFor: (infraSetId) => kubernetesNameFor(infraSetId),
    integerWeights: (weights: Weights) => relativeWeights(weights),
    read(object) {
      const rule = ruleOf(object);
      if (!rule) return { ok: false, reason: `it has no ${ruleLabel}` };
      const weights: Record<string, number> = {};
      // A backendRef without a weight weighs 1 (the Gateway API default).
      for (const ref of rule.backendRefs ?? []) weights[isService(ref) ? ref.name : `${ref.kind ?? 'Service'}/${ref.name}`] = ref.weight ?? 1;
      return { ok: true, weights };
    },
    write(object, weights) {
      const next = structuredClone(object);
      const rule = ruleOf(next)!;
      const existing = new Map((rule.backendRefs ?? []).filter(isService).map((ref) => [ref.name, ref]));
      // Our backends only, each keeping what else was set on it (filters, another port).
      rule.backendRefs = Object.entries(weights).map(([name, weight]) => ({ ...(existing.get(name) ?? { name, port: options.port }), weight }));
      return next;
    },
  };
  return new KubernetesRouteTraffic({ ...options, shape, name: options.route });
}
