import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatorChange } from '../../src/sandbox/slack-emulator/index.js';
import { drive } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { useSlackEngine } from '../support/slack-engine.js';

/**
 * App Home keeps up: whoever opened it within the last hour sees it re-published when what it shows
 * changes (a release waiting for their approval, one of theirs moving on, a freeze), through the
 * outbox, without opening it again; someone who looked two hours ago is left alone.
 */
describe('App Home that keeps up', () => {
  const published: string[] = [];
  const config = exampleShopConfig({
    staging: { stages: [{ name: 'full', weight: 100, bake: '1m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
  });

  const world = useSlackEngine(config, { serving: [{ environment: 'staging', service: 'checkout', version: 'v1' }, { environment: 'production', service: 'checkout', version: 'v1' }], appHomes: true });
  beforeAll(() => {
    world.harness.slack.subscribe((change: EmulatorChange) => {
      if (change.kind === 'home_published') published.push(change.view.user);
    });
  });
  beforeEach(() => {
    published.length = 0;
  });

  const homeText = (user: string) => JSON.stringify(world.harness.slack.home(user)?.view ?? null);

  it('re-publishes the Home of a recent viewer when a release starts waiting for them, and not of one who looked hours ago', async () => {
    const { slack } = world.harness;
    // Mallory looked at 15:00; Bob at 17:00, an hour before nothing; the deploy comes at 17:00 too.
    await slack.openHome(PEOPLE.mallory);
    await eventually('Mallory\'s Home', () => slack.home(PEOPLE.mallory));
    world.engine.clock.set(new Date(Date.parse(TUESDAY_MORNING) + 2 * 3600_000));
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
    const reached = await drive(world.engine, async () => (await world.engine.engine.releases.status(id!))?.status === 'waiting');
    expect(reached).toBe(true);
    await eventually('Bob\'s Home listing the release', async () => {
      await world.engine.engine.runUntilIdle();
      return homeText(PEOPLE.bob).includes(id!) && !homeText(PEOPLE.bob).includes('Nothing waits for you.');
    });
    expect(published.filter((user) => user === PEOPLE.mallory)).toHaveLength(mallorysBefore);
    // Alice never opened App Home: nothing is published for her.
    expect(published).not.toContain(PEOPLE.alice);
    expect(slack.violations).toEqual([]);
  }, 60_000);

  it('a freeze re-publishes the Home of a recent viewer', async () => {
    const { slack } = world.harness;
    await slack.openHome(PEOPLE.bob);
    await eventually('Bob\'s Home', () => slack.home(PEOPLE.bob));
    expect(homeText(PEOPLE.bob)).not.toContain('incident 42');
    expect((await slack.sendCommand(PEOPLE.bob, '/freeze', 'production 2h incident 42', 'deploys')).status).toBe(200);
    await eventually('Bob\'s Home showing the freeze', async () => {
      await world.engine.engine.runUntilIdle();
      return homeText(PEOPLE.bob).includes('incident 42');
    });
    expect(slack.violations).toEqual([]);
  }, 60_000);
});
