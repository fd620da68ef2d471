import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../src/store/db.js';
import { claimStatement } from '../../src/store/repos/outbox-repo.js';
import { testDatabaseKinds } from '../support/databases.js';

describe.each(testDatabaseKinds)('database on $name', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await kind.open();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('is ready once migrated, and migrating again changes nothing', async () => {
    await expect(database.ready()).resolves.toEqual({ ok: true });
    await database.migrate();
    const [row] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
    expect(row?.n).toBeGreaterThan(0);
  });

  it('claims a lane by walking its pending rows in claim order and stopping at the limit, however many are due', async () => {
    // A thousand releases each with a traffic move due (a tick promoted them at once), and history behind them.
    await database.db.execute(sql`INSERT INTO outbox (kind, lane, effect, idempotency_key, release_id, priority, status, attempts, next_attempt_at, created_at)
      SELECT 'set_weights', 'critical', '{}'::jsonb, 'due:' || g, 'r' || g, 0, 'pending', 0, now() - interval '1 second', now() FROM generate_series(1, 1000) g
      UNION ALL
      SELECT 'set_weights', 'critical', '{}'::jsonb, 'done:' || g, 'r' || (g % 1000), 0, 'done', 1, now() - interval '1 hour', now() FROM generate_series(1, 3000) g`);
    await database.db.execute(sql`ANALYZE outbox`);
    const now = new Date();
    const claim = claimStatement({ lane: 'critical', now, leaseUntil: new Date(now.getTime() + 4_000), limit: 20, withoutCards: false });
    const [explained] = await queryRows<{ 'QUERY PLAN': unknown }>(database.db, sql`EXPLAIN (FORMAT JSON) ${claim}`);
    const nodes: Array<{ 'Node Type': string; 'Index Name'?: string }> = [];
    const walk = (node: { Plans?: unknown[] } & (typeof nodes)[number]) => {
      nodes.push(node);
      for (const child of node.Plans ?? []) walk(child as typeof node);
    };
    const plan = explained!['QUERY PLAN'];
    walk((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
    expect(nodes.filter((node) => node['Index Name'] === 'outbox_claim').map((node) => node['Node Type'])).toEqual(['Index Scan']);
    expect(nodes.filter((node) => node['Index Name'] === 'outbox_pending_release')).toHaveLength(1);
    // Nothing sorts the due rows: the walk meets them in claim order.
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(await queryRows(database.db, claim)).toHaveLength(20);
  });
});
