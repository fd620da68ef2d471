import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../src/store/db.js';
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
});
