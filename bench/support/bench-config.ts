import { deliveryConfigSchema, type DeliveryConfig } from '../../src/config/delivery-schema.js';

/**
 * A generated delivery config with many independent services, so many releases can be in flight at
 * once (one release per service and environment is the product's rule). One environment, two
 * stages, one error-rate check: the shape of a typical production release.
 */

export const BENCH_ENVIRONMENT = 'production';
export const BENCH_CHANNEL = '#deploys';
/** A team member (may deploy, pause, roll back) and an approver. */
export const BENCH_DEVELOPER = 'U0DEV00001';
export const BENCH_LEAD = 'U0LEAD0001';
export const BENCH_WEBHOOK_SECRET_ENV = 'BENCH_WEBHOOK_SECRET';

export function benchServiceName(index: number): string {
  return `svc-${String(index).padStart(5, '0')}`;
}

export interface BenchConfigOptions {
  services: number;
  /** Where traffic and infra webhooks go (real processes); simulated otherwise. */
  webhookUrl?: string;
  metrics?: 'simulated' | 'datadog';
  healthInterval?: string;
  stages?: Array<{ name: string; weight: number; bake: string }>;
  /** Without checks a stage is not judged: it promotes when its bake ends (fault trials). */
  checks?: boolean;
}

export function benchConfig(options: BenchConfigOptions): DeliveryConfig {
  const services: Record<string, unknown> = {};
  for (let index = 0; index < options.services; index += 1) {
    const name = benchServiceName(index);
    services[name] = {
      repo: `acme/${name}`,
      team: 'platform',
      checks: options.checks === false ? [] : [
        {
          name: 'errors',
          kind: 'error_rate',
          requests: `sum:hits{service:${name},infra_set:{infraSet}}.as_count()`,
          errors: `sum:errors{service:${name},infra_set:{infraSet}}.as_count()`,
          maxRatioToBaseline: 2,
        },
      ],
      ...(options.webhookUrl
        ? {
            traffic: { kind: 'webhook', url: `${options.webhookUrl}/traffic`, secretEnv: BENCH_WEBHOOK_SECRET_ENV, timeout: 5 },
            infra: { kind: 'webhook', url: `${options.webhookUrl}/infra`, secretEnv: BENCH_WEBHOOK_SECRET_ENV, timeout: 5 },
          }
        : {}),
      keepWarm: 1,
    };
  }
  return deliveryConfigSchema.parse({
    approverGroups: { 'release-managers': [BENCH_LEAD] },
    teams: { platform: { channel: '#team-platform', members: [BENCH_DEVELOPER] } },
    services,
    environments: {
      [BENCH_ENVIRONMENT]: {
        channel: BENCH_CHANNEL,
        stages: options.stages ?? [
          { name: 'canary', weight: 10, bake: '10m' },
          { name: 'full', weight: 100, bake: '5m' },
        ],
        health: { interval: options.healthInterval ?? '1m', failAfter: 2, holdAfter: 3 },
      },
    },
    metrics: { provider: options.metrics ?? 'simulated' },
  });
}
