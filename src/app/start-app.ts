import { DatadogAnnotations } from '../adapters/datadog/datadog-annotations.js';
import { DatadogMetrics } from '../adapters/datadog/datadog-metrics.js';
import { DatadogMonitors } from '../adapters/datadog/datadog-monitors.js';
import { createInfra } from '../adapters/infra/create-infra.js';
import { PrometheusMetrics } from '../adapters/prometheus/prometheus-metrics.js';
import { createTraffic } from '../adapters/traffic/create-traffic.js';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import { datadogBaseUrl, githubWebUrl, isSandbox, type Env } from '../config/env.js';
import type { Annotations } from '../ports/annotations.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Infra } from '../ports/infra.js';
import type { Metrics } from '../ports/metrics.js';
import type { Traffic } from '../ports/traffic.js';
import { SimulatedFleet } from '../adapters/fleet/simulated-fleet.js';
import { SimulatedInfra } from '../adapters/fleet/simulated-infra.js';
import { SimulatedMetrics } from '../adapters/fleet/simulated-metrics.js';
import { SimulatedTraffic } from '../adapters/fleet/simulated-traffic.js';
import { syncFleetFromStore } from './sync-fleet.js';
import { MetricsHealthProbe } from '../services/health/metrics-health-probe.js';
import { databaseOptionsFromEnv, openDatabase, type Database } from '../store/db.js';
import { DrizzleAuditLog } from '../store/repos/drizzle-audit-log.js';
import { auditRoute } from './audit-route.js';
import { operationalRoutes } from './http-routes.js';
import { registerDoraGauges } from '../adapters/prometheus/dora-gauges.js';
import type { DoraScope } from '../ports/dora-report.js';
import { DoraService } from '../services/dora-service.js';
import { DrizzleDeliveryHistory } from '../store/repos/drizzle-delivery-history.js';
import { PrometheusTelemetry } from '../adapters/prometheus/delivery-telemetry.js';
import { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { RoutedInfra, RoutedTraffic } from './routed-ports.js';
import { startBot } from './start-bot.js';
import type { Telemetry } from '../ports/telemetry.js';
import { githubAuthFromEnv } from '../adapters/github/auth-from-env.js';
import { slackBotIdentity } from './slack/create-slack-app.js';

export interface StartAppOptions {
  env: Env;
  config: DeliveryConfig;
  logger: Logger;
  /** Where `secretEnv` names in the config are looked up (the process environment, in main.ts). */
  secrets?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  /**
   * An open database (tests), or one still opening (serve: Slack's auth.test goes out meanwhile);
   * by default DATABASE_URL or PGlite in DATA_DIR. The caller closes the one it passed.
   */
  database?: Database | Promise<Database>;
  /** The scheduler's safety-net beat (six-field cron); tests set a very long one to see what runs without it. */
  scheduleEvery?: string;
  /** Where counters and histograms go (served on /metrics); main.ts shares it with the process guards. */
  telemetry?: PrometheusTelemetry;
}

export interface RunningApp {
  /** 'sandbox' without Slack tokens: Slack's end, the fleet and a console run locally. */
  mode: 'slack' | 'sandbox';
  url: string;
  database: Database;
  stop(): Promise<void>;
}

/**
 * The composition root: the only place that constructs adapters. Opens and migrates the database,
 * builds the ports the config asks for, and starts the bot — against Slack, or in sandbox mode
 * against the local emulator with the web console.
 */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  const { env, logger } = options;
  const ownsDatabase = options.database === undefined;
  // Slack's auth.test needs no database: it goes out first, and is awaited where Bolt would make it.
  const slackIdentity = !isSandbox(env) && env.SLACK_BOT_TOKEN ? slackBotIdentity({ botToken: env.SLACK_BOT_TOKEN, ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}), logger }) : undefined;
  // Awaited by startBot; until then a failed auth.test must not count as an unhandled rejection.
  slackIdentity?.catch(() => {});
  // The merge queue's wiring (Octokit and its plugins with it) loads only when the queue can run:
  // a mergeQueue section and GitHub credentials; without them mergeQueueParts would answer null.
  const mergeQueueLoading = !isSandbox(env) && options.config.mergeQueue && githubAuthFromEnv(env) ? import('./github/merge-queue-parts.js') : null;
  const database = await (options.database ?? openDatabase(databaseOptionsFromEnv(env)));
  await database.migrate();
  const telemetry = options.telemetry ?? new PrometheusTelemetry(new Registry());
  const { routes: operationalOnly } = operationalRoutes(database, telemetry.registry);
  registerDoraGauges(telemetry.registry, new DoraService(new DrizzleDeliveryHistory(database.db), options.config, options.clock ?? systemClock), doraScopes(options.config));
  const operational = [...operationalOnly, auditRoute({ audit: new DrizzleAuditLog(database.db), token: env.AUDIT_EXPORT_TOKEN })];

  if (isSandbox(env)) {
    // Loaded only when asked for: the Slack emulator and the console are no part of a production start.
    const { runSandbox } = await import('../sandbox/run-sandbox.js');
    const sandbox = await runSandbox({
      config: options.config,
      database,
      logger,
      port: env.PORT,
      host: env.HOST,
      extraRoutes: operational,
      telemetry,
      ...(env.SANDBOX_SPEED === undefined ? {} : { speed: env.SANDBOX_SPEED }),
    });
    return {
      mode: 'sandbox',
      url: sandbox.url,
      database,
      async stop() {
        await sandbox.stop();
        if (ownsDatabase) await database.close();
      },
    };
  }

  if (!env.SLACK_BOT_TOKEN) throw new Error('SLACK_BOT_TOKEN is not set (SANDBOX=1 runs the local sandbox instead)');
  const clock = options.clock ?? systemClock;
  const ports = await buildPorts(options, database, clock, telemetry);
  // Worked out once from GITHUB_API_URL: every link to GitHub (cards, the queue) points there.
  const githubWeb = githubWebUrl(env);
  const mergeQueueWiring = await mergeQueueLoading;
  const bot = await startBot({
    config: options.config,
    database,
    clock,
    logger,
    ports,
    telemetry,
    githubWebUrl: githubWeb,
    slack: {
      botToken: env.SLACK_BOT_TOKEN,
      ...(env.SLACK_SIGNING_SECRET ? { signingSecret: env.SLACK_SIGNING_SECRET } : {}),
      ...(env.SLACK_APP_TOKEN ? { appToken: env.SLACK_APP_TOKEN } : {}),
      ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}),
      ...(slackIdentity ? { identity: slackIdentity } : {}),
      port: env.PORT,
      host: env.HOST,
      customRoutes: operational,
    },
    drive: { kind: 'cron', ...(options.scheduleEvery ? { every: options.scheduleEvery } : {}) },
    ...(mergeQueueWiring
      ? {
          mergeQueue: (engine, chat, appHomes) =>
            mergeQueueWiring.mergeQueueParts({
              appHomes,
              env,
              config: options.config,
              database,
              clock,
              engine,
              chat,
              slack: { botToken: env.SLACK_BOT_TOKEN!, ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}) },
              logger,
              telemetry,
              githubWebUrl: githubWeb,
            }),
        }
      : {}),
  });
  return {
    mode: 'slack',
    url: bot.url ?? `http://${env.HOST}:${env.PORT}`,
    database,
    async stop() {
      await bot.stop();
      if (ownsDatabase) await database.close();
    },
  };
}

