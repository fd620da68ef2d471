import { Registry } from 'prom-client';
import { PrometheusTelemetry } from '../adapters/prometheus/delivery-telemetry.js';
import { chooseRunMode, parseEnvOrReport, type SandboxPolicy } from '../config/env.js';
import { formatConfigErrors, loadDeliveryConfig } from '../config/load-delivery-config.js';
import { databaseOptionsFromEnv, openDatabase } from '../store/db.js';
import { createLogger } from './logger.js';
import { installProcessGuards } from './process-guards.js';

/**
 * Runs the server from the process environment (src/main.ts, `durable-delivery sandbox`): parses
 * the environment and the delivery config once, decides between Slack and the sandbox, starts the
 * app, and drains on SIGTERM/SIGINT (finish in-flight work, close the database) so a deploy of the
 * bot itself never cuts a step in half. Answers 1 when it could not start (the reason on stderr).
 */
export async function serve(source: Readonly<Record<string, string | undefined>>, policy: SandboxPolicy): Promise<number> {
  const report = (text: string) => process.stderr.write(`${text}\n`);
  const parsed = parseEnvOrReport(source, report);
  if (!parsed) return 1;
  const mode = chooseRunMode(parsed, policy);
  if (mode.kind === 'problem') {
    report(mode.message);
    return 1;
  }
  const env = { ...parsed, SANDBOX: mode.kind === 'sandbox' };
  const logger = createLogger(env.LOG_LEVEL ?? 'info');
  const telemetry = new PrometheusTelemetry(new Registry());
  installProcessGuards(logger, telemetry);

  // A bad config is reported before anything is opened.
  const loaded = loadDeliveryConfig(env.DELIVERY_CONFIG);
  if (!loaded.ok) {
    report(formatConfigErrors(loaded));
    return 1;
  }
  // The embedded database opens in its own thread while this one loads the rest of the app, so a
  // start costs the longer of the two, not their sum.
  const [database, { startApp }] = await Promise.all([openDatabase(databaseOptionsFromEnv(env)), import('./start-app.js')]);

  // Webhook routers name the variable holding their HMAC secret (`secretEnv`); it is looked up in `source`.
  const app = await startApp({ env, config: loaded.config, logger, secrets: source, telemetry, database }).catch(async (error: unknown) => {
    await database.close().catch(() => {});
    throw error;
  });
  logger.info({ url: app.url, mode: app.mode, config: loaded.path, database: app.database.driver }, 'durable delivery is up');
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
