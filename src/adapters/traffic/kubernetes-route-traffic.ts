import type { Logger } from 'pino';
import type { Traffic, TrafficChange, TrafficOutcome, Weights } from '../../ports/traffic.js';
import { kubernetesFailure, namespaceFor, type KubernetesAction, type KubernetesApis } from '../kubernetes/kubernetes-client.js';
import { invalidSplit, percentsOf, sameIntegerWeights } from './integer-weights.js';
import { formatWeights } from './traffic-payload.js';

/** A routing object whose one rule carries weighted backends: an HTTPRoute rule, a VirtualService http route. */
export interface WeightedRouteShape {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** e.g. `rule 0` or `rule "primary"`. */
  ruleLabel: string;
  /** The backend (a Service name, a host or a subset) that serves an infra-set. */
  backendFor(infraSetId: string, namespace: string): string;
  /** Integer weights as the object needs them, from percentages that add up to 100. */
  integerWeights(weights: Weights): Record<string, number>;
  /** The selected rule's split, backend → integer weight, or why the object has no such rule. */
  read(object: RouteObject): { ok: true; weights: Record<string, number> } | { ok: false; reason: string };
  /** The object with the selected rule's backends replaced by these; every other rule untouched. */
  write(object: RouteObject, weights: Record<string, number>, namespace: string): RouteObject;
}

export type RouteObject = { metadata: { name: string; namespace?: string; resourceVersion?: string }; spec?: Record<string, unknown> } & Record<string, unknown>;

export interface KubernetesRouteTrafficOptions {
  apis: KubernetesApis;
  shape: WeightedRouteShape;
  /** The object's name. */
  name: string;
  namespace: string | Readonly<Record<string, string>>;
  logger?: Logger;
  /** Re-reads after a conflict (someone else changed the object between our read and write). */
  maxConflicts?: number;
}

/**
 * Moves traffic by rewriting the weights of one rule of a routing object (read → change our rule →
 * replace with the resourceVersion read). A 409 means someone changed the object meanwhile: it is
 * read again and the change re-applied on top of theirs, so their edits to other rules survive.
 * The same split twice writes nothing; the object as the API server returns it is the verification.
 */
export class KubernetesRouteTraffic implements Traffic {
  constructor(private readonly options: KubernetesRouteTrafficOptions) {}

  async setWeights(change: TrafficChange): Promise<TrafficOutcome> {
    const { shape, apis } = this.options;
    const invalid = invalidSplit(change.weights);
    if (invalid) return { kind: 'failed', retryable: false, reason: invalid };
    const namespace = namespaceFor(this.options.namespace, change.target.environment);
    if (!namespace) return { kind: 'failed', retryable: false, reason: `no namespace is configured for ${change.target.environment}` };
    const backendOf = new Map<string, string>();
    for (const id of Object.keys(change.weights)) backendOf.set(shape.backendFor(id, namespace), id);
    if (backendOf.size !== Object.keys(change.weights).length) return { kind: 'failed', retryable: false, reason: 'two infra-sets map to the same backend' };
    const integers = shape.integerWeights(change.weights);
    const desired = Object.fromEntries(Object.entries(integers).map(([id, weight]) => [shape.backendFor(id, namespace), weight]));
    const target = { group: shape.group, version: shape.version, namespace, plural: shape.plural, name: this.options.name };
    const resource = `${shape.plural}.${shape.group}`;
    const label = `${shape.kind} ${namespace}/${this.options.name} ${shape.ruleLabel}`;
    const maxConflicts = this.options.maxConflicts ?? 5;

    for (let attempt = 0; ; attempt += 1) {
      let current: RouteObject;
      try {
        current = (await apis.custom.getNamespacedCustomObject(target, apis.options)) as RouteObject;
      } catch (error) {
        return this.#failed(error, { verb: 'get', resource, namespace, name: this.options.name });
      }
      const before = shape.read(current);
      if (!before.ok) return { kind: 'failed', retryable: false, reason: `${shape.kind} ${namespace}/${this.options.name}: ${before.reason}` };
      if (sameIntegerWeights(before.weights, desired)) {
        return this.#verified(label, before.weights, desired, change.weights, backendOf, 'already in effect');
      }
      let stored: RouteObject;
      try {
        stored = (await apis.custom.replaceNamespacedCustomObject({ ...target, body: shape.write(current, desired, namespace) }, apis.options)) as RouteObject;
      } catch (error) {
        const failure = kubernetesFailure(error, { verb: 'update', resource, namespace, name: this.options.name }, apis.timeoutMs);
        if (failure.kind === 'conflict' && attempt < maxConflicts) {
          this.options.logger?.info({ route: label, attempt }, 'the route changed meanwhile; re-reading and re-applying');
          continue;
        }
        return { kind: 'failed', retryable: failure.kind === 'retry' || failure.kind === 'conflict', reason: failure.reason };
      }
      const after = shape.read(stored);
      if (!after.ok) return { kind: 'failed', retryable: false, reason: `${shape.kind} ${namespace}/${this.options.name} after the update: ${after.reason}` };
      return this.#verified(label, after.weights, desired, change.weights, backendOf, `resourceVersion ${stored.metadata.resourceVersion ?? '?'}`);
    }
  }

  #verified(label: string, read: Record<string, number>, written: Record<string, number>, requested: Weights, backendOf: ReadonlyMap<string, string>, note: string): TrafficOutcome {
    // Read back in infra-set terms: what the card shows is what the object says.
    const observed: Weights = {};
    for (const [backend, pct] of Object.entries(percentsOf(read))) observed[backendOf.get(backend) ?? backend] = pct;
    if (!sameIntegerWeights(read, written)) {
      return { kind: 'failed', retryable: false, reason: `${label} reads ${formatWeights(observed)} instead of ${formatWeights(requested)}` };
    }
    return { kind: 'applied', verified: true, detail: `${label} reads ${formatWeights(observed)} (${note})` };
  }

  #failed(error: unknown, action: KubernetesAction): TrafficOutcome {
    const failure = kubernetesFailure(error, action, this.options.apis.timeoutMs);
    return { kind: 'failed', retryable: failure.kind === 'retry', reason: failure.reason };
  }
}
