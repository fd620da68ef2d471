import type { PGlite } from '@electric-sql/pglite';
import type { Db } from './db.js';
import type { PgliteConnection } from './pglite-thread.js';

/**
 * The casts the type checker cannot verify, in one reviewed place. Each says why it is sound; code
 * anywhere else in src/ never writes `as unknown as`.
 */

/**
 * Either driver's drizzle database as the driver-neutral `Db`. drizzle types each driver's result
 * (node-postgres' QueryResult, PGlite's Results) with its own HKT, so the two databases are not
 * assignable to one another, though every query builder and `execute` repositories use is the same.
 */
export function asDb(database: object): Db {
  return database as unknown as Db;
}

/**
 * The worker-thread connection as drizzle's PGlite client. drizzle's PGlite session calls only
 * `client.query(sql, params, { rowMode, parsers })` and `client.transaction(fn)` (with a client of
 * the same shape inside); PgliteConnection has both (checked against drizzle-orm/pglite/session.js).
 */
export function asPgliteClient(connection: PgliteConnection): PGlite {
  return connection as unknown as PGlite;
}

/** `db.execute` answers `{ rows }` on both drivers; drizzle types the result per driver as unknown rows. */
export function rowsOf<Row>(result: unknown): Row[] {
  return (result as { rows: Row[] }).rows;
}
