import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryConfigSchema } from '../../src/config/delivery-schema.js';
import { createEngine, type Engine } from '../../src/app/create-engine.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { ReleaseStore } from '../../src/ports/release-store.js';
import type { Store, Stores } from '../../src/ports/store.js';
import { buildEngine } from '../../src/services/engine.js';
import type { Database, Db } from '../../src/store/db.js';
import { DrizzleStore } from '../../src/store/drizzle-store.js';
import { DrizzleCatalog } from '../../src/store/repos/drizzle-catalog.js';
import { releaseEvents, releases } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { nextDue, seedServing, silentLogger } from '../support/fakes/engine-harness.js';
import { fakePorts } from '../support/fakes/fake-ports.js';

/**
 * Inputs on one release that race: a click is read without a lock and saved under the version it
 * read, so a tick or another click landing in between turns its save into a conflict, and it is
 * decided again on the release as it now is. Whatever the interleaving, each version of a release
 * has exactly one transition (the event log reads 1..n, no gap, no repeat).
 */

const SERVICES = ['svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-4'];
// A team with no members lets anyone operate its services: who asks is not what these tests are about.
const config = deliveryConfigSchema.parse({
  teams: { platform: { channel: '#platform' } },
  services: Object.fromEntries(SERVICES.map((name) => [name, { repo: `acme/${name}`, team: 'platform', checks: [{ name: 'errors', kind: 'error_rate', requests: 'r', errors: 'e' }] }])),
  environments: {
    production: {
      channel: '#deploys',
      stages: [
        { name: 'canary', weight: 10, bake: '2m' },
        { name: 'full', weight: 100 },
      ],
      health: { interval: '1m', failAfter: 2, holdAfter: 3 },
    },
  },
});
const alice = { userId: 'U0ALICE', userGroupIds: [] };
const bob = { userId: 'U0BOB', userGroupIds: [] };
const START = '2026-11-17T15:00:00.000Z';

type ScratchPostgres = Database & { connect(poolSize?: number): Promise<Database> };

/**
 * The store, with `afterRead` run each time an input has read a release outside a transaction (with
 * its world, or its world after it): between a click's read of its release and its save.
 */
function storeWithHook(db: Db, afterRead: () => Promise<void>): Store {
  const store = new DrizzleStore(db, config);
  const releasesStore: ReleaseStore = Object.create(store.releases, {
    world: { value: async (...args: Parameters<ReleaseStore['world']>) => (await afterRead(), store.releases.world(...args)) },
    getWithWorld: {
      value: async (...args: Parameters<ReleaseStore['getWithWorld']>) => {
        const read = await store.releases.getWithWorld(...args);
        await afterRead();
        return read;
      },
    },
  });
  return Object.assign(Object.create(store) as DrizzleStore, { releases: releasesStore });
}

/** The store, with every transaction's `releases.save` of a release in `failing` throwing instead of writing. */
function storeFailingSaves(db: Db, failing: Set<string>): Store {
  const store = new DrizzleStore(db, config);
  return Object.assign(Object.create(store) as DrizzleStore, {
    transaction: <T>(work: (tx: Stores) => Promise<T>) =>
      store.transaction((tx) => {
        const releasesStore: ReleaseStore = Object.create(tx.releases, {
          save: {
            value: async (...args: Parameters<ReleaseStore['save']>) => {
              if (failing.has(args[0].id)) throw new Error(`the write of ${args[0].id} failed`);
              return tx.releases.save(...args);
            },
          },
        });
        return work({ ...tx, releases: releasesStore });
      }),
  });
}

async function transitionVersions(database: Database, releaseId: string): Promise<number[]> {
  const rows = await database.db
    .select({ version: releaseEvents.version })
    .from(releaseEvents)
    .where(and(eq(releaseEvents.releaseId, releaseId), eq(releaseEvents.kind, 'transition')))
    .orderBy(asc(releaseEvents.version));
  return rows.map((row) => row.version);
}

/** One transition per version, none missing: exactly 1..version, whatever landed in which order. */
async function expectOneTransitionPerVersion(database: Database, releaseId: string): Promise<void> {
  const [row] = await database.db.select({ version: releases.version }).from(releases).where(eq(releases.id, releaseId));
  expect(await transitionVersions(database, releaseId)).toEqual([...Array(row!.version).keys()].map((index) => index + 1));
}

async function eventsOf(database: Database, releaseId: string) {
  return database.db.select().from(releaseEvents).where(eq(releaseEvents.releaseId, releaseId)).orderBy(asc(releaseEvents.id));
}

