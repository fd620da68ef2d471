import { afterAll, beforeAll, beforeEach } from 'vitest';
import { mergeQueueParts, type MergeQueueParts } from '../../src/app/github/merge-queue-parts.js';
import type { DeliveryConfig } from '../../src/config/delivery-schema.js';
import type { EmulatedMessage } from '../../src/sandbox/slack-emulator/index.js';
import type { AppHomes } from '../../src/ports/app-homes.js';
import type { MergeQueues } from '../../src/ports/merge-queues.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind, truncateAll } from './databases.js';
import { engineHarness, seedServing, silentLogger, type EngineHarness } from './fakes/engine-harness.js';
import { TUESDAY_MORNING } from './fakes/example-config.js';
import { fakePorts } from './fakes/fake-ports.js';
import type { FakeGitHub } from './fake-github.js';
import { BOT_TOKEN, startSlackHarness, type SlackHarness } from './slack-app-harness.js';
import { eventually } from './slack-wait.js';

/** The Slack surface over the real engine, filled in before the suite runs. */
export interface SlackEngine {
  database: Database;
  harness: SlackHarness;
  engine: EngineHarness;
  /** The merge queue as the app wires it (config.mergeQueue and options.github given), its loops running. */
  mergeQueue: MergeQueueParts | null;
}

export interface SlackEngineOptions {
  /** What serves before each test, on a database emptied for it. */
  serving?: Array<{ environment: string; service: string; version: string }>;
  /** Give the engine the Slack app's App Home publisher (re-publishing Homes through the outbox). */
  appHomes?: boolean;
  /**
   * Run the merge queue of config.mergeQueue against this fake GitHub (started by the suite), wired
   * as the app wires it: /queue, the engine telling it of line stops, and its loops, whose periodic
   * beat is too far off to come during a test (only a wake or the test moves the queue).
   */
  github?: FakeGitHub;
}

/**
 * The real Slack surface (startSlackHarness: emulator in strict mode, Bolt over signed HTTP) over
 * the real engine on PGlite with fake traffic, infra and health, its manual clock the clock of
 * both. Set up before the suite and torn down after it; before each test the engine settles, the
 * database is emptied, the clock goes back to Tuesday morning and `serving` is seeded.
 */
export function useSlackEngine(config: DeliveryConfig, options: SlackEngineOptions = {}): SlackEngine {
  const world = { mergeQueue: null } as SlackEngine;
  let queueLoops: { stop(): Promise<void> } | null = null;
  beforeAll(async () => {
    world.database = await pgliteKind.open();
    const ports = fakePorts();
    let homes: AppHomes | null = null;
    const mergeQueues: MergeQueues = { lookAgain: () => world.mergeQueue?.mergeQueues.lookAgain() };
    world.harness = await startSlackHarness({
      database: world.database,
      // The chat adapter reads the clock as it is built, before the engine exists.
      clock: { now: () => world.engine?.clock.now() ?? new Date(TUESDAY_MORNING) },
      config,
      releases: (chat) => {
        const appHomes: AppHomes | undefined = options.appHomes ? { refresh: async (now) => homes?.refresh(now) } : undefined;
        world.engine = engineHarness(world.database.db, config, TUESDAY_MORNING, Object.assign({ ...ports, chat } as typeof ports, appHomes ? { appHomes } : {}, options.github ? { mergeQueues } : {}));
        return world.engine.engine.releases;
      },
      mergeQueue: (chat) => {
        const github = options.github;
        if (!github) return null;
        world.mergeQueue = mergeQueueParts({
          env: { GITHUB_TOKEN: 'ghs_e2e', GITHUB_API_URL: github.url, GITHUB_APP_ID: undefined, GITHUB_APP_PRIVATE_KEY: undefined, GITHUB_APP_INSTALLATION_ID: undefined, GITHUB_WEBHOOK_SECRET: undefined },
          config,
          database: world.database,
          clock: world.engine.clock,
          engine: world.engine.engine,
          chat,
          slack: { botToken: BOT_TOKEN },
          logger: silentLogger,
          tickEveryMs: 24 * 3600_000,
        });
        return world.mergeQueue?.queue ?? null;
      },
    });
    homes = world.harness.app.appHomes;
    queueLoops = world.mergeQueue?.start() ?? null;
  });
  afterAll(async () => {
    await queueLoops?.stop();
    await world.engine?.engine.stop();
    await world.harness?.stop();
    await world.database?.close();
  });
  beforeEach(async () => {
    await world.engine.engine.settle();
    await truncateAll(world.database.db);
    world.engine.clock.set(TUESDAY_MORNING);
    if (options.serving) await seedServing(world.database.db, options.serving, world.engine.clock.now());
  });
  return world;
}

/** A release's card in #deploys, once the engine has run what is due. */
export function cardOf(world: SlackEngine, id: string): Promise<EmulatedMessage> {
  return eventually(`the card of ${id}`, async () => {
    await world.engine.engine.runUntilIdle();
    return world.harness.slack.messages('deploys').find((message) => message.text.includes(`Release ${id} `));
  });
}

/** The text of a card's "What ships" section. */
export function whatShips(card: EmulatedMessage): string {
  const block = (card.blocks as Array<{ text?: { text?: string } }>).find((candidate) => candidate.text?.text?.startsWith('*What ships*'));
  if (!block) throw new Error(`no What ships section in ${JSON.stringify(card.blocks)}`);
  return block.text!.text!;
}
