import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { mergeQueueSchema } from '../../src/config/delivery-schema.js';
import type { ReleaseStatus } from '../../src/domain/release/types.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { FakeGitHub } from '../support/fake-github.js';
import { drive } from '../support/fakes/engine-harness.js';
import { exampleShopConfig } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { useSlackEngine } from '../support/slack-engine.js';

/**
 * Stopping the line from Slack, on the real engine: `/freeze all` pauses every release (its card
 * says who stopped the line and why), freezes every environment (a new deploy waits), holds the
 * merge queues (the delivery status they read says so) and is announced in the deploy channels;
 * `/unfreeze all` resumes only what the stop paused, and the merge queues move on in the same turn.
 * App Home offers the same as a button to approvers.
 */
describe('stop the line', () => {
  const config = {
    ...exampleShopConfig({
      staging: { stages: [{ name: 'full', weight: 100, bake: '5m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
      production: { stages: [{ name: 'canary', weight: 1, bake: '5m' }, { name: 'full', weight: 100, bake: '2m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
    }),
    // The reconcile's own beat is too far off to come during a test.
    mergeQueue: mergeQueueSchema.parse({ repos: ['acme/checkout'], channels: { '*': '#deploys' }, lookupSlackUsersByEmail: false, reconcileIntervalSeconds: 3600 }),
  };

  const github = new FakeGitHub();
  beforeAll(async () => {
    await github.start();
    github.createRepo('acme/checkout');
  });
  afterAll(() => github.stop());

  const world = useSlackEngine(config, { serving: [{ environment: 'staging', service: 'checkout', version: 'v1' }, { environment: 'staging', service: 'web', version: 'v1' }], github });

  async function command(user: string, name: string, text: string): Promise<string> {
    const { slack } = world.harness;
    const before = slack.ephemeralsFor(user).length;
    expect((await slack.sendCommand(user, name, text, 'deploys')).status).toBe(200);
    const answer = await eventually(`the answer to ${name} ${text}`, () => slack.ephemeralsFor(user)[before]);
    return `${answer.text} ${JSON.stringify(answer.blocks)}`;
  }

  async function deploy(text: string, user: string = PEOPLE.alice): Promise<string> {
    const answer = await command(user, '/deploy', text);
    const id = /Release `([\w-]+)` planned/.exec(answer)?.[1];
    if (!id) throw new Error(`no release in: ${answer}`);
    return id;
  }

  const statusOf = async (id: string): Promise<ReleaseStatus | undefined> => (await world.engine.engine.releases.status(id))?.status;

  async function driveTo(id: string, status: ReleaseStatus): Promise<void> {
    expect(await drive(world.engine, async () => (await statusOf(id)) === status), `release ${id} is ${await statusOf(id)}, not ${status}`).toBe(true);
  }

  function cardOf(id: string): EmulatedMessage {
    const card = world.harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
    if (!card) throw new Error(`no card for ${id}`);
    return card;
  }

  it('/freeze all pauses every release, freezes every environment and holds the queues; /unfreeze all resumes what it paused', async () => {
    const { slack } = world.harness;
    const checkout = await deploy('checkout@v2 to staging');
    const web = await deploy('web@v2 to staging');
    await driveTo(checkout, 'running');
    await driveTo(web, 'running');
    // Someone paused web by hand before the stop: restarting the line must not resume it.
    expect(await command(PEOPLE.alice, '/release', web)).toContain(web);
    await slack.clickButton(PEOPLE.alice, cardOf(web), ActionIds.pause);
    await eventually('web paused', async () => (await statusOf(web)) === 'paused');

    expect(await command(PEOPLE.mallory, '/freeze', 'all no reason')).toContain('not_authorized');
    const stopped = await command(PEOPLE.bob, '/freeze', 'all "incident 42: payments down"');
    expect(stopped).toContain('The line is stopped');
    expect(stopped).toContain(`1 release paused (\`${checkout}\`)`);
    expect(await command(PEOPLE.bob, '/freeze', 'all again')).toContain('line_stopped');

    expect(await statusOf(checkout)).toBe('paused');
    await world.engine.engine.runUntilIdle();
    const card = JSON.stringify(cardOf(checkout).blocks);
    expect(card).toContain(`:octagonal_sign: Line stopped by <@${PEOPLE.bob}>`);
    expect(card).toContain('incident 42: payments down');
    expect(slack.thread('deploys', cardOf(checkout).ts).map((line) => line.text)).toContain(`:octagonal_sign: Line stopped by <@${PEOPLE.bob}>: incident 42: payments down`);
    expect(slack.messages('deploys').filter((message) => message.text.includes('stopped the line: incident 42'))).toHaveLength(1);

    // Every environment is frozen: a new deploy waits at the freeze gate, naming the stop.
    const inventory = await deploy('inventory@v2 to production', PEOPLE.bob);
    await driveTo(inventory, 'waiting');
    expect((await world.engine.engine.releases.status(inventory))?.summary).toContain('line stopped by');
    // The merge queues read the stop from the delivery status, whatever their pauseOnFreeze.
    expect(await world.engine.engine.deliveryStatus.lineStop(world.engine.clock.now())).toMatchObject({ frozen: true, reason: `line stopped by <@${PEOPLE.bob}>: incident 42: payments down` });
    expect(await world.engine.engine.deliveryStatus.freezeOf('production', world.engine.clock.now())).toMatchObject({ frozen: true });
    // A single environment's unfreeze does not restart the line.
    expect(await command(PEOPLE.bob, '/unfreeze', 'production')).toContain('not_frozen');

    // Time passes; nothing that was stopped moves.
    world.engine.clock.advance(30 * 60_000);
    await world.engine.engine.runUntilIdle();
    expect(await statusOf(checkout)).toBe('paused');
    expect(await statusOf(inventory)).toBe('waiting');

    const restarted = await command(PEOPLE.carol, '/unfreeze', 'all');
    expect(restarted).toContain(`1 release resumed (\`${checkout}\`)`);
    expect(await command(PEOPLE.carol, '/unfreeze', 'all')).toContain('line_not_stopped');
    expect(await statusOf(web)).toBe('paused');
    expect(await world.engine.engine.deliveryStatus.lineStop(world.engine.clock.now())).toEqual({ frozen: false });
    await driveTo(checkout, 'succeeded');
    await world.engine.engine.runUntilIdle();
    expect(slack.messages('deploys').some((message) => message.text.includes(`<@${PEOPLE.carol}> restarted the line`))).toBe(true);

    // The audit history names both.
    const history = await command(PEOPLE.alice, '/release', 'history');
    expect(history).toContain(`<@${PEOPLE.bob}> stopped the line`);
    expect(history).toContain(`<@${PEOPLE.carol}> restarted the line`);
    expect(slack.violations).toEqual([]);
  }, 120_000);

  it('/freeze all holds the merge queue at once and /unfreeze all moves it on at once, not at its next tick', async () => {
    const { slack } = world.harness;
    const pull = github.openPull('acme/checkout', { title: 'Cart keeps coupons' });
    github.finishChecks();
    expect(await command(PEOPLE.alice, '/queue', `add acme/checkout#${pull.number}`)).toContain(`acme/checkout#${pull.number} is in the merge queue, position 1`);
    const queue = world.mergeQueue!.queue;
    const paused = async () => (await queue.list()).queues.find((candidate) => candidate.repo === 'acme/checkout')?.paused ?? null;

    // The queue's own beat never comes in this test: only the engine's word moves it.
    await command(PEOPLE.bob, '/freeze', 'all "incident 43"');
    await world.engine.engine.runUntilIdle();
    const held = await eventually('the queue held', paused);
    expect(held).toMatchObject({ code: 'line_stopped', message: expect.stringContaining('incident 43') });
    expect(await command(PEOPLE.alice, '/queue', '')).toContain('paused: the line is stopped');
    expect(pull.merged).toBe(false);

    await command(PEOPLE.carol, '/unfreeze', 'all');
    await world.engine.engine.runUntilIdle();
    await eventually(`#${pull.number} merged`, () => pull.merged);
    expect(await paused()).toBeNull();
    const said = await eventually('the merge announced', () => {
      const texts = slack.messages('deploys').map((message) => message.text);
      return texts.some((text) => text.includes(`acme/checkout#${pull.number}>`) && text.includes('merged as')) ? texts : undefined;
    });
    expect(said.some((text) => text.includes('merge queue of acme/checkout → `main` is paused (`line_stopped`)'))).toBe(true);
    expect(said.some((text) => text.includes('merge queue of acme/checkout → `main` resumed merging'))).toBe(true);
    expect(slack.violations).toEqual([]);
  }, 120_000);

  it('App Home offers approvers a button that stops and restarts the line', async () => {
    const { slack } = world.harness;
    const checkout = await deploy('checkout@v2 to staging');
    await driveTo(checkout, 'running');

    await slack.openHome(PEOPLE.alice);
    const aliceHome = await eventually('Alice’s home', () => slack.home(PEOPLE.alice));
    expect(JSON.stringify(aliceHome.view.blocks)).not.toContain(ActionIds.stopTheLine);

    await slack.openHome(PEOPLE.bob);
    const home = await eventually('Bob’s home', () => slack.home(PEOPLE.bob));
    expect(JSON.stringify(home.view.blocks)).toContain(ActionIds.stopTheLine);
    await slack.clickButton(PEOPLE.bob, home, ActionIds.stopTheLine);
    await eventually('the release paused', async () => (await statusOf(checkout)) === 'paused');
    const stoppedHome = await eventually('Home shows the stop', () => {
      const current = slack.home(PEOPLE.bob);
      return current && JSON.stringify(current.view.blocks).includes(ActionIds.restartTheLine) ? current : undefined;
    });
    expect(JSON.stringify(stoppedHome.view.blocks)).toContain('The line is stopped');
    expect(JSON.stringify(stoppedHome.view.blocks)).toContain('every environment');
    expect(slack.directMessages(PEOPLE.bob).map((message) => message.text)).toContain(':octagonal_sign: You stopped the line.');

    await slack.clickButton(PEOPLE.bob, stoppedHome, ActionIds.restartTheLine);
    await eventually('the release resumed', async () => (await statusOf(checkout)) === 'running');
    await eventually('Home offers the stop again', () => JSON.stringify(slack.home(PEOPLE.bob)?.view.blocks ?? []).includes(ActionIds.stopTheLine));
    expect(slack.violations).toEqual([]);
  }, 120_000);
});
