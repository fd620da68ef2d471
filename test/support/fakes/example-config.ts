import { deliveryConfigSchema, type DeliveryConfig } from '../../../src/config/delivery-schema.js';

const check = (service: string) => [
  {
    name: 'errors',
    kind: 'error_rate' as const,
    requests: `sum:hits{service:${service},infra_set:{infraSet}}`,
    errors: `sum:errors{service:${service},infra_set:{infraSet}}`,
    // An absolute ceiling too, so a first deploy (no baseline) can be judged and is not refused.
    max: 0.05,
    maxRatioToBaseline: 2,
  },
];

/**
 * The example shop: web → checkout → (payments, inventory). Staging ships at 100% at once; production
 * walks a 1% → 10% → 100% canary with bakes, needs one release manager (not the requester), only
 * moves on weekdays 09:00–17:00 New York time, and freezes over the year end.
 */
export function exampleShopConfig(overrides: { production?: Record<string, unknown>; staging?: Record<string, unknown> } = {}): DeliveryConfig {
  return deliveryConfigSchema.parse({
    approverGroups: { 'release-managers': ['U0BOB', 'U0CAROL', 'S0RELEASE'] },
    teams: {
      web: { channel: '#team-web', members: ['U0ALICE', 'U0DAVE'] },
      checkout: { channel: '#team-checkout', members: ['U0ALICE'] },
      payments: { channel: '#team-payments', members: ['U0ERIN'] },
      inventory: { channel: '#team-inventory', members: ['U0FRANK'] },
    },
    services: {
      web: { repo: 'acme/web', team: 'web', dependsOn: [{ service: 'checkout' }], checks: check('web'), keepWarm: 2, expectedLoad: { requestsPerSecond: 2000 } },
      checkout: {
        repo: 'acme/checkout',
        team: 'checkout',
        dependsOn: [{ service: 'payments' }, { service: 'inventory' }],
        checks: check('checkout'),
        keepWarm: 2,
        expectedLoad: { requestsPerSecond: 2000 },
      },
      payments: { repo: 'acme/payments', team: 'payments', checks: check('payments'), keepWarm: 1 },
      inventory: { repo: 'acme/inventory', team: 'inventory', checks: check('inventory'), keepWarm: 1 },
    },
    environments: {
      staging: {
        channel: '#deploys',
        stages: [{ name: 'full', weight: 100, bake: '2m' }],
        health: { interval: '30s', failAfter: 2, holdAfter: 3 },
        ...overrides.staging,
      },
      production: {
        channel: '#deploys',
        requires: ['staging'],
        stages: [
          { name: 'canary', weight: 1, bake: '10m' },
          { name: 'early', weight: 10, bake: '10m' },
          { name: 'full', weight: 100, bake: '5m' },
        ],
        approvals: { required: 1, from: ['release-managers'], excludeRequester: true },
        windows: [{ name: 'weekday business hours', cron: '0 9 * * 1-5', duration: '8h', timezone: 'America/New_York' }],
        freezes: [{ from: '2026-12-20T00:00:00-05:00', to: '2027-01-04T00:00:00-05:00', reason: 'year-end freeze' }],
        health: { interval: '1m', failAfter: 2, holdAfter: 3 },
        ...overrides.production,
      },
    },
  });
}

/** Tuesday 17 Nov 2026, 10:00 in New York (EST): inside the production window. */
export const TUESDAY_MORNING = '2026-11-17T15:00:00.000Z';
