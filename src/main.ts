import { loadDeliveryConfig, formatConfigErrors } from './config/load-delivery-config.js';
import { parseEnvOrReport } from './config/env.js';
import { createLogger } from './app/logger.js';
import { startApp } from './app/start-app.js';
import { installProcessGuards } from './app/process-guards.js';
import { PrometheusTelemetry } from './adapters/prometheus/delivery-telemetry.js';
import { Registry } from 'prom-client';

/**
 * The process entry point: the only place that reads process.env. Parses the environment and the
 * delivery config once, starts the app, and drains on SIGTERM/SIGINT (finish in-flight work, close
 * the database) so a deploy of the bot itself never cuts a step in half.
 */
async function main(): Promise<void> {
  const env = parseEnvOrReport(process.env, (text) => process.stderr.write(`${text}\n`));
  if (!env) process.exit(1);
  const logger = createLogger(env.LOG_LEVEL ?? 'info');
  const telemetry = new PrometheusTelemetry(new Registry());
  installProcessGuards(logger, telemetry);

  const loaded = loadDeliveryConfig(env.DELIVERY_CONFIG);
  if (!loaded.ok) {
    process.stderr.write(`${formatConfigErrors(loaded)}\n`);
    process.exit(1);
  }

  // Webhook routers name the variable holding their HMAC secret (`secretEnv`); it is looked up here.
  const app = await startApp({ env, config: loaded.config, logger, secrets: process.env, telemetry });
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
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
