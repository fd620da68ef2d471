import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppHomes } from '../../src/ports/app-homes.js';
import type { EmulatorChange } from '../../src/sandbox/slack-emulator/index.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind, truncateAll } from '../support/databases.js';
import { drive, engineHarness, seedServing, type EngineHarness } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { fakePorts } from '../support/fakes/fake-ports.js';
import { PEOPLE, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';

/**
 * App Home keeps up: whoever opened it within the last hour sees it re-published when what it shows
 * changes (a release waiting for their approval, one of theirs moving on, a freeze), through the
 * outbox, without opening it again; someone who looked two hours ago is left alone.
 */
describe('App Home that keeps up', () => {
  let database: Database;
  let harness: SlackHarness;
  let engine: EngineHarness;
  let homes: AppHomes | null = null;
  const published: string[] = [];
  const config = exampleShopConfig({
    staging: { stages: [{ name: 'full', weight: 100, bake: '1m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
  });

  beforeAll(async () => {
    database = await pgliteKind.open();
    const ports = fakePorts();
    harness = await startSlackHarness({
      database,
      clock: { now: () => engine?.clock.now() ?? new Date(TUESDAY_MORNING) },
      config,
      releases: (chat) => {
        const appHomes: AppHomes = { refresh: async (now) => homes?.refresh(now) };
        engine = engineHarness(database.db, config, TUESDAY_MORNING, Object.assign({ ...ports, chat } as typeof ports, { appHomes }));
        return engine.engine.releases;
      },
    });
    homes = harness.app.appHomes;
    harness.slack.subscribe((change: EmulatorChange) => {
      if (change.kind === 'home_published') published.push(change.view.user);
    });
  });
  afterAll(async () => {
    await engine?.engine.stop();
    await harness?.stop();
    await database?.close();
  });
  beforeEach(async () => {
    await engine.engine.settle();
    await truncateAll(database.db);
    published.length = 0;
    engine.clock.set(TUESDAY_MORNING);
    await seedServing(database.db, [
      { environment: 'staging', service: 'checkout', version: 'v1' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], engine.clock.now());
  });

  const homeText = (user: string) => JSON.stringify(harness.slack.home(user)?.view ?? null);

  it('re-publishes the Home of a recent viewer when a release starts waiting for them, and not of one who looked hours ago', async () => {
    const { slack } = harness;
    // Mallory looked at 15:00; Bob at 17:00, an hour before nothing; the deploy comes at 17:00 too.
    await slack.openHome(PEOPLE.mallory);
    await eventually('Mallory\'s Home', () => slack.home(PEOPLE.mallory));
    engine.clock.set(new Date(Date.parse(TUESDAY_MORNING) + 2 * 3600_000));
    await slack.openHome(PEOPLE.bob);
    await eventually('Bob\'s Home', () => slack.home(PEOPLE.bob));
    expect(homeText(PEOPLE.bob)).toContain('Nothing waits for you.');
    const mallorysBefore = published.filter((user) => user === PEOPLE.mallory).length;

    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v2 to production', 'deploys')).status).toBe(200);
    const answer = await eventually('the deploy answer', () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    const id = /Release `([\w-]+)` planned/.exec(answer.text)?.[1];
    expect(id).toBeDefined();

    // Staging converges; production waits for a release manager: Bob's Home says so by itself.
    const reached = await drive(engine, async () => (await engine.engine.releases.status(id!))?.status === 'waiting');
    expect(reached).toBe(true);
    await eventually('Bob\'s Home listing the release', async () => {
      await engine.engine.runUntilIdle();
      return homeText(PEOPLE.bob).includes(id!) && !homeText(PEOPLE.bob).includes('Nothing waits for you.');
    });
    expect(published.filter((user) => user === PEOPLE.mallory)).toHaveLength(mallorysBefore);
    // Alice never opened App Home: nothing is published for her.
    expect(published).not.toContain(PEOPLE.alice);
    expect(slack.violations).toEqual([]);
  }, 60_000);

  it('a freeze re-publishes the Home of a recent viewer', async () => {
    const { slack } = harness;
    await slack.openHome(PEOPLE.bob);
    await eventually('Bob\'s Home', () => slack.home(PEOPLE.bob));
    expect(homeText(PEOPLE.bob)).not.toContain('incident 42');
    expect((await slack.sendCommand(PEOPLE.bob, '/freeze', 'production 2h incident 42', 'deploys')).status).toBe(200);
    await eventually('Bob\'s Home showing the freeze', async () => {
      await engine.engine.runUntilIdle();
      return homeText(PEOPLE.bob).includes('incident 42');
    });
    expect(slack.violations).toEqual([]);
  }, 60_000);
});
