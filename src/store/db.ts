import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { PgliteThread } from './pglite-thread.js';
import type * as schema from './schema/index.js';
import { asDb, asPgliteClient, rowsOf } from '../unchecked.js';

/**
 * One repository layer over two drivers: node-postgres when DATABASE_URL is set, PGlite (embedded
 * Postgres in a data directory, run in a worker thread of its own) when not. Repositories take `Db`
 * and never know which one it is. Drizzle and the drivers load only when a database is opened, the
 * embedded one's thread already opening meanwhile: a start sends the open before they load.
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
  | {
      driver: 'pglite';
      dataDir: string | null;
      loadDataDir?: Blob;
      onQuery?: QueryListener;
      /** A thread already started (PgliteThread.start, main.ts) and not yet opened; by default a new one. */
      thread?: PgliteThread;
    };

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
  const [{ default: pg }, { drizzle: drizzleNodePg }, { migrate: migrateNodePg }, schema, { sql }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
    import('./schema/index.js'),
    import('drizzle-orm'),
  ]);
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its server (a Postgres restart) must not crash the process; the pool reconnects.
  pool.on('error', () => {});
  // Likewise a connection the server ends mid-query (a restart, pg_terminate_backend): the query
  // rejects and the caller retries; the client's own 'error' event must not take the process down.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = asDb(drizzleNodePg(pool, { schema, ...queryLogger(onQuery) }));
  const applied = appliedMigrations(db, sql);
  return {
    driver: 'postgres',
    db,
    async migrate() {
      if (await upToDate(applied)) return;
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
    ready: () => checkReady(applied),
    close: () => pool.end(),
  };
}

/**
 * The types drizzle-orm/pglite asks every query to return as Postgres text (timestamp, timestamptz,
 * interval, date and the arrays of those and of numeric; its session.js): the embedded instance
 * keeps them as text itself, so queries need not bring parsers. Were drizzle to ask for another
 * set, its queries would bring their own and still be answered right.
 */
const DRIZZLE_TEXT_TYPES = [1114, 1184, 1186, 1082, 1231, 1115, 1185, 1187, 1182];

async function openPglite(options: DatabaseOptions & { driver: 'pglite' }): Promise<EmbeddedDatabase> {
  // Postgres in WASM runs on its own thread: a burst of database work never holds up an ack.
  const thread = options.thread ?? PgliteThread.start();
  const [, { drizzle: drizzlePglite }, { migrate: migratePglite }, schema, { sql }] = await Promise.all([
    thread.open({ ...options, textTypes: DRIZZLE_TEXT_TYPES }),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
    import('./schema/index.js'),
    import('drizzle-orm'),
  ]).catch(async (error: unknown) => {
    await thread.close().catch(() => {});
    throw error;
  });
  const client = drizzlePglite(asPgliteClient(thread), { schema, ...queryLogger(options.onQuery) });
  const db = asDb(client);
  const applied = appliedMigrations(db, sql);
  return {
    driver: 'pglite',
    db,
    async migrate() {
      if (await upToDate(applied)) return;
      await migratePglite(client, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    ready: () => checkReady(applied),
    dumpDataDir: () => thread.dumpDataDir(),
    close: () => thread.close(),
  };
}

/** How many migrations a database records and the newest one's folder time (drizzle's created_at, the journal's `when`). */
interface MigrationCount {
  count: number;
  lastMillis: number;
}

function shippedMigrations(): MigrationCount {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: Array<{ when: number }> };
  return { count: journal.entries.length, lastMillis: Math.max(0, ...journal.entries.map((entry) => entry.when)) };
}

/** Reads the migrations table in one statement (it rejects while the table does not exist). */
function appliedMigrations(db: Db, sql: typeof import('drizzle-orm').sql): () => Promise<MigrationCount> {
  const query = sql`SELECT count(*)::int AS applied, coalesce(max(created_at), 0) AS last FROM drizzle.__drizzle_migrations`;
  return async () => {
    const [row] = await queryRows<{ applied: number; last: unknown }>(db, query);
    return { count: Number(row?.applied ?? 0), lastMillis: Number(row?.last ?? 0) };
  };
}

/**
 * Whether drizzle's migrator would apply nothing: it applies every shipped migration newer than the
 * newest recorded one. A start on an up-to-date database then costs one statement, not the
 * migrator's five round trips (schema, table, last row, an empty transaction).
 */
async function upToDate(applied: () => Promise<MigrationCount>): Promise<boolean> {
  const recorded = await applied().catch(() => null);
  return recorded !== null && recorded.lastMillis >= shippedMigrations().lastMillis;
}

async function checkReady(applied: () => Promise<MigrationCount>): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const { count } = await applied();
    const shipped = shippedMigrations().count;
    return count >= shipped ? { ok: true } : { ok: false, reason: `${count} of ${shipped} migrations applied` };
  } catch (error) {
    return { ok: false, reason: `database unreachable or not migrated: ${(error as Error).message}` };
  }
}

/** Runs raw SQL and returns its rows; both drivers answer `{ rows }`, which drizzle types as unknown. */
export async function queryRows<Row>(db: DbOrTx, query: SQL): Promise<Row[]> {
  return rowsOf<Row>(await db.execute(query));
}
