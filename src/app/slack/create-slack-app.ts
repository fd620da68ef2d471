import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, type App as BoltApp, type CustomRoute, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';
import { WebClient } from '@slack/web-api';
import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { AppHomes, AppHomeViewers } from '../../ports/app-homes.js';
import type { AuditLog } from '../../ports/audit-log.js';
import type { Clock } from '../../ports/clock.js';
import { noTelemetry, type Telemetry } from '../../ports/telemetry.js';
import { guardSlackBodies, surfaceOf } from './request-guard.js';
import { KeepAliveResponseUrls } from '../../adapters/slack/response-url.js';
import type { ReleaseService } from '../../services/release-service-api.js';
import type { ProcessedRequests } from '../../ports/processed-requests.js';
import type { HttpRoute } from '../http-routes.js';
import { ActorResolver, userGroupIdsIn } from './actor-resolver.js';
import { recoverCommands } from './listeners/commands/durable-command.js';
import { SlackAppHomes } from './listeners/events/app-home-opened.js';
import { commandListeners, registerListeners } from './listeners/index.js';
import { admission, AdmissionGate, BUSY_COMMAND_ACK } from './admission.js';
import type { DoraReports, HomePages, MergeQueueCommands, SlackDeps } from './slack-deps.js';

/** Slack signs with a timestamp; Bolt refuses ones over 5 minutes old, this refuses ones that far ahead. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Request keys outlive Slack's retries (minutes) and the 5-minute signature window by far, so a
 * day is plenty; older ones are deleted hourly.
 */
const REQUEST_KEY_RETENTION_MS = 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;
/** How often to look for acknowledged commands a crashed process left unhandled. */
const COMMAND_RECOVERY_EVERY_MS = 2_000;

export interface SlackAppOptions {
  botToken: string;
  /** HTTP mode: Slack's requests are verified with it. */
  signingSecret?: string;
  /** Socket Mode when set (xapp-…). */
  appToken?: string;
  /** Web API base (SLACK_API_URL), e.g. a proxy or the local emulator. */
  apiUrl?: string;
  /** Routes served next to /slack/events (/healthz, /readyz, /metrics…). */
  customRoutes?: HttpRoute[];
  /** HTTP port (HTTP mode), or the port of the custom routes' server (Socket Mode). */
  port: number;
  host?: string;
  logger: Logger;
  /** Slash commands and clicks in flight at once before new ones are answered "busy" (default 64). */
  maxInFlight?: number;
  /** Counts refused requests and ack times (none when not given). */
  telemetry?: Telemetry;
  /** Wall-clock seconds for the future-timestamp check (Bolt's own check reads the real clock too). */
  nowSeconds?: () => number;
  /** The bot's ids from an auth.test already made (slackBotIdentity); without them Bolt makes one at start. */
  identity?: SlackBotIdentity;
}

export interface SlackBotIdentity {
  botId: string;
  botUserId: string;
}

function webClientOptions(apiUrl: string | undefined) {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    // A 429 on a user's click is answered by Slack's own retry UI; never let the client sleep on it.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 1, factor: 1, minTimeout: 100, maxTimeout: 500 },
  };
}

/**
 * The auth.test Bolt makes at start (a bad token fails the start with Slack's error), made on its
 * own so that a start can send it while the database opens; null when Slack names no bot ids.
 */
export async function slackBotIdentity(options: { botToken: string; apiUrl?: string; logger: Logger }): Promise<SlackBotIdentity | null> {
  const client = new WebClient(options.botToken, { ...webClientOptions(options.apiUrl), logger: boltLogger(options.logger) });
  const result = await client.auth.test();
  return result.bot_id && result.user_id ? { botId: result.bot_id, botUserId: result.user_id } : null;
}

