import type { Logger } from 'pino';
import type { TrafficRouterConfig } from '../../config/delivery-schema.js';
import { assertNever } from '../../domain/assert-never.js';
import type { Clock } from '../../ports/clock.js';
import type { Traffic } from '../../ports/traffic.js';
import { existsSync } from 'node:fs';
import { LazyTraffic } from '../lazy-adapters.js';
import { CommandTraffic } from './command-traffic.js';
import { NginxTraffic } from './nginx-traffic.js';
import { WebhookTraffic } from './webhook-traffic.js';

export interface AdapterFactoryDeps {
  /** Where `secretEnv` names are looked up: main.ts passes the parsed process environment. */
  secrets: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
  clock?: Clock;
  logger?: Logger;
}

export interface TrafficFactoryDeps extends AdapterFactoryDeps {
  /** The sandbox's simulated fleet, for `kind: simulated`. */
  simulated?: Traffic;
  /** host:port serving an infra-set, for nginx; by default the infra-set id is a host name. */
  nginxServerFor?: (infraSetId: string) => string;
}

/** A configuration the factory cannot build from (a missing secret): thrown at start-up, with the reason. */
export class AdapterConfigError extends Error {
  override name = 'AdapterConfigError';
}

export function secretFrom(deps: AdapterFactoryDeps, secretEnv: string, what: string): string {
  const secret = deps.secrets[secretEnv];
  if (secret === undefined || secret.trim() === '') throw new AdapterConfigError(`${what}: environment variable ${secretEnv} (the webhook secret) is not set`);
  return secret;
}

/** A kubeconfig named in the config must exist: said at start-up, not at the first traffic move. */
export function checkKubeconfig(cluster: { kubeconfig?: string | undefined }, what: string): void {
  if (cluster.kubeconfig && !existsSync(cluster.kubeconfig)) throw new AdapterConfigError(`${what}: kubeconfig ${cluster.kubeconfig} does not exist`);
}

/** Builds the Traffic router a service's config asks for. */
export function createTraffic(config: TrafficRouterConfig, deps: TrafficFactoryDeps): Traffic {
  switch (config.kind) {
    case 'webhook':
      return new WebhookTraffic({
        url: config.url,
        secret: secretFrom(deps, config.secretEnv, 'traffic webhook'),
        timeoutMs: config.timeout * 1000,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
    case 'command':
      return new CommandTraffic({ argv: config.argv, timeoutMs: config.timeout * 1000 });
    case 'nginx':
      return new NginxTraffic({
        upstreamFile: config.upstreamFile,
        ...(config.upstreamName ? { upstreamName: config.upstreamName } : {}),
        testCommand: config.testCommand,
        reloadCommand: config.reloadCommand,
        ...(config.pidFile ? { pidFile: config.pidFile } : {}),
        ...(deps.nginxServerFor ? { serverFor: deps.nginxServerFor } : {}),
      });
    case 'gateway-api':
      checkKubeconfig(config.cluster, 'traffic gateway-api');
      return new LazyTraffic(async () => {
        const [{ gatewayApiTraffic }, { kubeConfigFor, kubernetesApis }] = await Promise.all([import('./gateway-api-traffic.js'), import('../kubernetes/kubernetes-client.js')]);
        return gatewayApiTraffic({
          apis: kubernetesApis(kubeConfigFor(config.cluster, deps.secrets), config.timeout * 1000),
          route: config.route,
          rule: config.rule,
          namespace: config.namespace,
          port: config.port,
          ...(deps.logger ? { logger: deps.logger } : {}),
        });
      });
    case 'istio':
      checkKubeconfig(config.cluster, 'traffic istio');
      return new LazyTraffic(async () => {
        const [{ istioTraffic }, { kubeConfigFor, kubernetesApis }] = await Promise.all([import('./istio-traffic.js'), import('../kubernetes/kubernetes-client.js')]);
        return istioTraffic({
          apis: kubernetesApis(kubeConfigFor(config.cluster, deps.secrets), config.timeout * 1000),
          virtualService: config.virtualService,
          route: config.route,
          namespace: config.namespace,
          destination: config.destination === 'subset' ? { kind: 'subset', host: config.host! } : { kind: 'host' },
          ...(config.port ? { port: config.port } : {}),
          ...(deps.logger ? { logger: deps.logger } : {}),
        });
      });
    case 'aws-alb': {
      const accessKeyId = deps.secrets.AWS_ACCESS_KEY_ID;
      const secretAccessKey = deps.secrets.AWS_SECRET_ACCESS_KEY;
      const sessionToken = deps.secrets.AWS_SESSION_TOKEN;
      return new LazyTraffic(async () => {
        const { AwsAlbTraffic, awsAlbClient } = await import('./aws-alb-traffic.js');
        return new AwsAlbTraffic({
          client: awsAlbClient({
            region: config.region,
            endpoint: config.endpoint,
            timeoutMs: config.timeout * 1000,
            // Keys named in the environment are used as they are; otherwise the SDK's default chain (role, SSO, web identity…).
            credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined,
          }),
          ruleArn: config.ruleArn,
          ...(deps.logger ? { logger: deps.logger } : {}),
        });
      });
    }
    case 'simulated':
      if (!deps.simulated) throw new AdapterConfigError('traffic kind "simulated" needs the sandbox fleet');
      return deps.simulated;
    default:
      return assertNever(config, 'traffic router');
  }
}
