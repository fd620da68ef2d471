import { chooseRunMode, parseEnvOrReport, type SandboxPolicy } from '../config/env.js';
import { formatConfigErrors, loadDeliveryConfig } from '../config/load-delivery-config.js';
import { databaseOptionsFromEnv, openDatabase, type Database, type DatabaseOptions } from '../store/db.js';
import type { PgliteThread } from '../store/pglite-thread.js';
import type { StartAppOptions } from './start-app.js';

/**
 * Runs the server from the process environment (src/main.ts, `durable-delivery sandbox`): parses
 * the environment and the delivery config once, decides between Slack and the sandbox, starts the
 * app, and drains on SIGTERM/SIGINT (finish in-flight work, close the database) so a deploy of the
 * bot itself never cuts a step in half. Answers 1 when it could not start (the reason on stderr).
 */
export async function serve(
  source: Readonly<Record<string, string | undefined>>,
  policy: SandboxPolicy,
  started: { embeddedDatabase?: PgliteThread | undefined } = {},
): Promise<number> {
  const report = (text: string) => process.stderr.write(`${text}\n`);
  // A refused start closes the thread main.ts started, unopened.
  const refuse = async (text?: string) => {
    if (text !== undefined) report(text);
    await started.embeddedDatabase?.close();
    return 1;
  };
  const parsed = parseEnvOrReport(source, report);
  if (!parsed) return refuse();
  const mode = chooseRunMode(parsed, policy);
  if (mode.kind === 'problem') return refuse(mode.message);
  const env = { ...parsed, SANDBOX: mode.kind === 'sandbox' };

  // A bad config is reported before anything is opened.
  const loaded = loadDeliveryConfig(env.DELIVERY_CONFIG);
  if (!loaded.ok) return refuse(formatConfigErrors(loaded));
  // The embedded database opens in its own thread, and is migrated, while this one loads the rest
  // of the app (logging and metrics too: nothing before the open waits for them) and startApp does
  // what needs no database, so a start costs the longer of the two, not their sum.
  const opening = openMigrated(databaseOptionsFromEnv(env), started.embeddedDatabase);
  // Awaited by startApp; until then a failed open must not count as an unhandled rejection.
  opening.catch(() => {});
  let running: Awaited<ReturnType<typeof startWith>>;
  try {
    running = await startWith({ env, config: loaded.config, secrets: source, database: opening });
  } catch (error) {
    // The process guards are installed by now and would keep a failed start alive: it must end.
    await closeOnceOpen(opening);
    await started.embeddedDatabase?.close().catch(() => {});
    report(`could not start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const { app, logger } = running;
  const { database } = app;
  logger.info({ url: app.url, mode: app.mode, config: loaded.path, database: database.driver }, 'durable delivery is up');
  if (app.mode === 'sandbox') {
    process.stdout.write(`\n  Durable Delivery sandbox: open ${app.url} in a browser.\n\n`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const forceExit = setTimeout(() => process.exit(1), 15_000);
    forceExit.unref();
    await app.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return 0;
}

/** Loads the app with its logger and metrics, and starts it on the database being opened. */
async function startWith(options: Pick<StartAppOptions, 'env' | 'config' | 'secrets' | 'database'>) {
  const [{ startApp }, { logger, telemetry }] = await Promise.all([import('./start-app.js'), observability(options.env.LOG_LEVEL ?? 'info')]);
  // Webhook routers name the variable holding their HMAC secret (`secretEnv`); it is looked up in `secrets`.
  const app = await startApp({ ...options, logger, telemetry });
  return { app, logger };
}

/** The logger and the metrics registry, with the process guards that log and count to them installed. */
async function observability(level: string) {
  const [{ Registry }, { PrometheusTelemetry }, { createLogger }, { installProcessGuards }] = await Promise.all([
    import('prom-client'),
    import('../adapters/prometheus/delivery-telemetry.js'),
    import('./logger.js'),
    import('./process-guards.js'),
  ]);
  const logger = createLogger(level);
  const telemetry = new PrometheusTelemetry(new Registry());
  installProcessGuards(logger, telemetry);
  return { logger, telemetry };
}

/** Opens and migrates the database, on the thread main.ts started when there is one (closed unused for Postgres). */
async function openMigrated(options: DatabaseOptions, thread: PgliteThread | undefined): Promise<Database> {
  if (options.driver === 'postgres') await thread?.close();
  const database = await openDatabase(options.driver === 'pglite' && thread ? { ...options, thread } : options);
  try {
    await database.migrate();
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  return database;
}

/** Closes the database once its open settles (a failed open left nothing to close). */
async function closeOnceOpen(opening: Promise<Database>): Promise<void> {
  await opening.then((database) => database.close()).catch(() => {});
}
