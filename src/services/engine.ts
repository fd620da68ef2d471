import type { Logger } from 'pino';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { Annotations } from '../ports/annotations.js';
import type { AppHomes } from '../ports/app-homes.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryStatus } from '../ports/delivery-status.js';
import type { HealthProbe } from '../ports/health.js';
import type { Infra } from '../ports/infra.js';
import type { MergeQueues } from '../ports/merge-queues.js';
import { noTelemetry, type Telemetry } from '../ports/telemetry.js';
import type { Traffic } from '../ports/traffic.js';
import type { VersionSets } from '../ports/version-sets.js';
import type { Catalog } from '../ports/catalog.js';
import { OUTBOX_LANES, type OutboxLane } from '../ports/outbox.js';
import type { Store } from '../ports/store.js';
import { GITHUB_COM } from '../domain/release/what-ships.js';
import { StoredDeliveryStatus } from './delivery-status-service.js';
import { OutboxWorker, defaultOutboxOptions, type OutboxWorkerOptions } from './outbox-worker.js';
import { StoredReleaseService, type ReleaseService } from './release-service.js';
import { ReleaseObserver } from './release-telemetry.js';
import { StoredVersionSets } from './version-set-service.js';

export { OUTBOX_LANES, type OutboxLane } from '../ports/outbox.js';

export interface EnginePorts {
  traffic: Traffic;
  infra: Infra;
  health: HealthProbe;
  chat: Chat;
  annotations: Annotations;
  /** App Home kept up for recent viewers (absent: Homes are published only when opened). */
  appHomes?: AppHomes;
  /** The merge queues, told when the line stops or restarts (absent: no queue runs). */
  mergeQueues?: MergeQueues;
}

export interface EngineParts {
  store: Store;
  catalog: Catalog;
  config: DeliveryConfig;
  clock: Clock;
  ports: EnginePorts;
  logger: Logger;
  /** Outbox tuning (lease, attempts, batch size); defaults suit production. */
  outbox?: Partial<OutboxWorkerOptions>;
  /**
   * Whether each commit runs the outbox lanes it queued into at once (default true). Tests that
   * drive the engine step by step in virtual time turn it off; rollbacks still run at once.
   */
  runLanesAtOnce?: boolean;
  /** Where counts and timings go (/metrics); none when not given. */
  telemetry?: Telemetry;
  /** Where the cards' links to GitHub point (`githubWebUrl(env)`); GitHub.com when not given. */
  githubWebUrl?: string;
}

export interface Engine {
  releases: ReleaseService;
  versionSets: VersionSets;
  deliveryStatus: DeliveryStatus;
  /** Seeds services and environments from the config (start-up). */
  syncCatalog(): Promise<void>;
  /** Claims releases whose timer is due and advances each; answers how many it looked at. */
  tick(now?: Date): Promise<number>;
  /** Runs due outbox rows of one lane; answers how many ran. */
  runOutbox(lane: OutboxLane, limit?: number): Promise<number>;
  /**
   * When the next release timer and each lane's next outbox row are due (null: nothing waits); card
   * updates Slack asked this replica to hold back count from the end of that wait.
   */
  nextDue(): Promise<{ tick: Date | null; lanes: Record<OutboxLane, Date | null> }>;
  /** Runs a lane now, in the background (what an accepted input does after its commit). */
  kick(lane: OutboxLane): void;
  /** Calls `listener` after each kicked lane run: timers may have moved (the scheduler re-arms its wake-up). */
  onActivity(listener: () => void): void;
  /** Ticks and runs every lane until nothing more is due at the clock's current time (tests, sandbox). */
  runUntilIdle(maxRounds?: number): Promise<number>;
  /** Waits for lane runs started by a kick (a rollback runs its traffic calls at once). */
  settle(): Promise<void>;
  /** Stops kicking new runs and waits for those in flight. */
  stop(): Promise<void>;
}

/** Every engine service over the given stores and ports (the composition root picks the stores). */
export function buildEngine(options: EngineParts): Engine {
  const { store, config, clock, logger } = options;
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;
  const running: Record<OutboxLane, boolean> = { critical: false, health: false, chat: false };
  // A kick that arrives while its lane runs is remembered: rows committed after the run's last claim
  // still run now, not at the next beat.
  const kicked: Record<OutboxLane, boolean> = { critical: false, health: false, chat: false };
  const activityListeners: Array<() => void> = [];

  const runLane = async (lane: OutboxLane, limit?: number): Promise<number> => worker.run(lane, limit);
  const kick = (lane: OutboxLane) => {
    if (stopped) return;
    kicked[lane] = true;
    if (running[lane]) return;
    running[lane] = true;
    const run = (async () => {
      try {
        while (kicked[lane] && !stopped) {
          kicked[lane] = false;
          // Keep going while rows keep coming: a rollback's moves are chained through their results.
          for (let round = 0; round < 50 && !stopped; round += 1) {
            if ((await runLane(lane)) === 0) break;
          }
        }
      } catch (error) {
        logger.error({ err: error, lane }, 'kicked outbox run failed');
      } finally {
        running[lane] = false;
        for (const listener of activityListeners) listener();
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  const telemetry = options.telemetry ?? noTelemetry;
  const releases = new StoredReleaseService({ store, config, clock, kick, runLanesAtOnce: options.runLanesAtOnce ?? true, observer: new ReleaseObserver(telemetry, logger), githubWebUrl: options.githubWebUrl ?? GITHUB_COM });
  const worker = new OutboxWorker(store, releases, options.ports, clock, logger, { ...defaultOutboxOptions, ...options.outbox }, telemetry);

  const tick = async (at?: Date): Promise<number> => {
    return releases.tickDue(at ?? clock.now());
  };

  return {
    releases,
    versionSets: new StoredVersionSets(store),
    deliveryStatus: new StoredDeliveryStatus(store, config),
    syncCatalog: () => options.catalog.sync(config, clock.now()),
    tick,
    runOutbox: runLane,
    nextDue: () => store.outbox.nextDue({ cardUpdatesNotBefore: worker.cardUpdatesWaitUntil(clock.now()) }),
    kick,
    onActivity(listener) {
      activityListeners.push(listener);
    },
    async runUntilIdle(maxRounds = 200) {
      let total = 0;
      for (let round = 0; round < maxRounds; round += 1) {
        let work = await tick();
        for (const lane of OUTBOX_LANES) work += await runLane(lane);
        total += work;
        if (work === 0) return total;
      }
      return total;
    },
    async settle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      stopped = true;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
