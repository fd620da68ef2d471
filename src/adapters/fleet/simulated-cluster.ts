import type { Traffic, TrafficChange, TrafficOutcome } from '../../ports/traffic.js';
import type { KubernetesApis } from '../kubernetes/kubernetes-client.js';
import { kubernetesNameFor } from '../kubernetes/kubernetes-names.js';
import { gatewayApiTraffic } from '../traffic/gateway-api-traffic.js';
import type { RouteObject } from '../traffic/kubernetes-route-traffic.js';
import { asKubernetesApis } from '../../unchecked.js';
import type { SimulatedFleet } from './simulated-fleet.js';

/** One HTTPRoute as the console shows it: its first rule's backends and their weights. */
export interface SimulatedRoute {
  namespace: string;
  name: string;
  resourceVersion: string;
  backends: Array<{ name: string; weight: number }>;
}

type ObjectKey = { group: string; version: string; namespace: string; plural: string; name: string };

/**
 * The sandbox's Kubernetes cluster: as much of the API server as the Gateway API router uses —
 * custom objects read and replaced with a resourceVersion, a stale one answered 409 as the API
 * server does — so the sandbox moves traffic with the real router code and a visitor sees an
 * HTTPRoute's weights move. One HTTPRoute per service, named after it, in a namespace per environment.
 */
export class SimulatedCluster {
  readonly #objects = new Map<string, RouteObject>();
  readonly #listeners = new Set<() => void>();
  #resourceVersion = 0;

  /** An HTTPRoute for each service and environment of the fleet, its one rule sending traffic where the fleet does. */
  seedRoutes(fleet: SimulatedFleet): void {
    const snapshot = fleet.snapshot();
    for (const { service, environment, weights } of snapshot.weights) {
      const key = keyOf({ group: 'gateway.networking.k8s.io', version: 'v1', namespace: environment, plural: 'httproutes', name: service });
      if (this.#objects.has(key)) continue;
      const backendRefs = Object.entries(weights)
        .filter(([, weight]) => weight > 0)
        .map(([infraSetId, weight]) => ({ name: kubernetesNameFor(infraSetId), port: 80, weight }));
      this.#objects.set(key, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: service, namespace: environment, resourceVersion: this.#nextVersion() },
        spec: { parentRefs: [{ name: 'sandbox-gateway' }], rules: [{ name: 'main', backendRefs }] },
      });
    }
  }

  routes(): SimulatedRoute[] {
    return [...this.#objects.values()].map((object) => {
      const rule = ((object.spec?.rules ?? []) as Array<{ backendRefs?: Array<{ name: string; weight?: number }> }>)[0];
      return {
        namespace: object.metadata.namespace ?? '',
        name: object.metadata.name,
        resourceVersion: object.metadata.resourceVersion ?? '',
        backends: (rule?.backendRefs ?? []).map((ref) => ({ name: ref.name, weight: ref.weight ?? 1 })),
      };
    });
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The client the routers are given: the two custom-object calls they make, answered from memory. */
  apis(): KubernetesApis {
    const customObjects = {
      getNamespacedCustomObject: async (key: ObjectKey): Promise<RouteObject> => structuredClone(this.#find(key)),
      replaceNamespacedCustomObject: async (request: ObjectKey & { body: RouteObject }): Promise<RouteObject> => {
        const current = this.#find(request);
        if (request.body.metadata.resourceVersion !== current.metadata.resourceVersion) {
          throw apiError(409, 'Conflict', `the object has been modified; please apply your changes to the latest version and try again`);
        }
        const stored = { ...structuredClone(request.body), metadata: { ...request.body.metadata, resourceVersion: this.#nextVersion() } };
        this.#objects.set(keyOf(request), stored);
        for (const listener of this.#listeners) listener();
        return structuredClone(stored);
      },
    };
    return asKubernetesApis({ custom: customObjects, options: {}, timeoutMs: 1000 });
  }

  #find(key: ObjectKey): RouteObject {
    const object = this.#objects.get(keyOf(key));
    if (!object) throw apiError(404, 'NotFound', `${key.plural}.${key.group} "${key.name}" not found`);
    return object;
  }

  #nextVersion(): string {
    this.#resourceVersion += 1;
    return String(this.#resourceVersion);
  }
}

/**
 * The sandbox's traffic: the fleet moves (it refuses what a real platform would: an unknown or
 * retired infra-set), then the real Gateway API router writes the service's HTTPRoute in the
 * simulated cluster; the router's read-back is what the card shows.
 */
export class ClusterRoutedTraffic implements Traffic {
  readonly #routers = new Map<string, Traffic>();

  constructor(
    private readonly fleet: Traffic,
    private readonly cluster: SimulatedCluster,
  ) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    const moved = await this.fleet.setWeights(change);
    if (moved.kind === 'failed') return moved;
    return this.#routerFor(change.target.service).setWeights(change);
  }

  #routerFor(service: string): Traffic {
    let router = this.#routers.get(service);
    if (!router) {
      router = gatewayApiTraffic({ apis: this.cluster.apis(), route: service, rule: 0, namespace: '{environment}', port: 80 });
      this.#routers.set(service, router);
    }
    return router;
  }
}

function keyOf(key: ObjectKey): string {
  return `${key.group}/${key.plural}/${key.namespace}/${key.name}`;
}

/** Shaped as @kubernetes/client-node's ApiException: the HTTP code, and the API server's Status as the body. */
function apiError(code: number, reason: string, message: string): Error {
  return Object.assign(new Error(`HTTP-Code: ${code} Message: ${message}`), { code, body: { kind: 'Status', status: 'Failure', reason, message, code } });
}
