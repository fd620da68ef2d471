import { ManualClock } from '../../src/ports/clock.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseState } from '../../src/domain/release/types.js';
import type { Database } from '../../src/store/db.js';
import { appendTransition, insertRelease } from '../../src/store/repos/drizzle-release-repo.js';
import { versions } from '../../src/store/schema/index.js';
import { pgliteKind } from '../support/databases.js';
import { BOT_TOKEN, PEOPLE, SIGNING_SECRET, exampleConfig, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { pino } from 'pino';
import { startApp } from '../../src/app/start-app.js';
import { DoraDigest } from '../../src/app/dora-digest.js';
import { DoraService } from '../../src/services/dora-service.js';
import { DrizzleDeliveryHistory } from '../../src/store/repos/drizzle-delivery-history.js';
import { DrizzleProcessedRequests } from '../../src/store/repos/processed-requests-repo.js';
import { parseEnv } from '../../src/config/env.js';
import { FakeReleaseService } from '../support/slack-fake-releases.js';
import { eventually } from '../support/slack-wait.js';
import { KNOWN_HISTORY, KNOWN_NOW } from '../unit/dora/dora-history.js';

/** Only what the DORA read takes from a release row: its path, its changes and its versions. */
function releaseState(id: string, services: string[]): ReleaseState {
  const path = services.length > 0 ? ['staging', 'production'] : ['staging'];
  return {
    id,
    plan: {
      path,
      versions: Object.fromEntries(services.map((service) => [service, `v-${id}`])),
      environments: path.map((environment) => ({ environment, changes: services.map((service) => ({ service })) })),
    },
  } as unknown as ReleaseState;
}

/**
 * /dora through the signed Slack route, over the known week written into the event log as the
 * engine writes it (one transition row per event, version merge times in the catalogue).
 */
describe('/dora', () => {
  let database: Database;
  let harness: SlackHarness;
  const clock = new ManualClock(KNOWN_NOW);

  beforeAll(async () => {
    database = await pgliteKind.open();
    const config = exampleConfig();
    for (const history of KNOWN_HISTORY) {
      const first = history.events[0]!.at;
      await insertRelease(database.db, { id: history.releaseId, status: 'succeeded', environment: 'production', versionSetId: 1, requester: PEOPLE.alice, state: releaseState(history.releaseId, history.services), nextTickAt: null, now: first });
      let version = 1;
      for (const event of history.events) {
        await appendTransition(database.db, { releaseId: history.releaseId, version: version++, events: [{ type: event.type, message: event.type, ...(event.data ? { data: event.data } : {}) }], input: 'tick', actor: null, at: event.at });
      }
      for (const [service, merged] of Object.entries(history.mergedAt)) {
        await database.db.insert(versions).values({ service, version: `v-${history.releaseId}`, ...(merged ? { pullNumber: 1, createdAt: merged } : {}) });
      }
    }
    harness = await startSlackHarness({ database, clock, config, releases: (chat) => new FakeReleaseService(config, chat, () => clock.now()) });
  });
  afterAll(async () => {
    await harness?.stop();
    await database?.close();
  });

  async function dora(text: string): Promise<string> {
    const { slack } = harness;
    const before = slack.ephemeralsFor(PEOPLE.alice).length;
    expect((await slack.sendCommand(PEOPLE.alice, '/dora', text, 'deploys')).status).toBe(200);
    const answer = await eventually(`the answer to /dora ${text}`, () => slack.ephemeralsFor(PEOPLE.alice)[before]);
    return JSON.stringify(answer.blocks);
  }

  it('answers the four figures of every service over 7 days, with the trend and a chart', async () => {
    const answer = await dora('7d');
    expect(answer).toContain('DORA · all services · last 7 days');
    expect(answer).toContain('*Deployment frequency* 0.43/day (3 deploys) · ↑ from 0.14/day');
    expect(answer).toContain('*Lead time for changes* 2h median of 3 · ↑ from 30m');
    expect(answer).toContain('*Change failure rate* 50% (2 of 4) · ↑ from 0%');
    expect(answer).toContain('*Time to restore* 2m median of 1 · no earlier figure');
    expect(answer).toContain('Deploys per day: `·██·█··` (max 1)');
    expect(harness.slack.violations).toEqual([]);
  });

  it('scopes to a service and to a team, and says what was wrong with a bad window', async () => {
    const checkout = await dora('checkout 7d');
    expect(checkout).toContain('DORA · checkout · last 7 days');
    expect(checkout).toContain('*Deployment frequency* 0.29/day (2 deploys)');
    expect(checkout).toContain('*Change failure rate* 0% (0 of 2)');
    const team = await dora('team payments 7d');
    expect(team).toContain('DORA · team payments · last 7 days');
    expect(team).toContain('*Change failure rate* 100% (1 of 1)');
    expect(team).toContain('*Time to restore* 2m median of 1');
    expect(await dora('checkout 14d')).toContain('the windows are 7d, 30d and 90d');
  });

  it("shows App Home the figures of the viewer's own teams", async () => {
    const { slack } = harness;
    await slack.openHome(PEOPLE.alice);
    const home = await eventually("Alice's App Home", () => slack.home(PEOPLE.alice));
    const text = JSON.stringify(home.view.blocks);
    expect(text).toContain('Your teams · last 30 days');
    // Alice is on the web and checkout teams, not on payments.
    expect(text).toContain('*team checkout* (checkout)');
    expect(text).toContain('*team web* (web)');
    expect(text).not.toContain('team payments');
    const checkout = text.slice(text.indexOf('*team checkout*'), text.indexOf('*team web*'));
    // Over 30 days: the week of the other tests and the three weeks before it.
    expect(checkout).toContain('*Deployment frequency* 0.1/day (3 deploys)');
    expect(checkout).toContain('*Change failure rate* 0% (0 of 3)');
    expect(slack.violations).toEqual([]);
  });

  it('posts the scheduled digest to its channel once, however many replicas run it', async () => {
    const config = exampleConfig();
    const digest = { channel: '#deploys', cron: '0 9 * * 1', timezone: 'UTC', days: 7 as const };
    const replica = () =>
      new DoraDigest({ digest, teams: Object.keys(config.teams), dora: new DoraService(new DrizzleDeliveryHistory(database.db), config, clock), requests: new DrizzleProcessedRequests(database.db), chat: harness.chat, logger: pino({ level: 'silent' }) });
    const before = harness.slack.messages('deploys').length;
    // Two replicas' crons fire within the same minute: one posts, the other finds the run taken.
    const minute = Math.floor(clock.now().getTime() / 60_000) * 60_000;
    const outcomes = await Promise.all([replica().run(new Date(minute + 5_000)), replica().run(new Date(minute + 45_000))]);
    expect([...outcomes].sort()).toEqual(['posted', 'taken']);
    const posted = harness.slack.messages('deploys').slice(before);
    expect(posted).toHaveLength(1);
    const text = posted[0]!.text;
    expect(text).toContain('DORA digest · last 7 days');
    expect(text).toContain('*all services*');
    expect(text).toContain('*Deployment frequency* 0.43/day (3 deploys) · ↑ from 0.14/day');
    expect(text).toContain('*Change failure rate* 50% (2 of 4) · ↑ from 0%');
    const payments = text.slice(text.indexOf('*team payments*'));
    expect(payments).toContain('*Change failure rate* 100% (1 of 1)');
    expect(payments).toContain('*Time to restore* 2m median of 1');
    // The next run is a new claim.
    expect(await replica().run(new Date(minute + 7 * 24 * 3_600_000))).toBe('posted');
    expect(harness.slack.violations).toEqual([]);
  });

  it('exports the same figures on the real /metrics route, per service, per team and for all, over 7, 30 and 90 days', async () => {
    const env = parseEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: harness.slack.apiUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const app = await startApp({ env, config: exampleConfig(), logger: pino({ level: 'silent' }), database, clock });
    try {
      const response = await fetch(`${app.url}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      const series = (figure: string, scope: string, name: string, window: string) => sample(text, `durable_delivery_dora_${figure}{scope="${scope}",name="${name}",window="${window}"}`);
      expect(series('deployments_per_day', 'all', 'all', '7d')).toBeCloseTo(3 / 7, 9);
      expect(series('lead_time_seconds', 'all', 'all', '7d')).toBe(7_200);
      expect(series('change_failure_rate', 'all', 'all', '7d')).toBe(0.5);
      expect(series('time_to_restore_seconds', 'all', 'all', '7d')).toBe(120);
      expect(series('deployments_per_day', 'service', 'checkout', '7d')).toBeCloseTo(2 / 7, 9);
      expect(series('change_failure_rate', 'service', 'checkout', '7d')).toBe(0);
      expect(series('change_failure_rate', 'team', 'payments', '7d')).toBe(1);
      expect(series('time_to_restore_seconds', 'team', 'payments', '7d')).toBe(120);
      // The longer windows hold the week before as well: 4 deployments in 30 days.
      expect(series('deployments_per_day', 'all', 'all', '30d')).toBeCloseTo(4 / 30, 9);
      // No restore of checkout to measure: left out, not exported as 0.
      expect(text).not.toContain('durable_delivery_dora_time_to_restore_seconds{scope="service",name="checkout",window="7d"}');
    } finally {
      await app.stop();
    }
  });
});

/** The value of one series in Prometheus text (NaN when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}