export interface SlackAppDeps {
  releases: ReleaseService;
  /** null until the merge queue exists. */
  mergeQueue?: MergeQueueCommands | null;
  config: DeliveryConfig;
  audit: AuditLog;
  dora: DoraReports;
  /** What App Home shows, read once per publish or refresh. */
  homePages: HomePages;
  requests: ProcessedRequests;
  clock: Clock;
  /** Who opened App Home lately; with it, `appHomes` keeps their Homes up to date. */
  homeViewers?: AppHomeViewers;
}

export interface SlackApp {
  readonly app: BoltApp;
  /** The Web API client the app uses (429s surface as errors; see SlackChat). */
  readonly client: WebClient;
  readonly mode: 'http' | 'socket';
  /** Re-publishes the App Home of recent viewers (the outbox runs it when releases change). */
  readonly appHomes: AppHomes;
  /** Starts listening (HTTP) or connects (Socket Mode); answers the base URL of the HTTP server. */
  start(): Promise<{ url: string | null }>;
  stop(): Promise<void>;
}

/** Adapts pino to Bolt's logger interface. */
function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(' ')),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * Refuses, before Bolt sees them, signed requests dated more than five minutes in the future:
 * Bolt's verification only bounds the past, and a future-dated signed request could be replayed
 * for as long as its date stays ahead.
 */
export function refuseFutureTimestamps(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  options: { paths: string[]; nowSeconds: () => number; logger: Logger },
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'POST' && options.paths.includes(path)) {
      const header = req.headers['x-slack-request-timestamp'];
      const timestamp = Number(Array.isArray(header) ? header[0] : header);
      if (Number.isFinite(timestamp) && timestamp > options.nowSeconds() + MAX_CLOCK_SKEW_SECONDS) {
        options.logger.warn({ timestamp }, 'refused a Slack request dated in the future');
        req.resume();
        res.writeHead(401);
        res.end();
        return;
      }
    }
    listener(req, res);
  };
}

/**
 * The Bolt app: HTTP mode on /slack/events (signature checked by Bolt, future dates refused here),
 * or Socket Mode when an app token is given. Listeners acknowledge before any slow work.
 */
