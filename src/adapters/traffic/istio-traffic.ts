import type { Weights } from '../../ports/traffic.js';
import { kubernetesNameFor } from '../kubernetes/kubernetes-names.js';
import { wholePercents } from './integer-weights.js';
import { KubernetesRouteTraffic, type KubernetesRouteTrafficOptions, type RouteObject, type WeightedRouteShape } from './kubernetes-route-traffic.js';

export interface IstioTrafficOptions extends Omit<KubernetesRouteTrafficOptions, 'shape' | 'name'> {
  /** The VirtualService's name. */
  virtualService: string;
  /** The http route whose destinations carry the split: its `name`, or its index. */
  route: string | number;
  /**
   * `host`: each infra-set is its own Service, reached as <name>.<namespace>.svc.cluster.local.
   * `subset`: one host (a DestinationRule names a subset per infra-set, by the infra-set label).
   */
  destination: { kind: 'host' } | { kind: 'subset'; host: string };
  port?: number;
}

interface HttpRouteDestination {
  destination: { host: string; subset?: string; port?: { number: number } };
  weight?: number;
  [key: string]: unknown;
}

interface HttpRoute {
  name?: string;
  route?: HttpRouteDestination[];
  [key: string]: unknown;
}

/** Istio router: the split lives in one VirtualService http route's destination weights (integer percents adding up to 100). */
export function istioTraffic(options: IstioTrafficOptions): KubernetesRouteTraffic {
  const ruleLabel = typeof options.route === 'number' ? `http route ${options.route}` : `http route "${options.route}"`;
  const routeOf = (object: RouteObject): HttpRoute | undefined => {
    const routes = (object.spec?.http ?? []) as HttpRoute[];
    return typeof options.route === 'number' ? routes[options.route] : routes.find((route) => route.name === options.route);
  };
  const keyOf = (entry: HttpRouteDestination): string => (options.destination.kind === 'subset' ? `${entry.destination.host}#${entry.destination.subset ?? ''}` : entry.destination.host);
  const destination = options.destination;
  const shape: WeightedRouteShape = {
    group: 'networking.istio.io',
    version: 'v1beta1',
    plural: 'virtualservices',
    kind: 'VirtualService',
    ruleLabel,
    backendFor: (infraSetId, namespace) =>
      destination.kind === 'subset' ? `${destination.host}#${kubernetesNameFor(infraSetId)}` : `${kubernetesNameFor(infraSetId)}.${namespace}.svc.cluster.local`,
    integerWeights: (weights: Weights) => wholePercents(weights),
    read(object) {
      const route = routeOf(object);
      if (!route) return { ok: false, reason: `it has no ${ruleLabel}` };
      const destinations = route.route ?? [];
      const weights: Record<string, number> = {};
      // One destination without a weight takes everything (Istio's default).
      for (const entry of destinations) weights[keyOf(entry)] = entry.weight ?? (destinations.length === 1 ? 100 : 0);
      return { ok: true, weights };
    },
    write(object, weights) {
      const next = structuredClone(object);
      const route = routeOf(next)!;
      const existing = new Map((route.route ?? []).map((entry) => [keyOf(entry), entry]));
      route.route = Object.entries(weights).map(([key, weight]) => {
        const kept = existing.get(key);
        if (kept) return { ...kept, weight };
        const [host, subset] = destination.kind === 'subset' ? [destination.host, key.slice(destination.host.length + 1)] : [key, undefined];
        return { destination: { host, ...(subset ? { subset } : {}), ...(options.port ? { port: { number: options.port } } : {}) }, weight };
      });
      return next;
    },
  };
  return new KubernetesRouteTraffic({ ...options, shape, name: options.virtualService });
}
