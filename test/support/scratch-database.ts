import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A database of its own on a Postgres server, for tests and benchmarks running side by side: made
 * from the admin URL's server, dropped (connections and all) by `drop`. Free of vitest, so the
 * benchmarks can use it too.
 */
export async function createScratchDatabase(adminUrl: string, prefix = 'dd_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
