import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor, Outcome, ReleaseView } from '../../src/domain/release/types.js';
import type { Database } from '../../src/store/db.js';
import { mintVersionSet } from '../../src/store/repos/drizzle-version-set-store.js';
import { approvals, outbox } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { drive, engineHarness, seedServing, type EngineHarness } from '../support/fakes/engine-harness.js';

/**
 * The engine over the drizzle store, on each database: what the store contract cannot show alone
 * (test/integration/store-contract.test.ts), and the failure paths of the release walk-through
 * (test/unit/services/release-walkthrough.test.ts, on the memory store) that no end-to-end suite
 * takes on a real database.
 */

const alice: Actor = { userId: 'U0ALICE', userGroupIds: [] };
const bob: Actor = { userId: 'U0BOB', userGroupIds: [] };
const carol: Actor = { userId: 'U0CAROL', userGroupIds: [] };

function accepted(outcome: Outcome): ReleaseView {
  if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${outcome.code}: ${outcome.message}`);
  return outcome.view;
}

const statusOf = async (h: EngineHarness, id: string) => (await h.engine.releases.status(id))?.status;

describe.each(testDatabaseKinds)('engine store on $name', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await kind.open();
  });
  afterAll(async () => database?.close());
  beforeEach(async () => truncateAll(database.db));

  it('queues one card update per release however many transitions wait, and records approvals', async () => {
    const h = engineHarness(database.db, exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(database.db, [
      { environment: 'staging', service: 'checkout', version: 'v2' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], h.clock.now());
    const outcome = await h.engine.releases.act({ verb: 'deploy', actor: { userId: 'U0ALICE', userGroupIds: [] }, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' });
    if (outcome.kind !== 'accepted') throw new Error(outcome.message);
    await h.engine.releases.act({ verb: 'pause', actor: { userId: 'U0ALICE', userGroupIds: [] }, releaseId: outcome.view.id });
    await h.engine.releases.act({ verb: 'approve', actor: { userId: 'U0BOB', userGroupIds: [] }, releaseId: outcome.view.id });
    const cards = await database.db.select().from(outbox).where(eq(outbox.coalesceKey, `card:${outcome.view.id}`));
    expect(cards).toHaveLength(1);
    expect(await database.db.select({ userId: approvals.userId, environment: approvals.environment }).from(approvals)).toEqual([{ userId: 'U0BOB', environment: 'production' }]);
    // The one queued update draws the latest state (paused, approved).
    await h.engine.runOutbox('chat');
    const card = h.ports.chat.cards.get(outcome.view.id)!;
    expect(card.view.status).toBe('paused');
    expect(card.view.environments[0]!.approvals.by.map((entry) => entry.userId)).toEqual(['U0BOB']);
    // One row per release per claim: the thread lines follow the card, in order.
    while ((await h.engine.runOutbox('chat')) > 0);
    expect(h.ports.chat.threadLines.map((line) => line.text)).toEqual([expect.stringContaining('Paused by'), expect.stringContaining('approved production')]);
  }, 180_000);

  it('keeps the last keepWarm good infra-sets warm and retires older ones', async () => {
    const h = engineHarness(database.db, exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(database.db, [{ environment: 'staging', service: 'inventory', version: 'v1' }], h.clock.now());
    const frank = { userId: 'U0FRANK', userGroupIds: [] };
    for (const version of ['v2', 'v3']) {
      const outcome = await h.engine.releases.act({ verb: 'deploy', actor: frank, target: { kind: 'service', service: 'inventory', version }, environment: 'staging' });
      if (outcome.kind !== 'accepted') throw new Error(outcome.message);
      for (let round = 0; round < 20 && (await h.engine.releases.status(outcome.view.id))!.status !== 'succeeded'; round += 1) {
        await h.engine.runUntilIdle();
        h.clock.advance(30_000);
      }
      expect((await h.engine.releases.status(outcome.view.id))!.status).toBe('succeeded');
    }
    // inventory keeps one warm: v2 is the last-known-good, v1 retired (and torn down).
    const sets = await h.engine.releases.listInfraSets('inventory', 'staging');
    expect(sets.map((set) => [set.version, set.state, set.weight]).sort()).toEqual([
      ['v1', 'retired', 0],
      ['v2', 'warm', 0],
      ['v3', 'serving', 100],
    ]);
    await h.engine.runUntilIdle();
    expect(h.ports.infra.retired.map((request) => request.infraSetId)).toEqual(['is-seed-staging-inventory-v1']);
  }, 180_000);

  it('reports unhealthy canaries and freezes to the merge queue', async () => {
    const h = engineHarness(database.db, exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(database.db, [
      { environment: 'staging', service: 'checkout', version: 'v2' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], h.clock.now());
    h.ports.health.set('checkout', 'v2', ['fail', 'pass']);
    const outcome = await h.engine.releases.act({ verb: 'deploy', actor: { userId: 'U0ALICE', userGroupIds: [] }, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' });
    if (outcome.kind !== 'accepted') throw new Error(outcome.message);
    await h.engine.releases.act({ verb: 'approve', actor: { userId: 'U0BOB', userGroupIds: [] }, releaseId: outcome.view.id });
    expect(await h.engine.deliveryStatus.unhealthyCanaries()).toEqual([]);
    for (let round = 0; round < 10 && (await h.engine.releases.status(outcome.view.id))!.health === null; round += 1) {
      await h.engine.runUntilIdle();
      h.clock.advance(60_000);
    }
    expect(await h.engine.deliveryStatus.unhealthyCanaries()).toEqual([{ releaseId: outcome.view.id, service: 'checkout', environment: 'production' }]);
    expect(await h.engine.deliveryStatus.freezeOf('production', new Date('2026-12-25T12:00:00Z'))).toEqual({ frozen: true, reason: 'year-end freeze', until: new Date('2027-01-04T05:00:00.000Z') });
    expect(await h.engine.deliveryStatus.freezeOf('staging', h.clock.now())).toEqual({ frozen: false });
  }, 180_000);

  it('rolls back when provisioning fails, before any traffic moves', async () => {
    const h = engineHarness(database.db, exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(database.db, [{ environment: 'staging', service: 'checkout', version: 'v1' }], h.clock.now());
    h.ports.infra.failProvisionOf.add('v2');
    const id = accepted(await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'staging' })).id;
    expect(await drive(h, async () => (await statusOf(h, id)) === 'rolled_back')).toBe(true);
    expect(h.ports.traffic.applied).toEqual([]);
    expect((await h.engine.releases.status(id))!.outcome?.reason).toContain('does not exist');
  }, 180_000);

  it('rolls a failing service back with its siblings in reverse dependency order, each drained before it retires', async () => {
    const stages = [{ name: 'canary', weight: 1, bake: '2m' }, { name: 'full', weight: 100, bake: '1m' }];
    const h = engineHarness(database.db, exampleShopConfig({ production: { stages } }), TUESDAY_MORNING);
    const services = ['web', 'checkout', 'payments', 'inventory'];
    await seedServing(database.db, services.flatMap((service) => [{ environment: 'staging', service, version: 'v2' }, { environment: 'production', service, version: 'v1' }]), h.clock.now());
    const set = await mintVersionSet(database.db, Object.fromEntries(services.map((service) => [service, 'v2'])));
    h.ports.health.set('checkout', 'v2', 'fail');
    const id = accepted(await h.engine.releases.act({ verb: 'deploy', actor: bob, target: { kind: 'set', versionSetId: set.id }, environment: 'production' })).id;
    accepted(await h.engine.releases.act({ verb: 'approve', actor: carol, releaseId: id }));
    expect(await drive(h, async () => (await statusOf(h, id)) === 'rolled_back')).toBe(true);
    const restored = h.ports.traffic.applied.filter((call) => call.weights[`is-seed-production-${call.target.service}-v1`] === 100).map((call) => call.target.service);
    expect(restored).toEqual(['checkout', 'payments', 'inventory']);
    expect(h.ports.traffic.history('web', 'production')).toEqual([]);
    const fresh = `is-${id}-production-payments`;
    expect((await h.engine.releases.listInfraSets('payments', 'production')).find((row) => row.id === fresh)).toMatchObject({ state: 'draining', weight: 0 });
    expect(await drive(h, () => h.ports.infra.retired.length === 3)).toBe(true);
    expect(h.ports.infra.retired.map((request) => request.infraSetId).sort()).toEqual(['checkout', 'inventory', 'payments'].map((service) => `is-${id}-production-${service}`));
    expect((await h.engine.releases.listInfraSets('payments', 'production')).map((row) => [row.id, row.state])).toEqual(
      expect.arrayContaining([[fresh, 'retired'], ['is-seed-production-payments-v1', 'serving']]),
    );
  }, 180_000);

  it('a production canary failure returns every environment the release moved: production, then staging', async () => {
    const h = engineHarness(database.db, exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(database.db, ['staging', 'production'].map((environment) => ({ environment, service: 'checkout', version: 'v1' })), h.clock.now());
    const read = h.ports.health.read.bind(h.ports.health);
    h.ports.health.read = async (request) => {
      const reading = await read(request);
      return request.environment === 'production' ? { ...reading, verdict: 'fail', checks: reading.checks.map((check) => ({ ...check, verdict: 'fail' as const })) } : reading;
    };
    const id = accepted(await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' })).id;
    accepted(await h.engine.releases.act({ verb: 'approve', actor: bob, releaseId: id }));
    expect(await drive(h, async () => (await statusOf(h, id)) === 'rolled_back')).toBe(true);
    expect(h.ports.traffic.calls.map((call) => [call.target.environment, call.weights[`is-seed-${call.target.environment}-checkout-v1`]])).toEqual([
      ['staging', 0],
      ['production', 99],
      ['production', 100],
      ['staging', 100],
    ]);
  }, 180_000);

  it('supersede rolls forward to the fix and retires the superseded canary', async () => {
    const h = engineHarness(database.db, exampleShopConfig(), TUESDAY_MORNING);
    await seedServing(database.db, [{ environment: 'staging', service: 'checkout', version: 'v2' }, { environment: 'production', service: 'checkout', version: 'v1' }], h.clock.now());
    const id = accepted(await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' })).id;
    accepted(await h.engine.releases.act({ verb: 'approve', actor: bob, releaseId: id }));
    expect(await drive(h, () => h.ports.traffic.history('checkout', 'production').length === 1)).toBe(true);
    accepted(await h.engine.releases.act({ verb: 'supersede', actor: alice, releaseId: id, service: 'checkout', version: 'v2.1' }));
    expect(await drive(h, async () => (await statusOf(h, id)) === 'succeeded')).toBe(true);
    expect(h.ports.traffic.history('checkout', 'production').at(-1)).toEqual({ [`is-${id}-production-checkout-s1`]: 100, 'is-seed-production-checkout-v1': 0 });
    const sets = await h.engine.releases.listInfraSets('checkout', 'production');
    expect(sets.find((row) => row.id === `is-${id}-production-checkout`)).toMatchObject({ state: 'retired' });
  }, 180_000);
});
