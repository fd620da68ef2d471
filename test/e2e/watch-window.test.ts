import { describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import type { ReleaseStatus } from '../../src/domain/release/types.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { drive } from '../support/fakes/engine-harness.js';
import { exampleShopConfig } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { useSlackEngine } from '../support/slack-engine.js';

/**
 * The watch window after 100%, through the real Slack surface on the real engine: the card counts the
 * window down, a breach in it rolls production back at once to the warm previous infra-set, names the
 * service, and /dora counts the release as a failed change.
 */
describe('the watch window after 100%, and irreversible versions, driven from Slack', () => {
  const config = exampleShopConfig({
    staging: { stages: [{ name: 'full', weight: 100, bake: '1m' }], health: { interval: '1m', failAfter: 2, holdAfter: 3 } },
    production: {
      stages: [
        { name: 'canary', weight: 1, bake: '2m' },
        { name: 'full', weight: 100, bake: '2m' },
      ],
      health: { interval: '1m', failAfter: 2, holdAfter: 3 },
      watch: '10m',
    },
  });

  const world = useSlackEngine(config, { serving: [{ environment: 'staging', service: 'checkout', version: 'v1' }, { environment: 'production', service: 'checkout', version: 'v1' }] });

  const statusOf = async (id: string): Promise<ReleaseStatus | undefined> => (await world.engine.engine.releases.status(id))?.status;
  const cardOf = (id: string): EmulatedMessage => {
    const card = world.harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
    if (!card) throw new Error(`no card for ${id}`);
    return card;
  };

  /** Alice deploys `version` of checkout to production; answers the release, planned and waiting for approval. */
  async function deployWaiting(version: string): Promise<string> {
    const { slack } = world.harness;
    const asked = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', `checkout@${version} to production`, 'deploys')).status).toBe(200);
    const answer = await eventually('the deploy answer', () => slack.ephemeralsFor(PEOPLE.alice)[asked]);
    const id = /Release `([\w-]+)` planned/.exec(answer.text)?.[1] ?? '';
    expect(await drive(world.engine, async () => (await statusOf(id)) === 'waiting')).toBe(true);
    await world.engine.engine.runUntilIdle();
    return id;
  }

  /** Bob presses Approve on the release's card and is answered. */
  async function approve(id: string): Promise<void> {
    const { slack } = world.harness;
    const before = slack.ephemeralsFor(PEOPLE.bob).length;
    expect((await slack.clickButton(PEOPLE.bob, cardOf(id), ActionIds.approve)).status).toBe(200);
    await eventually('the approval answer', () => slack.ephemeralsFor(PEOPLE.bob).length > before);
  }

  it('counts the window down on the card; a breach rolls back at once to the warm v1, naming checkout; /dora counts a failed change', async () => {
    const { slack } = world.harness;
    const id = await deployWaiting('v2');
    // The plan says so up front.
    expect(JSON.stringify(cardOf(id).blocks)).toContain(':eyes: after 100%, watched for 10m with the previous infra-set warm: a breach rolls back at once');

    await approve(id);
    expect(await drive(world.engine, async () => (await world.engine.engine.releases.status(id))?.watch != null)).toBe(true);
    await world.engine.engine.runUntilIdle();
    const watching = JSON.stringify(cardOf(id).blocks);
    expect(watching).toMatch(/:eyes: \*Watch window\* in production: `checkout` at 100%, ends <!date\^\d+\^[^>]*> \(10m left\)/);
    expect(world.engine.ports.traffic.history('checkout', 'production').at(-1)).toMatchObject({ [`is-${id}-production-checkout`]: 100, 'is-seed-production-checkout-v1': 0 });

    // A breach four minutes into the window.
    await drive(world.engine, () => false, { until: new Date(world.engine.clock.now().getTime() + 3 * 60_000) });
    expect(await statusOf(id)).toBe('running');
    world.engine.ports.health.set('checkout', 'v2', 'fail');
    try {
      expect(await drive(world.engine, async () => (await statusOf(id)) === 'rolled_back')).toBe(true);
      await world.engine.engine.runUntilIdle();
    } finally {
      world.engine.ports.health.set('checkout', 'v2', 'pass');
    }
    expect(world.engine.ports.traffic.history('checkout', 'production').at(-1)).toMatchObject({ 'is-seed-production-checkout-v1': 100 });
    const rolledBack = JSON.stringify(cardOf(id).blocks);
    expect(rolledBack).toContain('late rollback: checkout failed health in production during the watch window 2× in a row');
    expect(rolledBack).not.toContain('Watch window');
    expect(slack.thread('deploys', cardOf(id).ts).map((line) => line.text)).toContain('👀 Watching checkout in production for 10m: a breach rolls back at once to the previous infra-set, still warm');

    const asked = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/dora', 'checkout 7d', 'deploys')).status).toBe(200);
    const dora = await eventually('the /dora answer', () => slack.ephemeralsFor(PEOPLE.alice)[asked]);
    expect(JSON.stringify(dora.blocks)).toContain('*Change failure rate* 100% (1 of 1)');
    expect(slack.violations).toEqual([]);
  }, 120_000);

  it('an irreversible version says so on the card, holds on a failing canary instead of rolling back, and rolls back on a Roll back whose confirm says what it cannot undo', async () => {
    const { slack } = world.harness;
    config.services.checkout!.irreversible = ['v3'];
    try {
      const id = await deployWaiting('v3');
      expect(JSON.stringify(cardOf(id).blocks)).toContain('checkout@v3 is irreversible: on failure the release holds for a fix to roll forward or a rollback someone confirms');

      world.engine.ports.health.set('checkout', 'v3', 'fail');
      await approve(id);
      expect(await drive(world.engine, async () => (await statusOf(id)) === 'held')).toBe(true);
      await world.engine.engine.runUntilIdle();
      // Well past the canary's bake: still held at 1%, nothing moved back by itself.
      await drive(world.engine, () => false, { until: new Date(world.engine.clock.now().getTime() + 10 * 60_000) });
      expect(await statusOf(id)).toBe('held');
      expect(world.engine.ports.traffic.history('checkout', 'production').at(-1)).toMatchObject({ [`is-${id}-production-checkout`]: 1 });
      expect(slack.messages('team-checkout').map((message) => message.text).join('\n')).toContain('is irreversible, so it does not roll back by itself');

      // The Roll back button's confirm dialog says what rolling back cannot undo.
      const rollbackButton = (cardOf(id).blocks as Array<{ type: string; elements?: Array<{ action_id: string; confirm?: { text: { text: string } } }> }>)
        .filter((block) => block.type === 'actions')
        .flatMap((block) => block.elements ?? [])
        .find((element) => element.action_id === ActionIds.rollback);
      expect(rollbackButton?.confirm?.text.text).toBe(
        ":warning: *Cannot be undone:* checkout@v3 is irreversible. Rolling back sends checkout's traffic back to v1, but whatever v3 already changed (a migration, say) stays as it is: v1 runs on top of it.",
      );

      // The Roll back button (behind its confirm dialog) does move traffic back.
      const before = slack.ephemeralsFor(PEOPLE.bob).length;
      expect((await slack.clickButton(PEOPLE.bob, cardOf(id), ActionIds.rollback)).status).toBe(200);
      await eventually('the rollback answer', () => slack.ephemeralsFor(PEOPLE.bob).length > before);
      expect(await drive(world.engine, async () => (await statusOf(id)) === 'rolled_back')).toBe(true);
      expect(world.engine.ports.traffic.history('checkout', 'production').at(-1)).toMatchObject({ 'is-seed-production-checkout-v1': 100 });
      expect(slack.violations).toEqual([]);
    } finally {
      config.services.checkout!.irreversible = [];
      world.engine.ports.health.set('checkout', 'v3', 'pass');
    }
  }, 120_000);

  it('an irreversible version failing in the watch window holds, and what it offers works: no supersede, Resume, then the fix as a new release', async () => {
    const { slack } = world.harness;
    config.services.checkout!.irreversible = ['v4'];
    try {
      const id = await deployWaiting('v4');
      await approve(id);
      expect(await drive(world.engine, async () => (await world.engine.engine.releases.status(id))?.watch != null)).toBe(true);

      world.engine.ports.health.set('checkout', 'v4', 'fail');
      expect(await drive(world.engine, async () => (await statusOf(id)) === 'held')).toBe(true);
      await world.engine.engine.runUntilIdle();
      const notice = slack.messages('team-checkout').map((message) => message.text).join('\n');
      expect(notice).toContain('during the watch window');
      expect(notice).toContain('Press Roll back and confirm to go back to the previous infra-set, or Resume to keep it: the release ends when the watch window closes, and the fix ships as a new release (`/deploy checkout@… to production`)');
      expect(JSON.stringify(cardOf(id).blocks)).toContain('Roll back and confirm, or Resume and ship the fix as a new release when the watch closes');

      // A deploy of the fix now is refused with a way out that works: no supersede of what converged.
      const refusedAt = slack.ephemeralsFor(PEOPLE.alice).length;
      expect((await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v5 to production', 'deploys')).status).toBe(200);
      const refused = await eventually('the refusal', () => slack.ephemeralsFor(PEOPLE.alice)[refusedAt]);
      expect(refused.text).toContain(`Release ${id} (checkout@v4 → production`);
      expect(refused.text).toContain('it waits for a human: press Resume or Roll back on its card, then deploy again');
      expect(refused.text).not.toContain('supersede');

      // Resume keeps v4; the release ends with the window, and the fix then ships as a new release.
      world.engine.ports.health.set('checkout', 'v4', 'pass');
      const resumedAt = slack.ephemeralsFor(PEOPLE.alice).length;
      expect((await slack.clickButton(PEOPLE.alice, cardOf(id), ActionIds.resume)).status).toBe(200);
      await eventually('the resume answer', () => slack.ephemeralsFor(PEOPLE.alice).length > resumedAt);
      expect(await drive(world.engine, async () => (await statusOf(id)) === 'succeeded')).toBe(true);
      const fixAt = slack.ephemeralsFor(PEOPLE.alice).length;
      expect((await slack.sendCommand(PEOPLE.alice, '/deploy', 'checkout@v5 to production', 'deploys')).status).toBe(200);
      expect((await eventually('the fix answer', () => slack.ephemeralsFor(PEOPLE.alice)[fixAt])).text).toMatch(/Release `[\w-]+` planned/);
      expect(slack.violations).toEqual([]);
    } finally {
      config.services.checkout!.irreversible = [];
      world.engine.ports.health.set('checkout', 'v4', 'pass');
    }
  }, 120_000);
});
