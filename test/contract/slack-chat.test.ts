import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChatRateLimitedError, ChatRefusedError, ChatStoppedError, SlackChat, createSlackWebClient } from '../../src/adapters/slack/slack-chat.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator/index.js';
import { sampleStageChart } from '../support/sample-stage-chart.js';
import { sampleReleaseView } from '../support/slack-release-views.js';

const TOKEN = 'xoxb-test-token';

describe('SlackChat against the Slack emulator (strict)', () => {
  let slack: SlackEmulator;
  let chat: SlackChat;

  beforeAll(async () => {
    slack = new SlackEmulator({ signingSecret: 'secret', botToken: TOKEN, strict: true, channels: [{ name: 'deploys' }, { name: 'team-checkout' }], users: [{ id: 'U0ALICE', name: 'alice' }] });
    await slack.start();
    chat = new SlackChat({ token: TOKEN, apiUrl: slack.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 0 });
  });
  afterAll(async () => {
    await slack.stop();
  });
  beforeEach(() => {
    slack.violations.length = 0;
  });

  it('posts the card once, then updates it in place', async () => {
    const ref = await chat.publishCard(sampleReleaseView(), null);
    expect(ref.channel).toBe(slack.channel('deploys')?.id);
    const again = await chat.publishCard(sampleReleaseView({ version: 8, status: 'paused', allowedActions: ['resume'] }), ref);
    expect(again).toEqual(ref);
    const message = slack.message(ref.channel, ref.ts);
    expect(message?.updates).toBe(1);
    expect(JSON.stringify(message?.blocks)).toContain('release_resume');
    expect(slack.messages('deploys').filter((candidate) => candidate.ts === ref.ts)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  });

  it('threads stage lines under the card and notifies channels and users', async () => {
    const ref = await chat.publishCard(sampleReleaseView(), null);
    await chat.postThreadLine(ref, 'production · payments: canary 1% → early 10%');
    await chat.notify('#team-checkout', 'checkout rolled back in production');
    await chat.notify('U0ALICE', 'your release rel-0001 rolled back');
    expect(slack.thread('deploys', ref.ts).map((line) => line.text)).toEqual(['production · payments: canary 1% → early 10%']);
    expect(slack.messages('team-checkout').at(-1)?.text).toBe('checkout rolled back in production');
    expect(slack.directMessages('U0ALICE').at(-1)?.text).toContain('rolled back');
    expect(slack.violations).toEqual([]);
  });

  it('shares a stage chart in the card\'s thread through files.uploadV2: upload URL, the bytes, then completion into the thread', async () => {
    const ref = await chat.publishCard(sampleReleaseView(), null);
    const before = slack.calls.length;
    await chat.postThreadChart(ref, sampleStageChart());
    expect(slack.calls.slice(before).map((call) => call.method)).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
    const [shared] = slack.thread('deploys', ref.ts);
    expect(shared?.files).toHaveLength(1);
    const file = shared!.files![0]!;
    expect(file).toMatchObject({ mimetype: 'image/png', name: 'rel-0007-production-checkout-canary-10-failed.png', title: 'checkout canary-10 in production: failed' });
    expect(file.altText).toContain('errors (fail): error rate 1.40%, baseline 0.50%, limit 1.00%');
    // The bytes that arrived are the announced length, a PNG, and served back at the file's URL.
    const stored = slack.file(file.id)!;
    expect(stored.bytes?.length).toBe(stored.length);
    const served = await fetch(file.url);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(stored.bytes!)).toBe(true);
    expect(slack.violations).toEqual([]);
  });

  it('refuses a chart upload without the files:write scope, naming it', async () => {
    const scoped = new SlackEmulator({ signingSecret: 'secret', botToken: TOKEN, strict: true, botScopes: ['chat:write'], channels: [{ name: 'deploys' }] });
    await scoped.start();
    try {
      const scopedChat = new SlackChat({ token: TOKEN, apiUrl: scoped.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 0 });
      const ref = await scopedChat.publishCard(sampleReleaseView(), null);
      const error = await scopedChat.postThreadChart(ref, sampleStageChart()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ChatRefusedError);
      expect(error).toMatchObject({ slackError: 'missing_scope' });
      expect(scoped.thread('deploys', ref.ts)).toEqual([]);
    } finally {
      await scoped.stop();
    }
  });

  it('posts the card again when the old one is gone', async () => {
    const ref = await chat.publishCard(sampleReleaseView(), { channel: slack.channel('deploys')?.id ?? '', ts: '1.000001' });
    expect(ref.ts).not.toBe('1.000001');
    expect(slack.message(ref.channel, ref.ts)).toBeDefined();
  });

  it('surfaces a 429 at once, as a retryable error carrying Retry-After', async () => {
    slack.rateLimit('chat.update', 1, 7);
    const ref = await chat.publishCard(sampleReleaseView(), null);
    const error = await chat.publishCard(sampleReleaseView({ version: 9 }), ref).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChatRateLimitedError);
    expect(error).toMatchObject({ retryable: true, retryAfterSeconds: 7, method: 'chat.update' });
    // The next attempt goes through: nothing is stuck behind the 429.
    await expect(chat.publishCard(sampleReleaseView({ version: 9 }), ref)).resolves.toEqual(ref);
  });

  it('reports a refusal as not retryable', async () => {
    const bad = new SlackChat({ client: createSlackWebClient('xoxb-wrong', slack.apiUrl), cardChannel: () => '#deploys', minPostIntervalMs: 0 });
    await expect(bad.notify('#deploys', 'hi')).rejects.toBeInstanceOf(ChatRefusedError);
  });

  it('keeps card updates within a per-minute budget, failing fast as rate-limited past it', async () => {
    let now = 0;
    const budgeted = new SlackChat({ token: TOKEN, apiUrl: slack.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 0, updatesPerMinute: 2, now: () => now });
    const ref = await budgeted.publishCard(sampleReleaseView(), null);
    const calls = slack.callsTo('chat.update').length;
    await budgeted.publishCard(sampleReleaseView({ version: 10 }), ref);
    await budgeted.publishCard(sampleReleaseView({ version: 11 }), ref);
    const error = await budgeted.publishCard(sampleReleaseView({ version: 12 }), ref).catch((caught: unknown) => caught);
    // A sliding minute: the next update may go once the oldest of the last minute is a minute old.
    expect(error).toMatchObject({ retryable: true, retryAfterSeconds: 60 });
    expect(slack.callsTo('chat.update').length).toBe(calls + 2);
    now += 30_000;
    await expect(budgeted.publishCard(sampleReleaseView({ version: 12 }), ref)).rejects.toMatchObject({ retryAfterSeconds: 30 });
    now += 30_001;
    await expect(budgeted.publishCard(sampleReleaseView({ version: 12 }), ref)).resolves.toEqual(ref);
  });

  it('spreads card updates past a burst, so a busy minute never leaves cards stale for most of it', async () => {
    let now = 0;
    const spread = new SlackChat({ token: TOKEN, apiUrl: slack.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 0, updatesPerMinute: 40, updateBurst: 10, now: () => now });
    const ref = await spread.publishCard(sampleReleaseView(), null);
    for (let version = 1; version <= 10; version += 1) await spread.publishCard(sampleReleaseView({ version: 100 + version }), ref);
    // The burst is spent: the next token comes after 60 s / (40 − 10) = 2 s, not after a minute.
    await expect(spread.publishCard(sampleReleaseView({ version: 120 }), ref)).rejects.toMatchObject({ retryable: true, retryAfterSeconds: 2 });
    now += 2_000;
    await expect(spread.publishCard(sampleReleaseView({ version: 120 }), ref)).resolves.toEqual(ref);
    // Over any minute, at most the budget: drive a steady demand for three minutes and count.
    const sent: number[] = [];
    for (let step = 0; step < 180 * 4; step += 1) {
      now += 250;
      const ok = await spread.publishCard(sampleReleaseView({ version: 200 + step }), ref).then(() => true, () => false);
      if (ok) sent.push(now);
    }
    const worstMinute = Math.max(...sent.map((at) => sent.filter((other) => other >= at && other < at + 60_000).length));
    expect(worstMinute).toBeLessThanOrEqual(40);
    expect(worstMinute).toBeGreaterThanOrEqual(30);
  });

  it('paces posts to one channel', async () => {
    const waits: number[] = [];
    let now = 1_000;
    const paced = new SlackChat({ token: TOKEN, apiUrl: slack.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 1000, now: () => now, sleep: async (ms) => { waits.push(ms); now += ms; } });
    await paced.notify('#deploys', 'one');
    await paced.notify('#deploys', 'two');
    await paced.notify('#team-checkout', 'elsewhere');
    expect(waits).toEqual([1000]);
    // A thread line under a card goes to the channel's id, which Slack answered for "#deploys": same pace.
    const [card] = slack.messages('deploys');
    await paced.postThreadLine({ channel: card!.channel, ts: card!.ts }, 'a line');
    expect(waits).toEqual([1000, 1000]);
  });

  it('stopped, sends none of the posts still waiting their turn: each fails as stopped, due again at once, and one queued behind them fails at once', async () => {
    // A turn that never comes by itself: only stop() can end the wait.
    const paced = new SlackChat({ token: TOKEN, apiUrl: slack.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 1000, sleep: () => new Promise(() => {}) });
    const before = slack.messages('team-checkout').length;
    await paced.notify('#team-checkout', 'goes at once');
    const waiting = [paced.notify('#team-checkout', 'waits its turn'), paced.notify('#team-checkout', 'waits longer')];
    paced.stop();
    for (const post of waiting) await expect(post).rejects.toMatchObject({ name: 'ChatStoppedError', retryAfterSeconds: 0 });
    await expect(paced.notify('#team-checkout', 'after the stop')).rejects.toBeInstanceOf(ChatStoppedError);
    expect(slack.messages('team-checkout').slice(before).map((message) => message.text)).toEqual(['goes at once']);
  });
});

