import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChatRateLimitedError } from '../../src/adapters/slack/slack-chat.js';
import type { ReleaseView } from '../../src/domain/release/types.js';
import type { MessageRef } from '../../src/ports/chat.js';
import { CARD_PRIORITY } from '../../src/ports/outbox.js';
import { DrizzleOutbox } from '../../src/store/repos/drizzle-outbox.js';
import type { Database } from '../../src/store/db.js';
import { outbox } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { engineHarness, seedServing } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { FakeChat, fakePorts } from '../support/fakes/fake-ports.js';

/** A Slack with a card-update budget the test refills by hand; past it, 429 with Retry-After. */
class BudgetedChat extends FakeChat {
  budget = Infinity;
  readonly updated: string[] = [];
  override async publishCard(view: ReleaseView, existing: MessageRef | null): Promise<MessageRef> {
    if (existing) {
      if (this.budget <= 0) throw new ChatRateLimitedError('chat.update', 5);
      this.budget -= 1;
      this.updated.push(view.id);
    }
    return super.publishCard(view, existing);
  }
}

describe.each(testDatabaseKinds)('card renders under a tight Slack budget on %s', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await kind.open();
  }, 120_000);
  afterAll(async () => database?.close());
  beforeEach(async () => truncateAll(database.db));

  async function threeReleasesWithPostedCards() {
    const chat = new BudgetedChat();
    const h = engineHarness(database.db, exampleShopConfig(), TUESDAY_MORNING, { ...fakePorts(), chat });
    const now = h.clock.now();
    await seedServing(database.db, ['payments', 'inventory', 'web'].map((service) => ({ environment: 'staging', service, version: 'v1' })), now);
    const actors = { payments: 'U0ERIN', inventory: 'U0FRANK', web: 'U0ALICE' } as const;
    const ids: string[] = [];
    for (const [service, userId] of Object.entries(actors)) {
      const outcome = await h.engine.releases.act({ verb: 'deploy', actor: { userId, userGroupIds: [] }, target: { kind: 'service', service, version: 'v2' }, environment: 'staging' });
      if (outcome.kind !== 'accepted') throw new Error(outcome.message);
      ids.push(outcome.view.id);
    }
    // Cards and thread lines posted; nothing left in the chat lane.
    while ((await h.engine.runOutbox('chat')) > 0);
    await database.db.update(outbox).set({ status: 'done' }).where(eq(outbox.status, 'pending'));
    return { h, chat, ids, now };
  }

  it('a state change takes the one free slot before countdown refreshes queued earlier', async () => {
    const { h, chat, ids, now } = await threeReleasesWithPostedCards();
    const [first, second, third] = ids as [string, string, string];
    // Two refreshes queued first, then a state change.
    for (const [releaseId, priority] of [[first, CARD_PRIORITY.refresh], [second, CARD_PRIORITY.refresh], [third, CARD_PRIORITY.stateChange]] as const) {
      await new DrizzleOutbox(database.db).enqueue({ lane: 'chat', key: `card:${releaseId}:test`, coalesceKey: `card:${releaseId}`, releaseId, effect: { kind: 'card', releaseId }, priority, now });
    }
    chat.budget = 1;
    await h.engine.runOutbox('chat');
    expect(chat.updated).toEqual([third]);
    // The refreshes wait for Slack's Retry-After, then land: neither is given up.
    chat.budget = Infinity;
    h.clock.advance(5_000);
    while ((await h.engine.runOutbox('chat')) > 0);
    expect(chat.updated.sort()).toEqual([first, second, third].sort());
    expect(await database.db.select().from(outbox).where(eq(outbox.status, 'dead'))).toEqual([]);
  }, 120_000);

  it('while Slack holds card updates back, the chat lane is next due when that wait ends, not at once', async () => {
    const { h, chat, ids, now } = await threeReleasesWithPostedCards();
    const [first, second] = ids as [string, string, string];
    const queue = new DrizzleOutbox(database.db);
    await queue.enqueue({ lane: 'chat', key: `card:${first}:test`, coalesceKey: `card:${first}`, releaseId: first, effect: { kind: 'card', releaseId: first }, now });
    chat.budget = 0;
    // Slack answers 429 with a Retry-After of 5 s.
    await h.engine.runOutbox('chat');
    // Another card's update queued meanwhile is not taken before the wait ends: nothing is due until then.
    await queue.enqueue({ lane: 'chat', key: `card:${second}:test`, coalesceKey: `card:${second}`, releaseId: second, effect: { kind: 'card', releaseId: second }, now });
    expect((await h.engine.nextDue()).lanes.chat).toEqual(new Date(now.getTime() + 5_000));
    // A thread line is no card update: it is due at once.
    await queue.enqueue({ lane: 'chat', key: `thread:${second}:test`, releaseId: second, effect: { kind: 'thread', text: 'a line', releaseId: second }, now });
    expect((await h.engine.nextDue()).lanes.chat).toEqual(now);
  }, 120_000);

  it('never gives up a card render, however long Slack keeps answering 429', async () => {
    const { h, chat, ids, now } = await threeReleasesWithPostedCards();
    const [first] = ids as [string];
    await new DrizzleOutbox(database.db).enqueue({ lane: 'chat', key: `card:${first}:z`, coalesceKey: `card:${first}`, releaseId: first, effect: { kind: 'card', releaseId: first }, priority: CARD_PRIORITY.refresh, now });
    chat.budget = 0;
    for (let attempt = 0; attempt < 25; attempt += 1) {
      await h.engine.runOutbox('chat');
      h.clock.advance(5_000);
    }
    expect(chat.updated).toEqual([]);
    const [row] = await database.db.select().from(outbox).where(eq(outbox.idempotencyKey, `card:${first}:z`));
    expect(row?.status).toBe('pending');
    chat.budget = 1;
    await h.engine.runOutbox('chat');
    expect(chat.updated).toEqual([first]);
  }, 120_000);
});
