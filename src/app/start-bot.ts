import type { Logger } from 'pino';
import { SlackChat } from '../adapters/slack/slack-chat.js';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { AppHomes } from '../ports/app-homes.js';
import type { Clock } from '../ports/clock.js';
import type { MergeQueues } from '../ports/merge-queues.js';
import type { Telemetry } from '../ports/telemetry.js';
import { createEngine, type Engine, type EnginePorts } from './create-engine.js';
import type { OutboxWorkerOptions } from '../services/outbox-worker.js';
import type { Database } from '../store/db.js';
import { AppHomeService } from '../services/app-home-service.js';
import { DoraService } from '../services/dora-service.js';
import { DEFAULT_CYCLE_MS } from '../services/merge-queue/view.js';
import { DoraDigest } from './dora-digest.js';
import { DrizzleAppHomeViewers } from '../store/repos/drizzle-app-home-viewers.js';
import { DrizzleAuditLog } from '../store/repos/drizzle-audit-log.js';
import { DrizzleDeliveryHistory } from '../store/repos/drizzle-delivery-history.js';
import { DrizzleHomeReadModel } from '../store/repos/drizzle-home-read-model.js';
import { DrizzleProcessedRequests } from '../store/repos/processed-requests-repo.js';
import { guardRoute, type HttpRoute } from './http-routes.js';
import { startScheduler } from './scheduler.js';
import { createSlackApp, type SlackApp, type SlackBotIdentity } from './slack/create-slack-app.js';
import type { MergeQueueParts } from './github/merge-queue-parts.js';

/**
 * One running bot: the engine over the database, its Slack app, and what drives it (node-cron ticks
 * in production; a tight loop in the sandbox, whose clock runs faster than cron could beat). The
 * production app and the sandbox both build it here, so the sandbox runs the production code path.
 */
export interface BotOptions {
  config: DeliveryConfig;
  database: Database;
  clock: Clock;
  logger: Logger;
  /** Counters and histograms for /metrics (none when not given). */
  telemetry?: Telemetry;
  /** Every engine port but Chat, which is Slack, built here. */
  ports: Omit<EnginePorts, 'chat'>;
  slack: {
    botToken: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    port: number;
    host?: string;
    customRoutes: HttpRoute[];
    /** Gap between two posts to one channel; Slack allows about one a second. */
    minPostIntervalMs?: number;
    /** Card updates per minute across the workspace (Slack's chat.update tier allows about 50). */
    updatesPerMinute?: number;
    /** The bot's auth.test, sent before the database was open (slackBotIdentity); by default Bolt's own at start. */
    identity?: Promise<SlackBotIdentity | null>;
  };
  /** The merge queue, when enabled: built on the running engine and the bot's Slack chat. */
  mergeQueue?: (engine: Engine, chat: SlackChat, appHomes: AppHomes) => MergeQueueParts | null;
  drive: { kind: 'cron'; every?: string } | { kind: 'loop'; everyMs: number };
  /** Outbox tuning; the sandbox sets `clockSpeed`, since its clock runs faster than the wall. */
  outbox?: Partial<OutboxWorkerOptions>;
  /** Where links to GitHub point (`githubWebUrl(env)`); GitHub.com when not given. */
  githubWebUrl?: string;
}


export interface Bot {
  engine: Engine;
  slack: SlackApp;
  /** The HTTP server's base URL (null in Socket Mode without custom routes). */
  url: string | null;
  stop(): Promise<void>;
}

