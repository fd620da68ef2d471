import type { InfraProviderConfig } from '../../config/delivery-schema.js';
import { assertNever } from '../../domain/assert-never.js';
import type { Infra } from '../../ports/infra.js';
import { AdapterConfigError, checkKubeconfig, secretFrom, type AdapterFactoryDeps } from '../traffic/create-traffic.js';
import { LazyInfra } from '../lazy-adapters.js';
import { CommandInfra } from './command-infra.js';
import { WebhookInfra } from './webhook-infra.js';

export interface InfraFactoryDeps extends AdapterFactoryDeps {
  /** The sandbox's simulated fleet, for `kind: simulated`. */
  simulated?: Infra;
}

/** Builds the Infra provider a service's config asks for. */
export function createInfra(config: InfraProviderConfig, deps: InfraFactoryDeps): Infra {
  switch (config.kind) {
    case 'webhook':
      return new WebhookInfra({
        url: config.url,
        secret: secretFrom(deps, config.secretEnv, 'infra webhook'),
        timeoutMs: config.timeout * 1000,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
    case 'command':
      return new CommandInfra({ argv: config.argv, timeoutMs: config.timeout * 1000 });
    case 'kubernetes':
      checkKubeconfig(config.cluster, 'infra kubernetes');
      return new LazyInfra(async () => {
        const [{ KubernetesInfra }, { kubeConfigFor, kubernetesApis }] = await Promise.all([import('./kubernetes-infra.js'), import('../kubernetes/kubernetes-client.js')]);
        return new KubernetesInfra({
          apis: kubernetesApis(kubeConfigFor(config.cluster, deps.secrets), config.timeout * 1000),
          namespace: config.namespace,
          deployment: config.deployment,
          service: config.service,
          port: config.port,
          readyTimeoutMs: config.readyTimeout * 1000,
          ...(deps.clock ? { clock: deps.clock } : {}),
          ...(deps.logger ? { logger: deps.logger } : {}),
        });
      });
    case 'simulated':
      if (!deps.simulated) throw new AdapterConfigError('infra kind "simulated" needs the sandbox fleet');
      return deps.simulated;
    default:
      return assertNever(config, 'infra provider');
  }
}
