import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { DeliveryConfig } from '../../src/config/delivery-schema.js';
import type { AppHomes } from '../../src/ports/app-homes.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind, truncateAll } from './databases.js';
import { engineHarness, seedServing, type EngineHarness } from './fakes/engine-harness.js';
import { TUESDAY_MORNING } from './fakes/example-config.js';
import { fakePorts } from './fakes/fake-ports.js';
import { startSlackHarness, type SlackHarness } from './slack-app-harness.js';

/** The Slack surface over the real engine, filled in before the suite runs. */
export interface SlackEngine {
  database: Database;
  harness: SlackHarness;
  engine: EngineHarness;
}

export interface SlackEngineOptions {
  /** What serves before each test, on a database emptied for it. */
  serving?: Array<{ environment: string; service: string; version: string }>;
  /** Give the engine the Slack app's App Home publisher (re-publishing Homes through the outbox). */
  appHomes?: boolean;
}

/**
 * The real Slack surface (startSlackHarness: emulator in strict mode, Bolt over signed HTTP) over
 * the real engine on PGlite with fake traffic, infra and health, its manual clock the clock of
 * both. Set up before the suite and torn down after it; before each test the engine settles, the
 * database is emptied, the clock goes back to Tuesday morning and `serving` is seeded.
 */
export function useSlackEngine(config: DeliveryConfig, options: SlackEngineOptions = {}): SlackEngine {
  const world = {} as SlackEngine;
  beforeAll(async () => {
    world.database = await pgliteKind.open();
    const ports = fakePorts();
    let homes: AppHomes | null = null;
    world.harness = await startSlackHarness({
      database: world.database,
      // The chat adapter reads the clock as it is built, before the engine exists.
      clock: { now: () => world.engine?.clock.now() ?? new Date(TUESDAY_MORNING) },
      config,
      releases: (chat) => {
        const appHomes: AppHomes | undefined = options.appHomes ? { refresh: async (now) => homes?.refresh(now) } : undefined;
        world.engine = engineHarness(world.database.db, config, TUESDAY_MORNING, Object.assign({ ...ports, chat } as typeof ports, appHomes ? { appHomes } : {}));
        return world.engine.engine.releases;
      },
    });
    homes = world.harness.app.appHomes;
  });
  afterAll(async () => {
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
