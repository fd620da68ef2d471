import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { createEngine, type Engine } from '../../src/app/create-engine.js';
import { queryRows, type Database } from '../../src/store/db.js';
import { pgliteKind } from '../support/databases.js';
import { TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { seedServing, silentLogger } from '../support/fakes/engine-harness.js';
import { fakePorts } from '../support/fakes/fake-ports.js';
import { ManualClock } from '../../src/ports/clock.js';
import { exampleConfig, PEOPLE, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { fuzzRuns, fuzzTimeout } from './fuzz-runs.js';

/**
 * The whole Slack surface on loopback (real Bolt app, signatures on, the real engine on PGlite)
 * under fuzzed input from a user with no rights: slash-command text for every command and button
 * values of every shape. Each request is answered (HTTP 200), the app keeps serving, and nothing
 * changes — no release, infra-set, freeze, lock or outbox row, and no transition in the audit log.
 */

let database: Database;
let harness: SlackHarness;
let engine: Engine;
let releaseId: string;

beforeAll(async () => {
  database = await pgliteKind.open();
  const config = exampleConfig();
  const clock = new ManualClock(TUESDAY_MORNING);
  await seedServing(database.db, [{ environment: 'staging', service: 'checkout', version: 'v1' }, { environment: 'production', service: 'checkout', version: 'v1' }], clock.now());
  harness = await startSlackHarness({
    database,
    clock,
    config,
    releases: (chat) => {
      // Nothing runs in the background: whatever changes, a fuzzed request changed.
      engine = createEngine({ db: database.db, config, clock, logger: silentLogger, ports: { ...fakePorts(), chat }, runLanesAtOnce: false });
      return engine.releases;
    },
  });
  await engine.syncCatalog();
  const outcome = await engine.releases.act({ verb: 'deploy', actor: { userId: PEOPLE.alice, userGroupIds: [] }, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' });
  if (outcome.kind !== 'accepted') throw new Error(outcome.message);
  releaseId = outcome.view.id;
});

afterAll(async () => {
  await engine?.stop();
  await harness?.stop();
  await database?.close();
});

/** Everything a request could change, as one comparable value. */
async function stateOfTheWorld(): Promise<unknown> {
  const [releases, infra, freezes, locks, outbox, transitions] = await Promise.all([
    queryRows(database.db, sql`SELECT id, status, version, state FROM releases ORDER BY id`),
    queryRows(database.db, sql`SELECT id, state, weight FROM infra_sets ORDER BY id`),
    queryRows(database.db, sql`SELECT id, lifted_at FROM freezes ORDER BY id`),
    queryRows(database.db, sql`SELECT environment FROM environment_locks ORDER BY environment`),
    queryRows(database.db, sql`SELECT count(*)::int AS n FROM outbox`),
    queryRows(database.db, sql`SELECT count(*)::int AS n FROM release_events WHERE kind = 'transition'`),
  ]);
  return { releases, infra, freezes, locks, outbox, transitions };
}

/** Listeners keep working after their ack; give the last ones a moment before comparing. */
async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  await engine.settle();
}

const commands = ['/deploy', '/rollback', '/release', '/freeze', '/unfreeze', '/queue'];
const words = ['checkout@v9', 'web@v2', 'to', 'production', 'staging', 'set', '1', 'in', 'list', '2h', '"incident"', 'help', 'add', 'acme/web#1', 'is-x'];
const text = fc.oneof(fc.array(fc.constantFrom(...words), { maxLength: 6 }).map((parts) => parts.join(' ')), fc.string({ maxLength: 120 }));

function buttonBody(actionId: string, value: string): string {
  const payload = {
    type: 'block_actions',
    user: { id: PEOPLE.mallory, username: 'mallory', name: 'mallory', team_id: harness.slack.teamId },
    api_app_id: 'A0DELIVERY',
    token: 'verification-token',
    team: { id: harness.slack.teamId, domain: 'delivery' },
    trigger_id: `fuzz.${Math.random()}`,
    container: { type: 'message', message_ts: '1700000000.000001', channel_id: harness.slack.channel('deploys')!.id, is_ephemeral: false },
    channel: { id: harness.slack.channel('deploys')!.id, name: 'deploys' },
    actions: [{ type: 'button', action_id: actionId, block_id: 'release_actions', text: { type: 'plain_text', text: 'x' }, value, action_ts: '1700000000.000002' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const buttonValue = () =>
  fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.record({ r: fc.oneof(fc.constant(releaseId), fc.string({ maxLength: 20 })), v: fc.oneof(fc.integer({ min: -3, max: 10 }), fc.double(), fc.string({ maxLength: 4 })) }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  );

describe('the Slack surface under fuzzed input from a user with no rights', () => {
  it(
    'answers every slash command and changes nothing',
    async () => {
      const before = await stateOfTheWorld();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...commands), text, async (command, commandText) => {
          const response = await harness.slack.sendCommand(PEOPLE.mallory, command, commandText, 'deploys');
          expect(response.status).toBe(200);
        }),
        { numRuns: fuzzRuns(150) },
      );
      await settled();
      expect(await stateOfTheWorld()).toEqual(before);
    },
    fuzzTimeout(150, 50),
  );

  it(
    'answers every button click, whatever its value, and changes nothing',
    async () => {
      const before = await stateOfTheWorld();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.values(ActionIds).filter((id) => id.startsWith('release_'))), buttonValue(), async (actionId, value) => {
          const response = await harness.slack.deliver(buttonBody(actionId, value), 'application/x-www-form-urlencoded');
          expect(response.status).toBe(200);
        }),
        { numRuns: fuzzRuns(150) },
      );
      await settled();
      expect(await stateOfTheWorld()).toEqual(before);
    },
    fuzzTimeout(150, 50),
  );

  it('still serves a real request afterwards', async () => {
    const response = await harness.slack.sendCommand(PEOPLE.alice, '/release', releaseId, 'deploys');
    expect(response.status).toBe(200);
    expect((await engine.releases.status(releaseId))?.id).toBe(releaseId);
  });
});
