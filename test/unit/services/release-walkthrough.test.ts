import { describe, expect, it } from 'vitest';
import type { Actor, Outcome, ReleaseView } from '../../../src/domain/release/types.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../../support/fakes/example-config.js';
import { drive, memoryEngineHarness, seedServing, type MemoryEngineHarness } from '../../support/fakes/engine-harness.js';

/**
 * The example shop driven through the engine's services with in-memory ports, the memory store and a
 * manual clock: deploy to 100% and every failure path. (The same paths on PGlite and Postgres:
 * test/integration/engine-store.test.ts and the end-to-end suites.)
 */

const actor = (userId: string, userGroupIds: string[] = []): Actor => ({ userId, userGroupIds });
const alice = actor('U0ALICE'); // checkout and web teams
const bob = actor('U0BOB'); // release manager
const carol = actor('U0CAROL'); // release manager
const frank = actor('U0FRANK'); // inventory team only

function accepted(outcome: Outcome): ReleaseView {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${outcome.code}: ${outcome.message}`);
  return outcome.view;
}

async function status(h: MemoryEngineHarness, id: string): Promise<ReleaseView> {
  return (await h.engine.releases.status(id))!;
}

/** checkout v1 serving everywhere, v2 already in staging: a production deploy of v2 skips staging. */
async function checkoutReadyForProduction(start = TUESDAY_MORNING, config = exampleShopConfig()): Promise<MemoryEngineHarness> {
  const h = memoryEngineHarness(config, start);
  await seedServing(h.store, [
    { environment: 'staging', service: 'checkout', version: 'v2' },
    { environment: 'production', service: 'checkout', version: 'v1' },
  ], h.clock.now());
  return h;
}

async function deployCheckoutV2(h: MemoryEngineHarness, approver: Actor | null = bob): Promise<string> {
  const view = accepted(await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' }));
  if (approver) accepted(await h.engine.releases.act({ verb: 'approve', actor: approver, releaseId: view.id }));
  return view.id;
}

const canaryBaking = (h: MemoryEngineHarness, id: string) => async () => {
  const view = await status(h, id);
  return view.environments.at(-1)!.services[0]!.stages[0]!.state === 'running';
};

describe('deploy to 100%', () => {
  it('ships checkout through staging, then production behind an approval, 1% → 10% → 100%', async () => {
    const h = memoryEngineHarness(exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(h.store, [
      { environment: 'staging', service: 'checkout', version: 'v1' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], h.clock.now());
    const view = accepted(await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' }));
    expect(view.path).toEqual(['staging', 'production']);
    expect(view.changes).toMatchObject([{ service: 'checkout', from: 'v1', to: 'v2', shipment: { direction: 'upgrade', compareUrl: 'https://github.com/acme/checkout/compare/v1...v2' } }]);
    expect(view.rollbackOrder.find((entry) => entry.environment === 'production')!.moves).toEqual([
      { environment: 'production', service: 'checkout', toInfraSetId: 'is-seed-production-checkout-v1', toVersion: 'v1' },
    ]);

    // Staging converges on its own; production then waits for a release manager.
    expect(await drive(h, async () => (await status(h, view.id)).status === 'waiting')).toBe(true);
    const waiting = await status(h, view.id);
    expect(waiting.environments[0]!.state).toBe('done');
    expect(waiting.environments[1]!.gates).toContainEqual(expect.objectContaining({ gate: 'approvals', ok: false, code: 'approvals_missing' }));
    expect(waiting.allowedActions).toContain('approve');
    expect(h.ports.traffic.history('checkout', 'staging')).toEqual([{ [`is-${view.id}-staging-checkout`]: 100, 'is-seed-staging-checkout-v1': 0 }]);

    accepted(await h.engine.releases.act({ verb: 'approve', actor: bob, releaseId: view.id }));
    expect(await drive(h, async () => (await status(h, view.id)).status === 'succeeded')).toBe(true);

    const fresh = `is-${view.id}-production-checkout`;
    expect(h.ports.traffic.history('checkout', 'production')).toEqual([
      { [fresh]: 1, 'is-seed-production-checkout-v1': 99 },
      { [fresh]: 10, 'is-seed-production-checkout-v1': 90 },
      // v1 stays listed at 0: it is the warm last-known-good, not retired.
      { [fresh]: 100, 'is-seed-production-checkout-v1': 0 },
    ]);
    // 10m + 10m + 5m of bakes after staging's 2m.
    expect(h.clock.now().getTime() - Date.parse(TUESDAY_MORNING)).toBeGreaterThanOrEqual(27 * 60_000);
    const sets = await h.engine.releases.listInfraSets('checkout', 'production');
    expect(sets.map((set) => [set.id, set.state, set.weight])).toEqual(
      expect.arrayContaining([
        [fresh, 'serving', 100],
        ['is-seed-production-checkout-v1', 'warm', 0],
      ]),
    );
    // Health was measured through the probe, with evidence handed back each time.
    const productionReads = h.ports.health.requests.filter((request) => request.environment === 'production');
    expect(productionReads.length).toBeGreaterThanOrEqual(20);
    expect(productionReads.at(-1)!.evidence).toMatchObject({ readings: expect.any(Number) });
    // The card ends on the final state; the thread and the dashboards heard every step.
    const card = h.ports.chat.cards.get(view.id)!;
    expect(card.view.status).toBe('succeeded');
    expect(card.updates).toBeGreaterThan(3);
    expect(h.ports.chat.threadLines.map((line) => line.text)).toEqual(expect.arrayContaining([expect.stringContaining('approved production'), expect.stringContaining('converged in production')]));
    expect(h.ports.annotations.recorded.map((annotation) => annotation.kind)).toEqual(expect.arrayContaining(['release_started', 'stage_changed', 'release_finished']));
    const events = h.store.auditRows(view.id);
    expect(events.filter((event) => event.kind === 'transition').map((event) => event.version)).toEqual(
      [...Array(events.filter((event) => event.kind === 'transition').length).keys()].map((index) => index + 1),
    );
  });

  it('previews the plan with its rollback order and writes nothing', async () => {
    const h = memoryEngineHarness(exampleShopConfig(), TUESDAY_MORNING);
    const set = await h.store.mintVersionSet({ web: 'v2', checkout: 'v2', payments: 'v2', inventory: 'v2' });
    const preview = await h.engine.releases.previewPlan({ actor: bob, target: { kind: 'set', versionSetId: set.id }, environment: 'production' });
    expect(preview.kind).toBe('planned');
    if (preview.kind !== 'planned') return;
    const production = preview.plan.environments.find((env) => env.environment === 'production')!;
    expect(production.changes.map((change) => change.service)).toEqual(['inventory', 'payments', 'checkout', 'web']);
    expect(production.rollbackOrder.map((entry) => entry.service)).toEqual(['web', 'checkout', 'payments', 'inventory']);
    expect(await h.engine.releases.listActive()).toEqual([]);
  });
});

describe('refusals at the door', () => {
  it('refuses unknown names, nothing to ship, outsiders and a second release of the same service', async () => {
    const h = await checkoutReadyForProduction();
    const deploy = (who: Actor, service: string, version: string, environment = 'production') =>
      h.engine.releases.act({ verb: 'deploy', actor: who, target: { kind: 'service', service, version }, environment });
    expect(await deploy(alice, 'nope', 'v1')).toMatchObject({ kind: 'refused', code: 'unknown_service' });
    expect(await deploy(alice, 'checkout', 'v2', 'moon')).toMatchObject({ kind: 'refused', code: 'unknown_environment' });
    expect(await deploy(alice, 'checkout', 'v2', 'staging')).toMatchObject({ kind: 'refused', code: 'nothing_to_deploy' });
    expect(await deploy(frank, 'checkout', 'v2')).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    expect(await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'set', versionSetId: 999 }, environment: 'production' })).toMatchObject({ kind: 'refused', code: 'unknown_version_set' });
    const first = await deploy(alice, 'checkout', 'v2');
    const id = accepted(first).id;
    expect(first.kind === 'accepted' && first.existing).toBeFalsy();
    // The same request again answers with the release it started; nothing new starts.
    const again = await deploy(alice, 'checkout', 'v2');
    expect(again).toMatchObject({ kind: 'accepted', existing: true, view: { id } });
    expect((await h.engine.releases.listActive()).map((view) => view.id)).toEqual([id]);
    const preview = await h.engine.releases.previewPlan({ actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' });
    expect(preview).toMatchObject({ kind: 'planned', summary: [expect.stringContaining(`already deploying checkout@v2 to production: release ${id}`)] });
    // Anything else overlapping is refused, naming the release in the way.
    const busy = await deploy(alice, 'checkout', 'v3');
    expect(busy).toMatchObject({ kind: 'refused', code: 'environment_busy' });
    expect(busy.kind === 'refused' && busy.message).toContain(`Release ${id} (checkout@v2 → production, requested by <@U0ALICE>`);
    // It names the command that rolls the release in the way forward to what was asked, ready to copy.
    expect(busy.kind === 'refused' && busy.message).toContain(`supersede it with what you asked for: \`/release supersede ${id} checkout@v3\``);
    const same = await deploy(bob, 'checkout', 'v2');
    expect(same).toMatchObject({ kind: 'refused', code: 'environment_busy' });
    // Someone else asking for what it already ships has nothing to supersede it with.
    expect(same.kind === 'refused' && same.message).toMatch(/; wait for it or roll it back$/);
    expect(await h.engine.releases.status('r-missing')).toBeUndefined();
    expect(await h.engine.releases.act({ verb: 'pause', actor: alice, releaseId: 'r-missing' })).toMatchObject({ kind: 'refused', code: 'unknown_release' });

    // Refused deploys made no release, yet the audit log has each: who, what, where, why not.
    const refusals = h.store.auditRows(null).filter((row) => row.kind === 'refusal');
    expect(refusals.map((row) => [row.type, row.actor, (row.data as { code: string }).code])).toEqual([
      ['deploy', 'U0ALICE', 'unknown_service'],
      ['deploy', 'U0ALICE', 'unknown_environment'],
      ['deploy', 'U0ALICE', 'nothing_to_deploy'],
      ['deploy', 'U0FRANK', 'not_authorized'],
      ['deploy', 'U0ALICE', 'unknown_version_set'],
      ['deploy', 'U0ALICE', 'environment_busy'],
      ['deploy', 'U0BOB', 'environment_busy'],
    ]);
    expect(refusals[3]).toMatchObject({ message: expect.stringContaining('U0FRANK'), data: { target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' } });
  });

  it('refuses a version set whose dependency constraints do not hold', async () => {
    const base = exampleShopConfig();
    const config = { ...base, services: { ...base.services, web: { ...base.services.web!, dependsOn: [{ service: 'checkout', version: '>=2.0.0' }] } } };
    const h = memoryEngineHarness(config, TUESDAY_MORNING);
    await seedServing(h.store, [{ environment: 'staging', service: 'checkout', version: '1.4.0' }], h.clock.now());
    const refused = await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'web', version: '3.0.0' }, environment: 'staging' });
    expect(refused).toMatchObject({ kind: 'refused', code: 'constraint_violated' });
    expect(refused.kind === 'refused' && refused.message).toContain('web@3.0.0 needs checkout >=2.0.0');
  });
});

