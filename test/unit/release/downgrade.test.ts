import { describe, expect, it } from 'vitest';
import { renderDeployPreview } from '../../../src/adapters/slack/blocks/deploy-modal.js';
import { admitDowngrades, downgradeLabel, planDowngrades } from '../../../src/domain/release/downgrade.js';
import { planRelease } from '../../../src/domain/release/plan.js';
import { exampleShopConfig } from '../../support/fakes/example-config.js';

describe('no silent downgrade', () => {
  const config = exampleShopConfig();
  const serving = {
    staging: { payments: { version: 'v3', infraSetId: 'is-s-p' }, checkout: { version: 'v1', infraSetId: 'is-s-c' } },
    production: { payments: { version: 'v3', infraSetId: 'is-p-p' }, checkout: { version: 'v1', infraSetId: 'is-p-c' } },
  };
  const planned = planRelease({ releaseId: 'r1', config, versionSetId: 4, versions: { payments: 'v2', checkout: 'v2' }, environment: 'production', serving });
  if (!planned.ok) throw new Error(planned.refusal.message);
  const plan = planned.plan;

  it('finds each service going back to an older version once, with the environments where it does', () => {
    expect(planDowngrades(plan)).toEqual([{ service: 'payments', from: 'v3', to: 'v2', environments: ['staging', 'production'], orderedBy: 'semver' }]);
  });

  it('refuses without a confirmation and records who confirmed it otherwise', () => {
    const refused = admitDowngrades(plan, 'version set #4', null);
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'downgrade_unconfirmed', message: expect.stringContaining('Deploying version set #4 downgrades payments v3 → v2 in staging, production') } });
    const confirmed = admitDowngrades(plan, 'version set #4', { confirmedBy: 'U0BOB', at: new Date('2026-11-17T15:00:00Z') });
    expect(confirmed).toMatchObject({ ok: true, confirmation: { by: 'U0BOB', at: '2026-11-17T15:00:00.000Z', downgrades: [{ service: 'payments' }] }, event: { type: 'downgrade_confirmed', message: '<@U0BOB> confirmed downgrading payments v3 → v2 in staging, production', data: { confirmedBy: 'U0BOB' } } });
  });

  it('an upgrade needs no confirmation', () => {
    const upgrade = planRelease({ releaseId: 'r2', config, versionSetId: 5, versions: { payments: 'v4' }, environment: 'production', serving });
    expect(upgrade.ok && admitDowngrades(upgrade.plan, 'version set #5', null)).toEqual({ ok: true, event: null, confirmation: null });
  });

  it('the plan modal names the downgrade on its submit button and submits the confirmation', () => {
    const downgrades = planDowngrades(plan);
    expect(downgradeLabel([...downgrades, { ...downgrades[0]!, service: 'inventory' }, { ...downgrades[0]!, service: 'web' }])).toBe('Deploy, downgrading payments, inventory and web');
    const modal = renderDeployPreview({ service: 'payments', version: 'v2', environment: 'production', summary: [], downgrades });
    expect(modal.submit?.text).toBe('Deploy the downgrade');
    expect(JSON.parse(modal.private_metadata!)).toMatchObject({ allowDowngrade: true });
    expect(JSON.stringify(modal.blocks)).toContain('This is a downgrade');
    const plain = renderDeployPreview({ service: 'payments', version: 'v4', environment: 'production', summary: [] });
    expect(plain.submit?.text).toBe('Deploy');
    expect(JSON.parse(plain.private_metadata!)).not.toHaveProperty('allowDowngrade');
  });
});
