import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app/start-app.js';
import { parseEnv } from '../../src/config/env.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator/index.js';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../../src/store/db.js';
import { DrizzleStore } from '../../src/store/drizzle-store.js';
import { pgliteKind } from '../support/databases.js';
import { BOT_TOKEN, PEOPLE, SIGNING_SECRET, exampleConfig } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';

/**
 * A bot told to stop while its chat lane holds posts spread out by the channel's pace (one a
 * second): it stops without sending them, leaving them due for the next start, which sends each
 * once. Before, a stop either waited out the whole batch (up to 20 s, past a container's grace
 * period) or, for a run the scheduler had begun, returned while that run went on sending.
 */
describe('stopping with posts waiting their turn', () => {
  const LINES = 10;
  const texts = Array.from({ length: LINES }, (_, index) => `line ${index + 1} of ${LINES}`);
  let database: Database;
  let slack: SlackEmulator;
  let app: RunningApp | undefined;
  const config = exampleConfig();
  const env = () =>
    parseEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
  const posted = () => slack.messages('deploys').map((message) => message.text).filter((text) => texts.includes(text));

  beforeAll(async () => {
    database = await pgliteKind.open();
    slack = new SlackEmulator({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, strict: true, users: [{ id: PEOPLE.alice, name: 'alice' }], channels: [{ name: 'deploys' }] });
    await slack.start();
    const store = new DrizzleStore(database.db, config);
    const now = new Date();
    for (const [index, text] of texts.entries()) {
      await store.outbox.enqueue({ lane: 'chat', key: `notice:${index}`, releaseId: null, effect: { kind: 'notify', channel: '#deploys', text, releaseId: null }, now });
    }
  });
  afterAll(async () => {
    await app?.stop();
    await slack?.stop();
    await database?.close();
  });

  it('stops without them, and the next start sends each once', async () => {
    app = await startApp({ env: env(), config, logger: pino({ level: 'silent' }), database });
    // The start-up run has taken the batch: the first line goes at once, the rest a second apart.
    await eventually('the first line', () => (posted().length > 0 ? true : undefined));
    await app.stop();
    app = undefined;
    const beforeRestart = posted();
    // Stopped well before the batch's 9 s of pacing were out.
    expect(beforeRestart.length).toBeLessThan(LINES);
    // Nothing of the stopped bot runs on: the lines it did not send are due now, no attempt spent,
    // none still leased to it (a run left going would send them and write after its database closed).
    const stoppedAt = new Date();
    const left = await queryRows<{ due: boolean; attempts: number }>(database.db, sql`SELECT next_attempt_at <= ${stoppedAt.toISOString()}::timestamptz AS due, attempts FROM outbox WHERE status = 'pending'`);
    expect(left).toHaveLength(LINES - beforeRestart.length);
    expect(left.every((row) => row.due && Number(row.attempts) === 0)).toBe(true);

    app = await startApp({ env: env(), config, logger: pino({ level: 'silent' }), database });
    await eventually('every line', () => (posted().length >= LINES ? true : undefined), 60_000);
    expect([...posted()].sort()).toEqual([...texts].sort());
    expect(posted().slice(0, beforeRestart.length)).toEqual(beforeRestart);
  });
});
