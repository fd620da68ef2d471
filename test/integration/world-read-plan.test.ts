import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newReleaseState } from '../../src/domain/release/decide.js';
import { planRelease } from '../../src/domain/release/plan.js';
import type { Actor } from '../../src/domain/release/types.js';
import type { InfraSetRecord } from '../../src/ports/infra-set-store.js';
import type { Database, DbOrTx } from '../../src/store/db.js';
import { queryRows } from '../../src/store/db.js';
import { DrizzleStore } from '../../src/store/drizzle-store.js';
import { infraSets } from '../../src/store/schema/index.js';
import { testDatabaseKinds } from '../support/databases.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';

/**
 * The world reads find a release's infra-sets by index, however many the table holds and whatever
 * the planner knows of it. With the service and environment lists known only when the statement
 * runs (a prepared statement's parameters, or read off the release row in SQL), a plain filter over
 * the table was planned from its statistics: on a table just filled, not yet analyzed (as here),
 * Postgres scanned every infra-set, 0.75 ms per /release with 2,000 of them. Counted by the
 * database itself (pg_stat_xact_user_tables), on PGlite and on Postgres.
 */

const config = exampleShopConfig();
const T0 = new Date(TUESDAY_MORNING);
const alice: Actor = { userId: 'U0ALICE', userGroupIds: [] };
/** Services of other teams: their sets fill the table the reads must not walk. */
const OTHER_SERVICES = 1_000;

function infraSet(id: string, parts: Pick<InfraSetRecord, 'service' | 'environment' | 'state'>): InfraSetRecord {
  return { id, version: id, releaseId: null, weight: parts.state === 'serving' ? 100 : 0, createdAt: T0, warmedAt: null, retiredAt: null, ...parts };
}

/** How infra_sets has been read so far: its sequential scans and its index scans. */
async function infraSetScans(tx: DbOrTx): Promise<{ sequential: number; indexed: number }> {
  const [row] = await queryRows<{ seq_scan: string | number; idx_scan: string | number | null }>(
    tx,
    sql`SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'infra_sets'`,
  );
  return { sequential: Number(row?.seq_scan ?? 0), indexed: Number(row?.idx_scan ?? 0) };
}

describe.each(testDatabaseKinds)('world reads on $name', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await kind.open();
    const others = Array.from({ length: OTHER_SERVICES }, (_, index) => `svc-${String(index).padStart(4, '0')}`);
    await database.db.insert(infraSets).values([
      infraSet('is-checkout-v1', { service: 'checkout', environment: 'production', state: 'serving' }),
      infraSet('is-web-v5', { service: 'web', environment: 'production', state: 'serving' }),
      infraSet('is-web-v4', { service: 'web', environment: 'production', state: 'retired' }),
      ...others.flatMap((service) => [
        infraSet(`is-${service}-production`, { service, environment: 'production', state: 'serving' }),
        infraSet(`is-${service}-staging`, { service, environment: 'staging', state: 'serving' }),
      ]),
    ]);
    const planned = planRelease({ releaseId: 'r1', config, versionSetId: 1, versions: { web: 'v6' }, environment: 'production', serving: {} });
    if (!planned.ok) throw new Error(planned.refusal.message);
    await new DrizzleStore(database.db, config).releases.insert(
      { environment: 'production', requester: alice.userId },
      { kind: 'accepted', state: newReleaseState({ id: 'r1', requester: alice, plan: planned.plan, now: T0 }), events: [{ type: 'created', message: 'requested' }], effects: [], nextTickAt: null },
      { input: 'deploy', actor: alice.userId, now: T0 },
    );
  }, 120_000);
  afterAll(async () => database?.close());

  it('a release with its world, and the world of a few services, look their infra-sets up by index', async () => {
    const { read, world, scans } = await database.db.transaction(async (tx) => {
      const store = new DrizzleStore(tx, config);
      // Postgres counts into these views the scans of earlier work it has not yet reported, too.
      const before = await infraSetScans(tx);
      const read = await store.releases.getWithWorld('r1', T0);
      const world = await store.releases.world({ environments: ['production'], services: ['checkout', 'web'] }, T0);
      const after = await infraSetScans(tx);
      return { read, world, scans: { sequential: after.sequential - before.sequential, indexed: after.indexed - before.indexed } };
    });
    // web ships and depends on checkout: both are in its scope, and nothing of the other services.
    const serving = { web: { version: 'is-web-v5', infraSetId: 'is-web-v5' }, checkout: { version: 'is-checkout-v1', infraSetId: 'is-checkout-v1' } };
    expect(read?.world.serving).toEqual({ production: serving });
    expect(world.serving).toEqual({ production: serving });
    expect(scans.sequential).toBe(0);
    expect(scans.indexed).toBeGreaterThan(0);
  });
});
