import { and, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { ActionIds, BlockIds, CallbackIds } from '../../src/adapters/slack/action-ids.js';
import type { EmulatedEphemeral, EmulatedMessage, EmulatedView } from '../../src/sandbox/slack-emulator/index.js';
import { mintVersionSet } from '../../src/store/repos/drizzle-version-set-store.js';
import { releaseEvents, versionSets } from '../../src/store/schema/index.js';
import { drive, seedServing } from '../support/fakes/engine-harness.js';
import { exampleShopConfig } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { cardOf, useSlackEngine, whatShips } from '../support/slack-engine.js';
import { eventually } from '../support/slack-wait.js';

type Json = Record<string, unknown>;

/**
 * Rolling a release forward with a fix, from Slack: `/release supersede <id> <service>@<version>`,
 * the card's Roll forward… modal, and the busy /deploy that names the command — signed requests
 * against the app and the Slack emulator in strict mode, over the real engine on PGlite.
 */
describe('supersede from Slack: roll a release forward with a fix', () => {
  const config = exampleShopConfig();
  const world = useSlackEngine(config);
  const everything = ['web', 'checkout', 'payments', 'inventory'];

  beforeEach(async () => {
    await seedServing(
      world.database.db,
      ['staging', 'production'].flatMap((environment) => everything.map((service) => ({ environment, service, version: 'v1' }))),
      world.engine.clock.now(),
    );
    await mintVersionSet(world.database.db, Object.fromEntries(everything.map((service) => [service, 'v1'])));
  });

  /** Does `act` as `user` and answers the next ephemeral `user` gets (the command's answer, or the click's). */
  async function answered(user: string, act: () => Promise<{ status: number }>): Promise<EmulatedEphemeral> {
    const before = world.harness.slack.ephemeralsFor(user).length;
    expect((await act()).status).toBe(200);
    return eventually('an answer', () => world.harness.slack.ephemeralsFor(user)[before]);
  }

  function command(user: string, name: string, text: string): Promise<EmulatedEphemeral> {
    return answered(user, () => world.harness.slack.sendCommand(user, name, text, 'deploys'));
  }

  /** checkout@v2 to staging, baking at 100%: a release in flight to supersede. */
  async function checkoutV2Baking(): Promise<string> {
    const answer = await command(PEOPLE.alice, '/deploy', 'checkout@v2 to staging');
    const id = /Release `([\w-]+)` planned/.exec(answer.text)?.[1];
    if (!id) throw new Error(`no release in: ${answer.text}`);
    expect(await drive(world.engine, async () => (await world.engine.engine.releases.status(id))?.status === 'running')).toBe(true);
    return id;
  }



  const cardShipping = (id: string, version: string) =>
    eventually(`the card shipping ${version}`, async () => {
      const card = await cardOf(world, id);
      return whatShips(card).includes(`*${version}*`) ? card : undefined;
    });

  async function supersededEvents(id: string) {
    const rows = await world.database.db.select().from(releaseEvents).where(and(eq(releaseEvents.releaseId, id), eq(releaseEvents.kind, 'transition')));
    return rows.filter((row) => row.type.split('+').includes('superseded'));
  }

  async function refusalCodes(id: string): Promise<string[]> {
    const rows = await world.database.db.select().from(releaseEvents).where(and(eq(releaseEvents.releaseId, id), eq(releaseEvents.kind, 'refusal')));
    return rows.map((row) => (row.data as { code: string }).code);
  }

  async function openRollForward(user: string, card: EmulatedMessage): Promise<EmulatedView> {
    const { slack } = world.harness;
    const open = slack.openViews(user).length;
    expect((await slack.clickButton(user, card, ActionIds.supersede)).status).toBe(200);
    return eventually('the roll-forward form', () => slack.openViews(user)[open]);
  }

  function serviceElementOf(form: EmulatedView): Json {
    const block = (form.view.blocks as Json[]).find((candidate) => candidate.block_id === BlockIds.supersedeService);
    return block?.element as Json;
  }

  it('/release supersede rolls the release forward: the card ships the fix, its thread and /release history say who did it', async () => {
    const { slack } = world.harness;
    const id = await checkoutV2Baking();
    expect(whatShips(await cardOf(world, id))).toContain('`checkout` `v1` → *v2*');

    const help = await command(PEOPLE.alice, '/release', 'help');
    expect(JSON.stringify(help.blocks)).toContain('`/release supersede &lt;id&gt; [with] &lt;service&gt;@&lt;version&gt;` — roll forward with a fix');

    const answer = await command(PEOPLE.alice, '/release', `supersede ${id} with checkout@v3`);
    expect(answer.text).toMatch(new RegExp(`^Release \`${id}\` now ships checkout@v3 \\(version set #\\d+\\): it rolls forward from the current stage\\. Its card is in #deploys\\.$`));

    const card = await cardShipping(id, 'v3');
    expect(whatShips(card)).toContain('`checkout` `v1` → *v3* · <https://github.com/acme/checkout/compare/v1...v3|compare>');
    await eventually('the thread line', () => slack.thread('deploys', card.ts).some((line) => line.text.includes('checkout superseded by v3')));
    const history = await command(PEOPLE.alice, '/release', 'history checkout');
    expect(JSON.stringify(history.blocks)).toContain(`<@${PEOPLE.alice}> superseded checkout with v3`);

    // The fix is what converges: a fresh infra-set of v3 replaces the v2 one that was baking.
    expect(await drive(world.engine, async () => (await world.engine.engine.releases.status(id))?.status === 'succeeded')).toBe(true);
    expect(world.engine.ports.infra.provisioned.map((request) => request.version)).toEqual(['v2', 'v3']);
    expect(await supersededEvents(id)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  }, 90_000);

  it('Roll forward… opens a modal with the release’s service chosen; a bad version stays in the form; submitting it twice supersedes once', async () => {
    const { slack } = world.harness;
    const id = await checkoutV2Baking();
    const form = await openRollForward(PEOPLE.alice, await cardOf(world, id));
    expect(form.view.callback_id).toBe(CallbackIds.supersedeForm);
    expect(serviceElementOf(form)).toMatchObject({ type: 'static_select', initial_option: { value: 'checkout', text: { text: 'checkout · ships v2' } } });

    // Bad input stays in the form, each error next to its field: no service chosen, a version with a space.
    await slack.submitView(PEOPLE.alice, form.id, { [ActionIds.supersedeService]: 'nope', [ActionIds.supersedeVersion]: 'v 3' });
    expect(slack.view(form.id)?.errors).toEqual({ [BlockIds.supersedeService]: 'Choose the service the fix replaces.', [BlockIds.supersedeVersion]: expect.stringContaining('without spaces') });
    await slack.submitView(PEOPLE.alice, form.id, { [ActionIds.supersedeVersion]: 'v 3' });
    expect(slack.view(form.id)?.errors).toEqual({ [BlockIds.supersedeVersion]: expect.stringContaining('without spaces') });

    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    const values = { [ActionIds.supersedeVersion]: 'v3' };
    // The same submission arrives twice (a double click on Roll forward, a redelivery).
    const responses = await Promise.all([slack.submitView(PEOPLE.alice, form.id, values), slack.submitView(PEOPLE.alice, form.id, values)]);
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expect(slack.view(form.id)).toBeUndefined();
    const answer = await eventually('the answer in the card’s channel', () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    expect(answer).toMatchObject({ via: 'chat.postEphemeral', channel: (await cardOf(world, id)).channel });
    expect(answer.text).toContain(`Release \`${id}\` now ships checkout@v3`);
    await cardShipping(id, 'v3');

    // A later command is answered after the second delivery was looked at: it said nothing and did nothing.
    await command(PEOPLE.alice, '/release', id);
    expect(slack.ephemeralsFor(PEOPLE.alice).slice(before).filter((ephemeral) => ephemeral.text.includes('checkout@v3'))).toHaveLength(1);
    expect(await supersededEvents(id)).toHaveLength(1);
    const minted = await world.database.db.select().from(versionSets).where(eq(versionSets.source, 'supersede'));
    expect(minted).toHaveLength(1);

    // The same fix through a second form changes nothing either, and says so.
    const again = await openRollForward(PEOPLE.alice, await cardOf(world, id));
    const repeated = await answered(PEOPLE.alice, () => slack.submitView(PEOPLE.alice, again.id, values));
    expect(repeated.text).toBe(`Release \`${id}\` already ships checkout@v3; nothing changed. Its card is in #deploys.`);
    expect(await supersededEvents(id)).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  }, 90_000);

  it('refuses clearly: who may not, a misspelt or unshipped service, an unknown release or subcommand, a finished release', async () => {
    const { slack } = world.harness;
    const id = await checkoutV2Baking();

    const denied = await command(PEOPLE.mallory, '/release', `supersede ${id} checkout@v3`);
    expect(denied.text).toContain(`<@${PEOPLE.mallory}> may not supersede this release: only its requester`);
    expect(JSON.stringify(denied.blocks)).toContain('code `not_authorized`');

    const misspelt = await command(PEOPLE.alice, '/release', `supersede ${id} chekout@v3`);
    expect(misspelt.text).toBe('There is no service called `chekout`. Did you mean checkout?');
    expect(misspelt.via).toBe('ack');

    const unshipped = await command(PEOPLE.alice, '/release', `supersede ${id} web@v3`);
    expect(unshipped.text).toMatch(new RegExp(`^web is not .*shipped by release ${id}\\. It ships checkout\\.$`));
    expect(JSON.stringify(unshipped.blocks)).toContain('code `not_in_release`');

    const unknown = await command(PEOPLE.alice, '/release', `supersede ${id}x checkout@v3`);
    expect(unknown.text).toBe(`There is no release \`${id}x\`. Did you mean /release supersede ${id} checkout@v3?`);

    const subcommand = await command(PEOPLE.alice, '/release', `supercede ${id} checkout@v3`);
    expect(subcommand.text).toContain('Did you mean /release supersede?');

    // The modal refuses whoever may not, in the card's channel, once it has closed.
    const form = await openRollForward(PEOPLE.mallory, await cardOf(world, id));
    const refused = await answered(PEOPLE.mallory, () => slack.submitView(PEOPLE.mallory, form.id, { [ActionIds.supersedeVersion]: 'v3' }));
    expect(refused).toMatchObject({ via: 'chat.postEphemeral', text: expect.stringContaining(`<@${PEOPLE.mallory}> may not supersede this release`) });

    // Nothing was superseded, and the refusals the engine saw are in the audit log.
    expect(await supersededEvents(id)).toHaveLength(0);
    expect(await refusalCodes(id)).toEqual(['not_authorized', 'not_in_release', 'not_authorized']);

    expect(await drive(world.engine, async () => (await world.engine.engine.releases.status(id))?.status === 'succeeded')).toBe(true);
    const finished = await command(PEOPLE.alice, '/release', `supersede ${id} checkout@v3`);
    expect(finished.text).toBe(`Release ${id} has finished`);
    expect(slack.violations).toEqual([]);
  }, 90_000);

  it('a /deploy a release is in the way of names the supersede command, and the command copied from it rolls that release forward', async () => {
    const id = await checkoutV2Baking();
    const busy = await command(PEOPLE.alice, '/deploy', 'checkout@v3 to staging');
    expect(JSON.stringify(busy.blocks)).toContain('code `environment_busy`');
    const copied = /`(\/release supersede [^`]+)`/.exec(busy.text)?.[1];
    expect(copied).toBe(`/release supersede ${id} checkout@v3`);

    const [name = '', ...text] = copied!.split(' ');
    const answer = await command(PEOPLE.alice, name, text.join(' '));
    expect(answer.text).toContain(`Release \`${id}\` now ships checkout@v3`);
    await cardShipping(id, 'v3');
    expect(world.harness.slack.violations).toEqual([]);
  }, 90_000);
});
