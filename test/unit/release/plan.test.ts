import { describe, expect, it } from 'vitest';
import { deliveryConfigSchema } from '../../../src/config/delivery-schema.js';
import { assessSufficiency } from '../../../src/domain/health/sufficiency.js';
import { environmentPath, planRelease } from '../../../src/domain/release/plan.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';

const config = exampleShopConfig();
const v1Everywhere = Object.fromEntries(
  ['staging', 'production'].map((env) => [env, Object.fromEntries(['web', 'checkout', 'payments', 'inventory'].map((service) => [service, { version: 'v1', infraSetId: `is-${env}-${service}-v1` }]))]),
);
const allV2 = { web: 'v2', checkout: 'v2', payments: 'v2', inventory: 'v2' };

describe('planRelease', () => {
  it('walks the required environments first, providers before consumers, each provision → stages → finalize', () => {
    const result = planRelease({ releaseId: 'r1', config, versionSetId: 3, versions: allV2, environment: 'production', serving: v1Everywhere });
    if (!result.ok) throw new Error(result.refusal.message);
    expect(result.plan.path).toEqual(['staging', 'production']);
    const production = result.plan.environments[1]!;
    expect(production.changes.map((change) => change.service)).toEqual(['inventory', 'payments', 'checkout', 'web']);
    expect(production.rollbackOrder).toEqual([
      { service: 'web', toInfraSetId: 'is-production-web-v1', toVersion: 'v1' },
      { service: 'checkout', toInfraSetId: 'is-production-checkout-v1', toVersion: 'v1' },
      { service: 'payments', toInfraSetId: 'is-production-payments-v1', toVersion: 'v1' },
      { service: 'inventory', toInfraSetId: 'is-production-inventory-v1', toVersion: 'v1' },
    ]);
    const inventorySteps = result.plan.steps.filter((step) => step.environment === 'production' && step.service === 'inventory');
    expect(inventorySteps.map((step) => (step.kind === 'stage' ? `${step.kind}:${step.weight}` : step.kind))).toEqual(['provision', 'stage:1', 'stage:10', 'stage:100', 'finalize']);
    // 4 services × (1 + 1 + 1) in staging, 4 × (1 + 3 + 1) in production.
    expect(result.plan.steps).toHaveLength(12 + 20);
  });

  it('skips environments and services already serving the version; a scoped deploy ships only its service', () => {
    const serving = { ...v1Everywhere, staging: { ...v1Everywhere.staging, checkout: { version: 'v2', infraSetId: 'is-s' } } };
    const result = planRelease({ releaseId: 'r1', config, versionSetId: 3, versions: allV2, environment: 'production', serving, scope: ['checkout'] });
    if (!result.ok) throw new Error(result.refusal.message);
    expect(result.plan.environments.map((env) => env.environment)).toEqual(['production']);
    expect(result.plan.environments[0]!.changes.map((change) => change.service)).toEqual(['checkout']);
  });

  it('refuses nothing to ship, unknown names and dependency cycles', () => {
    expect(planRelease({ releaseId: 'r', config, versionSetId: 1, versions: { checkout: 'v1' }, environment: 'production', serving: v1Everywhere })).toMatchObject({ ok: false, refusal: { code: 'nothing_to_deploy' } });
    expect(planRelease({ releaseId: 'r', config, versionSetId: 1, versions: { nope: 'v1' }, environment: 'production', serving: {} })).toMatchObject({ ok: false, refusal: { code: 'unknown_service' } });
    expect(planRelease({ releaseId: 'r', config, versionSetId: 1, versions: { checkout: 'v1' }, environment: 'moon', serving: {} })).toMatchObject({ ok: false, refusal: { code: 'unknown_environment' } });
    const cyclic = { ...config, services: { ...config.services, payments: { ...config.services.payments!, dependsOn: [{ service: 'web' }] } } };
    const result = planRelease({ releaseId: 'r', config: cyclic, versionSetId: 1, versions: allV2, environment: 'staging', serving: {} });
    expect(result).toMatchObject({ ok: false, refusal: { code: 'dependency_cycle' } });
  });

  it('says up front when a canary is too small to judge within its bake', () => {
    const small = deliveryConfigSchema.parse({
      teams: { t: { channel: '#t' } },
      services: { api: { repo: 'a/api', team: 't', checks: [{ name: 'errors', kind: 'error_rate', requests: 'r', errors: 'e' }], expectedLoad: { requestsPerSecond: 5, errorRate: 0.005 } } },
      environments: { production: { channel: '#d', stages: [{ name: 'canary', weight: 1, bake: '10m' }, { name: 'full', weight: 100, bake: '10m' }] } },
    });
    const result = planRelease({ releaseId: 'r', config: small, versionSetId: 1, versions: { api: 'v2' }, environment: 'production', serving: { production: { api: { version: 'v1', infraSetId: 'is-1' } } } });
    if (!result.ok) throw new Error();
    // The judge's rule, not a count of expected errors: 5 req/s at 100% expects ~15 errors over
    // 10 minutes, yet telling 1% from 0.5% takes the SPRT about 13 minutes.
    expect(result.plan.environments[0]!.warnings).toEqual([
      'canary 1% of api: ~0.05 req/s, expected verdict in ~20.1 h; bake 10m: not enough data within the bake (errors); it will hold for a human',
      'full 100% of api: ~5 req/s, expected verdict in ~13 min; bake 10m: not enough data within the bake (errors); it will hold for a human',
    ]);
    expect(result.plan.environments[0]!.notes).toEqual([]);
  });

  it('notes when each judged stage can expect its verdict, by the judge’s sufficiency rule', () => {
    const result = planRelease({ releaseId: 'r1', config, versionSetId: 3, versions: { checkout: 'v2' }, environment: 'production', serving: v1Everywhere });
    if (!result.ok) throw new Error(result.refusal.message);
    const production = result.plan.environments.find((env) => env.environment === 'production')!;
    expect(production.warnings).toEqual([]);
    const expected = assessSufficiency({ check: config.services.checkout!.checks[0]!, requestsPerSecond: 2000, weight: 1, baselineErrorRate: 0.005, bakeSeconds: 600, intervalSeconds: 60 });
    expect(expected.enough).toBe(true);
    expect(production.notes).toEqual([
      `canary 1% of checkout: ~20 req/s, expected verdict in ~${Math.round(expected.expectedSecondsToVerdict / 60)} min; bake 10m: enough`,
      'early 10% of checkout: ~200 req/s, expected verdict in ~60s; bake 10m: enough',
      'full 100% of checkout: ~2000 req/s, expected verdict in ~60s; bake 5m: enough',
    ]);
  });

  it('orders the path by the config, including transitive requirements', () => {
    const chain = deliveryConfigSchema.parse({
      teams: { t: { channel: '#t' } },
      services: { api: { repo: 'a/api', team: 't' } },
      environments: {
        dev: { channel: '#d', stages: [{ name: 'all', weight: 100 }] },
        staging: { channel: '#d', requires: ['dev'], stages: [{ name: 'all', weight: 100 }] },
        sandbox: { channel: '#d', stages: [{ name: 'all', weight: 100 }] },
        production: { channel: '#d', requires: ['staging'], stages: [{ name: 'all', weight: 100 }] },
      },
    });
    expect(environmentPath(chain, 'production')).toEqual(['dev', 'staging', 'production']);
    expect(environmentPath(chain, 'sandbox')).toEqual(['sandbox']);
  });

  describe('a first deploy', () => {
    const shop = (errorsMax?: number) =>
      deliveryConfigSchema.parse({
        teams: { t: { channel: '#t' } },
        approverGroups: { rm: ['U0BOB'] },
        services: {
          api: {
            repo: 'a/api',
            team: 't',
            checks: [
              { name: 'errors', kind: 'error_rate', requests: 'r', errors: 'e', ...(errorsMax === undefined ? {} : { max: errorsMax }) },
              { name: 'p99', kind: 'latency', percentile: 'p99', query: 'q', maxMs: 500 },
            ],
          },
        },
        environments: {
          staging: { channel: '#d', stages: [{ name: 'full', weight: 100, bake: '1m' }] },
          production: { channel: '#d', requires: ['staging'], stages: [{ name: 'canary', weight: 1, bake: '10m' }], approvals: { required: 1, from: ['rm'] } },
        },
      });

    it('is refused where approvals are needed while a check could only compare with a baseline, naming the key to add', () => {
      const result = planRelease({ releaseId: 'r', config: shop(), versionSetId: 1, versions: { api: 'v1' }, environment: 'production', serving: {} });
      expect(result).toEqual({
        ok: false,
        refusal: {
          code: 'first_deploy_needs_thresholds',
          message: expect.stringContaining('api never served in production, so there is no baseline to compare a canary with (first deploy: no canary possible — judged on absolute thresholds only)'),
        },
      });
      expect(!result.ok && result.refusal.message).toContain('Add `max` to check errors (services.api.checks[0].max)');
    });

    it('says so up front, in every environment, and ships where the thresholds are there', () => {
      const staging = planRelease({ releaseId: 'r', config: shop(), versionSetId: 1, versions: { api: 'v1' }, environment: 'staging', serving: {} });
      expect(staging.ok && staging.plan.environments[0]!.warnings).toEqual([
        'api in staging: first deploy: no canary possible — judged on absolute thresholds only; errors has no max, so it cannot judge and the release will hold for a human (add `max` to check errors (services.api.checks[0].max))',
      ]);
      const production = planRelease({ releaseId: 'r', config: shop(0.02), versionSetId: 1, versions: { api: 'v1' }, environment: 'production', serving: {} });
      if (!production.ok) throw new Error(production.refusal.message);
      expect(production.plan.environments.map((env) => env.warnings)).toEqual([
        ['api in staging: first deploy: no canary possible — judged on absolute thresholds only'],
        ['api in production: first deploy: no canary possible — judged on absolute thresholds only'],
      ]);
    });

    it('is not called one when what serves is not known', () => {
      const result = planRelease({ releaseId: 'r', config: shop(), versionSetId: 1, versions: { api: 'v1' }, environment: 'production', serving: {}, servingKnown: false });
      expect(result.ok && result.plan.environments.flatMap((env) => env.warnings)).toEqual([]);
    });
  });
});
