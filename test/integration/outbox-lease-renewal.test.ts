import { inArray } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../src/ports/outbox.js';
import { openDatabase, type Database } from '../../src/store/db.js';
import { DrizzleStore } from '../../src/store/drizzle-store.js';
import { outbox } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';

/**
 * A replica renews the leases of every row it is running in one statement, once a second, while
 * those rows' completions commit on other connections. The renewal must never wait on a row another
 * transaction holds: waiting, it would hold the rows it already renewed, and their completions would
 * queue behind it (a heartbeat turned into a lock convoy between the lanes, and between replicas
 * whose card renders coalesce). Real Postgres only: PGlite has one connection, so nothing runs
 * concurrently there.
 */

type ScratchPostgres = Database & { url: string };

const T0 = new Date(TUESDAY_MORNING);
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe.each(testDatabaseKinds.filter((kind) => kind.name === 'postgres'))('outbox lease renewal on $name', (kind) => {
  let database: ScratchPostgres;
  /** The renewing replica's handle: a lock wait longer than this fails its statement instead of hanging. */
  let renewer: Database;
  let holder: pg.Client;
  beforeAll(async () => {
    database = (await kind.open()) as ScratchPostgres;
    const url = new URL(database.url);
    url.searchParams.set('options', '-c lock_timeout=3000');
    renewer = await openDatabase({ driver: 'postgres', url: url.toString(), poolSize: 1 });
    holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await renewer?.close();
    await database?.close();
  });
  beforeEach(async () => truncateAll(database.db));

  it('renews the rows nobody else holds at once, and leaves a row whose completion is being written for the next heartbeat', async () => {
    const store = new DrizzleStore(database.db, exampleShopConfig());
    const entry = (key: string, releaseId: string): OutboxEntry => ({ lane: 'critical', key, releaseId, effect: { kind: 'notify', channel: '#ops', text: key, releaseId: null }, now: T0 });
    await store.outbox.enqueue(entry('finishing', 'r1'));
    await store.outbox.enqueue(entry('running', 'r2'));
    const claimed = await store.outbox.claim({ lane: 'critical', now: T0, leaseUntil: at(4), limit: 10, withoutCards: false });
    expect(claimed).toHaveLength(2);
    const finishing = claimed.find((row) => row.idempotencyKey === 'finishing')!;
    const running = claimed.find((row) => row.idempotencyKey === 'running')!;

    // The completion of one row has written its end and not committed yet.
    await holder.query('BEGIN');
    await holder.query(`UPDATE outbox SET status = 'done', finished_at = $1 WHERE id = $2`, [at(1).toISOString(), finishing.id]);
    try {
      await new DrizzleStore(renewer.db, exampleShopConfig()).outbox.renew(claimed, at(5));
      const leases = await database.db.select({ id: outbox.id, nextAttemptAt: outbox.nextAttemptAt }).from(outbox).where(inArray(outbox.id, [finishing.id, running.id]));
      const leaseOf = (id: number) => leases.find((row) => row.id === id)?.nextAttemptAt.toISOString();
      expect(leaseOf(running.id)).toBe(at(5).toISOString());
      // Left as it was: the completion ends it, or (rolled back) its lease runs out and another replica retries it.
      expect(leaseOf(finishing.id)).toBe(at(4).toISOString());
    } finally {
      await holder.query('COMMIT');
    }
    const [done] = await database.db.select({ status: outbox.status }).from(outbox).where(inArray(outbox.id, [finishing.id]));
    expect(done?.status).toBe('done');
  });
});