export function createSlackApp(options: SlackAppOptions, deps: SlackAppDeps): SlackApp {
  const logger = boltLogger(options.logger);
  const clientOptions = webClientOptions(options.apiUrl);
  // With the bot's ids known, Bolt's init makes no auth.test of its own.
  const identity = options.identity ? { ...options.identity, tokenVerificationEnabled: false } : {};
  const customRoutes: CustomRoute[] = options.customRoutes ?? [];
  const socketMode = options.appToken !== undefined;

  const gate = new AdmissionGate(options.maxInFlight);
  let receiver: InstanceType<typeof HTTPReceiver> | undefined;
  let app: BoltApp;
  if (socketMode) {
    app = new App({
      token: options.botToken,
      appToken: options.appToken,
      socketMode: true,
      clientOptions,
      logger,
      customRoutes,
      installerOptions: { port: options.port },
      // No listener reads context.conversation: the store would be one more step before every ack.
      convoStore: false,
      deferInitialization: true,
      ...identity,
    });
    timeSocketAcks(app, options.telemetry ?? noTelemetry);
  } else {
    if (!options.signingSecret) throw new Error('HTTP mode needs a signing secret (SLACK_SIGNING_SECRET)');
    receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      customRoutes,
      logger,
      processBeforeResponse: false,
      // guardSlackBodies (below) has checked the signature and the timestamp of every request it passes on.
      signatureVerification: false,
    });
    const telemetry = options.telemetry ?? noTelemetry;
    const shaped = guardSlackBodies(receiver.requestListener, {
      paths: [SLACK_EVENTS_PATH],
      signingSecret: options.signingSecret,
      logger: options.logger,
      onRefused: (refusal) => telemetry.record({ kind: 'slack_request_refused', status: refusal.status }),
      onAnswered: (surface, seconds) => telemetry.record({ kind: 'slack_acked', surface, seconds }),
      overload: {
        full: () => gate.full,
        busyAck: BUSY_COMMAND_ACK,
        turnedAway: () => gate.turnAway(options.logger),
      },
    });
    receiver.requestListener = refuseFutureTimestamps(shaped, {
      paths: [SLACK_EVENTS_PATH],
      nowSeconds: options.nowSeconds ?? (() => Math.floor(Date.now() / 1000)),
      logger: options.logger,
    });
    app = new App({ token: options.botToken, receiver, clientOptions, logger, convoStore: false, deferInitialization: true, ...identity });
  }

  const actors = new ActorResolver(app.client, userGroupIdsIn(deps.config), {
    onError: (group, error) => options.logger.warn({ group, err: error }, 'could not read a Slack user group'),
  });
  const responseUrls = new KeepAliveResponseUrls();
  const slackDeps: SlackDeps = {
    releases: deps.releases,
    mergeQueue: deps.mergeQueue ?? null,
    config: deps.config,
    audit: deps.audit,
    dora: deps.dora,
    homePages: deps.homePages,
    requests: deps.requests,
    actors,
    responseUrls,
    homeViewers: deps.homeViewers ?? null,
    clock: deps.clock,
    logger: options.logger.child({ component: 'slack' }),
  };
  const appHomes: AppHomes = deps.homeViewers ? new SlackAppHomes(slackDeps, app.client, deps.homeViewers) : { refresh: async () => {} };
  app.use(admission(gate, options.logger, responseUrls));
  registerListeners(app, slackDeps);
  app.error(async (error) => {
    options.logger.error({ err: error }, 'unhandled error in a Slack listener');
  });

  let server: Server | undefined;
  let pruning: NodeJS.Timeout | undefined;
  let recovering: NodeJS.Timeout | undefined;
  // Acknowledged commands a crashed process left unhandled are handled here: at start, then on a beat.
  const handlers = commandListeners(slackDeps);
  let recoveryBusy = false;
  const recover = () => {
    if (recoveryBusy) return;
    recoveryBusy = true;
    recoverCommands(slackDeps, handlers, app.client)
      .catch((error: unknown) => options.logger.warn({ err: error }, 'could not recover acknowledged commands'))
      .finally(() => (recoveryBusy = false));
  };
  const prune = () => {
    const before = new Date(deps.clock.now().getTime() - REQUEST_KEY_RETENTION_MS);
    deps.requests.prune(before).catch((error: unknown) => options.logger.warn({ err: error }, 'could not prune processed Slack requests'));
  };
  return {
    app,
    client: app.client,
    mode: socketMode ? 'socket' : 'http',
    appHomes,
    async start() {
      await app.init();
      pruning = setInterval(prune, PRUNE_EVERY_MS);
      pruning.unref();
      recovering = setInterval(recover, COMMAND_RECOVERY_EVERY_MS);
      recovering.unref();
      recover();
      if (socketMode) {
        await app.start();
        return { url: null };
      }
      server = (await app.start({ port: options.port, host: options.host ?? '0.0.0.0' })) as Server;
      const address = server.address() as AddressInfo;
      const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
      return { url: `http://${host}:${address.port}` };
    },
    async stop() {
      if (pruning) clearInterval(pruning);
      if (recovering) clearInterval(recovering);
      server?.closeAllConnections();
      await app.stop().catch(() => {});
      responseUrls.close();
    },
  };
}

/**
 * Socket Mode has no HTTP request to time: an ack is timed from the event reaching the app (Bolt's
 * receiver hands every envelope to processEvent) to the ack sent back over the socket.
 */
function timeSocketAcks(app: BoltApp, telemetry: Telemetry): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = (event) => {
    const received = performance.now();
    let timed = false;
    const ack = event.ack;
    return processEvent({
      ...event,
      ack: async (response) => {
        try {
          await ack(response);
        } finally {
          if (!timed) telemetry.record({ kind: 'slack_acked', surface: surfaceOf(event.body), seconds: (performance.now() - received) / 1000 });
          timed = true;
        }
      },
    });
  };
}