describe('approvals', () => {
  it('refuses self-approval and non-approvers, accepts a release manager by user group', async () => {
    const h = await checkoutReadyForProduction();
    const view = accepted(await h.engine.releases.act({ verb: 'deploy', actor: bob, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' }));
    expect(await h.engine.releases.act({ verb: 'approve', actor: bob, releaseId: view.id })).toMatchObject({ kind: 'refused', code: 'self_approval' });
    expect(await h.engine.releases.act({ verb: 'approve', actor: alice, releaseId: view.id })).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    const approved = accepted(await h.engine.releases.act({ verb: 'approve', actor: actor('U0ZED', ['S0RELEASE']), releaseId: view.id }));
    expect(approved.environments.at(-1)!.approvals.by.map((entry) => entry.userId)).toEqual(['U0ZED']);
    expect(await h.engine.releases.act({ verb: 'approve', actor: carol, releaseId: view.id })).toMatchObject({ kind: 'refused', code: 'no_approval_needed' });
    const refusals = h.store.auditRows(view.id).filter((row) => row.kind === 'refusal');
    expect(refusals.map((row) => (row.data as { code: string }).code)).toEqual(['self_approval', 'not_authorized', 'no_approval_needed']);
  });
});

describe('health', () => {
  it('rolls back on repeated failures, siblings in reverse dependency order, traffic calls at once', async () => {
    // Shorter bakes than the shop's: the siblings only need to get ahead of checkout.
    const stages = [
      { name: 'canary', weight: 1, bake: '2m' },
      { name: 'early', weight: 10, bake: '2m' },
      { name: 'full', weight: 100, bake: '1m' },
    ];
    const h = memoryEngineHarness(exampleShopConfig({ production: { stages } }), TUESDAY_MORNING);
    const services = ['web', 'checkout', 'payments', 'inventory'];
    await seedServing(h.store, services.flatMap((service) => [
      { environment: 'staging', service, version: 'v2' },
      { environment: 'production', service, version: 'v1' },
    ]), h.clock.now());
    const set = await h.store.mintVersionSet(Object.fromEntries(services.map((service) => [service, 'v2'])));
    h.ports.health.set('checkout', 'v2', 'fail');
    const view = accepted(await h.engine.releases.act({ verb: 'deploy', actor: bob, target: { kind: 'set', versionSetId: set.id }, environment: 'production' }));
    accepted(await h.engine.releases.act({ verb: 'approve', actor: carol, releaseId: view.id }));

    // inventory and payments converge; checkout's canary reads one failure.
    expect(await drive(h, async () => (await status(h, view.id)).health?.verdict === 'fail')).toBe(true);
    const callsBefore = h.ports.traffic.applied.length;
    // The second failing reading: only the health lane runs; the rollback kicks the critical lane itself.
    const due = (await status(h, view.id)).health!.at;
    h.clock.set(new Date(Date.parse(due) + 60_000));
    await h.engine.tick();
    await h.engine.runOutbox('health');
    await h.engine.settle();
    const rollbackCalls = h.ports.traffic.applied.slice(callsBefore);
    expect(rollbackCalls.map((call) => [call.target.service, call.weights])).toEqual([
      ['checkout', { 'is-seed-production-checkout-v1': 100, [`is-${view.id}-production-checkout`]: 0 }],
      ['payments', { 'is-seed-production-payments-v1': 100, [`is-${view.id}-production-payments`]: 0 }],
      ['inventory', { 'is-seed-production-inventory-v1': 100, [`is-${view.id}-production-inventory`]: 0 }],
    ]);
    await h.engine.runUntilIdle();
    const after = await status(h, view.id);
    expect(after.status).toBe('rolled_back');
    expect(after.outcome?.reason).toContain('checkout failed health');
    expect(h.ports.traffic.history('web', 'production')).toEqual([]);
    let payments = await h.engine.releases.listInfraSets('payments', 'production');
    expect(payments.find((set) => set.id === 'is-seed-production-payments-v1')).toMatchObject({ state: 'serving', weight: 100 });
    // Drain before break: out of traffic, the canary's sets run out their drain delay before they retire.
    expect(payments.find((set) => set.id === `is-${view.id}-production-payments`)).toMatchObject({ state: 'draining', weight: 0 });
    expect(h.ports.infra.retired).toEqual([]);
    h.clock.advance(30_000);
    await h.engine.runUntilIdle();
    payments = await h.engine.releases.listInfraSets('payments', 'production');
    expect(payments.find((set) => set.id === `is-${view.id}-production-payments`)).toMatchObject({ state: 'retired' });
    expect(h.ports.infra.retired.map((request) => request.infraSetId)).toEqual(expect.arrayContaining([`is-${view.id}-production-checkout`, `is-${view.id}-production-payments`]));
    expect(h.ports.chat.notifications).toContainEqual({ to: '#team-checkout', text: expect.stringContaining('rolling back') });
    const checkoutStages = after.environments.at(-1)!.services.find((service) => service.service === 'checkout')!.stages;
    expect(checkoutStages[0]).toMatchObject({ state: 'failed' });
  });

  it('a production canary failure returns every environment the release moved: production, then staging, each once', async () => {
    const h = memoryEngineHarness(exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(h.store, [
      { environment: 'staging', service: 'checkout', version: 'v1' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], h.clock.now());
    // v2 looks fine in staging and fails at production's 1% canary.
    const read = h.ports.health.read.bind(h.ports.health);
    h.ports.health.read = async (request) => {
      const reading = await read(request);
      return request.environment === 'production' ? { ...reading, verdict: 'fail', checks: reading.checks.map((check) => ({ ...check, verdict: 'fail' as const })) } : reading;
    };
    const id = await deployCheckoutV2(h);
    const planned = await status(h, id);
    // The card promises the order the rollback will take.
    expect(planned.rollbackOrder).toEqual([
      { environment: 'production', moves: [{ environment: 'production', service: 'checkout', toInfraSetId: 'is-seed-production-checkout-v1', toVersion: 'v1' }] },
      { environment: 'staging', moves: [{ environment: 'staging', service: 'checkout', toInfraSetId: 'is-seed-staging-checkout-v1', toVersion: 'v1' }] },
    ]);

    expect(await drive(h, async () => (await status(h, id)).status === 'rolled_back')).toBe(true);
    const fresh = (env: string) => `is-${id}-${env}-checkout`;
    expect(h.ports.traffic.calls.map((call) => [call.target.environment, call.weights])).toEqual([
      ['staging', { [fresh('staging')]: 100, 'is-seed-staging-checkout-v1': 0 }],
      ['production', { [fresh('production')]: 1, 'is-seed-production-checkout-v1': 99 }],
      ['production', { 'is-seed-production-checkout-v1': 100, [fresh('production')]: 0 }],
      ['staging', { 'is-seed-staging-checkout-v1': 100, [fresh('staging')]: 0 }],
    ]);
    const after = await status(h, id);
    expect(after.rollbackOrder).toEqual(planned.rollbackOrder);
    expect(after.environments.map((env) => [env.environment, env.state])).toEqual([
      ['staging', 'rolled_back'],
      ['production', 'rolled_back'],
    ]);
    expect(after.environments[0]!.services[0]).toMatchObject({ converged: false, stages: [{ state: 'rolled_back' }] });
    expect(after.environments[1]!.services[0]!.stages[0]).toMatchObject({ state: 'failed' });
    // Nothing of v2 is left serving or warm anywhere, once the drain delay has passed.
    expect(await drive(h, async () => h.ports.infra.retired.length === 2)).toBe(true);
    for (const env of ['staging', 'production']) {
      const sets = await h.engine.releases.listInfraSets('checkout', env);
      expect(sets.find((set) => set.id === `is-seed-${env}-checkout-v1`)).toMatchObject({ state: 'serving', weight: 100 });
      expect(sets.find((set) => set.id === fresh(env))).toMatchObject({ state: 'retired' });
    }
    expect(h.ports.chat.threadLines.map((line) => line.text)).toContainEqual(expect.stringContaining('Rolling back checkout in production → checkout in staging'));
  });

  it('holds on inconclusive readings, asks a human, and never promotes on its own', async () => {
    const h = await checkoutReadyForProduction();
    h.ports.health.set('checkout', 'v2', 'inconclusive');
    const id = await deployCheckoutV2(h);
    expect(await drive(h, async () => (await status(h, id)).allowedActions.includes('resume'))).toBe(true);
    expect(h.ports.chat.notifications).toContainEqual({ to: '#team-checkout', text: expect.stringContaining('cannot be judged') });
    // Long after the 10-minute bake, still at 1%.
    await drive(h, () => false, { until: new Date(Date.parse(TUESDAY_MORNING) + 45 * 60_000) });
    expect(h.ports.traffic.history('checkout', 'production')).toHaveLength(1);
    const held = await status(h, id);
    expect(held.status).toBe('held');
    expect(held.environments.at(-1)!.services[0]!.stages[0]).toMatchObject({ state: 'running', holding: true, bakeSecondsLeft: 0 });
    // A human decides to go on.
    accepted(await h.engine.releases.act({ verb: 'promote', actor: alice, releaseId: id }));
    await h.engine.runUntilIdle();
    expect(h.ports.traffic.history('checkout', 'production')).toHaveLength(2);
  });

  it('rolls back when provisioning fails', async () => {
    const h = await checkoutReadyForProduction();
    h.ports.infra.failProvisionOf.add('v2');
    const id = await deployCheckoutV2(h);
    expect(await drive(h, async () => (await status(h, id)).status === 'rolled_back')).toBe(true);
    expect(h.ports.traffic.applied).toEqual([]);
    expect((await status(h, id)).outcome?.reason).toContain('does not exist');
  });
});

describe('windows and freezes', () => {
  it('lets a bake running when the window closes finish, then waits for the window to reopen', async () => {
    // 16:45 in New York: the canary bakes to 16:55, "early" bakes across the 17:00 close.
    const h = await checkoutReadyForProduction('2026-11-17T21:45:00.000Z');
    const id = await deployCheckoutV2(h);
    expect(await drive(h, async () => (await status(h, id)).status === 'waiting')).toBe(true);
    expect(h.ports.traffic.history('checkout', 'production').map((weights) => Object.values(weights).sort((a, b) => a - b)[0])).toEqual([1, 10]);
    expect(h.clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse('2026-11-17T22:05:00.000Z'));
    const full = (await status(h, id)).environments.at(-1)!.services[0]!.stages[2]!;
    expect(full).toMatchObject({ state: 'waiting', reasons: [expect.objectContaining({ code: 'window_closed', opensAt: '2026-11-18T14:00:00.000Z' })] });
    expect(await drive(h, async () => h.ports.traffic.history('checkout', 'production').length === 3)).toBe(true);
    expect(h.clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse('2026-11-18T14:00:00.000Z'));
  });

  it('waits out an ad-hoc freeze until it is lifted; only approvers freeze', async () => {
    const h = await checkoutReadyForProduction();
    expect(await h.engine.releases.act({ verb: 'freeze', actor: alice, environment: 'production', durationSeconds: 7200, reason: 'incident 123' })).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    expect(await h.engine.releases.act({ verb: 'freeze', actor: bob, environment: 'production', durationSeconds: 7200, reason: 'incident 123' })).toMatchObject({ kind: 'accepted' });
    expect(await h.engine.deliveryStatus.freezeOf('production', h.clock.now())).toMatchObject({ frozen: true, reason: 'incident 123' });
    const id = await deployCheckoutV2(h);
    await h.engine.runUntilIdle();
    const frozen = await status(h, id);
    expect(frozen.status).toBe('waiting');
    expect(frozen.environments.at(-1)!.gates).toContainEqual(expect.objectContaining({ gate: 'freeze', ok: false, code: 'frozen' }));
    expect(h.ports.infra.provisioned).toEqual([]);
    expect(await h.engine.releases.act({ verb: 'unfreeze', actor: carol, environment: 'production' })).toEqual({ kind: 'accepted', value: { lifted: 1 } });
    expect(await h.engine.releases.act({ verb: 'unfreeze', actor: carol, environment: 'production' })).toMatchObject({ kind: 'refused', code: 'not_frozen' });
    expect(await drive(h, async () => (await status(h, id)).status === 'succeeded')).toBe(true);
  });

  it('holds a release in the scheduled year-end freeze and says when it lifts', async () => {
    const h = await checkoutReadyForProduction('2026-12-22T15:00:00.000Z');
    const id = await deployCheckoutV2(h);
    await h.engine.runUntilIdle();
    const view = await status(h, id);
    expect(view.environments.at(-1)!.gates).toContainEqual({ gate: 'freeze', ok: false, code: 'frozen', message: 'Frozen: year-end freeze', opensAt: '2027-01-04T05:00:00.000Z' });
    expect((await h.engine.releases.listFreezes()).map((freeze) => [freeze.environment, freeze.source, freeze.reason])).toContainEqual(['production', 'scheduled', 'year-end freeze']);
  });

  it('waits while another person holds the environment lock', async () => {
    const h = await checkoutReadyForProduction();
    expect(await h.engine.releases.act({ verb: 'lock', actor: bob, environment: 'production', reason: 'db migration' })).toMatchObject({ kind: 'accepted' });
    expect(await h.engine.releases.act({ verb: 'lock', actor: carol, environment: 'production' })).toMatchObject({ kind: 'refused', code: 'locked' });
    const id = await deployCheckoutV2(h, carol);
    await h.engine.runUntilIdle();
    expect((await status(h, id)).environments.at(-1)!.gates).toContainEqual(expect.objectContaining({ gate: 'lock', code: 'environment_locked' }));
    expect(await h.engine.releases.act({ verb: 'unlock', actor: alice, environment: 'production' })).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    expect(await h.engine.releases.act({ verb: 'unlock', actor: bob, environment: 'production' })).toMatchObject({ kind: 'accepted' });
    expect(await h.engine.releases.act({ verb: 'unlock', actor: bob, environment: 'production' })).toMatchObject({ kind: 'refused', code: 'not_locked' });
    expect(await drive(h, async () => (await status(h, id)).status === 'succeeded')).toBe(true);
  });
});

describe('operator inputs', () => {
  it('pause holds the cursor until resume; outsiders may not pause', async () => {
    const h = await checkoutReadyForProduction();
    const id = await deployCheckoutV2(h);
    expect(await drive(h, canaryBaking(h, id))).toBe(true);
    expect(await h.engine.releases.act({ verb: 'pause', actor: frank, releaseId: id })).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    expect(await h.engine.releases.act({ verb: 'resume', actor: alice, releaseId: id })).toMatchObject({ kind: 'refused', code: 'not_paused' });
    expect(accepted(await h.engine.releases.act({ verb: 'pause', actor: alice, releaseId: id })).status).toBe('paused');
    expect(await h.engine.releases.act({ verb: 'pause', actor: alice, releaseId: id })).toMatchObject({ kind: 'refused', code: 'already_paused' });
    await drive(h, () => false, { until: new Date(Date.parse(TUESDAY_MORNING) + 40 * 60_000) });
    expect(h.ports.traffic.history('checkout', 'production')).toHaveLength(1);
    expect(accepted(await h.engine.releases.act({ verb: 'resume', actor: bob, releaseId: id })).status).toBe('running');
    expect(await drive(h, async () => (await status(h, id)).status === 'succeeded')).toBe(true);
  });

  it('promote skips the rest of the bake; it is refused when nothing bakes', async () => {
    const h = await checkoutReadyForProduction();
    const view = accepted(await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' }));
    expect(await h.engine.releases.act({ verb: 'promote', actor: alice, releaseId: view.id })).toMatchObject({ kind: 'refused', code: 'not_baking' });
    accepted(await h.engine.releases.act({ verb: 'approve', actor: bob, releaseId: view.id }));
    expect(await drive(h, canaryBaking(h, view.id))).toBe(true);
    const at = h.clock.now();
    accepted(await h.engine.releases.act({ verb: 'promote', actor: alice, releaseId: view.id }));
    await h.engine.runUntilIdle();
    expect(h.clock.now()).toEqual(at);
    expect(h.ports.traffic.history('checkout', 'production')).toHaveLength(2);
  });

  it('rollback by hand returns traffic and ends the release; abort does the same as aborted', async () => {
    const h = await checkoutReadyForProduction();
    const id = await deployCheckoutV2(h);
    expect(await drive(h, canaryBaking(h, id))).toBe(true);
    expect(await h.engine.releases.act({ verb: 'rollback', actor: frank, releaseId: id })).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    expect(accepted(await h.engine.releases.act({ verb: 'rollback', actor: alice, releaseId: id, reason: 'wrong build' })).status).toBe('rolling_back');
    await h.engine.settle();
    expect(h.ports.traffic.history('checkout', 'production').at(-1)).toEqual({ 'is-seed-production-checkout-v1': 100, [`is-${id}-production-checkout`]: 0 });
    await h.engine.runUntilIdle();
    expect((await status(h, id)).outcome).toMatchObject({ kind: 'rolled_back', reason: expect.stringContaining('wrong build') });
    expect(await h.engine.releases.act({ verb: 'abort', actor: alice, releaseId: id })).toMatchObject({ kind: 'refused', code: 'release_finished' });

    const second = await deployCheckoutV2(h);
    expect(await drive(h, canaryBaking(h, second))).toBe(true);
    accepted(await h.engine.releases.act({ verb: 'abort', actor: bob, releaseId: second }));
    await h.engine.settle();
    await h.engine.runUntilIdle();
    expect((await status(h, second)).status).toBe('aborted');
    expect(h.ports.traffic.history('checkout', 'production').at(-1)).toEqual({ 'is-seed-production-checkout-v1': 100, [`is-${second}-production-checkout`]: 0 });
  });

  it('supersede replaces the in-flight version with a fix and rolls forward from the current stage', async () => {
    const h = await checkoutReadyForProduction();
    const id = await deployCheckoutV2(h);
    expect(await drive(h, canaryBaking(h, id))).toBe(true);
    const before = await status(h, id);
    expect(await h.engine.releases.act({ verb: 'supersede', actor: alice, releaseId: id, service: 'web', version: 'v9' })).toMatchObject({ kind: 'refused', code: 'not_in_release' });
    // A service not even in the release's version set is refused before any decision, and audited all the same.
    expect(await h.engine.releases.act({ verb: 'supersede', actor: alice, releaseId: id, service: 'ledger', version: 'v9' })).toMatchObject({ kind: 'refused', code: 'not_in_release' });
    expect(h.store.auditRows(id).filter((row) => row.kind === 'refusal').map((row) => [row.actor, (row.data as { code: string }).code])).toEqual([
      [alice.userId, 'not_in_release'],
      [alice.userId, 'not_in_release'],
    ]);
    const view = accepted(await h.engine.releases.act({ verb: 'supersede', actor: alice, releaseId: id, service: 'checkout', version: 'v2.1' }));
    expect(view.versionSetId).toBeGreaterThan(before.versionSetId);
    // The same fix again (a second submit, a retyped command) changes nothing: no set minted, no stage redone.
    const again = await h.engine.releases.act({ verb: 'supersede', actor: alice, releaseId: id, service: 'checkout', version: 'v2.1' });
    expect(again).toMatchObject({ kind: 'accepted', existing: true, view: { id, versionSetId: view.versionSetId } });
    expect(h.store.auditRows(id).filter((row) => row.type.split('+').includes('superseded'))).toHaveLength(1);
    expect(view.changes).toMatchObject([{ service: 'checkout', from: 'v1', to: 'v2.1', shipment: { direction: 'upgrade', compareUrl: 'https://github.com/acme/checkout/compare/v1...v2.1' } }]);
    expect(await drive(h, async () => (await status(h, id)).status === 'succeeded')).toBe(true);
    const fix = `is-${id}-production-checkout-s1`;
    // The fix converges in staging first (production requires it), then rolls forward from the canary.
    expect(h.ports.infra.provisioned.map((request) => [request.environment, request.version])).toEqual([['production', 'v2'], ['staging', 'v2.1'], ['production', 'v2.1']]);
    expect(h.ports.traffic.history('checkout', 'staging')).toEqual([{ [`is-${id}-staging-checkout-s1`]: 100, 'is-seed-staging-checkout-v2': 0 }]);
    expect(h.ports.traffic.history('checkout', 'production')).toEqual([
      { [`is-${id}-production-checkout`]: 1, 'is-seed-production-checkout-v1': 99 },
      // The superseded canary is named at 0 while it still exists; it is retired right after.
      { [fix]: 1, 'is-seed-production-checkout-v1': 99, [`is-${id}-production-checkout`]: 0 },
      { [fix]: 10, 'is-seed-production-checkout-v1': 90 },
      { [fix]: 100, 'is-seed-production-checkout-v1': 0 },
    ]);
    const sets = await h.engine.releases.listInfraSets('checkout', 'production');
    expect(sets.find((set) => set.id === `is-${id}-production-checkout`)).toMatchObject({ state: 'retired' });
  });

  it('/rollback of a service an active release is moving rolls the whole release back, as its card shows', async () => {
    const h = memoryEngineHarness(exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(h.store, [
      { environment: 'staging', service: 'checkout', version: 'v1' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], h.clock.now());
    const id = await deployCheckoutV2(h);
    expect(await drive(h, canaryBaking(h, id))).toBe(true);
    const card = (await status(h, id)).rollbackOrder.flatMap((entry) => entry.moves);
    expect(await h.engine.releases.act({ verb: 'manual_rollback', actor: alice, service: 'checkout', environment: 'production', toInfraSetId: 'is-seed-production-checkout-v1' })).toMatchObject({
      kind: 'refused',
      code: 'environment_busy',
      message: expect.stringContaining(id),
    });
    const outcome = await h.engine.releases.act({ verb: 'manual_rollback', actor: alice, service: 'checkout', environment: 'production' });
    expect(outcome).toEqual({ kind: 'accepted', value: { service: 'checkout', environment: 'production', releaseId: id, moves: card } });
    expect(card.map((move) => [move.environment, move.toVersion])).toEqual([['production', 'v1'], ['staging', 'v1']]);
    await h.engine.settle();
    await h.engine.runUntilIdle();
    expect(h.ports.traffic.history('checkout', 'production').at(-1)).toEqual({ 'is-seed-production-checkout-v1': 100, [`is-${id}-production-checkout`]: 0 });
    expect(h.ports.traffic.history('checkout', 'staging').at(-1)).toEqual({ 'is-seed-staging-checkout-v1': 100, [`is-${id}-staging-checkout`]: 0 });
    expect((await status(h, id)).outcome).toMatchObject({ kind: 'rolled_back', reason: expect.stringContaining('/rollback checkout in production') });
  });

  it('/rollback outside a release moves traffic to the last-known-good warm infra-set', async () => {
    const h = memoryEngineHarness(exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(h.store, [{ environment: 'production', service: 'checkout', version: 'v2' }], h.clock.now());
    await h.store.seedInfraSets([{ id: 'is-old-v1', service: 'checkout', environment: 'production', version: 'v1', releaseId: null, state: 'warm', weight: 0, createdAt: h.clock.now(), warmedAt: h.clock.now(), retiredAt: null }]);
    expect(await h.engine.releases.act({ verb: 'manual_rollback', actor: frank, service: 'checkout', environment: 'production' })).toMatchObject({ kind: 'refused', code: 'not_authorized' });
    expect(await h.engine.releases.act({ verb: 'manual_rollback', actor: alice, service: 'checkout', environment: 'production', toInfraSetId: 'is-nope' })).toMatchObject({ kind: 'refused', code: 'unknown_infra_set' });
    expect(await h.engine.releases.act({ verb: 'manual_rollback', actor: bob, service: 'payments', environment: 'production' })).toMatchObject({ kind: 'refused', code: 'no_warm_infra_set' });
    expect(await h.engine.releases.act({ verb: 'manual_rollback', actor: alice, service: 'checkout', environment: 'production' })).toEqual({
      kind: 'accepted',
      value: { service: 'checkout', environment: 'production', toInfraSetId: 'is-old-v1', toVersion: 'v1' },
    });
    await h.engine.settle();
    expect(h.ports.traffic.history('checkout', 'production')).toEqual([{ 'is-old-v1': 100, 'is-seed-production-checkout-v2': 0 }]);
    const sets = await h.engine.releases.listInfraSets('checkout', 'production');
    expect(sets.map((set) => [set.id, set.state])).toEqual(expect.arrayContaining([['is-old-v1', 'serving'], ['is-seed-production-checkout-v2', 'warm']]));
  });
});
