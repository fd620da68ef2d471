import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { sendJson, startHttpFake, type HttpFake, type RecordedRequest } from './http-fake.js';

/**
 * A Kubernetes API server on 127.0.0.1 for the real @kubernetes/client-node to talk to through a
 * kubeconfig. It keeps objects with resourceVersions, answers as the API server does (Status objects
 * for 401/403/404/409/422), refuses an update whose resourceVersion is stale, validates every object
 * it receives with the published models (kubernetes-models, @kubernetes-models/gateway-api and
 * /istio), and records every verb on every resource so RBAC rules can be checked against it.
 * Deployments do not roll out by themselves unless `rollout` is 'instant': a test completes or
 * fails a rollout, as a cluster's controllers would.
 */

export interface KubernetesCall {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  group: string;
  resource: string;
  namespace: string;
  name: string | null;
}

interface ResourceKind {
  group: string;
  version: string;
  resource: string;
  kind: string;
  validate: (object: Record<string, unknown>) => void;
}

const KINDS: ResourceKind[] = [
  { group: '', version: 'v1', resource: 'services', kind: 'Service', validate: (o) => new Service(o as never).validate() },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', validate: (o) => new Deployment(o as never).validate() },
  { group: 'gateway.networking.k8s.io', version: 'v1', resource: 'httproutes', kind: 'HTTPRoute', validate: (o) => new HTTPRoute(o as never).validate() },
  { group: 'networking.istio.io', version: 'v1beta1', resource: 'virtualservices', kind: 'VirtualService', validate: (o) => new VirtualService(o as never).validate() },
];

export type KubeObject = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion?: string } };

export interface FakeKubernetes {
  url: string;
  http: HttpFake;
  /** A kubeconfig file that points at the fake with a token the fake accepts. */
  kubeconfigPath: string;
  calls: KubernetesCall[];
  /** Verbs on resources answered 403, as RBAC would without a rule for them. */
  deny(rule: { verb: KubernetesCall['verb']; resource: string }): void;
  allowAll(): void;
  /** Runs once, just before the next update of that resource is applied: another writer's change. */
  beforeNextUpdate(resource: string, change: (stored: KubeObject) => void): void;
  /** 'instant': a new Deployment is available at once; 'manual': a test says when. */
  rollout: 'instant' | 'manual';
  get(resource: string, namespace: string, name: string): KubeObject | undefined;
  /** Stores an object as if applied by someone else (e.g. the platform team's HTTPRoute). */
  put(resource: string, object: KubeObject): KubeObject;
  list(resource: string, namespace?: string): KubeObject[];
  completeRollout(namespace: string, name: string): void;
  failRollout(namespace: string, name: string, condition: { reason: string; message: string }): void;
  /** Every object update, in order, as stored (for the sandbox and for tests that watch weights move). */
  onChange(listener: (resource: string, object: KubeObject) => void): void;
  close(): Promise<void>;
}

export const FAKE_KUBERNETES_USER = 'system:serviceaccount:delivery:durable-delivery';

