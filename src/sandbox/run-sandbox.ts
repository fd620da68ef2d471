import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { HttpRoute } from '../app/http-routes.js';
import type { Logger } from '../app/logger.js';
import { SLACK_EVENTS_PATH } from '../app/slack/create-slack-app.js';
import { startBot, type Bot } from '../app/start-bot.js';
import type { Telemetry } from '../ports/telemetry.js';
import type { Engine } from '../services/engine.js';
import { MetricsHealthProbe } from '../services/health/metrics-health-probe.js';
import { openDatabase, type Database, type DatabaseOptions } from '../store/db.js';
import { startSandbox, type Sandbox } from './start-sandbox.js';

/**
 * The whole app in sandbox mode: the production bot (`startBot`: engine, Bolt app, driver) with
 * Slack's end, the fleet and the clock from `startSandbox`, the console on the app's own HTTP
 * server. A game day can stop the bot and start a new one on the same database, as a crash and a
 * restart of the process would.
 */

export interface RunSandboxOptions {
  config: DeliveryConfig;
  /** An open, migrated database; or how to open one (PGlite in a data directory by default). */
  database?: Database;
  databaseOptions?: DatabaseOptions;
  logger: Logger;
  port?: number;
  host?: string;
  speed?: number;
  seed?: number;
  /** How often the engine's ticks and outbox run, in wall milliseconds (the sandbox drives it in a loop, not by cron). */
  driveEveryMs?: number;
  /** Served next to the console (/healthz, /readyz, /metrics…). */
  extraRoutes?: HttpRoute[];
  /** Where the bot's counts and timings go (the registry /metrics serves). */
  telemetry?: Telemetry;
}

export interface RunningSandbox {
  /** Where the console is, e.g. http://127.0.0.1:3000. */
  url: string;
  sandbox: Sandbox;
  database: Database;
  /** The engine of the bot running now (a restart replaces it). */
  engine(): Engine;
  restartBot(): Promise<void>;
  stop(): Promise<void>;
}

export async function runSandbox(options: RunSandboxOptions): Promise<RunningSandbox> {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await openDatabase(options.databaseOptions ?? { driver: 'pglite', dataDir: './.data' }));
  if (ownsDatabase) await database.migrate();
  const sandbox = await startSandbox({
    config: options.config,
    database,
    logger: options.logger,
    ...(options.speed === undefined ? {} : { speed: options.speed }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const { config, clock } = sandbox;
  const logger = options.logger;
  const routes = [...sandbox.routes, ...(options.extraRoutes ?? [])];
  let port = options.port ?? 3000;

  const startBotInstance = async (): Promise<Bot> => {
    const bot = await startBot({
      config,
      database,
      clock,
      logger,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      ports: {
        traffic: sandbox.traffic,
        infra: sandbox.infra,
        health: new MetricsHealthProbe({ metrics: sandbox.metrics, logger }),
        annotations: { record: async () => {} },
      },
      slack: {
        botToken: sandbox.slack.botToken,
        signingSecret: sandbox.slack.signingSecret,
        apiUrl: sandbox.slack.apiUrl,
        port,
        ...(options.host ? { host: options.host } : {}),
        customRoutes: routes,
        // The emulator has no rate limit to respect; cards should keep up with the fast clock.
        minPostIntervalMs: 0,
      },
      // With time accelerated, cron's one-second beat would be minutes of sandbox time.
      drive: { kind: 'loop', everyMs: options.driveEveryMs ?? 250 },
      // Slack's Retry-After and the outbox's leases are wall time; sandbox time runs `speed`× faster.
      outbox: { clockSpeed: clock.speed },
    });
    if (!bot.url) throw new Error('the sandbox runs the Slack app in HTTP mode');
    // A restart listens where the first instance did, also when that port was picked by the system.
    port = Number(new URL(bot.url).port);
    return bot;
  };

  let bot = await startBotInstance();
  const url = bot.url ?? '';
  const restartBot = async () => {
    await bot.stop();
    bot = await startBotInstance();
  };
  sandbox.connectApp({ eventsUrl: `${url}${SLACK_EVENTS_PATH}`, restart: restartBot });

  return {
    url,
    sandbox,
    database,
    engine: () => bot.engine,
    restartBot,
    async stop() {
      await bot.stop();
      await sandbox.stop();
      if (ownsDatabase) await database.close();
    },
  };
}
