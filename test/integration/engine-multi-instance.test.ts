import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryConfigSchema } from '../../src/config/delivery-schema.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { TrafficChange } from '../../src/ports/traffic.js';
import { createEngine, type Engine } from '../../src/app/create-engine.js';
import { openDatabase, queryRows, type Database } from '../../src/store/db.js';
import { outbox, releaseEvents, releases } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { nextDue, seedServing, silentLogger } from '../support/fakes/engine-harness.js';
import { fakePorts, FakeTraffic, type FakePorts } from '../support/fakes/fake-ports.js';

/**
 * Several engine instances on one database (separate pools on real Postgres): every transition and
 * every traffic call happens once, and an instance cut off mid-transaction loses nothing.
 */

const SERVICES = Array.from({ length: 50 }, (_, index) => `svc-${String(index).padStart(2, '0')}`);
const config = deliveryConfigSchema.parse({
  teams: { platform: { channel: '#platform' } },
  services: Object.fromEntries(
    SERVICES.map((name) => [name, { repo: `acme/${name}`, team: 'platform', checks: [{ name: 'errors', kind: 'error_rate', requests: 'r', errors: 'e' }] }]),
  ),
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
const someone = { userId: 'U0OPS', userGroupIds: [] };
const START = '2026-11-17T15:00:00.000Z';

type ScratchPostgres = Database & { url: string; connect(poolSize?: number): Promise<Database> };

async function transitionsAreContiguous(database: Database): Promise<void> {
  const rows = await database.db.select({ releaseId: releaseEvents.releaseId, version: releaseEvents.version }).from(releaseEvents).where(eq(releaseEvents.kind, 'transition'));
  const byRelease = new Map<string, number[]>();
  for (const row of rows) if (row.releaseId) byRelease.set(row.releaseId, [...(byRelease.get(row.releaseId) ?? []), row.version]);
  const finals = await database.db.select({ id: releases.id, version: releases.version }).from(releases);
  for (const release of finals) {
    // One audit row per transition, none missing: exactly 1..version.
    expect((byRelease.get(release.id) ?? []).sort((a, b) => a - b)).toEqual([...Array(release.version).keys()].map((index) => index + 1));
  }
}

function appliedPerKey(traffic: FakeTraffic): Map<string, number> {
  const counts = new Map<string, number>();
  for (const change of traffic.applied) counts.set(change.idempotencyKey, (counts.get(change.idempotencyKey) ?? 0) + 1);
  return counts;
}

describe.each(testDatabaseKinds)('engine instances on $name', (kind) => {
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

  /** Separate pools on Postgres; PGlite has one connection, so its instances share it. */
  async function handle(poolSize = 3): Promise<Database> {
    if (kind.name !== 'postgres') return database;
    const opened = await (database as ScratchPostgres).connect(poolSize);
    extra.push(opened);
    return opened;
  }

  // 50 on real Postgres; PGlite's single connection serialises everything, so fewer keep the run short.
  const count = kind.name === 'postgres' ? 50 : 12;
  it(`three instances drive ${count} releases to completion, each transition and traffic call once`, async () => {
    const services = SERVICES.slice(0, count);
    const clock = new ManualClock(START);
    const shared = fakePorts();
    const engines: Engine[] = [];
    for (let index = 0; index < 3; index += 1) {
      engines.push(createEngine({ db: (await handle()).db, config, clock, ports: shared, logger: silentLogger, runLanesAtOnce: false }));
    }
    await seedServing(database.db, services.map((service) => ({ environment: 'production', service, version: 'v1' })), clock.now());
    const ids: string[] = [];
    for (const [index, service] of services.entries()) {
      const outcome = await engines[index % 3]!.releases.act({ verb: 'deploy', actor: someone, target: { kind: 'service', service, version: 'v2' }, environment: 'production' });
      if (outcome.kind !== 'accepted') throw new Error(outcome.message);
      ids.push(outcome.view.id);
    }

    for (let round = 0; round < 200; round += 1) {
      await Promise.all(engines.map((engine) => engine.runUntilIdle()));
      await Promise.all(engines.map((engine) => engine.settle()));
      const [open] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM releases WHERE status <> 'succeeded'`);
      const [pending] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM outbox WHERE status = 'pending'`);
      if (open!.n === 0 && pending!.n === 0) break;
      const due = await nextDue(database.db);
      if (due && due > clock.now()) clock.set(due);
    }

    const statuses = await database.db.select({ status: releases.status }).from(releases);
    expect(statuses.filter((row) => row.status === 'succeeded')).toHaveLength(count);
    await transitionsAreContiguous(database);
    // Every traffic step of every release applied once, in order; nothing retried, nothing lost.
    expect(shared.traffic.calls).toHaveLength(shared.traffic.applied.length);
    expect([...appliedPerKey(shared.traffic).values()].every((count) => count === 1)).toBe(true);
    for (const [index, service] of services.entries()) {
      const fresh = `is-${ids[index]}-production-${service}`;
      expect(shared.traffic.history(service, 'production')).toEqual([{ [fresh]: 10, [`is-seed-production-${service}-v1`]: 90 }, { [fresh]: 100, [`is-seed-production-${service}-v1`]: 0 }]);
    }
    expect(shared.infra.provisioned).toHaveLength(count);
    const [measured] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM outbox WHERE kind = 'measure' AND status = 'done'`);
    expect(shared.health.requests).toHaveLength(measured!.n);
    const dead = await database.db.select().from(outbox).where(eq(outbox.status, 'dead'));
    expect(dead).toEqual([]);
  }, 180_000);
});

describe.each(testDatabaseKinds.filter((kind) => kind.name === 'postgres'))('an instance cut off on $name', (kind) => {
  let database: ScratchPostgres;
  beforeAll(async () => {
    database = (await kind.open()) as ScratchPostgres;
  });
  afterAll(async () => database?.close());

  it('loses nothing and doubles nothing when its pool dies mid-transaction; another instance finishes', async () => {
    const clock = new ManualClock(START);
    const shared = fakePorts();
    const url = new URL(database.url);
    url.searchParams.set('application_name', 'engine-doomed');
    const doomedDb = await openDatabase({ driver: 'postgres', url: url.toString(), poolSize: 2 });
    // A checked-out client killed by the server emits 'error'; this instance is meant to die quietly.
    (doomedDb.db as unknown as { $client: pg.Pool }).$client.on('connect', (client) => client.on('error', () => {}));
    const survivorDb = await database.connect(3);
    // The doomed instance talks to the same router, through its own door.
    const doomedPorts: FakePorts = { ...shared, traffic: Object.assign(Object.create(shared.traffic) as FakeTraffic, { setWeights: (change: TrafficChange) => shared.traffic.setWeights(change) }) };
    const doomed = createEngine({ db: doomedDb.db, config, clock, ports: doomedPorts, logger: silentLogger, outbox: { leaseMs: 30_000 }, runLanesAtOnce: false });
    const survivor = createEngine({ db: survivorDb.db, config, clock, ports: shared, logger: silentLogger, outbox: { leaseMs: 30_000 }, runLanesAtOnce: false });

    await seedServing(database.db, [{ environment: 'production', service: 'svc-00', version: 'v1' }], clock.now());
    const outcome = await survivor.releases.act({ verb: 'deploy', actor: someone, target: { kind: 'service', service: 'svc-00', version: 'v2' }, environment: 'production' });
    if (outcome.kind !== 'accepted') throw new Error(outcome.message);
    const id = outcome.view.id;
    await survivor.runOutbox('critical'); // provision → done → the 10% shift is queued
    const [queued] = await database.db.select().from(outbox).where(eq(outbox.kind, 'set_weights'));
    expect(queued).toMatchObject({ status: 'pending', attempts: 0 });

    // Hold the release row so the doomed instance's completion transaction blocks inside it.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT id FROM releases WHERE id = $1 FOR UPDATE', [id]);
    const doomedRun = doomed.runOutbox('critical');
    // Wait (by polling the server, not a timer) until it is stuck mid-transaction, then cut it off.
    // The observer is outside any transaction: pg_stat_activity is a snapshot within one.
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    for (;;) {
      const { rows } = await observer.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'engine-doomed' AND wait_event_type = 'Lock'",
      );
      if (rows[0]!.n > 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await observer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'engine-doomed'");
    await observer.end();
    await doomedRun;
    await doomedDb.close().catch(() => {});
    await blocker.query('ROLLBACK');
    await blocker.end();

    // The shift reached the router, but its completion died with the instance.
    expect(shared.traffic.calls).toHaveLength(1);
    const [stuck] = await database.db.select().from(outbox).where(eq(outbox.kind, 'set_weights'));
    expect(stuck).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await survivor.releases.status(id))!.status).toBe('running');

    // Past the lease the survivor retries it (same idempotency key) and drives the release home.
    for (let round = 0; round < 50; round += 1) {
      await survivor.runUntilIdle();
      if ((await survivor.releases.status(id))!.status === 'succeeded') break;
      const due = await nextDue(database.db);
      if (due && due > clock.now()) clock.set(due);
    }
    expect((await survivor.releases.status(id))!.status).toBe('succeeded');
    const fresh = `is-${id}-production-svc-00`;
    expect(shared.traffic.history('svc-00', 'production')).toEqual([{ [fresh]: 10, 'is-seed-production-svc-00-v1': 90 }, { [fresh]: 100, 'is-seed-production-svc-00-v1': 0 }]);
    const firstKey = shared.traffic.calls[0]!.idempotencyKey;
    expect(shared.traffic.calls.filter((call) => call.idempotencyKey === firstKey)).toHaveLength(2);
    expect([...appliedPerKey(shared.traffic).values()].every((count) => count === 1)).toBe(true);
    await transitionsAreContiguous(database);
    const shifts = await database.db.select().from(releaseEvents).where(eq(releaseEvents.releaseId, id));
    expect(shifts.filter((event) => event.type.includes('stage_started'))).toHaveLength(2);
  }, 180_000);
});