describe('the Slack emulator in strict mode', () => {
  let slack: SlackEmulator;
  beforeAll(async () => {
    slack = new SlackEmulator({ signingSecret: 'secret', botToken: TOKEN, strict: true, userGroups: { S0RM: ['U0BOB'] } });
    await slack.start();
  });
  afterAll(async () => {
    await slack.stop();
  });

  async function call(method: string, args: Record<string, string>): Promise<Record<string, unknown>> {
    const response = await fetch(`${slack.apiUrl}${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(args).toString(),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  it('refuses missing arguments and bad blocks, and records each violation', async () => {
    expect(await call('chat.postMessage', { text: 'no channel' })).toMatchObject({ ok: false, error: 'invalid_arguments' });
    const tooLong = JSON.stringify([{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }]);
    expect(await call('chat.postMessage', { channel: '#deploys', text: 't', blocks: tooLong })).toMatchObject({ ok: false, error: 'invalid_blocks' });
    const badButton = JSON.stringify([{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'mrkdwn', text: 'x' } }] }]);
    expect(await call('chat.postMessage', { channel: '#deploys', text: 't', blocks: badButton })).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(await call('chat.postMessage', { channel: '#deploys', blocks: JSON.stringify([{ type: 'divider' }]) })).toMatchObject({ ok: false, error: 'invalid_arguments' });
    expect(slack.violations.map((violation) => violation.error)).toEqual(['invalid_arguments', 'invalid_blocks', 'invalid_blocks', 'invalid_arguments']);
    expect(slack.violations[1]?.problems.join()).toContain('longer than 150');
  });

  it('answers user groups and refuses an unknown trigger_id', async () => {
    expect(await call('usergroups.users.list', { usergroup: 'S0RM' })).toMatchObject({ ok: true, users: ['U0BOB'] });
    expect(await call('views.open', { trigger_id: 'nope', view: JSON.stringify({ type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] }) })).toMatchObject({
      ok: false,
      error: 'invalid_trigger_id',
    });
  });
});