/** Traffic, infra, health and annotations as the config and environment ask for them. */
/** What /metrics exports DORA figures for: every service, every team, and all of them. */
function doraScopes(config: DeliveryConfig): DoraScope[] {
  return [
    { kind: 'all' },
    ...Object.keys(config.services).sort().map((name): DoraScope => ({ kind: 'service', name })),
    ...Object.keys(config.teams).sort().map((name): DoraScope => ({ kind: 'team', name })),
  ];
}

async function buildPorts(options: StartAppOptions, database: Database, clock: Clock, telemetry: Telemetry) {
  const { env, config, logger } = options;
  const secrets = options.secrets ?? {};

  // A config may keep some services (or all, as the example shop does) on the simulated fleet.
  const usesFleet =
    config.metrics.provider === 'simulated' ||
    Object.values(config.services).some((service) => service.traffic.kind === 'simulated' || service.infra.kind === 'simulated');
  const fleet = usesFleet ? SimulatedFleet.fromConfig(config, { clock }) : null;
  if (fleet) await syncFleetFromStore(database.db, fleet, clock.now());
  const simulatedTraffic = fleet ? new SimulatedTraffic(fleet) : undefined;
  const simulatedInfra = fleet ? new SimulatedInfra(fleet) : undefined;

  const traffic: Record<string, Traffic> = {};
  const infra: Record<string, Infra> = {};
  for (const [service, settings] of Object.entries(config.services)) {
    const deps = { secrets, clock, logger: logger.child({ service }) };
    traffic[service] = createTraffic(settings.traffic, { ...deps, ...(simulatedTraffic ? { simulated: simulatedTraffic } : {}) });
    infra[service] = createInfra(settings.infra, { ...deps, ...(simulatedInfra ? { simulated: simulatedInfra } : {}) });
  }

  const metrics = metricsFor(config, env, fleet, clock, logger, telemetry);
  const annotations: Annotations =
    env.DD_API_KEY !== undefined
      ? new DatadogAnnotations({ baseUrl: datadogBaseUrl(env), apiKey: env.DD_API_KEY, clock, logger, telemetry })
      : { record: async () => {} };

  return {
    traffic: new RoutedTraffic(traffic),
    infra: new RoutedInfra(infra),
    health: new MetricsHealthProbe({
      metrics,
      logger,
      // With Datadog, a monitor in Alert for the service and environment fails the canary too.
      ...(config.metrics.provider === 'datadog' && env.DD_API_KEY && env.DD_APP_KEY
        ? { monitors: new DatadogMonitors({ baseUrl: datadogBaseUrl(env), apiKey: env.DD_API_KEY, appKey: env.DD_APP_KEY, clock, logger, telemetry }) }
        : {}),
    }),
    annotations,
  };
}

function metricsFor(config: DeliveryConfig, env: Env, fleet: SimulatedFleet | null, clock: Clock, logger: Logger, telemetry: Telemetry): Metrics {
  switch (config.metrics.provider) {
    case 'datadog':
      if (!env.DD_API_KEY || !env.DD_APP_KEY) throw new Error('metrics.provider is datadog: set DD_API_KEY and DD_APP_KEY');
      return new DatadogMetrics({ baseUrl: datadogBaseUrl(env), apiKey: env.DD_API_KEY, appKey: env.DD_APP_KEY, clock, logger, telemetry });
    case 'prometheus':
      if (!env.PROMETHEUS_URL) throw new Error('metrics.provider is prometheus: set PROMETHEUS_URL');
      return new PrometheusMetrics({ baseUrl: env.PROMETHEUS_URL, logger });
    case 'simulated':
      return new SimulatedMetrics(fleet!);
  }
}

