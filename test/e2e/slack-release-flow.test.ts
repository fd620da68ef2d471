import { and, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import type { ReleaseStatus } from '../../src/domain/release/types.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { releaseEvents } from '../../src/store/schema/index.js';
import { drive } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { useSlackEngine } from '../support/slack-engine.js';

/**
 * The whole path on loopback with the real release engine: signed slash commands and button clicks
 * built from the cards the engine actually posted through SlackChat to the strict Slack emulator,
 * the engine advanced in virtual time (ManualClock) by its tick and outbox runs.
 */
describe('a release driven from Slack, on the engine', () => {
  // The example shop with shorter bakes: the same gates and stages, fewer virtual minutes to walk.
  const config = exampleShopConfig({
    staging: { stages: [{ name: 'full', weight: 100, bake: '1m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
    production: {
      stages: [
        { name: 'canary', weight: 1, bake: '3m' },
        { name: 'full', weight: 100, bake: '2m' },
      ],
      health: { interval: '1m', failAfter: 2, holdAfter: 3 },
    },
  });

  const world = useSlackEngine(config, { serving: [{ environment: 'staging', service: 'checkout', version: 'v1' }, { environment: 'production', service: 'checkout', version: 'v1' }] });

  async function deploy(text: string): Promise<string> {
    const { slack } = world.harness;
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', text, 'deploys')).status).toBe(200);
    const answer = await eventually('the deploy answer', () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    const id = /Release `([\w-]+)` planned/.exec(answer.text)?.[1];
    if (!id) throw new Error(`no release in: ${answer.text}`);
    return id;
  }

  async function statusOf(id: string): Promise<ReleaseStatus | undefined> {
    return (await world.engine.engine.releases.status(id))?.status;
  }

  /** Runs the engine (ticks and all outbox lanes, chat included) until the release is in `status`. */
  async function driveTo(id: string, done: (status: ReleaseStatus | undefined) => boolean): Promise<void> {
    const reached = await drive(world.engine, async () => done(await statusOf(id)));
    expect(reached, `release ${id} never reached the expected state (now ${await statusOf(id)})`).toBe(true);
  }

  function cardOf(id: string): EmulatedMessage {
    const card = world.harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
    if (!card) throw new Error(`no card for ${id}`);
    return card;
  }

  async function click(user: string, id: string, actionId: string): Promise<void> {
    const before = world.harness.slack.ephemeralsFor(user).length;
    expect((await world.harness.slack.clickButton(user, cardOf(id), actionId)).status).toBe(200);
    // Every press is answered to the presser (done or refused), after the service has run.
    await eventually(`an answer to ${actionId}`, () => world.harness.slack.ephemeralsFor(user).length > before);
  }

  function lastAnswer(user: string): string {
    const last = world.harness.slack.ephemeralsFor(user).at(-1);
    return `${last?.text ?? ''}`;
  }

  it('/deploy → card → the requester (no approver) refused → approved by a release manager → pause, resume → promote → succeeded', async () => {
    const { slack } = world.harness;
    const id = await deploy('checkout@v2 to production');
    await driveTo(id, (status) => status === 'waiting');
    const card = cardOf(id);
    expect(JSON.stringify(card.blocks)).toContain(ActionIds.approve);

    await click(PEOPLE.alice, id, ActionIds.approve);
    expect(lastAnswer(PEOPLE.alice)).toContain(`<@${PEOPLE.alice}> may not approve this release`);
    expect(await statusOf(id)).toBe('waiting');
    // The refusal is in the audit log, with who tried.
    const refusals = await world.database.db.select().from(releaseEvents).where(and(eq(releaseEvents.releaseId, id), eq(releaseEvents.kind, 'refusal')));
    expect(refusals).toEqual([expect.objectContaining({ actor: PEOPLE.alice, data: { code: 'not_authorized' } })]);

    await click(PEOPLE.bob, id, ActionIds.approve);
    expect(lastAnswer(PEOPLE.bob)).toContain('You approved');
    await driveTo(id, (status) => status === 'running');
    await world.engine.engine.runUntilIdle();
    expect(JSON.stringify(cardOf(id).blocks)).toContain('<@U0BOB>');
    expect(JSON.stringify(cardOf(id).blocks)).toContain(ActionIds.pause);

    await click(PEOPLE.bob, id, ActionIds.pause);
    expect(await statusOf(id)).toBe('paused');
    await world.engine.engine.runUntilIdle();
    expect(JSON.stringify(cardOf(id).blocks)).toContain(ActionIds.resume);
    await click(PEOPLE.bob, id, ActionIds.resume);
    expect(await statusOf(id)).not.toBe('paused');
    await world.engine.engine.runUntilIdle();

    // Promote skips the bake of the stage in progress: once per press, whatever the stage.
    await eventually('a promotable card', async () => {
      await world.engine.engine.runUntilIdle();
      return JSON.stringify(cardOf(id).blocks).includes(ActionIds.promote);
    });
    await click(PEOPLE.bob, id, ActionIds.promote);
    expect(lastAnswer(PEOPLE.bob)).toContain('promoted');

    await driveTo(id, (status) => status === 'succeeded');
    await world.engine.engine.runUntilIdle();
    const done = cardOf(id);
    expect(done.ts).toBe(card.ts);
    expect(done.updates).toBeGreaterThan(3);
    expect(done.text).toContain('Succeeded');
    expect(JSON.stringify(done.blocks)).not.toContain('"type":"actions"');
    expect(slack.thread('deploys', card.ts).length).toBeGreaterThan(0);
    // One card per release, updated in place.
    expect(slack.messages('deploys').filter((message) => message.text.includes(`Release ${id} `))).toHaveLength(1);
    expect(slack.violations).toEqual([]);
  }, 90_000);

  it('charts in the thread: a passed stage and, at once, a failed canary are shared as PNG images with their alt text through files.uploadV2', async () => {
    const { slack } = world.harness;
    const id = await deploy('checkout@v2 to production');
    await driveTo(id, (status) => status === 'waiting');
    world.engine.ports.health.set('checkout', 'v2', 'fail');
    try {
      await click(PEOPLE.bob, id, ActionIds.approve);
      await driveTo(id, (status) => status === 'rolled_back');
      await world.engine.engine.runUntilIdle();
    } finally {
      world.engine.ports.health.set('checkout', 'v2', 'pass');
    }
    const shared = slack.thread('deploys', cardOf(id).ts).filter((message) => (message.files ?? []).length > 0);
    const files = shared.flatMap((message) => message.files ?? []);
    expect(files.map((file) => file.title)).toEqual(['checkout full in staging: passed', 'checkout canary in production: failed']);
    for (const file of files) {
      expect(file.mimetype).toBe('image/png');
      const stored = slack.file(file.id);
      expect(stored?.completed).toBe(true);
      expect(stored?.bytes?.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
    expect(files[1]!.altText).toMatch(/^checkout@v2 canary \(1%\) in production: failed at \d\d:\d\d UTC\. errors \(fail\): error rate 2\.40%, baseline 0\.50%, limit 1\.00% over 2 readings$/);
    // The failed canary's chart is in the thread before the line saying traffic went back.
    const thread = slack.thread('deploys', cardOf(id).ts);
    const chartAt = thread.findIndex((message) => message.files?.[0]?.id === files[1]!.id);
    const backAt = thread.findIndex((message) => message.text.includes('back on v1'));
    expect(chartAt).toBeGreaterThan(-1);
    expect(backAt).toBeGreaterThan(chartAt);
    expect(slack.callsTo('files.completeUploadExternal').every((call) => call.ok)).toBe(true);
    expect(slack.violations).toEqual([]);
  }, 90_000);

  it('verdict evidence: the card says how long the judge still needs, and Details opens the complete evidence in a modal', async () => {
    const { slack } = world.harness;
    const id = await deploy('checkout@v2 to production');
    await driveTo(id, (status) => status === 'waiting');
    world.engine.ports.health.set('checkout', 'v2', ['inconclusive', 'pass']);
    try {
      await click(PEOPLE.bob, id, ActionIds.approve);
      await eventually('a card with the evidence of an unclear reading', async () => {
        await drive(world.engine, async () => (await world.engine.engine.releases.status(id))?.health?.verdict === 'inconclusive', { maxSteps: 20 });
        await world.engine.engine.runUntilIdle();
        return JSON.stringify(cardOf(id).blocks).includes(ActionIds.verdictDetails);
      });
    } finally {
      world.engine.ports.health.set('checkout', 'v2', 'pass');
    }
    const card = JSON.stringify(cardOf(id).blocks);
    expect(card).toContain('needs ~4 more minutes of traffic at this rate');
    expect((await slack.clickButton(PEOPLE.carol, cardOf(id), ActionIds.verdictDetails)).status).toBe(200);
    const modal = await eventually('the evidence modal', () => slack.openViews(PEOPLE.carol)[0]);
    const text = JSON.stringify(modal.view);
    expect(modal.view).toMatchObject({ type: 'modal', title: { text: 'Verdict evidence' } });
    expect(text).toContain('checkout in production · canary');
    expect(text).toMatch(/sum:hits\{infra_set:is-r[\w]+-production-checkout\}/);
    expect(text).toContain('sum:hits{infra_set:is-seed-production-checkout-v1}');
    expect(text).toContain('1,200 requests');
    expect(text).toContain("2× the baseline's error rate (1.00%) — not decided yet");
    expect(text).toContain('log-likelihood ratio 2.10 (fails at ≥ 6.90, passes at ≤ -2.90), 30% of the way toward failing; needs ~4 more minutes of traffic at this rate to decide');
    expect(slack.violations).toEqual([]);
  }, 90_000);

  it('a repeated /deploy answers with the release in progress; overlapping ones are refused naming it; refusals show mentions and are audited', async () => {
    const { slack } = world.harness;
    const id = await deploy('checkout@v2 to production');
    const answer = async (user: string, text: string) => {
      const before = slack.ephemeralsFor(user).length;
      expect((await slack.sendCommand(user, '/deploy', text, 'deploys')).status).toBe(200);
      const reply = await eventually(`the answer to /deploy ${text}`, () => slack.ephemeralsFor(user)[before]);
      return `${reply.text} ${JSON.stringify(reply.blocks)}`;
    };
    expect(await answer(PEOPLE.alice, 'checkout@v2 to production')).toContain(`Already deploying: release \`${id}\``);
    expect((await world.engine.engine.releases.listActive()).map((view) => view.id)).toEqual([id]);

    const busy = await answer(PEOPLE.alice, 'checkout@v3 to production');
    expect(busy).toContain('environment_busy');
    expect(busy).toContain(`Release ${id} (checkout@v2 → production, requested by <@${PEOPLE.alice}>`);

    const outsider = await answer(PEOPLE.mallory, 'web@v9 to staging');
    expect(outsider).toContain(`<@${PEOPLE.mallory}> may not deploy web to staging`);
    expect(outsider).not.toContain('&lt;@');
    const audited = await world.database.db.select().from(releaseEvents).where(and(isNull(releaseEvents.releaseId), eq(releaseEvents.kind, 'refusal')));
    expect(audited.map((row) => [row.actor, (row.data as { code: string }).code])).toEqual([
      [PEOPLE.alice, 'environment_busy'],
      [PEOPLE.mallory, 'not_authorized'],
    ]);
    expect(slack.violations).toEqual([]);
  }, 90_000);

  it('held means held: unclear health holds the canary, a later passing reading only says so, and only Resume moves it', async () => {
    const { slack } = world.harness;
    const id = await deploy('checkout@v2 to production');
    // Staging converges on passing readings; production waits for its approval.
    await driveTo(id, (status) => status === 'waiting');
    world.engine.ports.health.set('checkout', 'v2', ['inconclusive', 'inconclusive', 'inconclusive', 'pass']);
    await click(PEOPLE.bob, id, ActionIds.approve);
    await driveTo(id, (status) => status === 'held');
    await world.engine.engine.runUntilIdle();
    const heldCard = JSON.stringify(cardOf(id).blocks);
    expect(cardOf(id).text).toContain('Held');
    expect(heldCard).toMatch(/Held at 1% \(checkout in production canary\) since <!date\^\d+\^/);
    expect(heldCard).toContain('#team-checkout');
    expect(heldCard).toContain(`<@${PEOPLE.alice}>`);
    expect(heldCard).toContain(ActionIds.resume);

    // Well after the 3-minute bake (held at 15:04), with every reading since the hold passing: still at 1%.
    const shiftsBefore = world.engine.ports.traffic.history('checkout', 'production').length;
    await drive(world.engine, () => false, { until: new Date(Date.parse(TUESDAY_MORNING) + 15 * 60_000) });
    expect(world.engine.ports.traffic.history('checkout', 'production')).toHaveLength(shiftsBefore);
    expect(world.engine.ports.traffic.history('checkout', 'production').at(-1)).toMatchObject({ 'is-seed-production-checkout-v1': 99 });
    expect(await statusOf(id)).toBe('held');
    await world.engine.engine.runUntilIdle();
    expect(JSON.stringify(cardOf(id).blocks)).toMatch(/Health passing again since <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+> — press \*Resume\*/);

    // `/release list` and App Home say held too.
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    await slack.sendCommand(PEOPLE.alice, '/release', 'list', 'deploys');
    const list = await eventually('the release list', () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    expect(JSON.stringify(list.blocks)).toMatch(new RegExp(`${id}.*Held`));
    await slack.openHome(PEOPLE.alice);
    const home = await eventually('App Home', () => slack.home(PEOPLE.alice));
    expect(JSON.stringify(home.view.blocks)).toMatch(new RegExp(`${id}.*Held`));

    await click(PEOPLE.bob, id, ActionIds.resume);
    await driveTo(id, (status) => status === 'succeeded');
    expect(world.engine.ports.traffic.history('checkout', 'production').length).toBeGreaterThan(shiftsBefore);
    expect(slack.violations).toEqual([]);
  }, 180_000);

  it('the card reads at a glance: date tokens, the stage it awaits a reading from, a rollback reason said once, no internal noise', async () => {
    const id = await deploy('checkout@v2 to production');
    await driveTo(id, (status) => status === 'waiting');
    world.engine.ports.health.set('checkout', 'v2', 'fail');
    await click(PEOPLE.bob, id, ActionIds.approve);
    // The canary has started in production; its first reading is a minute away.
    expect(await drive(world.engine, async () => world.engine.ports.traffic.history('checkout', 'production').length > 0 && (await world.engine.engine.releases.status(id))?.environments.at(-1)?.services[0]?.stages[0]?.state === 'running')).toBe(true);
    await world.engine.engine.runUntilIdle();
    const fresh = JSON.stringify(cardOf(id).blocks);
    expect(fresh).toContain('awaiting the first reading of production canary');
    expect(fresh).not.toContain('in staging full');

    await driveTo(id, (status) => status === 'rolled_back');
    await world.engine.engine.runUntilIdle();
    const card = cardOf(id);
    const text = JSON.stringify(card.blocks);
    expect(text.split('failed health in production')).toHaveLength(2);
    expect(text).toMatch(/Finished <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>/);
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(text).not.toMatch(/card v\d/);
    expect(text).not.toContain('✓ none');
    expect(world.harness.slack.violations).toEqual([]);
  }, 90_000);

  it('the Roll back button returns traffic to the previous infra-set, and a double click rolls back once', async () => {
    const id = await deploy('checkout@v3 to staging');
    await driveTo(id, (status) => status === 'running');
    await world.engine.engine.runUntilIdle();
    const ports = world.engine.ports;
    expect(ports.traffic.weights.size).toBeGreaterThan(0);

    const card = cardOf(id);
    // Slack is rate-limiting card updates: the rollback must not wait for it.
    world.harness.slack.rateLimit('chat.update', 3, 30);
    const before = world.harness.slack.ephemeralsFor(PEOPLE.alice).length;
    await Promise.all([world.harness.slack.clickButton(PEOPLE.alice, card, ActionIds.rollback), world.harness.slack.clickButton(PEOPLE.alice, card, ActionIds.rollback)]);
    await eventually('the rollback answer', () => world.harness.slack.ephemeralsFor(PEOPLE.alice).length > before);
    await driveTo(id, (status) => status === 'rolled_back');
    await world.engine.engine.runUntilIdle();

    const history = ports.traffic.history('checkout', 'staging');
    const last = history.at(-1) ?? {};
    expect(last['is-seed-staging-checkout-v1']).toBe(100);
    // Traffic is back while the card still waits out Slack's 429s; in virtual time they pass.
    await eventually('the card catches up', async () => {
      world.engine.clock.advance(60_000);
      await world.engine.engine.runUntilIdle();
      return cardOf(id).text.includes('Rolled back');
    });
    expect(world.harness.slack.callsTo('chat.update').some((call) => call.error === 'ratelimited')).toBe(true);
    // The owning team hears of it in its channel.
    expect(world.harness.slack.messages('team-checkout').some((message) => message.text.includes(id) || /roll/i.test(message.text))).toBe(true);
    // The second press of the same card was recognised and did nothing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(world.harness.slack.ephemeralsFor(PEOPLE.alice).length).toBe(before + 1);
    expect(world.harness.slack.violations).toEqual([]);
  }, 90_000);
});
