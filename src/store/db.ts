import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { PgliteThread } from './pglite-thread.js';
import * as schema from './schema/index.js';
import { asDb, asPgliteClient, rowsOf } from '../unchecked.js';

/**
 * One repository layer over two drivers: node-postgres when DATABASE_URL is set, PGlite (embedded
 * Postgres in a data directory, run in a worker thread of its own) when not. Repositories take `Db`
 * and never know which one it is.
 */
export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema>;
/** Either the database or an open transaction: repositories accept both. */
export type DbOrTx = Db | Tx;

export type DatabaseDriver = 'postgres' | 'pglite';

export interface Database {
  readonly driver: DatabaseDriver;
  readonly db: Db;
  /** Applies pending migrations from migrations/ (idempotent; safe with several replicas). */
  migrate(): Promise<void>;
  /** True when the database answers and every shipped migration is applied. */
  ready(): Promise<{ ok: true } | { ok: false; reason: string }>;
  close(): Promise<void>;
}

/** The embedded database can also hand out its data directory as a tarball (the test template). */
export interface EmbeddedDatabase extends Database {
  readonly driver: 'pglite';
  dumpDataDir(): Promise<Blob>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Distinguishes our advisory lock from any other application's on a shared server. */
const MIGRATION_LOCK_KEY = 7_146_233_101;

/** Called with each statement drizzle sends (BEGIN and COMMIT too, on node-postgres): how tests count work per input. */
export type QueryListener = (sql: string) => void;

export type DatabaseOptions =
  | { driver: 'postgres'; url: string; poolSize?: number; onQuery?: QueryListener }
  | { driver: 'pglite'; dataDir: string | null; loadDataDir?: Blob; onQuery?: QueryListener };

function queryLogger(onQuery: QueryListener | undefined): { logger: { logQuery(query: string): void } } | Record<string, never> {
  return onQuery ? { logger: { logQuery: (query: string) => onQuery(query) } } : {};
}

export function databaseOptionsFromEnv(env: { DATABASE_URL?: string; DATA_DIR: string }): DatabaseOptions {
  return env.DATABASE_URL ? { driver: 'postgres', url: env.DATABASE_URL } : { driver: 'pglite', dataDir: env.DATA_DIR };
}

export async function openDatabase(options: DatabaseOptions & { driver: 'pglite' }): Promise<EmbeddedDatabase>;
export async function openDatabase(options: DatabaseOptions): Promise<Database>;
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.driver === 'postgres' ? openPostgres(options.url, options.poolSize, options.onQuery) : openPglite(options);
}

async function openPostgres(url: string, poolSize = 10, onQuery?: QueryListener): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its server (a Postgres restart) must not crash the process; the pool reconnects.
  pool.on('error', () => {});
  // Likewise a connection the server ends mid-query (a restart, pg_terminate_backend): the query
  // rejects and the caller retries; the client's own 'error' event must not take the process down.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = asDb(drizzleNodePg(pool, { schema, ...queryLogger(onQuery) }));
  return {
    driver: 'postgres',
    db,
    async migrate() {
      // One client holds an advisory lock, so replicas starting together migrate one at a time.
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await migrateNodePg(drizzleNodePg(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    ready: () => checkReady(db),
    close: () => pool.end(),
  };
}

async function openPglite(options: { dataDir: string | null; loadDataDir?: Blob; onQuery?: QueryListener }): Promise<EmbeddedDatabase> {
  // Postgres in WASM runs on its own thread: a burst of database work never holds up an ack.
  const thread = await PgliteThread.open(options);
  const client = drizzlePglite(asPgliteClient(thread), { schema, ...queryLogger(options.onQuery) });
  const db = asDb(client);
  return {
    driver: 'pglite',
    db,
    async migrate() {
      await migratePglite(client, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    ready: () => checkReady(db),
    dumpDataDir: () => thread.dumpDataDir(),
    close: () => thread.close(),
  };
}

function shippedMigrationCount(): number {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

async function checkReady(db: Db): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const [row] = await queryRows<{ applied: number }>(db, sql`SELECT count(*)::int AS applied FROM drizzle.__drizzle_migrations`);
    const applied = Number(row?.applied ?? 0);
    const shipped = shippedMigrationCount();
    return applied >= shipped ? { ok: true } : { ok: false, reason: `${applied} of ${shipped} migrations applied` };
  } catch (error) {
    return { ok: false, reason: `database unreachable or not migrated: ${(error as Error).message}` };
  }
}

/** Runs raw SQL and returns its rows; both drivers answer `{ rows }`, which drizzle types as unknown. */
export async function queryRows<Row>(db: DbOrTx, query: SQL): Promise<Row[]> {
  return rowsOf<Row>(await db.execute(query));
}
