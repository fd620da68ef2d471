import { writeFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { createEngine, type Engine } from '../../src/app/create-engine.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import { queryRows, type Database } from '../../src/store/db.js';
import { countedKinds, openCountedDatabase, type StatementCounter } from '../support/counted-database.js';
import { seedServing, silentLogger } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { fakePorts } from '../support/fakes/fake-ports.js';
import { PEOPLE, startSlackHarness, type SlackHarness } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';

/**
 * Work per input, counted: the SQL statements one signed Slack request (or one due release in a
 * scheduler tick) costs, on PGlite and on Postgres. Nothing else drives the engine here (no
 * scheduler, lanes run only when the test says), so every statement counted is the input's own.
 */

/**
 * App Home has no budget in DESIGN.md §6; it is held at its read model: one SELECT for everything a
 * Home shows (releases, world, freezes, line stop, merge queue, DORA history) and the viewer recorded.
 * The merge queue joins that one read (test/integration/home-read-model.test.ts counts it with the queue on).
 *
 * An effect's result has none either; it is held at one unit of work: the release locked once, the
 * outbox row finished, the world read, the infra-sets it moves read, and the transition (state,
 * audit, infra-set moves, outbox rows) in one statement. The lane's claim is per batch, like a tick's.
 */
export const BUDGETS = { release: 2, releaseList: 2, appHome: 2, click: 5, deploy: 8, tickPerDueRelease: 3, effectResult: 5 } as const;

describe.each(countedKinds)('statements per input on %s', (kind) => {
  let database: Database;
  let counter: StatementCounter;
  let harness: SlackHarness;
  let engine: Engine;
  const ports = fakePorts();
  const clock = new ManualClock(TUESDAY_MORNING);
  const config = exampleShopConfig({
    production: {
      stages: [
        { name: 'canary', weight: 1, bake: '1h' },
        { name: 'full', weight: 100, bake: '1h' },
      ],
      health: { interval: '10m', failAfter: 2, holdAfter: 3 },
    },
  });
  const counts: Record<string, number> = {};

  beforeAll(async () => {
    ({ database, counter } = await openCountedDatabase(kind));
    await seedServing(database.db, [
      { environment: 'staging', service: 'checkout', version: 'v2' },
      { environment: 'production', service: 'checkout', version: 'v1' },
    ], clock.now());
    harness = await startSlackHarness({
      database,
      clock,
      config,
      releases: (chat) => {
        engine = createEngine({ db: database.db, config, clock, ports: { ...ports, chat }, logger: silentLogger, runLanesAtOnce: false });
        return engine.releases;
      },
    });
  });
  afterAll(async () => {
    await engine?.stop();
    await harness?.stop();
    await database?.close();
    if (process.env.STATEMENTS_REPORT) writeFileSync(`${process.env.STATEMENTS_REPORT}.${kind}.json`, JSON.stringify(counts));
  });

  function cardOf(id: string): EmulatedMessage | undefined {
    return harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
  }

  /** Statements from `act` until `done` holds (the input's answer, and the command marked handled where it is stored). */
  async function count(label: string, act: () => Promise<unknown>, done: () => boolean): Promise<string[]> {
    counter.reset();
    await act();
    await eventually(`the answer to ${label}`, done);
    const statements = ownWork(counter.statements);
    counts[label] = statements.length;
    return statements;
  }
  /** Leaves out the app's own sweep for commands a stopped process left unhandled: it runs on a timer, not per input. */
  const ownWork = (statements: readonly string[]) => statements.filter((statement) => !/from "processed_requests" where \("processed_requests"\."command" is not null/i.test(statement));
  const handled = () => counter.statements.some((statement) => /update "processed_requests" set .*"handled_at"/i.test(statement));

  let releaseId = '';

  it(`/deploy costs at most ${BUDGETS.deploy} statements`, async () => {
    const before = harness.slack.ephemeralsFor(PEOPLE.alice).length;
    const statements = await count("deploy", () => harness.slack.sendCommand(PEOPLE.alice, "/deploy", "checkout@v2 to production", "deploys"), () => {  return harness.slack.ephemeralsFor(PEOPLE.alice).length > before && handled(); });
    const answer = harness.slack.ephemeralsFor(PEOPLE.alice).at(-1)!;
    releaseId = /Release `([\w-]+)` planned/.exec(answer.text)![1]!;
    // The card is drawn by the chat lane, outside the command's work.
    await engine.runOutbox('chat');
    expect(cardOf(releaseId)).toBeDefined();
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(BUDGETS.deploy);
  });

  it(`/release <id> costs at most ${BUDGETS.release} statements, with no claim and no lock`, async () => {
    const before = harness.slack.ephemeralsFor(PEOPLE.carol).length;
    const statements = await count('release', () => harness.slack.sendCommand(PEOPLE.carol, '/release', releaseId, 'deploys'), () => harness.slack.ephemeralsFor(PEOPLE.carol).length > before);
    expect(harness.slack.ephemeralsFor(PEOPLE.carol).at(-1)!.text).toContain(releaseId);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(BUDGETS.release);
    // Under the budget: the release and its world in one statement (the scope read off the row in SQL).
    expect(statements, statements.join('\n')).toHaveLength(1);
    expect(statements.filter((statement) => /processed_requests|for update/i.test(statement))).toEqual([]);
    expect(counter.transactions).toBe(0);
  });

  it(`/release list costs at most ${BUDGETS.releaseList} statements, with no claim and no lock`, async () => {
    const before = harness.slack.ephemeralsFor(PEOPLE.carol).length;
    const statements = await count('releaseList', () => harness.slack.sendCommand(PEOPLE.carol, '/release', 'list', 'deploys'), () => harness.slack.ephemeralsFor(PEOPLE.carol).length > before);
    expect(JSON.stringify(harness.slack.ephemeralsFor(PEOPLE.carol).at(-1))).toContain(releaseId);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(BUDGETS.releaseList);
    expect(statements.filter((statement) => /processed_requests|for update/i.test(statement))).toEqual([]);
    expect(counter.transactions).toBe(0);
  });

  it(`App Home costs at most ${BUDGETS.appHome} statements, with no claim and no lock`, async () => {
    const before = harness.slack.home(PEOPLE.bob);
    const statements = await count('appHome', () => harness.slack.openHome(PEOPLE.bob), () => harness.slack.home(PEOPLE.bob) !== before);
    expect(JSON.stringify(harness.slack.home(PEOPLE.bob)?.view)).toContain(releaseId);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(BUDGETS.appHome);
    expect(statements.filter((statement) => /processed_requests|for update/i.test(statement))).toEqual([]);
  });

  it(`a button click costs at most ${BUDGETS.click} statements, with no row lock`, async () => {
    const before = harness.slack.ephemeralsFor(PEOPLE.bob).length;
    const statements = await count('click', () => harness.slack.clickButton(PEOPLE.bob, cardOf(releaseId)!, ActionIds.approve), () => harness.slack.ephemeralsFor(PEOPLE.bob).length > before);
    expect(harness.slack.ephemeralsFor(PEOPLE.bob).at(-1)!.text).toContain('You approved');
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(BUDGETS.click);
    // Under the budget: the claim, the release with its world, the transition, the approval.
    expect(statements, statements.join('\n')).toHaveLength(4);
    // Read plainly and saved under the version read: nothing waits on the row while the click is decided.
    expect(statements.filter((statement) => /for update/i.test(statement))).toEqual([]);
    expect(counter.transactions).toBe(1);
  });

  it(`a due release in a scheduler tick costs at most ${BUDGETS.tickPerDueRelease} statements`, async () => {
    // Provisioned and at 1%: the canary bakes for an hour, then the tick moves it on.
    await engine.runUntilIdle();
    expect((await engine.releases.status(releaseId))?.status).toBe('running');
    clock.advance(61 * 60_000);
    counter.reset();
    expect(await engine.tick()).toBe(1);
    const statements = ownWork(counter.statements);
    counts.tickPerDueRelease = statements.length;
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(BUDGETS.tickPerDueRelease);
  });

  it(`an effect's result (traffic moved to 100%) costs at most ${BUDGETS.effectResult} statements besides its lane's claim, with the release locked once`, async () => {
    // The tick above ended the canary's bake: its last reading passes it, and its 100% move waits in the critical lane.
    expect(await engine.runOutbox('health')).toBe(1);
    counter.reset();
    expect(await engine.runOutbox('critical')).toBe(1);
    const claims = counter.statements.filter((statement) => /^update "outbox" set "attempts"|^UPDATE outbox SET attempts/i.test(statement.trim()));
    expect(claims).toHaveLength(1);
    const statements = ownWork(counter.statements).filter((statement) => !claims.includes(statement));
    counts.effectResult = statements.length;
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(BUDGETS.effectResult);
    expect(statements.filter((statement) => /for update/i.test(statement))).toHaveLength(1);
    expect(counter.transactions).toBe(1);
    // The result was fed back: the new set serves alone and the old one is kept warm.
    const sets = await queryRows(database.db, sql`SELECT version, state, weight FROM infra_sets WHERE service = 'checkout' AND environment = 'production' ORDER BY version`);
    expect(sets).toEqual([{ version: 'v1', state: 'warm', weight: 0 }, { version: 'v2', state: 'serving', weight: 100 }]);
  });
});
