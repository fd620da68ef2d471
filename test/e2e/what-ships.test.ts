import { beforeEach, describe, expect, it } from 'vitest';
import { mintVersionSet } from '../../src/store/repos/drizzle-version-set-store.js';
import { and, eq } from 'drizzle-orm';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { infraSets, mergeQueueEntries, releaseEvents } from '../../src/store/schema/index.js';
import { drive, seedServing } from '../support/fakes/engine-harness.js';
import { exampleShopConfig } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { cardOf, useSlackEngine, whatShips } from '../support/slack-engine.js';

const SHA_12 = 'a12a12a12a12a12a12a12a12a12a12a12a12a12a';
const SHA_13 = 'b13b13b13b13b13b13b13b13b13b13b13b13b13b';

/**
 * The card's "What ships", through the real Slack surface: a version set the merge queue minted
 * lists, per service, the pull requests between what serves and what ships, with their links — also
 * for a fix that superseded what a release was shipping.
 */
describe('what ships, with its links; no silent downgrade', () => {
  const config = exampleShopConfig();

  const world = useSlackEngine(config);
  beforeEach(async () => {
    const everything = ['web', 'checkout', 'payments', 'inventory'];
    await seedServing(
      world.database.db,
      ['staging', 'production'].flatMap((environment) => everything.map((service) => ({ environment, service, version: 'v1' }))),
      world.engine.clock.now(),
    );
    await mintVersionSet(world.database.db, Object.fromEntries(everything.map((service) => [service, 'v1'])));
  });

  /** Records a merge as the merge queue does: the pull request's entry, then the version set it mints. */
  async function merge(pullNumber: number, title: string, sha: string): Promise<number> {
    const at = world.engine.clock.now();
    await world.database.db.insert(mergeQueueEntries).values({
      repo: 'acme/checkout',
      baseBranch: 'main',
      pullNumber,
      title,
      author: 'alice',
      requestedBy: PEOPLE.alice,
      source: 'slack',
      status: 'merged',
      mergeCommitSha: sha,
      enqueuedAt: at,
      finishedAt: at,
      updatedAt: at,
    });
    const { versionSetId } = await world.engine.engine.versionSets.recordMerge({ service: 'checkout', version: sha, commitSha: sha, pullNumber, repo: 'acme/checkout' });
    return versionSetId;
  }

  async function deploy(text: string): Promise<string> {
    const { slack } = world.harness;
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', text, 'deploys')).status).toBe(200);
    const answer = await eventually('the deploy answer', () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    const id = /Release `([\w-]+)` planned/.exec(answer.text)?.[1];
    if (!id) throw new Error(`no release in: ${answer.text} ${JSON.stringify(answer.blocks)}`);
    return id;
  }



  it('lists the merged pull requests between the serving and the shipped version, newest first, with a compare link', async () => {
    await merge(12, 'Cart keeps coupons | across tabs', SHA_12);
    const set = await merge(13, 'Retry <payments> on 503', SHA_13);
    const id = await deploy(`set ${set} to production`);
    const ships = whatShips(await cardOf(world, id));

    expect(ships).toContain(`\`checkout\` \`v1\` → *${SHA_13}*`);
    expect(ships).toContain(`<https://github.com/acme/checkout/compare/v1...${SHA_13}|compare>`);
    expect(ships).toContain('<https://github.com/acme/checkout/pull/13|#13 Retry &lt;payments&gt; on 503>');
    expect(ships).toContain('<https://github.com/acme/checkout/pull/12|#12 Cart keeps coupons   across tabs>');
    expect(ships.indexOf('/pull/13')).toBeLessThan(ships.indexOf('/pull/12'));
    expect(ships).not.toContain('downgrade');
    expect(world.harness.slack.violations).toEqual([]);
  }, 60_000);

  it('after a supersede, lists the merged pull requests of the fix, not only a compare link', async () => {
    const shipped = await merge(12, 'Cart keeps coupons', SHA_12);
    const id = await deploy(`set ${shipped} to staging`);
    expect(await drive(world.engine, async () => (await world.engine.engine.releases.status(id))?.status === 'running')).toBe(true);
    expect(whatShips(await cardOf(world, id))).toContain('<https://github.com/acme/checkout/pull/12|#12 Cart keeps coupons>');

    // The fix merges while the release bakes, and rolls forward in its place.
    await merge(13, 'Retry payments on 503', SHA_13);
    const superseded = await world.engine.engine.releases.act({ verb: 'supersede', actor: { userId: PEOPLE.alice, userGroupIds: [] }, releaseId: id, service: 'checkout', version: SHA_13 });
    expect(superseded.kind).toBe('accepted');
    const ships = await eventually('the card showing the fix', async () => {
      const shown = whatShips(await cardOf(world, id));
      return shown.includes(SHA_13) ? shown : undefined;
    });
    expect(ships).toContain(`\`checkout\` \`v1\` → *${SHA_13}* · <https://github.com/acme/checkout/compare/v1...${SHA_13}|compare>`);
    // Staging still serves v1: the fix ships both merges over it, newest first.
    expect(ships).toContain('<https://github.com/acme/checkout/pull/13|#13 Retry payments on 503> · <https://github.com/acme/checkout/pull/12|#12 Cart keeps coupons>');
    expect(world.harness.slack.violations).toEqual([]);
  }, 60_000);

  it('a single-service deploy of a tag links the compare view of the two tags', async () => {
    const id = await deploy('checkout@v2 to staging');
    const ships = whatShips(await cardOf(world, id));
    expect(ships).toContain('`checkout` `v1` → *v2* · <https://github.com/acme/checkout/compare/v1...v2|compare>');
    expect(world.harness.slack.violations).toEqual([]);
  }, 60_000);

  /** Someone moved checkout on to `version` in both environments since the seeded sets. */
  async function serveCheckout(version: string): Promise<void> {
    for (const environment of ['staging', 'production']) {
      await world.database.db.update(infraSets).set({ version }).where(eq(infraSets.id, `is-seed-${environment}-checkout-v1`));
    }
  }

  it('an older set is refused until someone confirms the downgrade; the button names it, behind a confirm dialog, and the audit log names who', async () => {
    const { slack } = world.harness;
    await merge(12, 'Cart keeps coupons', SHA_12);
    await serveCheckout(SHA_12);

    // Set 1 predates the merge: shipping it would quietly take #12 back out of production.
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', 'set 1 to production', 'deploys')).status).toBe(200);
    const asked = await eventually('the downgrade question', () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    const question = JSON.stringify(asked.blocks);
    expect(asked.text).toContain(`Deploying version set #1 downgrades checkout ${SHA_12} → v1 in staging, production`);
    expect(question).toContain(`serving \`${SHA_12}\` → *v1*`);
    expect(question).toContain('_(older version set)_');
    const button = (asked.blocks as Array<{ type: string; elements?: Array<Record<string, unknown>> }>).find((block) => block.type === 'actions')!.elements![0]!;
    expect(button).toMatchObject({ action_id: ActionIds.deployDowngrade, text: { text: 'Deploy, downgrading checkout' }, style: 'danger', confirm: { confirm: { text: 'Deploy the downgrade' } } });
    expect(await world.engine.engine.releases.listActive()).toEqual([]);

    const answered = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.clickButton(PEOPLE.alice, asked, ActionIds.deployDowngrade)).status).toBe(200);
    const started = await eventually('the answer to the confirmed downgrade', () => slack.ephemeralsFor(PEOPLE.alice)[answered]);
    const id = /Release `([\w-]+)` planned/.exec(started.text)?.[1];
    expect(id, started.text).toBeDefined();

    // The card says it is a downgrade, who confirmed it, and what it takes back out.
    const card = await cardOf(world, id!);
    expect(JSON.stringify(card.blocks)).toMatch(new RegExp(`Downgrade of checkout confirmed by <@${PEOPLE.alice}> <!date\\^\\d+\\^`));
    const ships = whatShips(card);
    expect(ships).toContain(`\`checkout\` \`${SHA_12}\` → *v1* · :warning: *downgrade*`);
    expect(ships).toContain(`<https://github.com/acme/checkout/compare/v1...${SHA_12}|compare>`);
    expect(ships).toContain('takes back out: <https://github.com/acme/checkout/pull/12|#12 Cart keeps coupons>');
    expect(ships).toContain(':warning: moved on since set #1 was minted');

    const confirmed = await world.database.db.select().from(releaseEvents).where(and(eq(releaseEvents.releaseId, id!), eq(releaseEvents.actor, PEOPLE.alice)));
    expect(confirmed[0]?.type).toMatch(/^downgrade_confirmed\+/);
    expect(confirmed[0]?.message).toContain(`<@${PEOPLE.alice}> confirmed downgrading checkout ${SHA_12} → v1 in staging, production`);
    // The refused first ask is in the audit log too.
    const refusals = await world.database.db.select().from(releaseEvents).where(eq(releaseEvents.kind, 'refusal'));
    expect(refusals.map((row) => (row.data as { code: string }).code)).toEqual(['downgrade_unconfirmed']);
    expect(slack.violations).toEqual([]);
  }, 60_000);

  it('a single-service deploy to an older tag asks too, and /release history shows who confirmed it', async () => {
    const { slack } = world.harness;
    await serveCheckout('v3');
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    // checkout v3 → v2 is a semver downgrade, whatever the set order.
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v2 to production', 'deploys')).status).toBe(200);
    const asked = await eventually('the downgrade question', () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    expect(asked.text).toContain('Deploying checkout@v2 downgrades checkout v3 → v2 in staging, production');
    const answered = slack.ephemeralsFor(PEOPLE.alice).length;
    await slack.clickButton(PEOPLE.alice, asked, ActionIds.deployDowngrade);
    // The click's own answer comes after the release is saved: wait for it, or it could take the place
    // the history's answer is looked for in.
    const started = await eventually('the answer to the confirmed downgrade', () => slack.ephemeralsFor(PEOPLE.alice)[answered]);
    expect(started.text).toMatch(/Release `[\w-]+` planned/);
    expect(await world.engine.engine.releases.listActive()).toHaveLength(1);

    const historyAsked = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/release', 'history checkout', 'deploys')).status).toBe(200);
    const history = await eventually('the history', () => slack.ephemeralsFor(PEOPLE.alice)[historyAsked]);
    expect(JSON.stringify(history.blocks)).toContain('confirmed a downgrade');

    expect(slack.violations).toEqual([]);
  }, 60_000);

  it('the /deploy modal names a downgrade in its preview, and submitting it is the confirmation', async () => {
    const { slack } = world.harness;
    await serveCheckout('v3');
    await slack.sendCommand(PEOPLE.alice, '/deploy', '');
    const form = await eventually('the modal opened', () => slack.openViews(PEOPLE.alice)[0]);
    await slack.submitView(PEOPLE.alice, form.id, { deploy_service: 'checkout', deploy_version: 'v2', deploy_environment: 'production' });
    const preview = await eventually('the plan preview', () => {
      const view = slack.view(form.id);
      return view && (view.view.submit as { text?: string } | undefined) ? view : undefined;
    });
    expect((preview.view.submit as { text: string }).text).toBe('Deploy the downgrade');
    const shown = JSON.stringify(preview.view.blocks);
    expect(shown).toContain('This is a downgrade');
    expect(shown).toContain('checkout v3 → v2 in staging, production');
    expect(shown).toContain('checkout v3 → v2 (⚠ DOWNGRADE)');

    await slack.submitView(PEOPLE.alice, form.id, {});
    const dm = await eventually('a DM with the outcome', () => slack.directMessages(PEOPLE.alice).find((message) => message.text.includes('planned: checkout@v2')));
    const id = /Release `([\w-]+)` planned/.exec(dm.text)?.[1];
    const confirmed = await world.database.db.select().from(releaseEvents).where(and(eq(releaseEvents.releaseId, id!), eq(releaseEvents.actor, PEOPLE.alice)));
    expect(confirmed[0]?.message).toContain(`<@${PEOPLE.alice}> confirmed downgrading checkout v3 → v2`);
    expect(slack.violations).toEqual([]);
  }, 60_000);
});
