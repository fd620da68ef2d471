import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/db.js';
import { approvals, outbox } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { engineHarness, seedServing } from '../support/fakes/engine-harness.js';

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
});
