import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app/start-app.js';
import { parseEnv } from '../../src/config/env.js';
import { systemClock } from '../../src/ports/clock.js';
import { runSandbox, type RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import { seedSandboxStore } from '../../src/sandbox/sandbox-seed.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator/index.js';
import { createEngine, type Engine } from '../../src/app/create-engine.js';
import type { Database } from '../../src/store/db.js';
import { releaseCards, releases } from '../../src/store/schema/index.js';
import { pgliteKind } from '../support/databases.js';
import { silentLogger } from '../support/fakes/engine-harness.js';
import { fakePorts } from '../support/fakes/fake-ports.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { DEPLOYER, TEN_SERVICES, staleCards, tenServiceConfig, worstMinuteOfUpdates } from '../support/ten-services.js';

/**
 * Issue 11.2: a card is a projection of its release's latest state. Ten releases at once spend
 * Slack's chat.update budget (40 a minute) many times over; pending renders of one card coalesce,
 * a render never gives up (it waits out Slack's Retry-After), and at the end every card shows its
 * release's final state — within the budget. Once against a Slack that answers 429 for a while
 * (production composition, real time), once in the sandbox at 30×.
 */

const FINISHED = new Set(['succeeded', 'rolled_back', 'aborted']);

async function deployAll(slack: SlackEmulator): Promise<void> {
  const answers = await Promise.all(TEN_SERVICES.map((service) => slack.sendCommand(DEPLOYER, '/deploy', `${service}@v2 to production`, 'deploys')));
  expect(answers.map((answer) => answer.status)).toEqual(TEN_SERVICES.map(() => 200));
}

/** Waits for ten finished releases, then for every card to show its release's final state. */
async function expectFreshCards(database: Database, slack: SlackEmulator, engine: () => Engine): Promise<void> {
  const finished = await eventually(
    'ten finished releases',
    async () => {
      const rows = await database.db.select({ id: releases.id, status: releases.status }).from(releases);
      return rows.length === TEN_SERVICES.length && rows.every((row) => FINISHED.has(row.status)) ? rows : null;
    },
    240_000,
  );
  expect(finished.map((row) => row.status)).toEqual(TEN_SERVICES.map(() => 'succeeded'));
  // The last renders land after the releases finish, as the budget frees up: wait for them (a card
  // left stale never gets there, and the test fails here).
  let problems: string[] = [];
  await eventually(
    'every card showing its release\'s final state',
    async () => {
      const cards = await database.db.select().from(releaseCards);
      const shown = await Promise.all(cards.map(async (card) => ({ view: (await engine().releases.status(card.releaseId))!, channel: card.channel, ts: card.ts })));
      problems = shown.length === TEN_SERVICES.length ? staleCards(slack, shown) : [`${shown.length} cards posted`];
      return problems.length === 0;
    },
    180_000,
  ).catch(() => {
    throw new Error(`stale cards: ${problems.join('; ')}`);
  });
  expect(worstMinuteOfUpdates(slack.calls)).toBeLessThanOrEqual(40);
  expect(slack.violations).toEqual([]);
}

describe('ten releases at once: every card ends on its release\'s final state, within Slack\'s budget', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('in production, against a Slack that answers 429 with Retry-After for a while', async () => {
    const config = tenServiceConfig('3s');
    const database = await pgliteKind.open();
    cleanups.push(() => database.close());
    await seedSandboxStore(database.db, config, new Date());
    const slack = new SlackEmulator({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, strict: true, users: [{ id: DEPLOYER, name: 'alice' }], channels: [{ name: 'deploys' }, { name: 'team-fleet' }] });
    await slack.start();
    cleanups.push(() => slack.stop());
    const env = parseEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const app: RunningApp = await startApp({ env, config, logger: pino({ level: 'silent' }), database });
    cleanups.push(() => app.stop());
    slack.setAppUrl(`${app.url}/slack/events`);
    // A read-only view of the releases, to draw what each card must show.
    const reader = createEngine({ db: database.db, config, clock: systemClock, ports: fakePorts(), logger: silentLogger, runLanesAtOnce: false });

    // Slack is saturated from the start: the first dozen updates are answered 429, Retry-After 2 s.
    slack.rateLimit('chat.update', 12, 2);
    await deployAll(slack);
    await expectFreshCards(database, slack, () => reader);
    expect(slack.calls.filter((call) => call.method === 'chat.update' && call.error === 'ratelimited')).toHaveLength(12);
  }, 420_000);

  it('in the sandbox at 30×', async () => {
    const database = await pgliteKind.open();
    cleanups.push(() => database.close());
    const running: RunningSandbox = await runSandbox({ config: tenServiceConfig('1m'), database, logger: pino({ level: 'silent' }), port: 0, host: '127.0.0.1', speed: 30, seed: 11 });
    cleanups.push(() => running.stop());
    const slack = running.sandbox.emulator;
    await deployAll(slack);
    await expectFreshCards(database, slack, () => running.engine());
  }, 420_000);
});
