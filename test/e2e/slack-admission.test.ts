import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { BUSY_MESSAGE } from '../../src/app/slack/admission.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import type { Database } from '../../src/store/db.js';
import { testDatabaseKinds } from '../support/databases.js';
import { PEOPLE, exampleConfig, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { FakeReleaseService } from '../support/slack-fake-releases.js';
import { eventually } from '../support/slack-wait.js';

/**
 * Admission at the Slack edge: with every place taken by work still running (here, one place and
 * a store held by a lock), a new slash command or click is answered "busy" ephemerally and does
 * nothing; once the work drains, the next one goes through.
 */
describe.each(testDatabaseKinds)('an overloaded bot on $name', (kind) => {
  let database: Database;
  let harness: SlackHarness;
  let releases: FakeReleaseService;
  const clock = new ManualClock('2026-11-23T15:00:00Z');

  beforeAll(async () => {
    database = await kind.open();
    harness = await startSlackHarness({
      database,
      clock,
      maxInFlight: 1,
      releases: (chat) => {
        releases = new FakeReleaseService(exampleConfig(), chat, () => clock.now());
        return releases;
      },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await database?.close();
  });

  const latestCard = (): EmulatedMessage | undefined => harness.slack.messages('deploys').filter((message) => message.blocks.length > 0).at(-1);
  const card = (): EmulatedMessage => {
    const last = latestCard();
    if (!last) throw new Error('no card posted');
    return last;
  };
  const ephemeralTexts = (user: string) => harness.slack.ephemeralsFor(user).map((ephemeral) => `${ephemeral.text} ${JSON.stringify(ephemeral.blocks)}`);

  /** Holds the processed-requests table in a transaction until `release()`: every claim waits behind it. */
  async function holdTheStore(): Promise<{ release(): Promise<void> }> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const transaction = database.db.transaction(async (tx) => {
      await tx.execute(sql`LOCK TABLE processed_requests IN ACCESS EXCLUSIVE MODE`);
      locked();
      await released;
    });
    await isLocked;
    return {
      async release() {
        release();
        await transaction;
      },
    };
  }

  it('answers a command and a click "busy" while full, does none of it, and serves again once drained', async () => {
    const { slack } = harness;
    await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v1.4.2 to production', 'deploys');
    await eventually('the card is posted', () => releases.calls.some((call) => call.verb === 'deploy') && latestCard());
    const posted = card();

    const store = await holdTheStore();
    // Alice's command takes the one place: acknowledged, its claim waits for the store. (The first
    // /deploy's listener may still be finishing its reply: then she is told busy and sends again.)
    // A command that changes something, since a read (/release) stores no claim and never waits here.
    let aliceBefore = 0;
    await eventually('Alice holds the place', async () => {
      aliceBefore = slack.ephemeralsFor(PEOPLE.alice).length;
      expect((await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v1.4.2 to production', 'deploys')).status).toBe(200);
      return slack.ephemeralsFor(PEOPLE.alice).length === aliceBefore;
    });

    // Bob's command is answered busy in its acknowledgement, his click through its response_url.
    const bobBefore = slack.ephemeralsFor(PEOPLE.bob).length;
    expect((await slack.sendCommand(PEOPLE.bob, '/release', 'list', 'deploys')).status).toBe(200);
    expect(ephemeralTexts(PEOPLE.bob).slice(bobBefore)).toEqual([expect.stringContaining(BUSY_MESSAGE)]);
    expect((await slack.clickButton(PEOPLE.bob, posted, ActionIds.approve)).status).toBe(200);
    await eventually('Bob is told busy twice', () => slack.ephemeralsFor(PEOPLE.bob).length >= bobBefore + 2);
    expect(ephemeralTexts(PEOPLE.bob).slice(bobBefore)).toEqual([expect.stringContaining(BUSY_MESSAGE), expect.stringContaining(BUSY_MESSAGE)]);
    expect(releases.calls.filter((call) => call.verb === 'approve')).toEqual([]);

    // The held work finishes once the store is free, and the place is given back.
    await store.release();
    await eventually('Alice gets her answer', () => slack.ephemeralsFor(PEOPLE.alice).length > aliceBefore);
    expect(ephemeralTexts(PEOPLE.alice).slice(aliceBefore).join(' ')).not.toContain(BUSY_MESSAGE);

    await eventually('the place is free again', async () => {
      const before = slack.ephemeralsFor(PEOPLE.bob).length;
      await slack.clickButton(PEOPLE.bob, card(), ActionIds.approve);
      await eventually('Bob is answered', () => slack.ephemeralsFor(PEOPLE.bob).length > before || releases.calls.some((call) => call.verb === 'approve'));
      return releases.calls.some((call) => call.verb === 'approve');
    });
    expect(releases.calls.filter((call) => call.verb === 'approve')).toHaveLength(1);
  });
});
