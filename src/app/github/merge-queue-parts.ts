import type { AppHomes } from '../../ports/app-homes.js';
import type { Logger } from 'pino';
import { createGitHubOctokit, GitHubScm, githubAuthFromEnv } from '../../adapters/github/index.js';
import type { SlackChat } from '../../adapters/slack/slack-chat.js';
import { SlackWebPeople } from '../../adapters/slack/slack-people.js';
import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { Env } from '../../config/env.js';
import { MERGE_QUEUE_ACTOR } from '../../domain/release/authorization.js';
import type { Clock } from '../../ports/clock.js';
import type { MergeQueues } from '../../ports/merge-queues.js';
import { ChatMergeQueueNotifier } from '../../services/merge-queue/chat-notifier.js';
import { MergeQueueService } from '../../services/merge-queue/merge-queue-service.js';
import { ReleaseServiceDeployer } from '../../services/merge-queue/release-deployer.js';
import type { Engine } from '../../services/engine.js';
import type { Database } from '../../store/db.js';
import { DrizzleMergeQueueStore } from '../../store/repos/drizzle-merge-queue-store.js';
import type { HttpRoute } from '../http-routes.js';
import type { MergeQueueCommands } from '../slack/slack-deps.js';
import type { Telemetry } from '../../ports/telemetry.js';
import { githubWebhookRoute } from './webhook-route.js';

export interface MergeQueueParts {
  queue: MergeQueueCommands;
  /** POST /github/webhook. */
  routes: HttpRoute[];
  /** Starts the queue's loops (ticks, inbox, outbox, reconcile); stop() waits for the round in flight. */
  start(): { stop(): Promise<void> };
  /** What the release engine's outbox tells when the line stops or restarts: the work loop runs now. */
  mergeQueues: MergeQueues;
}

export interface MergeQueueWiring {
  env: Pick<Env, 'GITHUB_TOKEN' | 'GITHUB_APP_ID' | 'GITHUB_APP_PRIVATE_KEY' | 'GITHUB_APP_INSTALLATION_ID' | 'GITHUB_API_URL' | 'GITHUB_WEBHOOK_SECRET'>;
  config: DeliveryConfig;
  database: Database;
  clock: Clock;
  engine: Engine;
  chat: SlackChat;
  slack: { botToken: string; apiUrl?: string };
  logger: Logger;
  /** Counts GitHub calls for /metrics. */
  telemetry?: Telemetry;
  /** Gap between two ticks of the queue (default 5 s). */
  tickEveryMs?: number;
  /** App Home shows the queue: re-published for recent viewers when it changes. */
  appHomes?: AppHomes;
  /** Where links to pull requests point (`githubWebUrl(env)`); GitHub.com when not given. */
  githubWebUrl?: string;
}

/**
 * The merge queue runs when the config has a `mergeQueue` section and GitHub credentials are set;
 * otherwise /queue says it is not enabled.
 */
