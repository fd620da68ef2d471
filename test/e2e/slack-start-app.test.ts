import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app/start-app.js';
import { parseEnv } from '../../src/config/env.js';
import { SlackEmulator, slackSignature } from '../../src/sandbox/slack-emulator/index.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind } from '../support/databases.js';
import { BOT_TOKEN, PEOPLE, SIGNING_SECRET, exampleConfig } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';

/**
 * The production composition (startApp, as `npm start` runs it with Slack tokens) against the
 * Slack emulator through SLACK_API_URL: the bot answers on /slack/events next to /healthz, posts a
 * release's card from its outbox (linking GitHub where GITHUB_API_URL says it is), and refuses
 * unsigned or wrongly dated requests.
 */
describe('the app as started in production, against the Slack emulator', () => {
  let database: Database;
  let slack: SlackEmulator;
  let app: RunningApp;

  beforeAll(async () => {
    database = await pgliteKind.open();
    slack = new SlackEmulator({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, strict: true, users: [{ id: PEOPLE.alice, name: 'alice' }], channels: [{ name: 'deploys' }] });
    await slack.start();
    // A GitHub Enterprise Server: the card's links go to its web host, not to github.com.
    const env = parseEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, GITHUB_API_URL: 'https://ghe.example.com/api/v3', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    app = await startApp({ env, config: exampleConfig(), logger: pino({ level: 'silent' }), database });
    slack.setAppUrl(`${app.url}/slack/events`);
  });
  afterAll(async () => {
    await app?.stop();
    await slack?.stop();
    await database?.close();
  });

  it('serves /healthz beside /slack/events', async () => {
    expect(app.mode).toBe('slack');
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
  });

  it('plans a deploy from a slash command and posts its card in the deploy channel, its links on the GitHub Enterprise host', async () => {
    await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v9.9.9 to staging', 'deploys');
    const answer = await eventually('the ephemeral answer', () => slack.ephemeralsFor(PEOPLE.alice).find((ephemeral) => ephemeral.text.includes('planned')));
    const id = /Release `([\w-]+)`/.exec(answer.text)?.[1];
    expect(id).toBeDefined();
    const card = await eventually('the card', () => slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `)), 20_000);
    const shown = JSON.stringify(card.blocks);
    // Nothing serves checkout in staging yet: What ships links the source of what ships.
    expect(shown).toContain('<https://ghe.example.com/acme/checkout/tree/v9.9.9|source>');
    expect(shown).not.toContain('github.com');
    expect(slack.violations).toEqual([]);
  });

  it('refuses forged, stale and future-dated requests with 401', async () => {
    const body = new URLSearchParams({ command: '/release', text: 'list', user_id: PEOPLE.alice, trigger_id: 't', team_id: 'T1', channel_id: 'C1' }).toString();
    const type = 'application/x-www-form-urlencoded';
    const now = Math.floor(Date.now() / 1000);
    expect((await slack.deliver(body, type, { signature: 'v0=0000' })).status).toBe(401);
    expect((await slack.deliver(body, type, { timestampSeconds: now - 6 * 60 })).status).toBe(401);
    expect((await slack.deliver(body, type, { timestampSeconds: now + 6 * 60, signature: slackSignature(SIGNING_SECRET, now + 6 * 60, body) })).status).toBe(401);
  });
});
