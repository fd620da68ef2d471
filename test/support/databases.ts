import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { inject } from 'vitest';
import { openDatabase, queryRows, type Database, type Db } from '../../src/store/db.js';
import { createScratchDatabase } from './scratch-database.js';

/**
 * The databases every store test runs against (describe.each): PGlite always, real Postgres when
 * TEST_DATABASE_URL is set. On CI (CI=true) Postgres is required: a missing or unreachable server fails.
 */
export interface TestDatabaseKind {
  name: 'pglite' | 'postgres';
  /** A fresh, migrated database of its own; close() removes it. */
  open(): Promise<Database>;
}

const postgresUrl = process.env.TEST_DATABASE_URL;

if (process.env.CI === 'true' && !postgresUrl) {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: the Postgres store tests must run on CI');
}

export const pgliteKind: TestDatabaseKind = {
  name: 'pglite',
  async open() {
    const template = new Blob([readFileSync(inject('pgliteTemplatePath'))]);
    const database = await openDatabase({ driver: 'pglite', dataDir: null, loadDataDir: template });
    await database.migrate();
    return database;
  },
};

export const postgresKind: TestDatabaseKind | undefined = postgresUrl
  ? {
      name: 'postgres',
      async open(poolSize?: number) {
        return openScratchPostgres(postgresUrl, poolSize);
      },
    }
  : undefined;

export const testDatabaseKinds: TestDatabaseKind[] = postgresKind ? [pgliteKind, postgresKind] : [pgliteKind];

/**
 * Creates a database of its own on the server (so test files running in parallel never share
 * tables), migrates it, and drops it on close. Extra handles on the same database, e.g. for several
 * engine instances with separate pools, come from `connect`.
 */
export async function openScratchPostgres(
  adminUrl: string,
  poolSize?: number,
): Promise<Database & { url: string; connect(poolSize?: number): Promise<Database> }> {
  const scratch = await createScratchDatabase(adminUrl);
  const url = scratch.url;
  const extra: Database[] = [];
  const database = await openDatabase({ driver: 'postgres', url, ...(poolSize ? { poolSize } : {}) });
  await database.migrate();
  return {
    ...database,
    url,
    async connect(size?: number) {
      const handle = await openDatabase({ driver: 'postgres', url, ...(size ? { poolSize: size } : {}) });
      extra.push(handle);
      return handle;
    },
    async close() {
      await Promise.allSettled(extra.map((handle) => handle.close()));
      await database.close();
      await scratch.drop();
    },
  };
}

/** Empties every table of the public schema, for a clean slate between tests sharing a database. */
export async function truncateAll(db: Db): Promise<void> {
  const rows = await queryRows<{ tablename: string }>(db, sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  const tables = rows.map((row) => `"${row.tablename}"`);
  if (tables.length > 0) await db.execute(sql.raw(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`));
}