export function mergeQueueParts(wiring: MergeQueueWiring): MergeQueueParts | null {
  const { env, config, logger } = wiring;
  const queueConfig = config.mergeQueue;
  const auth = githubAuthFromEnv(env);
  if (!queueConfig || !auth) return null;
  const octokit = createGitHubOctokit({ auth, ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}), logger: logger.child({ component: 'github' }), ...(wiring.telemetry ? { telemetry: wiring.telemetry } : {}) });
  const scm = new GitHubScm(octokit);
  const notifier = new ChatMergeQueueNotifier(wiring.chat, {
    channels: queueConfig.channels,
    slackUsers: queueConfig.slackUsers,
    ...(queueConfig.lookupSlackUsersByEmail
      ? { emailLookup: { emails: scm, people: new SlackWebPeople({ token: wiring.slack.botToken, ...(wiring.slack.apiUrl ? { apiUrl: wiring.slack.apiUrl } : {}) }) } }
      : {}),
    ...(wiring.appHomes ? { onQueueChanged: async () => wiring.appHomes?.refresh(wiring.clock.now()) } : {}),
    logger,
  });
  const queue = new MergeQueueService({
    store: new DrizzleMergeQueueStore(wiring.database.db),
    scm,
    versionSets: wiring.engine.versionSets,
    deliveryStatus: wiring.engine.deliveryStatus,
    deployer: new ReleaseServiceDeployer(wiring.engine.releases, MERGE_QUEUE_ACTOR),
    notifier,
    clock: wiring.clock,
    config,
    logger: logger.child({ component: 'merge-queue' }),
    ...(wiring.githubWebUrl ? { githubWebUrl: wiring.githubWebUrl } : {}),
  });
  const loops = new MergeQueueLoops(queue, wiring.clock, logger, { tickEveryMs: wiring.tickEveryMs ?? 5_000, reconcileEveryMs: queueConfig.reconcileIntervalSeconds * 1000 });
  const routes = env.GITHUB_WEBHOOK_SECRET ? [githubWebhookRoute({ secret: env.GITHUB_WEBHOOK_SECRET, inbox: queue, onRecorded: () => loops.wake(), logger })] : [];
  if (!env.GITHUB_WEBHOOK_SECRET) logger.warn('GITHUB_WEBHOOK_SECRET is not set: labelled PRs enter the queue by the periodic reconcile only');
  return { queue, routes, start: () => loops.start(), mergeQueues: { lookAgain: () => loops.wake() } };
}

interface QueueDriven {
  tick(now: Date): Promise<unknown>;
  reconcile(): Promise<unknown>;
  processDeliveries(): Promise<number>;
  runEffects(): Promise<number>;
}

/**
 * Two loops. The work loop processes the webhook inbox, ticks the queues and drains the outbox,
 * every `tickEveryMs` and at once when a delivery is recorded. The reconcile loop runs on its own
 * timer, `reconcileEveryMs` from start to start (a slow tick never delays it; a reconcile slower
 * than the interval is followed by the next one at once).
 */
export class MergeQueueLoops {
  private stopped = false;
  private wakeWork: (() => void) | null = null;
  private woken = false;

  constructor(
    private readonly queue: QueueDriven,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly timing: { tickEveryMs: number; reconcileEveryMs: number },
  ) {}

  /** A delivery was recorded, or the line stopped or restarted: the work loop runs now rather than at its next beat. */
  wake(): void {
    this.woken = true;
    this.wakeWork?.();
  }

  start(): { stop(): Promise<void> } {
    const work = this.loop(
      async () => {
        this.woken = false;
        await this.queue.processDeliveries();
        await this.queue.tick(this.clock.now());
        while ((await this.queue.runEffects()) > 0 && !this.stopped);
      },
      () => this.timing.tickEveryMs,
      (wake) => {
        this.wakeWork = wake;
        // A delivery recorded while the round ran is processed without waiting for the next beat.
        if (this.woken) wake();
      },
    );
    let reconcileStartedAt = 0;
    const reconcile = this.loop(
      async () => {
        reconcileStartedAt = Date.now();
        await this.queue.reconcile();
      },
      () => Math.max(0, this.timing.reconcileEveryMs - (Date.now() - reconcileStartedAt)),
      () => {},
    );
    return {
      stop: async () => {
        this.stopped = true;
        this.wakeWork?.();
        await Promise.all([work.stop(), reconcile.stop()]);
      },
    };
  }

  private loop(round: () => Promise<void>, pauseMs: () => number, onWait: (wake: () => void) => void): { stop(): Promise<void> } {
    let wake: (() => void) | undefined;
    const running = (async () => {
      while (!this.stopped) {
        try {
          await round();
        } catch (error) {
          this.logger.error({ err: error }, 'merge queue round failed; the next round retries');
        }
        if (this.stopped) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          onWait(resolve);
          setTimeout(resolve, pauseMs()).unref();
        });
      }
    })();
    return {
      stop: async () => {
        wake?.();
        await running;
      },
    };
  }
}
