import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import type { ReleaseStatus } from '../../src/domain/release/types.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { releaseEvents } from '../../src/store/schema/index.js';
import { drive } from '../support/fakes/engine-harness.js';
import { exampleShopConfig } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { useSlackEngine } from '../support/slack-engine.js';

/**
 * Who may roll back, through signed Slack requests to the real app on the engine: the owning team
 * and every approver group — also in staging, which has no `approvals` block — by button and by
 * `/rollback`; a refusal names the action refused and is in the audit history; and an Approve from someone who may not approve
 * says only that, whatever state the release is in.
 */
describe('roll back and approve authorization, from Slack', () => {
  const config = exampleShopConfig({
    staging: { stages: [{ name: 'full', weight: 100, bake: '10m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
  });

  const world = useSlackEngine(config, { serving: [{ environment: 'staging', service: 'checkout', version: 'v1' }, { environment: 'production', service: 'checkout', version: 'v1' }] });

  async function answerTo(user: string, send: () => Promise<{ status: number }>): Promise<string> {
    const before = world.harness.slack.ephemeralsFor(user).length;
    expect((await send()).status).toBe(200);
    const reply = await eventually('an answer', () => world.harness.slack.ephemeralsFor(user)[before]);
    return `${reply.text} ${JSON.stringify(reply.blocks)}`;
  }

  async function deploy(text: string): Promise<string> {
    const answer = await answerTo(PEOPLE.alice, () => world.harness.slack.sendCommand(PEOPLE.alice, '/deploy', text, 'deploys'));
    const id = /Release `([\w-]+)` planned/.exec(answer)?.[1];
    if (!id) throw new Error(`no release in: ${answer}`);
    return id;
  }

  async function statusOf(id: string): Promise<ReleaseStatus | undefined> {
    return (await world.engine.engine.releases.status(id))?.status;
  }

  async function driveTo(id: string, done: (status: ReleaseStatus | undefined) => boolean): Promise<void> {
    const reached = await drive(world.engine, async () => done(await statusOf(id)));
    expect(reached, `release ${id} never reached the expected state (now ${await statusOf(id)})`).toBe(true);
  }

  function cardOf(id: string): EmulatedMessage {
    const card = world.harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
    if (!card) throw new Error(`no card for ${id}`);
    return card;
  }

  const click = (user: string, card: EmulatedMessage, actionId: string) => answerTo(user, () => world.harness.slack.clickButton(user, card, actionId));
  const rollbackCommand = (user: string, text: string) => answerTo(user, () => world.harness.slack.sendCommand(user, '/rollback', text, 'deploys'));

  it('a release manager rolls back a staging release (no approvals block) with the button', async () => {
    const id = await deploy('checkout@v2 to staging');
    await driveTo(id, (status) => status === 'running');
    await world.engine.engine.runUntilIdle();

    const outsider = await click(PEOPLE.mallory, cardOf(id), ActionIds.rollback);
    expect(outsider).toContain(`<@${PEOPLE.mallory}> may not roll back this release`);
    expect(outsider).not.toContain('deploy');
    expect(await statusOf(id)).toBe('running');

    expect(await click(PEOPLE.bob, cardOf(id), ActionIds.rollback)).toContain(`Rolling back release \`${id}\``);
    await driveTo(id, (status) => status === 'rolled_back');
    // Every set that still exists is named: the discarded canary at 0 until its own retire.
    expect(world.engine.ports.traffic.history('checkout', 'staging').at(-1)).toEqual({ 'is-seed-staging-checkout-v1': 100, [`is-${id}-staging-checkout`]: 0 });
  }, 90_000);

  it('a release manager rolls back with /rollback; someone else is told they may not roll back', async () => {
    const id = await deploy('checkout@v2 to staging');
    await driveTo(id, (status) => status === 'running');

    const outsider = await rollbackCommand(PEOPLE.mallory, 'checkout in staging');
    expect(outsider).toContain(`<@${PEOPLE.mallory}> may not roll back checkout in staging: only the owning team (checkout) or an approver may`);
    expect(await statusOf(id)).toBe('running');

    expect(await rollbackCommand(PEOPLE.carol, 'checkout in staging')).toContain(`Rolling back release \`${id}\``);
    await driveTo(id, (status) => status === 'rolled_back');
  }, 90_000);

  it('a /rollback refused to someone who may not roll back is in the audit log and in /release history, who, what and why', async () => {
    // Nothing ships checkout: the refusal names no release, only what was asked.
    const callsBefore = world.engine.ports.traffic.calls.length;
    const outsider = await rollbackCommand(PEOPLE.mallory, 'checkout in production');
    expect(outsider).toContain(`<@${PEOPLE.mallory}> may not roll back checkout in production`);
    await world.engine.engine.runUntilIdle();
    expect(world.engine.ports.traffic.calls).toHaveLength(callsBefore);

    const [refusal] = await world.database.db.select().from(releaseEvents).where(eq(releaseEvents.kind, 'refusal'));
    expect(refusal).toMatchObject({ releaseId: null, type: 'manual_rollback', actor: PEOPLE.mallory, message: expect.stringContaining('only the owning team (checkout) or an approver may') });
    expect(refusal?.data).toMatchObject({ code: 'not_authorized', service: 'checkout', environment: 'production' });

    const history = await answerTo(PEOPLE.alice, () => world.harness.slack.sendCommand(PEOPLE.alice, '/release', 'history checkout', 'deploys'));
    expect(history).toContain(`<@${PEOPLE.mallory}> was refused checkout in production (\`not_authorized\`)`);
    expect(history).toContain(`<@${PEOPLE.mallory}> may not roll back checkout in production: only the owning team (checkout) or an approver may`);
    expect(world.harness.slack.violations).toEqual([]);
  }, 90_000);

  it('the owning team rolls back too', async () => {
    const id = await deploy('checkout@v2 to staging');
    await driveTo(id, (status) => status === 'running');
    expect(await rollbackCommand(PEOPLE.alice, 'checkout in staging')).toContain(`Rolling back release \`${id}\``);
    await driveTo(id, (status) => status === 'rolled_back');
  }, 90_000);

  it('an Approve from someone who may not approve reveals nothing of the release', async () => {
    const id = await deploy('checkout@v2 to production');
    await driveTo(id, (status) => status === 'waiting');
    // The card as it stood while it awaited approval: a stale copy is what an old Slack client shows.
    const waitingCard = structuredClone(cardOf(id));
    const whileWaiting = await click(PEOPLE.mallory, waitingCard, ActionIds.approve);
    expect(whileWaiting).toContain(`<@${PEOPLE.mallory}> may not approve this release`);

    expect(await click(PEOPLE.alice, cardOf(id), ActionIds.abort)).toContain('Aborting');
    await driveTo(id, (status) => status === 'aborted');
    // Alice requested it and is in no approver group; a press is handled once per person and card
    // version, so Mallory's second press on the same card would be a duplicate.
    const afterwards = await click(PEOPLE.alice, waitingCard, ActionIds.approve);
    expect(afterwards).toContain(`<@${PEOPLE.alice}> may not approve this release`);
    expect(afterwards).not.toMatch(/finished|aborted|no more approvals/i);
    // Someone who may approve is told the real state.
    expect(await click(PEOPLE.bob, waitingCard, ActionIds.approve)).toMatch(/has finished/);
  }, 90_000);
});