export async function startBot(options: BotOptions): Promise<Bot> {
  const { config, database, clock, logger } = options;
  const chat = new SlackChat({
    token: options.slack.botToken,
    ...(options.slack.apiUrl ? { apiUrl: options.slack.apiUrl } : {}),
    cardChannel: (view) => config.environments[view.targetEnvironment]?.channel ?? Object.values(config.environments)[0]!.channel,
    ...(options.slack.minPostIntervalMs === undefined ? {} : { minPostIntervalMs: options.slack.minPostIntervalMs }),
    ...(options.slack.updatesPerMinute === undefined ? {} : { updatesPerMinute: options.slack.updatesPerMinute }),
  });
  // App Home is published by the Slack app, built after the engine whose outbox asks for it.
  let homes: AppHomes | null = null;
  const appHomes: AppHomes = { refresh: async (now) => homes?.refresh(now) };
  // Likewise the merge queue, built on the engine, which tells it when the line stops or restarts.
  let queues: MergeQueues | null = null;
  const mergeQueues: MergeQueues = { lookAgain: () => queues?.lookAgain() };
  const engine = createEngine({
    db: database.db,
    config,
    clock,
    logger,
    ports: { ...options.ports, chat, appHomes, mergeQueues },
    ...(options.outbox ? { outbox: options.outbox } : {}),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.githubWebUrl ? { githubWebUrl: options.githubWebUrl } : {}),
  });
  await engine.syncCatalog();
  const mergeQueue = options.mergeQueue?.(engine, chat, appHomes) ?? null;
  queues = mergeQueue?.mergeQueues ?? null;
  const dora = new DoraService(new DrizzleDeliveryHistory(database.db), config, clock);
  const homePages = new AppHomeService({ readModel: new DrizzleHomeReadModel(database.db), config, clock, mergeQueue: mergeQueue ? { defaultCycleMs: DEFAULT_CYCLE_MS, ...(options.githubWebUrl ? { githubWebUrl: options.githubWebUrl } : {}) } : null });
  const requests = new DrizzleProcessedRequests(database.db);
  const identity = await options.slack.identity;

  const slack = createSlackApp(
    {
      botToken: options.slack.botToken,
      ...(options.slack.signingSecret ? { signingSecret: options.slack.signingSecret } : {}),
      ...(options.slack.appToken ? { appToken: options.slack.appToken } : {}),
      ...(options.slack.apiUrl ? { apiUrl: options.slack.apiUrl } : {}),
      customRoutes: [...options.slack.customRoutes, ...(mergeQueue?.routes ?? [])].map((route) => guardRoute(route, logger)),
      port: options.slack.port,
      ...(options.slack.host ? { host: options.slack.host } : {}),
      logger,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      ...(identity ? { identity } : {}),
    },
    { releases: engine.releases, mergeQueue: mergeQueue?.queue ?? null, config, audit: new DrizzleAuditLog(database.db), dora, homePages, requests, clock, homeViewers: new DrizzleAppHomeViewers(database.db) },
  );
  homes = slack.appHomes;
  const { url } = await slack.start();

  const driver =
    options.drive.kind === 'cron'
      ? startScheduler(engine, logger, { clock, ...(options.drive.every ? { every: options.drive.every } : {}) })
      : driveLoop(engine, options.drive.everyMs, logger);
  const queueDriver = mergeQueue ? mergeQueue.start() : null;
  const digest = config.dora?.digest ? new DoraDigest({ digest: config.dora.digest, teams: Object.keys(config.teams), dora, requests, chat, logger }).schedule(() => clock.now()) : null;

  return {
    engine,
    slack,
    url,
    async stop() {
      // First, so the lanes' runs end without the posts still waiting their turn.
      chat.stop();
      await queueDriver?.stop();
      await digest?.stop();
      await driver.stop();
      await engine.stop();
      await slack.stop();
    },
  };
}

/**
 * Ticks the engine and drains its outbox over and over: with the sandbox's clock accelerated,
 * cron's one-second beat would be minutes of sandbox time.
 */
function driveLoop(engine: Engine, everyMs: number, logger: Logger): { stop(): Promise<void> } {
  return repeat(everyMs, async () => {
    await engine.runUntilIdle(20);
  }, (error) => logger.error({ err: error }, 'engine round failed'));
}

function repeat(everyMs: number, work: () => Promise<void>, onError: (error: unknown) => void): { stop(): Promise<void> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await work();
      } catch (error) {
        onError(error);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, everyMs).unref();
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
