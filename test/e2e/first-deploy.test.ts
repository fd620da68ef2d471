import { describe, expect, it } from 'vitest';
import type { HealthCheckConfig } from '../../src/config/delivery-schema.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { exampleShopConfig } from '../support/fakes/example-config.js';
import { PEOPLE } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';
import { useSlackEngine } from '../support/slack-engine.js';

const NOTICE = 'first deploy: no canary possible — judged on absolute thresholds only';

/**
 * The first deploy of a service, through the real Slack surface: nothing to split traffic with and no
 * baseline, said up front on the card; refused where approvals are needed unless its checks have
 * absolute thresholds, naming the keys to add.
 */
describe('the first deploy of a service', () => {
  const config = exampleShopConfig();
  // checkout judges errors only against a baseline: on a first deploy it could never decide.
  config.services.checkout!.checks = config.services.checkout!.checks.map((check): HealthCheckConfig => {
    if (check.kind !== 'error_rate') return check;
    const { max: _max, ...relative } = check;
    return relative;
  });

  const world = useSlackEngine(config);

  async function answerTo(text: string): Promise<string> {
    const { slack } = world.harness;
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/deploy', text, 'deploys')).status).toBe(200);
    const answer = await eventually(`the answer to /deploy ${text}`, () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    return `${answer.text} ${JSON.stringify(answer.blocks)}`;
  }

  async function cardOf(id: string): Promise<EmulatedMessage> {
    return eventually(`the card of ${id}`, async () => {
      await world.engine.engine.runUntilIdle();
      return world.harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
    });
  }

  it('is refused where approvals are needed when a check could only compare with a baseline, naming the key to add', async () => {
    const answer = await answerTo('checkout@v1 to production');
    expect(answer).toContain('first_deploy_needs_thresholds');
    expect(answer).toContain(`checkout never served in production, so there is no baseline to compare a canary with (${NOTICE})`);
    expect(answer).toContain('Add `max` to check errors (services.checkout.checks[0].max)');
    expect(await world.engine.engine.releases.listActive()).toEqual([]);
    expect(world.harness.slack.violations).toEqual([]);
  }, 60_000);

  it('says so on the card where it ships: in staging with no approvals, and in production for a service with absolute thresholds', async () => {
    const staging = /Release `([\w-]+)` planned/.exec(await answerTo('checkout@v1 to staging'))?.[1];
    expect(staging).toBeDefined();
    const stagingCard = JSON.stringify((await cardOf(staging!)).blocks);
    expect(stagingCard).toContain(`checkout in staging: ${NOTICE}; errors has no max, so it cannot judge and the release will hold for a human`);

    const webAnswer = await answerTo('web@v1 to production');
    const web = /Release `([\w-]+)` planned/.exec(webAnswer)?.[1];
    expect(web, webAnswer).toBeDefined();
    expect(web).toBeDefined();
    const webCard = JSON.stringify((await cardOf(web!)).blocks);
    expect(webCard).toContain(`web in staging: ${NOTICE}`);
    expect(webCard).toContain(`web in production: ${NOTICE}`);
    expect(webCard).not.toContain('cannot judge');
    expect(world.harness.slack.violations).toEqual([]);
  }, 60_000);
});
