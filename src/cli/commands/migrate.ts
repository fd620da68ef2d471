import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { databaseOptionsFromEnv, openDatabase, queryRows, type Db } from '../../store/db.js';
import type { CliContext } from '../cli-context.js';

export const MIGRATE_HELP = `Usage: durable-delivery migrate

Applies pending database migrations (the ones shipped in migrations/) and says how many it applied.
Uses DATABASE_URL when set, else an embedded PGlite database in DATA_DIR (default ./.data).
Safe to run while other replicas start: migrations take an advisory lock on Postgres.`;

export async function migrateCommand(args: string[], context: CliContext): Promise<number> {
  parseArgs({ args, allowPositionals: false, strict: true, options: {} });
  const options = databaseOptionsFromEnv(context.env);
  const where = options.driver === 'postgres' ? `Postgres at ${redact(options.url)}` : `PGlite in ${options.dataDir}`;
  const database = await openDatabase(options);
  try {
    const before = await appliedMigrations(database.db);
    await database.migrate();
    const after = await appliedMigrations(database.db);
    const applied = after - before;
    context.out(
      applied > 0
        ? `Applied ${applied} migration${applied === 1 ? '' : 's'} on ${where} (${after} in total).`
        : `Nothing to do on ${where}: all ${after} migration${after === 1 ? '' : 's'} already applied.`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

async function appliedMigrations(db: Db): Promise<number> {
  try {
    const [row] = await queryRows<{ applied: number }>(db, sql`SELECT count(*)::int AS applied FROM drizzle.__drizzle_migrations`);
    return Number(row?.applied ?? 0);
  } catch {
    // No migrations table yet: a fresh database.
    return 0;
  }
}

/** The connection string without its password, for the message. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'DATABASE_URL';
  }
}
