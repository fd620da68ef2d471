import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { slackSignature } from '../../src/sandbox/slack-emulator/index.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind, truncateAll } from '../support/databases.js';
import { PEOPLE, SIGNING_SECRET, exampleConfig, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { FakeReleaseService } from '../support/slack-fake-releases.js';
import { eventually } from '../support/slack-wait.js';

/**
 * The Slack surface end to end against a stand-in release service: real Bolt app on loopback, the
 * Slack emulator in strict mode checking every call and block, signed requests built from the
 * blocks the app posted. (test/e2e/slack-release-flow.test.ts walks the same path on the engine.)
 */
describe('Slack surface on loopback', () => {
  let database: Database;
  let harness: SlackHarness;
  let releases: FakeReleaseService;
  const clock = new ManualClock('2026-11-23T15:00:00Z');

  beforeAll(async () => {
    database = await pgliteKind.open();
    harness = await startSlackHarness({
      database,
      clock,
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
  beforeEach(async () => {
    await truncateAll(database.db);
    releases.calls.length = 0;
  });

  function card(): EmulatedMessage {
    const cards = harness.slack.messages('deploys').filter((message) => message.blocks.length > 0);
    const last = cards.at(-1);
    if (!last) throw new Error('no card posted');
    return last;
  }

  function lastEphemeral(user: string): string {
    const ephemeral = harness.slack.ephemeralsFor(user).at(-1);
    return `${ephemeral?.text ?? ''} ${JSON.stringify(ephemeral?.blocks ?? [])}`;
  }

  async function ephemeralCount(user: string, count: number): Promise<void> {
    await eventually(`${count} ephemeral messages for ${user}`, () => harness.slack.ephemeralsFor(user).length >= count);
  }

  it('walks /deploy → card → self-approval refused → approval by another user → pause, resume → promote → done', async () => {
    const { slack } = harness;
    const alice = PEOPLE.alice;
    const bob = PEOPLE.bob;
    const before = slack.ephemeralsFor(alice).length;
    const response = await slack.sendCommand(alice, '/deploy', 'checkout@v1.4.2 to production', 'deploys');
    expect(response.status).toBe(200);
    await ephemeralCount(alice, before + 1);
    expect(lastEphemeral(alice)).toContain('planned: checkout@v1.4.2 → production');

    const posted = card();
    expect(JSON.stringify(posted.blocks)).toContain(ActionIds.approve);

    // The requester may not approve their own release: refused, ephemeral, nothing changes.
    const aliceBefore = slack.ephemeralsFor(alice).length;
    await slack.clickButton(alice, posted, ActionIds.approve);
    await ephemeralCount(alice, aliceBefore + 1);
    expect(lastEphemeral(alice)).toContain('self_approval');
    expect(card().updates).toBe(0);

    // Someone with no say is refused too.
    await slack.clickButton(PEOPLE.mallory, posted, ActionIds.approve);
    await ephemeralCount(PEOPLE.mallory, 1);
    expect(lastEphemeral(PEOPLE.mallory)).toContain('not_authorized');

    await slack.clickButton(bob, posted, ActionIds.approve);
    await eventually('the card shows the release running', () => JSON.stringify(card().blocks).includes(ActionIds.pause));
    expect(card().ts).toBe(posted.ts);
    expect(JSON.stringify(card().blocks)).toContain('approvals 1/1 (<@U0BOB>)');

    await slack.clickButton(bob, card(), ActionIds.pause);
    await eventually('paused', () => JSON.stringify(card().blocks).includes(ActionIds.resume));
    expect(JSON.stringify(card().blocks)).not.toContain(ActionIds.pause);
    await slack.clickButton(bob, card(), ActionIds.resume);
    await eventually('resumed', () => JSON.stringify(card().blocks).includes(ActionIds.pause));

    await releases.tick();
    expect(slack.thread('deploys', posted.ts).map((line) => line.text)).toContain('→ early');
    await slack.clickButton(alice, card(), ActionIds.promote);
    await eventually('promoted to full', () => slack.thread('deploys', posted.ts).some((line) => line.text.startsWith('promote')));
    await releases.tick();
    await eventually('succeeded', () => card().text.includes('Succeeded'));
    expect(JSON.stringify(card().blocks)).not.toContain('"type":"actions"');
    expect(slack.messages('deploys').filter((message) => message.blocks.length > 0)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  });

  it('rolls back from the card, and a double click rolls back once', async () => {
    const { slack } = harness;
    await slack.sendCommand(PEOPLE.alice, '/deploy', 'web@v9 to staging', 'deploys');
    await eventually('card posted', () => releases.calls.some((call) => call.verb === 'deploy') && card().text.includes('web'));
    const posted = card();
    await Promise.all([slack.clickButton(PEOPLE.alice, posted, ActionIds.rollback), slack.clickButton(PEOPLE.alice, posted, ActionIds.rollback)]);
    await eventually('rolled back', () => card().text.includes('Rolled back'));
    // The button is gone from the card now; a replay of the click is ignored too.
    expect(JSON.stringify(card().blocks)).not.toContain(ActionIds.rollback);
    const click = slack.lastDelivery;
    if (!click) throw new Error('nothing sent');
    expect((await slack.deliver(click.body, click.contentType, { retryNum: 1 })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(releases.calls.filter((call) => call.verb === 'rollback')).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  });

  it('does nothing twice for a retried or replayed command', async () => {
    const { slack } = harness;
    await slack.sendCommand(PEOPLE.alice, '/deploy', 'web@v10 to staging', 'deploys');
    const first = slack.lastDelivery;
    if (!first) throw new Error('nothing sent');
    const retried = await slack.deliver(first.body, first.contentType, { retryNum: 1 });
    const replayed = await slack.deliver(first.body, first.contentType);
    expect(retried.status).toBe(200);
    expect(replayed.status).toBe(200);
    await eventually('the deploy ran', () => releases.calls.some((call) => call.verb === 'deploy'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(releases.calls.filter((call) => call.verb === 'deploy')).toHaveLength(1);
  });

  it('refuses forged, stale and future-dated requests with 401 before any listener runs', async () => {
    const { slack } = harness;
    const body = new URLSearchParams({ command: '/freeze', text: 'production 1h test', user_id: PEOPLE.bob, channel_id: 'C1', trigger_id: 't-1', response_url: 'http://127.0.0.1:9/x', team_id: 'T1' }).toString();
    const type = 'application/x-www-form-urlencoded';
    const now = Math.floor(Date.now() / 1000);
    expect((await slack.deliver(body, type, { signature: slackSignature('wrong-secret', now, body) })).status).toBe(401);
    expect((await slack.deliver(body, type, { timestampSeconds: now - 10 * 60 })).status).toBe(401);
    expect((await slack.deliver(body, type, { timestampSeconds: now + 10 * 60 })).status).toBe(401);
    // A correct signature over a future date is still refused: the date is part of what is signed.
    expect((await slack.deliver(body, type, { timestampSeconds: now + 10 * 60, signature: slackSignature(SIGNING_SECRET, now + 10 * 60, body) })).status).toBe(401);
    expect(releases.calls).toEqual([]);
  });

  it('answers bad arguments with what was wrong, the right form and a "did you mean"', async () => {
    const { slack } = harness;
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    await slack.sendCommand(PEOPLE.alice, '/deploy', 'chekout@v1 to production');
    await slack.sendCommand(PEOPLE.alice, '/freeze', 'prodution 2h incident');
    await slack.sendCommand(PEOPLE.alice, '/rollback', 'help');
    await slack.sendCommand(PEOPLE.alice, '/queue', 'add acme/web#12');
    const answers = slack.ephemeralsFor(PEOPLE.alice).slice(before).map((ephemeral) => ephemeral.text);
    expect(answers[0]).toContain('Did you mean checkout?');
    expect(answers[1]).toContain('Did you mean production?');
    expect(answers[2]).toContain('/rollback');
    expect(answers[3]).toContain('merge queue is not enabled');
    expect(releases.calls).toEqual([]);
    expect(slack.violations).toEqual([]);
  });

  it('freezes and unfreezes for an approver only', async () => {
    const { slack } = harness;
    await slack.sendCommand(PEOPLE.alice, '/freeze', 'production 2h "incident 123"');
    await ephemeralCount(PEOPLE.alice, 1);
    await eventually('refused', () => lastEphemeral(PEOPLE.alice).includes('not_authorized'));
    const bobBefore = slack.ephemeralsFor(PEOPLE.bob).length;
    await slack.sendCommand(PEOPLE.bob, '/freeze', 'production 2h "incident 123"');
    await ephemeralCount(PEOPLE.bob, bobBefore + 1);
    expect(lastEphemeral(PEOPLE.bob)).toContain('production is frozen for 2h');
    await slack.sendCommand(PEOPLE.bob, '/unfreeze', 'production');
    await ephemeralCount(PEOPLE.bob, bobBefore + 2);
    expect(lastEphemeral(PEOPLE.bob)).toContain('no longer frozen');
  });

  it('deploys through the modal after showing the plan', async () => {
    const { slack } = harness;
    await slack.sendCommand(PEOPLE.alice, '/deploy', '');
    const form = await eventually('the modal opened', () => slack.openViews(PEOPLE.alice)[0]);
    const bad = await slack.submitView(PEOPLE.alice, form.id, { deploy_service: 'checkout', deploy_version: 'has space', deploy_environment: 'staging' });
    expect(bad.body).toMatchObject({ response_action: 'errors', errors: { deploy_version_block: expect.stringContaining('without spaces') } });
    await slack.submitView(PEOPLE.alice, form.id, { deploy_service: 'checkout', deploy_version: 'v2.0.0', deploy_environment: 'staging' });
    const preview = await eventually('the plan preview', () => {
      const view = slack.view(form.id);
      return view && (view.view.submit as { text?: string } | undefined)?.text === 'Deploy' ? view : undefined;
    });
    expect(JSON.stringify(preview.view.blocks)).toContain('staging: 100%');
    await slack.submitView(PEOPLE.alice, form.id, {});
    await eventually('a DM with the outcome', () => slack.directMessages(PEOPLE.alice).some((message) => message.text.includes('planned: checkout@v2.0.0')));
    expect(slack.view(form.id)).toBeUndefined();
    expect(slack.violations).toEqual([]);
  });

  it('publishes App Home with the releases waiting for the viewer', async () => {
    const { slack } = harness;
    await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v3 to production', 'deploys');
    await eventually('release created', () => releases.calls.some((call) => call.verb === 'deploy'));
    await slack.openHome(PEOPLE.bob);
    const home = await eventually('home published', () => slack.home(PEOPLE.bob));
    const text = JSON.stringify(home.view.blocks);
    expect(text).toContain('Waiting for your approval');
    expect(text).toMatch(/rel-\d+/);
    expect(text).toContain('weekday business hours');
    expect(slack.violations).toEqual([]);
  });
});