describe.each(testDatabaseKinds)('inputs racing on one release on $name', (kind) => {
  let database: Database;
  const extra: Database[] = [];
  beforeAll(async () => {
    database = await kind.open();
  });
  afterAll(async () => {
    await Promise.allSettled(extra.map((handle) => handle.close()));
    await database?.close();
  });
  beforeEach(async () => truncateAll(database.db));

  /** Its own pool on Postgres, so two engines really run side by side; PGlite has one connection. */
  async function handle(): Promise<Db> {
    if (kind.name !== 'postgres') return database.db;
    const opened = await (database as ScratchPostgres).connect(3);
    extra.push(opened);
    return opened.db;
  }

  /** A clicking engine whose world read runs `hook` (once, or every time), and another engine on the same database. */
  async function engines(clock: ManualClock) {
    const ports = fakePorts();
    let hook: (() => Promise<void>) | null = null;
    let every = false;
    const clickerDb = await handle();
    const clicker = buildEngine({
      store: storeWithHook(clickerDb, async () => {
        const run = hook;
        if (!every) hook = null;
        await run?.();
      }),
      catalog: new DrizzleCatalog(clickerDb),
      config,
      clock,
      ports,
      logger: silentLogger,
      runLanesAtOnce: false,
    });
    const other = createEngine({ db: await handle(), config, clock, ports, logger: silentLogger, runLanesAtOnce: false });
    return {
      clicker,
      other,
      /** Runs `landing` between the clicker's next read of a release and its save. */
      between(landing: () => Promise<void>, options: { everyTime?: boolean } = {}) {
        hook = landing;
        every = options.everyTime ?? false;
      },
    };
  }

  /** Deploys `service` and runs it until its canary bakes. */
  async function baking(engine: Engine, service: string): Promise<string> {
    const outcome = await engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service, version: 'v2' }, environment: 'production' });
    if (outcome.kind !== 'accepted') throw new Error(outcome.message);
    await engine.runUntilIdle();
    expect((await engine.releases.status(outcome.view.id))?.status).toBe('running');
    return outcome.view.id;
  }

  /** Moves the clock to the next persisted timer, so the next tick has work. */
  async function toNextTimer(clock: ManualClock): Promise<void> {
    const due = await nextDue(database.db);
    if (!due) throw new Error('nothing is due');
    if (due > clock.now()) clock.set(due);
  }

  it('a tick lands between a click’s read and its save: the click is decided again on the new version', async () => {
    const clock = new ManualClock(START);
    await seedServing(database.db, [{ environment: 'production', service: 'svc-0', version: 'v1' }], clock.now());
    const { clicker, other, between } = await engines(clock);
    const id = await baking(other, 'svc-0');
    await toNextTimer(clock);
    let ticked = 0;
    between(async () => {
      ticked = await other.tick();
    });

    const outcome = await clicker.releases.act({ verb: 'pause', actor: bob, releaseId: id });
    expect(outcome).toMatchObject({ kind: 'accepted', view: { status: 'paused' } });
    expect(ticked).toBe(1);
    await expectOneTransitionPerVersion(database, id);
    // The tick's transition, then the pause on top of it: neither lost, neither written twice.
    const transitions = (await eventsOf(database, id)).filter((event) => event.kind === 'transition');
    expect(transitions.slice(-2).map((event) => (event.data as { input: string }).input)).toEqual(['tick', 'pause']);
    expect(transitions.filter((event) => event.type.includes('paused'))).toHaveLength(1);
  }, 180_000);

  it('another click lands first: the second is decided on the release as the first left it', async () => {
    const clock = new ManualClock(START);
    await seedServing(database.db, [{ environment: 'production', service: 'svc-0', version: 'v1' }], clock.now());
    const { clicker, other, between } = await engines(clock);
    const id = await baking(other, 'svc-0');
    let first: unknown;
    between(async () => {
      first = await other.releases.act({ verb: 'pause', actor: alice, releaseId: id });
    });

    const second = await clicker.releases.act({ verb: 'pause', actor: bob, releaseId: id });
    expect(first).toMatchObject({ kind: 'accepted', view: { status: 'paused' } });
    // Decided again after the conflict: the release is paused already, by Alice.
    expect(second).toMatchObject({ kind: 'refused', code: 'already_paused' });
    await expectOneTransitionPerVersion(database, id);
    const events = await eventsOf(database, id);
    expect(events.filter((event) => event.kind === 'transition' && event.type.includes('paused')).map((event) => event.actor)).toEqual([alice.userId]);
    expect(events.filter((event) => event.kind === 'refusal').map((event) => [event.actor, (event.data as { code: string }).code])).toEqual([[bob.userId, 'already_paused']]);
  }, 180_000);

  it('a release that moves on every attempt: after a bounded number of tries the click waits on the row lock and is decided once', async () => {
    const clock = new ManualClock(START);
    await seedServing(database.db, [{ environment: 'production', service: 'svc-0', version: 'v1' }], clock.now());
    const { clicker, other, between } = await engines(clock);
    const id = await baking(other, 'svc-0');
    let landed = 0;
    // Alice pauses and resumes in turn, each landing between Bob's unlocked read and his save.
    between(
      async () => {
        const verb = landed % 2 === 0 ? 'pause' : 'resume';
        landed += 1;
        expect(await other.releases.act({ verb, actor: alice, releaseId: id })).toMatchObject({ kind: 'accepted' });
      },
      { everyTime: true },
    );

    const outcome = await clicker.releases.act({ verb: 'promote', actor: bob, releaseId: id });
    // Three optimistic attempts lost; the fourth held the row, so nothing could land before its save.
    expect(landed).toBe(3);
    expect(outcome).toMatchObject({ kind: 'accepted' });
    await expectOneTransitionPerVersion(database, id);
    const events = await eventsOf(database, id);
    expect(events.filter((event) => event.kind === 'transition').map((event) => (event.data as { input: string }).input).slice(-4)).toEqual(['pause', 'resume', 'pause', 'promote']);
    expect(events.filter((event) => event.type.includes('promoted')).map((event) => event.actor)).toEqual([bob.userId]);
    expect(events.filter((event) => event.kind === 'refusal')).toEqual([]);
  }, 180_000);

  it('a tick whose writes fail for some releases of its batch moves none of them, and the next tick moves every one once', async () => {
    const clock = new ManualClock(START);
    await seedServing(database.db, SERVICES.map((service) => ({ environment: 'production', service, version: 'v1' })), clock.now());
    const { other } = await engines(clock);
    const ids: string[] = [];
    for (const service of SERVICES) ids.push(await baking(other, service));
    await toNextTimer(clock);
    const versionsBefore = await Promise.all(ids.map((id) => transitionVersions(database, id)));
    // The batch's writes go out together: two of them fail while the others are on their way.
    const failing = new Set([ids[1]!, ids[3]!]);
    const failingDb = await handle();
    const ticker = buildEngine({ store: storeFailingSaves(failingDb, failing), catalog: new DrizzleCatalog(failingDb), config, clock, ports: fakePorts(), logger: silentLogger, runLanesAtOnce: false });

    await expect(ticker.tick()).rejects.toThrow(new RegExp(`the write of (${ids[1]}|${ids[3]}) failed`));
    // Rolled back together: not one release of the batch moved.
    expect(await Promise.all(ids.map((id) => transitionVersions(database, id)))).toEqual(versionsBefore);

    failing.clear();
    expect(await ticker.tick()).toBe(ids.length);
    for (const [index, id] of ids.entries()) {
      await expectOneTransitionPerVersion(database, id);
      expect(await transitionVersions(database, id)).toHaveLength(versionsBefore[index]!.length + 1);
    }
  }, 180_000);

  it('a tick and clicks on the same releases, all at once: every click applies once and every version has one transition', async () => {
    const clock = new ManualClock(START);
    await seedServing(database.db, SERVICES.map((service) => ({ environment: 'production', service, version: 'v1' })), clock.now());
    const { clicker, other } = await engines(clock);
    const ids: string[] = [];
    for (const service of SERVICES) ids.push(await baking(other, service));
    await toNextTimer(clock);

    const [ticked, ...clicks] = await Promise.all([other.tick(), ...ids.map((releaseId) => clicker.releases.act({ verb: 'pause', actor: bob, releaseId }))]);
    expect(ticked).toBeLessThanOrEqual(ids.length);
    // One tick moves a release once, so a click loses at most one attempt to it and still lands.
    expect(clicks.map((click) => click.kind)).toEqual(ids.map(() => 'accepted'));
    for (const id of ids) {
      await expectOneTransitionPerVersion(database, id);
      const events = await eventsOf(database, id);
      expect(events.filter((event) => event.kind === 'transition' && event.type.includes('paused'))).toHaveLength(1);
      expect((await other.releases.status(id))?.status).toBe('paused');
    }
  }, 180_000);
});
