import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { createEngine, type Engine } from '../../src/app/create-engine.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind } from '../support/databases.js';
import { seedServing, silentLogger } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { fakePorts } from '../support/fakes/fake-ports.js';
import { PEOPLE, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';

/**
 * Issue 11.3: every accepted operator action advances the release and renders its card in the
 * same turn (ack → decide → commit → run the lanes). Here nothing else drives the engine: no
 * scheduler, no tick, no outbox run by the test, and the clock stands still. Whatever moves, moves
 * because a signed Slack request was accepted.
 */
describe('operator actions take effect at once, with no scheduler beat', () => {
  let database: Database;
  let harness: SlackHarness;
  let engine: Engine;
  const ports = fakePorts();
  const clock = new ManualClock(TUESDAY_MORNING);
  const config = exampleShopConfig({
    production: {
      stages: [
        { name: 'canary', weight: 1, bake: '1h' },
        { name: 'early', weight: 10, bake: '1h' },
        { name: 'full', weight: 100, bake: '1h' },
      ],
      health: { interval: '10m', failAfter: 2, holdAfter: 3 },
    },
  });

  beforeAll(async () => {
    database = await pgliteKind.open();
    await seedServing(database.db, [
      { environment: 'staging', service: 'checkout', version: 'v2' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], clock.now());
    harness = await startSlackHarness({
      database,
      clock,
      config,
      releases: (chat) => {
        engine = createEngine({ db: database.db, config, clock, ports: { ...ports, chat }, logger: silentLogger });
        return engine.releases;
      },
    });
  });
  afterAll(async () => {
    await engine?.stop();
    await harness?.stop();
    await database?.close();
  });

  function cardOf(id: string): EmulatedMessage | undefined {
    return harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
  }
  const cardShows = (id: string, text: string) => () => {
    const card = cardOf(id);
    return card && JSON.stringify(card.blocks).includes(text) ? card : undefined;
  };

  async function click(user: string, id: string, actionId: string): Promise<void> {
    const before = harness.slack.ephemeralsFor(user).length;
    expect((await harness.slack.clickButton(user, cardOf(id)!, actionId)).status).toBe(200);
    await eventually(`an answer to ${actionId}`, () => harness.slack.ephemeralsFor(user).length > before);
  }

  const trafficTo = (weight: number) => () => ports.traffic.applied.some((change) => Object.values(change.weights).includes(weight) && change.target.environment === 'production');

  it('deploy posts the card; approve, pause, resume and promote each move the release and its card in the same turn', async () => {
    const { slack } = harness;
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v2 to production', 'deploys')).status).toBe(200);
    const answer = await eventually('the deploy answer', () => slack.ephemeralsFor(PEOPLE.alice).find((ephemeral) => ephemeral.text.includes('planned')));
    const id = /Release `([\w-]+)` planned/.exec(answer.text)![1]!;
    // The card is posted from the deploy's own commit.
    await eventually('the card, waiting for an approval', cardShows(id, ActionIds.approve));

    // Approve: provisioned and at 1% — the infra and traffic calls ran in the approval's turn.
    await click(PEOPLE.bob, id, ActionIds.approve);
    await eventually('the 1% traffic call', trafficTo(1));
    expect(ports.infra.provisioned.map((request) => request.version)).toEqual(['v2']);
    await eventually('the card showing the approval and the running canary', () => {
      const card = cardOf(id);
      const blocks = JSON.stringify(card?.blocks ?? []);
      return blocks.includes('<@U0BOB>') && blocks.includes(ActionIds.pause);
    });

    await click(PEOPLE.bob, id, ActionIds.pause);
    await eventually('the card showing the pause', cardShows(id, ActionIds.resume));
    expect((await engine.releases.status(id))?.status).toBe('paused');

    await click(PEOPLE.bob, id, ActionIds.resume);
    await eventually('the card showing it resumed', () => {
      const blocks = JSON.stringify(cardOf(id)?.blocks ?? []);
      return blocks.includes(ActionIds.pause) && !blocks.includes(ActionIds.resume);
    });

    // Promote skips the hour-long bake: the 10% traffic call runs in the promotion's turn.
    await click(PEOPLE.bob, id, ActionIds.promote);
    await eventually('the 10% traffic call', trafficTo(10));
    // The clock never moved and nothing ticked: every step above came from an accepted request.
    expect(clock.now().toISOString()).toBe(new Date(TUESDAY_MORNING).toISOString());
    expect(slack.violations).toEqual([]);
  }, 90_000);
});
