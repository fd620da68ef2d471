import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { openDatabase, type Database, type Db } from '../../src/store/db.js';
import { createScratchDatabase } from './scratch-database.js';

/**
 * A database that counts the SQL statements sent to it: every statement drizzle sends goes through
 * its query logger (the same path on PGlite and node-postgres), and every transaction through
 * `db.transaction`. BEGIN and COMMIT are counted as the transaction, not as statements.
 */
export interface StatementCounter {
  /** Statements since the last reset, in the order they were sent. */
  readonly statements: string[];
  /** Transactions opened since the last reset. */
  readonly transactions: number;
  reset(): void;
}

const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release savepoint)\b/i;

function countingListener(): { counter: StatementCounter; onQuery: (sql: string) => void; opened: () => void } {
  let statements: string[] = [];
  let transactions = 0;
  return {
    counter: {
      get statements() {
        return statements;
      },
      get transactions() {
        return transactions;
      },
      reset() {
        statements = [];
        transactions = 0;
      },
    },
    onQuery: (sql) => {
      if (!TRANSACTION_CONTROL.test(sql)) statements.push(sql);
    },
    opened: () => {
      transactions += 1;
    },
  };
}

function countTransactions(db: Db, opened: () => void): void {
  const original = db.transaction.bind(db);
  db.transaction = ((...args: Parameters<Db['transaction']>) => {
    opened();
    return original(...args);
  }) as Db['transaction'];
}

export type CountedKind = 'pglite' | 'postgres';

/** A fresh, migrated database of `kind` that counts its statements; close() removes it. */
export async function openCountedDatabase(kind: CountedKind): Promise<{ database: Database; counter: StatementCounter }> {
  const { counter, onQuery, opened } = countingListener();
  let database: Database;
  if (kind === 'pglite') {
    const template = new Blob([readFileSync(inject('pgliteTemplatePath'))]);
    database = await openDatabase({ driver: 'pglite', dataDir: null, loadDataDir: template, onQuery });
    await database.migrate();
  } else {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set');
    const scratch = await createScratchDatabase(url);
    const opened = await openDatabase({ driver: 'postgres', url: scratch.url, onQuery });
    await opened.migrate();
    database = { ...opened, close: async () => {
      await opened.close();
      await scratch.drop();
    } };
  }
  countTransactions(database.db, opened);
  counter.reset();
  return { database, counter };
}

/** The kinds to count on: PGlite always, Postgres when TEST_DATABASE_URL is set (CI=true requires it, see databases.ts). */
export const countedKinds: CountedKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