export async function startFakeKubernetes(options: { token?: string } = {}): Promise<FakeKubernetes> {
  const token = options.token ?? 'fake-kubernetes-token';
  const store = new Map<string, KubeObject>();
  const calls: KubernetesCall[] = [];
  const denied: Array<{ verb: string; resource: string }> = [];
  const pendingUpdates = new Map<string, Array<(stored: KubeObject) => void>>();
  const listeners: Array<(resource: string, object: KubeObject) => void> = [];
  let revision = 1000;
  let uid = 0;
  const keyOf = (resource: string, namespace: string, name: string) => `${resource}/${namespace}/${name}`;
  const notify = (resource: string, object: KubeObject) => listeners.forEach((listener) => listener(resource, structuredClone(object)));

  const stamp = (kind: ResourceKind, object: KubeObject, previous?: KubeObject): KubeObject => {
    revision += 1;
    const metadata: Record<string, unknown> & { name: string } = { ...object.metadata, resourceVersion: String(revision) };
    if (previous) {
      metadata.uid = previous.metadata.uid;
      metadata.creationTimestamp = previous.metadata.creationTimestamp;
      const specChanged = JSON.stringify(previous.spec) !== JSON.stringify(object.spec);
      metadata.generation = Number(previous.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    } else {
      uid += 1;
      metadata.uid = `00000000-0000-4000-8000-${String(uid).padStart(12, '0')}`;
      metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      metadata.generation = 1;
    }
    return { ...object, apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, kind: kind.kind, metadata } as KubeObject;
  };

  const setDeploymentStatus = (object: KubeObject, available: boolean, failure?: { reason: string; message: string }) => {
    const replicas = Number((object.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    object.status = {
      observedGeneration: object.metadata.generation,
      replicas,
      updatedReplicas: available ? replicas : 0,
      readyReplicas: available ? replicas : 0,
      availableReplicas: available ? replicas : 0,
      ...(available ? {} : { unavailableReplicas: replicas }),
      conditions: [
        available
          ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now }
          : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
        failure
          ? { type: 'Progressing', status: 'False', reason: failure.reason, message: failure.message, lastUpdateTime: now, lastTransitionTime: now }
          : available
            ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${object.metadata.name}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now }
            : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${object.metadata.name}" is progressing.`, lastUpdateTime: now, lastTransitionTime: now },
      ],
    };
  };

  const http = await startHttpFake((request, res) => handle(request, res));

  function status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>) {
    sendJson(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
  }

  function handle(request: RecordedRequest, res: ServerResponse): void {
    if (request.headers.authorization !== `Bearer ${token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const route = parsePath(request.path);
    if (!route) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const kind = KINDS.find((candidate) => candidate.group === route.group && candidate.version === route.version && candidate.resource === route.resource);
    if (!kind) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const verb = verbOf(request.method, route.name);
    if (!verb) return status(res, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    const bodyName = verb === 'create' ? nameInBody(request.body) : null;
    calls.push({ verb, group: kind.group, resource: kind.resource, namespace: route.namespace, name: route.name ?? bodyName });
    const qualified = kind.group ? `${kind.resource}.${kind.group}` : kind.resource;
    const details = (name: string | null) => ({ ...(name ? { name } : {}), group: kind.group, kind: kind.resource });
    if (denied.some((rule) => rule.verb === verb && rule.resource === kind.resource)) {
      return status(
        res,
        403,
        'Forbidden',
        `${qualified}${route.name ? ` "${route.name}"` : ''} is forbidden: User "${FAKE_KUBERNETES_USER}" cannot ${verb} resource "${kind.resource}" in API group "${kind.group}" in the namespace "${route.namespace}"`,
        details(route.name),
      );
    }
    const key = route.name ? keyOf(kind.resource, route.namespace, route.name) : null;
    switch (verb) {
      case 'get': {
        const stored = store.get(key!);
        if (!stored) return status(res, 404, 'NotFound', `${qualified} "${route.name}" not found`, details(route.name));
        return sendJson(res, 200, stored);
      }
      case 'list': {
        const selector = request.query.get('labelSelector');
        const items = [...store.entries()]
          .filter(([stored]) => stored.startsWith(`${kind.resource}/${route.namespace}/`))
          .map(([, object]) => object)
          .filter((object) => matchesSelector(object, selector));
        return sendJson(res, 200, { kind: `${kind.kind}List`, apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, metadata: { resourceVersion: String(revision) }, items });
      }
      case 'create':
      case 'update': {
        let body: KubeObject;
        try {
          body = JSON.parse(request.body) as KubeObject;
        } catch {
          return status(res, 400, 'BadRequest', 'the request body is not JSON');
        }
        const name = body.metadata?.name;
        if (typeof name !== 'string' || name === '') return status(res, 422, 'Invalid', `${kind.kind} is invalid: metadata.name: Required value: name is required`, details(null));
        if (route.name && name !== route.name) return status(res, 400, 'BadRequest', `the name of the object (${name}) does not match the name on the URL (${route.name})`);
        if (body.metadata.namespace && body.metadata.namespace !== route.namespace) {
          return status(res, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
        }
        if (body.kind !== kind.kind) return status(res, 400, 'BadRequest', `${kind.kind} in version "${kind.version}" cannot be handled as a ${body.kind ?? 'object without kind'}`);
        try {
          kind.validate(body);
        } catch (error) {
          return status(res, 422, 'Invalid', `${kind.kind}.${kind.group || 'core'} "${name}" is invalid: ${(error as Error).message}`, details(name));
        }
        const storeKey = keyOf(kind.resource, route.namespace, name);
        const existing = store.get(storeKey);
        if (verb === 'create') {
          if (existing) return status(res, 409, 'AlreadyExists', `${qualified} "${name}" already exists`, details(name));
          const created = stamp(kind, { ...body, metadata: { ...body.metadata, namespace: route.namespace } });
          delete created.status;
          if (kind.resource === 'deployments') setDeploymentStatus(created, fake.rollout === 'instant');
          store.set(storeKey, created);
          notify(kind.resource, created);
          return sendJson(res, 201, created);
        }
        if (!existing) return status(res, 404, 'NotFound', `${qualified} "${name}" not found`, details(name));
        const hooks = pendingUpdates.get(kind.resource);
        const hook = hooks?.shift();
        if (hook) {
          const changed = structuredClone(existing);
          hook(changed);
          const restamped = stamp(kind, changed, existing);
          store.set(storeKey, restamped);
          notify(kind.resource, restamped);
        }
        const current = store.get(storeKey)!;
        const given = body.metadata.resourceVersion;
        if (!given) return status(res, 422, 'Invalid', `${kind.kind}.${kind.group || 'core'} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`, details(name));
        if (given !== current.metadata.resourceVersion) {
          return status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`, details(name));
        }
        const updated = stamp(kind, { ...body, metadata: { ...body.metadata, namespace: route.namespace }, ...(current.status ? { status: current.status } : {}) }, current);
        store.set(storeKey, updated);
        notify(kind.resource, updated);
        return sendJson(res, 200, updated);
      }
      case 'delete': {
        const stored = store.get(key!);
        if (!stored) return status(res, 404, 'NotFound', `${qualified} "${route.name}" not found`, details(route.name));
        store.delete(key!);
        return sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...details(route.name), uid: stored.metadata.uid } });
      }
      default:
        return status(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfigPath,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: fake',
      '    cluster:',
      `      server: ${http.url}`,
      '      insecure-skip-tls-verify: true',
      'users:',
      '  - name: delivery',
      '    user:',
      `      token: ${token}`,
      'contexts:',
      '  - name: fake',
      '    context:',
      '      cluster: fake',
      '      user: delivery',
      'current-context: fake',
      '',
    ].join('\n'),
  );

  const kindOf = (resource: string): ResourceKind => {
    const kind = KINDS.find((candidate) => candidate.resource === resource);
    if (!kind) throw new Error(`the fake does not serve ${resource}`);
    return kind;
  };

  const fake: FakeKubernetes = {
    url: http.url,
    http,
    kubeconfigPath,
    calls,
    rollout: 'instant',
    deny(rule) {
      denied.push(rule);
    },
    allowAll() {
      denied.length = 0;
    },
    beforeNextUpdate(resource, change) {
      const hooks = pendingUpdates.get(resource) ?? [];
      hooks.push(change);
      pendingUpdates.set(resource, hooks);
    },
    get(resource, namespace, name) {
      const stored = store.get(keyOf(resource, namespace, name));
      return stored ? structuredClone(stored) : undefined;
    },
    put(resource, object) {
      const kind = kindOf(resource);
      const namespace = object.metadata.namespace ?? 'default';
      kind.validate(object);
      const key = keyOf(resource, namespace, object.metadata.name);
      const stored = stamp(kind, { ...object, metadata: { ...object.metadata, namespace } }, store.get(key));
      store.set(key, stored);
      notify(resource, stored);
      return structuredClone(stored);
    },
    list(resource, namespace) {
      return [...store.entries()].filter(([key]) => key.startsWith(namespace ? `${resource}/${namespace}/` : `${resource}/`)).map(([, object]) => structuredClone(object));
    },
    completeRollout(namespace, name) {
      const stored = store.get(keyOf('deployments', namespace, name));
      if (!stored) throw new Error(`no deployment ${namespace}/${name}`);
      setDeploymentStatus(stored, true);
      revision += 1;
      stored.metadata.resourceVersion = String(revision);
    },
    failRollout(namespace, name, condition) {
      const stored = store.get(keyOf('deployments', namespace, name));
      if (!stored) throw new Error(`no deployment ${namespace}/${name}`);
      setDeploymentStatus(stored, false, condition);
      revision += 1;
      stored.metadata.resourceVersion = String(revision);
    },
    onChange(listener) {
      listeners.push(listener);
    },
    close: () => http.close(),
  };
  return fake;
}

function parsePath(path: string): { group: string; version: string; namespace: string; resource: string; name: string | null } | null {
  const core = /^\/api\/(v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (core) return { group: '', version: core[1]!, namespace: decodeURIComponent(core[2]!), resource: core[3]!, name: core[4] ? decodeURIComponent(core[4]) : null };
  const named = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (named) return { group: named[1]!, version: named[2]!, namespace: decodeURIComponent(named[3]!), resource: named[4]!, name: named[5] ? decodeURIComponent(named[5]) : null };
  return null;
}

function nameInBody(body: string): string | null {
  try {
    const name = (JSON.parse(body) as { metadata?: { name?: unknown } }).metadata?.name;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}

function verbOf(method: string, name: string | null): KubernetesCall['verb'] | null {
  switch (method) {
    case 'GET':
      return name ? 'get' : 'list';
    case 'POST':
      return name ? null : 'create';
    case 'PUT':
      return name ? 'update' : null;
    case 'PATCH':
      return name ? 'patch' : null;
    case 'DELETE':
      return name ? 'delete' : null;
    default:
      return null;
  }
}

function matchesSelector(object: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  const labels = (object.metadata.labels ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return key !== undefined && labels[key.trim()] === value?.trim();
  });
}
