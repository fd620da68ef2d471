import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { PrometheusTelemetry } from '../../src/adapters/prometheus/delivery-telemetry.js';
import { SlackChat } from '../../src/adapters/slack/slack-chat.js';
import { createSlackApp, type SlackApp } from '../../src/app/slack/create-slack-app.js';
import type { DoraReports, HomePages } from '../../src/app/slack/slack-deps.js';
import { ManualClock } from '../../src/ports/clock.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator/index.js';
import type { Database } from '../../src/store/db.js';
import { DrizzleAuditLog } from '../../src/store/repos/drizzle-audit-log.js';
import { DrizzleProcessedRequests } from '../../src/store/repos/processed-requests-repo.js';
import { pgliteKind } from '../support/databases.js';
import { BOT_TOKEN, PEOPLE, exampleConfig } from '../support/slack-app-harness.js';
import { FakeReleaseService } from '../support/slack-fake-releases.js';
import { eventually } from '../support/slack-wait.js';

const APP_TOKEN = 'xapp-1-e2e';

/** With SLACK_APP_TOKEN the app connects out over Socket Mode and serves the same commands and buttons. */
describe('Socket Mode', () => {
  let database: Database;
  let slack: SlackEmulator;
  let app: SlackApp;
  let releases: FakeReleaseService;
  const telemetry = new PrometheusTelemetry(new Registry());

  beforeAll(async () => {
    database = await pgliteKind.open();
    slack = new SlackEmulator({ signingSecret: 'unused-in-socket-mode', botToken: BOT_TOKEN, appToken: APP_TOKEN, strict: true, channels: [{ name: 'deploys' }] });
    await slack.start();
    const config = exampleConfig();
    const clock = new ManualClock('2026-11-23T15:00:00Z');
    const chat = new SlackChat({ token: BOT_TOKEN, apiUrl: slack.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 0 });
    releases = new FakeReleaseService(config, chat, () => clock.now());
    app = createSlackApp(
      { botToken: BOT_TOKEN, appToken: APP_TOKEN, apiUrl: slack.apiUrl, port: 0, logger: pino({ level: 'silent' }), telemetry },
      { releases, config, audit: new DrizzleAuditLog(database.db), dora: {} as DoraReports, homePages: {} as HomePages, requests: new DrizzleProcessedRequests(database.db), clock },
    );
    await app.start();
    await eventually('the app connected', () => slack.socketConnected);
  });
  afterAll(async () => {
    await app?.stop();
    await slack?.stop();
    await database?.close();
  });

  it('runs slash commands and card buttons over the socket', async () => {
    expect(app.mode).toBe('socket');
    await slack.sendCommand(PEOPLE.alice, '/deploy', 'chekout@v1 to staging', 'deploys');
    expect(slack.ephemeralsFor(PEOPLE.alice).at(-1)?.text).toContain('Did you mean checkout?');

    await slack.sendCommand(PEOPLE.alice, '/deploy', 'web@v7 to staging', 'deploys');
    await eventually('the deploy answer', () => slack.ephemeralsFor(PEOPLE.alice).some((ephemeral) => ephemeral.text.includes('planned: web@v7')));
    const card = await eventually('the card', () => slack.messages('deploys').find((message) => message.text.includes('web')));
    await slack.clickButton(PEOPLE.alice, card, ActionIds.rollback);
    await eventually('rolled back', () => slack.message(card.channel, card.ts)?.text.includes('Rolled back'));
    expect(releases.calls.map((call) => call.verb)).toEqual(['deploy', 'rollback']);
    expect(slack.violations).toEqual([]);
  });

  it('times each acknowledgement over the socket, by surface', async () => {
    const text = await telemetry.registry.metrics();
    expect(text).toMatch(/^durable_delivery_slack_ack_seconds_count\{surface="command"\} [2-9]\d*$/m);
    expect(text).toMatch(/^durable_delivery_slack_ack_seconds_count\{surface="action"\} [1-9]\d*$/m);
  });
});
