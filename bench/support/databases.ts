import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createScratchDatabase } from '../../test/support/scratch-database.js';

/**
 * Databases for benchmarks: a fresh in-memory PGlite, or a scratch database of its own on the local
 * Postgres server (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), dropped
 * on close.
 */

export const BENCH_POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export async function openBenchPglite(dataDir: string | null = null): Promise<Database> {
  const database = await openDatabase({ driver: 'pglite', dataDir });
  await database.migrate();
  return database;
}

export async function postgresAvailable(adminUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface ScratchPostgres {
  url: string;
  database: Database;
  close(): Promise<void>;
}

export async function openScratchPostgres(adminUrl: string, options: { migrate?: boolean; poolSize?: number } = {}): Promise<ScratchPostgres> {
  const scratch = await createScratchDatabase(adminUrl, 'dd_bench');
  const database = await openDatabase({ driver: 'postgres', url: scratch.url, ...(options.poolSize ? { poolSize: options.poolSize } : {}) });
  if (options.migrate ?? true) await database.migrate();
  return {
    url: scratch.url,
    database,
    async close() {
      await database.close().catch(() => {});
      await scratch.drop();
    },
  };
}
