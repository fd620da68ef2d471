import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds, BlockIds, CallbackIds } from '../../src/adapters/slack/action-ids.js';
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
 * Correctly signed requests of every malformed shape to the real /slack/events route (Bolt app,
 * signatures on, the engine on PGlite): bodies that are not objects, `payload` null, block_actions
 * without a user or with missing and unknown action ids, view_submission with `state.values` null,
 * unknown commands and events. Each is answered at once with 200 (handled) or 400 (with a reason) —
 * never 500, never Bolt's 404 after its 3 s wait — nothing changes, and the app keeps serving.
 * An unhandled rejection in the app would fail this file (vitest reports it).
 */

let database: Database;
let harness: SlackHarness;
let engine: Engine;
let releaseId: string;

beforeAll(async () => {
  database = await pgliteKind.open();
  const config = exampleConfig();
  const clock = new ManualClock(TUESDAY_MORNING);
  await seedServing(database.db, [{ environment: 'production', service: 'checkout', version: 'v1' }], clock.now());
  harness = await startSlackHarness({
    database,
    clock,
    config,
    releases: (chat) => {
      engine = createEngine({ db: database.db, config, clock, logger: silentLogger, ports: { ...fakePorts(), chat } });
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

async function stateOfTheWorld(): Promise<unknown> {
  // Not the outbox: an app_home_opened among the fuzzed events rightly queues an App Home publish.
  const [releases, infra, transitions] = await Promise.all([
    queryRows(database.db, sql`SELECT id, status, version, state FROM releases ORDER BY id`),
    queryRows(database.db, sql`SELECT id, state, weight FROM infra_sets ORDER BY id`),
    queryRows(database.db, sql`SELECT count(*)::int AS n FROM release_events WHERE kind = 'transition'`),
  ]);
  return { releases, infra, transitions };
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const notAnObject = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.string({ maxLength: 20 }), fc.array(fc.jsonValue(), { maxLength: 3 }));
/** A value in place of a well-formed one: missing, null, or of another type. */
const broken = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string({ maxLength: 10 }), fc.array(fc.jsonValue(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 2 }));
const maybe = <T>(good: fc.Arbitrary<T>) => fc.oneof(good, broken);

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}

const actionId = fc.oneof(fc.constantFrom(...Object.values(ActionIds)), fc.string({ maxLength: 30 }), fc.constant('release_approve_x'), broken);
const mallory = { id: PEOPLE.mallory, username: 'mallory', team_id: 'T0DELIVERY' };

function blockActions(): fc.Arbitrary<unknown> {
  return fc
    .record({
      user: maybe(fc.constant(mallory)),
      actions: fc.oneof(
        fc.array(fc.record({ type: fc.constant('button'), action_id: actionId, block_id: fc.constant('release_actions'), value: fc.oneof(fc.constant(JSON.stringify({ r: 'x', v: 1 })), fc.string({ maxLength: 20 })) }), { maxLength: 2 }),
        broken,
      ),
      team: maybe(fc.constant({ id: 'T0DELIVERY', domain: 'delivery' })),
      channel: maybe(fc.constant({ id: 'C0DEPLOYS', name: 'deploys' })),
      enterprise: maybe(fc.constant({ id: 'E0ACME' })),
      container: maybe(fc.constant({ type: 'message', message_ts: '1700000000.000001', channel_id: 'C0DEPLOYS' })),
      trigger_id: fc.string({ maxLength: 12 }),
    })
    .map((fields) => withoutUndefined({ type: 'block_actions', api_app_id: 'A0DELIVERY', ...fields }));
}

function viewSubmission(): fc.Arbitrary<unknown> {
  const values = fc.oneof(
    broken,
    fc.constant({ [`deploy_service_block`]: { [ActionIds.deployService]: null } }),
    fc.constant({ [`deploy_version_block`]: { [ActionIds.deployVersion]: { type: 'plain_text_input', value: 42 } } }),
    fc.constant({ [BlockIds.supersedeService]: { [ActionIds.supersedeService]: { type: 'static_select', selected_option: 'checkout' } }, [BlockIds.supersedeVersion]: { [ActionIds.supersedeVersion]: { value: ['v9'] } } }),
    fc.dictionary(fc.string({ maxLength: 20 }), fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue(), { maxKeys: 2 }), { maxKeys: 3 }),
  );
  const view = fc.record({
    id: maybe(fc.constant('V0FUZZ')),
    callback_id: maybe(fc.constantFrom(CallbackIds.deployForm, CallbackIds.deployConfirm, CallbackIds.supersedeForm, 'someone_elses_modal')),
    hash: fc.string({ maxLength: 8 }),
    private_metadata: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constant(JSON.stringify({ service: 'checkout', version: 'v9', environment: 'production' })),
      fc.constant(JSON.stringify({ r: 'r-fuzz', c: null, s: ['checkout'] })),
    ),
    state: fc.oneof(broken, values.map((entries) => ({ values: entries }))),
  });
  return fc
    .record({ user: maybe(fc.constant(mallory)), view: maybe(view.map(withoutUndefined)), type: fc.constantFrom('view_submission', 'view_closed') })
    .map((fields) => withoutUndefined({ team: { id: 'T0DELIVERY' }, ...fields }));
}

function anyInteraction(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.record({ type: fc.oneof(broken, fc.constantFrom('shortcut', 'message_action', 'block_suggestion', 'interactive_message', 'unknown_kind')) }).map(withoutUndefined),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue(), { maxKeys: 4 }),
  );
}

