import { sql } from 'drizzle-orm';
import { createLogger } from '../../src/app/logger.js';
import { startApp } from '../../src/app/start-app.js';
import { parseEnv } from '../../src/config/env.js';
import { databaseOptionsFromEnv, openDatabase, queryRows } from '../../src/store/db.js';
import { benchConfig } from '../support/bench-config.js';
import { seedActiveReleases, type SeededReleases } from '../support/seed-releases.js';

/**
 * The product as a real process for benchmarks and fault trials: the same composition root as
 * src/main.ts (startApp, HTTP mode, node-cron scheduler), with a generated config of
 * BENCH_SERVICES services, and — when BENCH_SEED is set and the store is empty — that many active
 * releases seeded first. Prints one JSON line `{ ready, url, seeded }` on stdout when it serves.
 */

const env = parseEnv(process.env);
const logger = createLogger(env.LOG_LEVEL ?? 'warn');
const services = Number(process.env.BENCH_SERVICES ?? '100');
const config = benchConfig({
  services,
  ...(process.env.BENCH_WEBHOOK_URL ? { webhookUrl: process.env.BENCH_WEBHOOK_URL } : {}),
  metrics: process.env.BENCH_METRICS === 'datadog' ? 'datadog' : 'simulated',
  ...(process.env.BENCH_HEALTH_INTERVAL ? { healthInterval: process.env.BENCH_HEALTH_INTERVAL } : {}),
  ...(process.env.BENCH_NO_CHECKS ? { checks: false } : {}),
  ...(process.env.BENCH_STAGES ? { stages: JSON.parse(process.env.BENCH_STAGES) as Array<{ name: string; weight: number; bake: string }> } : {}),
});

const database = await openDatabase(databaseOptionsFromEnv(env));
await database.migrate();
let seeded: SeededReleases | null = null;
const seedCount = Number(process.env.BENCH_SEED ?? '0');
if (seedCount > 0) {
  const [row] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM releases`);
  if (Number(row?.n ?? 0) === 0) seeded = await seedActiveReleases(database.db, config, seedCount, { start: new Date(), nextTick: { kind: 'never' } });
}

const app = await startApp({ env, config, logger, secrets: process.env, database });
process.stdout.write(`${JSON.stringify({ ready: true, url: app.url, pid: process.pid, seeded: seeded && { ids: seeded.ids, version: seeded.version } })}\n`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await app.stop();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
