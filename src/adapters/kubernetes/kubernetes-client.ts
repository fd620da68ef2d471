import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type ConfigurationOptions } from '@kubernetes/client-node';
// The client's own Observable stub: per-call middleware must answer with one.
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';

/**
 * One place that knows how the bot reaches a cluster with @kubernetes/client-node: which kubeconfig
 * (a file and context from the delivery config, else in-cluster service account, else $KUBECONFIG or
 * ~/.kube/config), a per-request deadline, how the API server's answers map onto the ports' retry
 * rules, and how an infra-set id becomes a Kubernetes object name.
 */

export interface ClusterSettings {
  /** Path of a kubeconfig file; unset: the in-cluster service account, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

export interface KubernetesApis {
  custom: CustomObjectsApi;
  apps: AppsV1Api;
  core: CoreV1Api;
  /** Per-call options: a deadline on the request, so a hung API server is a retry, not a stuck worker. */
  options: ConfigurationOptions;
  timeoutMs: number;
}

const configs = new Map<string, KubeConfig>();

/** `environment` is the parsed process environment main.ts hands down (never read here directly). */
export function kubeConfigFor(cluster: ClusterSettings, environment: Readonly<Record<string, string | undefined>>): KubeConfig {
  const key = JSON.stringify([cluster.kubeconfig ?? null, cluster.context ?? null, environment.KUBERNETES_SERVICE_HOST ?? null, environment.KUBECONFIG ?? null]);
  const cached = configs.get(key);
  if (cached) return cached;
  const config = new KubeConfig();
  if (cluster.kubeconfig) config.loadFromFile(cluster.kubeconfig);
  else if (environment.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
  else config.loadFromFile(environment.KUBECONFIG?.split(':')[0] || `${environment.HOME ?? ''}/.kube/config`);
  if (cluster.context) config.setCurrentContext(cluster.context);
  configs.set(key, config);
  return config;
}

export function kubernetesApis(config: KubeConfig, timeoutMs: number): KubernetesApis {
  const deadline = {
    pre: (context: { setSignal(signal: AbortSignal): void }) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return of(context);
    },
    post: <T>(context: T) => of(context),
  };
  return {
    custom: config.makeApiClient(CustomObjectsApi),
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
    options: { middleware: [deadline as never], middlewareMergeStrategy: 'append' },
    timeoutMs,
  };
}

/** What the bot was doing when a call failed, to name the permission a 403 says is missing. */
export interface KubernetesAction {
  verb: 'get' | 'list' | 'create' | 'update' | 'delete';
  /** Plural resource with its API group, e.g. httproutes.gateway.networking.k8s.io or services. */
  resource: string;
  namespace: string;
  name?: string;
}

export type KubernetesFailure =
  | { kind: 'not-found'; reason: string }
  | { kind: 'conflict'; reason: string }
  | { kind: 'already-exists'; reason: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'retry'; reason: string };

/** Maps an error thrown by the client onto the ports' rules: 401/403 fail closed, 5xx/429/timeouts retry. */
export function kubernetesFailure(error: unknown, action: KubernetesAction, timeoutMs: number): KubernetesFailure {
  const code = typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null;
  const where = `${action.resource}${action.name ? ` "${action.name}"` : ''} in namespace ${action.namespace}`;
  if (code === null) {
    const name = (error as { name?: string; type?: string }).name;
    const aborted = name === 'AbortError' || (error as { type?: string }).type === 'aborted' || name === 'TimeoutError';
    return { kind: 'retry', reason: aborted ? `the Kubernetes API did not answer within ${timeoutMs}ms (${action.verb} ${where})` : `the Kubernetes API is unreachable (${action.verb} ${where}): ${messageOf(error)}` };
  }
  const status = statusOf(error);
  const said = status?.message ? `: ${status.message}` : '';
  switch (code) {
    case 401:
      return { kind: 'refused', reason: `the Kubernetes API refused the bot's credentials (401) on ${action.verb} ${where}; check the kubeconfig or service account token` };
    case 403:
      return { kind: 'refused', reason: `forbidden: the bot needs permission to ${action.verb} ${action.resource} in namespace ${action.namespace} (RBAC)${said}` };
    case 404:
      return { kind: 'not-found', reason: `${where} not found${said}` };
    case 409:
      return status?.reason === 'AlreadyExists' ? { kind: 'already-exists', reason: `${where} already exists` } : { kind: 'conflict', reason: `${where} changed while it was being updated${said}` };
    case 408:
    case 429:
      return { kind: 'retry', reason: `the Kubernetes API answered ${code} on ${action.verb} ${where}${said}` };
    default:
      if (code >= 500) return { kind: 'retry', reason: `the Kubernetes API answered ${code} on ${action.verb} ${where}${said}` };
      return { kind: 'refused', reason: `the Kubernetes API refused ${action.verb} ${where} (${code})${said}` };
  }
}

/** The API server's Status object, when the client kept it (as an object or as JSON text). */
function statusOf(error: unknown): { message?: string; reason?: string } | null {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'object' && body !== null) return body as { message?: string; reason?: string };
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as { message?: string; reason?: string }) : null;
    } catch {
      return body ? { message: body.slice(0, 300) } : null;
    }
  }
  return null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

export { kubernetesNameFor, labelValueFor, namespaceFor } from './kubernetes-names.js';
