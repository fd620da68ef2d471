import { ManualClock } from '../../src/ports/clock.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseState } from '../../src/domain/release/types.js';
import type { Database } from '../../src/store/db.js';
import { appendTransition, insertRelease } from '../../src/store/repos/drizzle-release-repo.js';
import { versions } from '../../src/store/schema/index.js';
import { pgliteKind } from '../support/databases.js';
import { PEOPLE, exampleConfig, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
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
});