function eventCallback(): fc.Arbitrary<unknown> {
  return fc
    .record({
      authorizations: maybe(fc.constant([{ team_id: 'T0DELIVERY', user_id: 'U0BOT', is_bot: true }])),
      event: fc.oneof(
        broken,
        fc
          .record({
            type: fc.oneof(fc.constantFrom('app_home_opened', 'message', 'reaction_added', 'subteam_created'), broken),
            user: maybe(fc.constant(PEOPLE.mallory)),
            channel: maybe(fc.constantFrom('D0MALLORY', { id: 'C0DEPLOYS', creator: PEOPLE.mallory })),
            item: maybe(fc.constant({ channel: 'C0DEPLOYS', ts: '1.2' })),
            subteam: maybe(fc.constant({ id: 'S0NEW', created_by: PEOPLE.mallory })),
            tab: fc.constant('home'),
          })
          .map(withoutUndefined),
      ),
    })
    .map((fields) => withoutUndefined({ type: 'event_callback', team_id: 'T0DELIVERY', api_app_id: 'A0DELIVERY', event_id: 'Ev0FUZZ', ...fields }));
}

function command(): fc.Arbitrary<string> {
  return fc
    .record({
      command: fc.oneof(fc.constantFrom('/deploy', '/release', '/nonsense', '/DEPLOY'), fc.string({ maxLength: 8 })),
      user_id: fc.oneof(fc.constant(PEOPLE.mallory), fc.constant('')),
      channel_id: fc.oneof(fc.constant('C0DEPLOYS'), fc.constant('')),
      text: fc.string({ maxLength: 30 }),
      trigger_id: fc.string({ maxLength: 12 }),
    })
    .map((fields) => new URLSearchParams({ team_id: 'T0DELIVERY', ...fields }).toString());
}

/** One request as [body, content type]. */
const request: fc.Arbitrary<[string, string]> = fc.oneof(
  notAnObject.map((value): [string, string] => [JSON.stringify(value), JSON_TYPE]),
  notAnObject.map((value): [string, string] => [new URLSearchParams({ payload: JSON.stringify(value) }).toString(), FORM]),
  fc.string({ maxLength: 30 }).map((text): [string, string] => [new URLSearchParams({ payload: text }).toString(), FORM]),
  fc.string({ maxLength: 30 }).map((text): [string, string] => [text, JSON_TYPE]),
  blockActions().map((payload): [string, string] => [new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), FORM]),
  viewSubmission().map((payload): [string, string] => [new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), FORM]),
  anyInteraction().map((payload): [string, string] => [new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), FORM]),
  eventCallback().map((payload): [string, string] => [JSON.stringify(payload), JSON_TYPE]),
  command().map((body): [string, string] => [body, FORM]),
);

describe('malformed Slack requests, correctly signed', () => {
  it('a body of null, a payload of null and a block_actions without user are refused with a reason', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['null', JSON_TYPE, /must be a JSON object, not null/],
      ['payload=null', FORM, /must be a JSON object, not null/],
      ['[1,2]', JSON_TYPE, /not an array/],
      [new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', actions: [{ action_id: ActionIds.approve }] }) }).toString(), FORM, /block_actions: user/],
      [new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: mallory, actions: [{ value: 'x' }] }) }).toString(), FORM, /actions\.0\.action_id/],
      [new URLSearchParams({ payload: JSON.stringify({ type: 'view_submission', user: mallory, view: { id: 'V1', callback_id: CallbackIds.deployForm, state: { values: null } } }) }).toString(), FORM, /view\.state\.values/],
    ];
    for (const [body, contentType, reason] of cases) {
      const response = await harness.slack.deliver(body, contentType);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(String(response.body)).toMatch(reason);
    }
  });

  it('the same bodies unsigned are refused as unauthenticated, revealing nothing of their shape', async () => {
    const response = await harness.slack.deliver('null', JSON_TYPE, { signature: 'v0=0000' });
    expect(response.status).toBe(401);
    expect(response.body).toBe('');
  });

  it('an unknown action id is acknowledged and the presser is told nothing was done', async () => {
    const before = harness.slack.ephemeralsFor(PEOPLE.mallory).length;
    const channel = harness.slack.channel('deploys')!.id;
    const payload = { type: 'block_actions', user: mallory, team: { id: harness.slack.teamId }, channel: { id: channel }, container: { type: 'message', channel_id: channel }, actions: [{ type: 'button', action_id: 'release_launch_missiles', value: '{}' }] };
    const response = await harness.slack.deliver(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), FORM);
    expect(response.status).toBe(200);
    await expect.poll(() => harness.slack.ephemeralsFor(PEOPLE.mallory).length, { timeout: 10_000 }).toBe(before + 1);
    expect(harness.slack.ephemeralsFor(PEOPLE.mallory).at(-1)?.text).toMatch(/release_launch_missiles.*not one Durable Delivery knows/);
  });

  it('an unknown slash command is answered in the acknowledgement', async () => {
    const response = await harness.slack.sendCommand(PEOPLE.mallory, '/launch', 'now', 'deploys');
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).toMatch(/no `\/launch` command/);
  });

  it(
    'answers every fuzzed shape with 200 or 400, changes nothing and keeps serving',
    async () => {
      // The deploy of beforeAll runs its first effects in the background: compare from where it rests.
      await engine.settle();
      const before = await stateOfTheWorld();
      await fc.assert(
        fc.asyncProperty(request, async ([body, contentType]) => {
          const response = await harness.slack.deliver(body, contentType);
          expect([200, 400], `${response.status} for ${contentType} ${body}`).toContain(response.status);
          if (response.status === 400) expect(String(response.body).length).toBeGreaterThan(0);
        }),
        { numRuns: fuzzRuns(300) },
      );
      await engine.settle();
      expect(await stateOfTheWorld()).toEqual(before);
      const real = await harness.slack.sendCommand(PEOPLE.alice, '/release', releaseId, 'deploys');
      expect(real.status).toBe(200);
    },
    fuzzTimeout(300, 50),
  );
});
