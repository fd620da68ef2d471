import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './db.js';

/**
 * A hot statement built once per database instead of once per call: drizzle's query building
 * (the SQL text, its parameters, the row mapping) is most of the CPU a short read costs. `build`
 * ends in `.prepare(name)` with placeholders for the values; on node-postgres the name also lets
 * each connection parse and plan the statement once. A prepared statement belongs to the session it
 * was built on, so inside a transaction it is built over the transaction again, under the same name.
 */
export function preparedStatement<Statement>(build: (db: DbOrTx) => Statement): (db: DbOrTx) => Statement {
  const built = new WeakMap<DbOrTx, Statement>();
  return (db) => {
    if (is(db, PgTransaction)) return build(db);
    let statement = built.get(db);
    if (statement === undefined) {
      statement = build(db);
      built.set(db, statement);
    }
    return statement;
  };
}
