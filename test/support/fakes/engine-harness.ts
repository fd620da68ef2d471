import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import type { DeliveryConfig } from '../../../src/config/delivery-schema.js';
import type { Catalog } from '../../../src/ports/catalog.js';
import { ManualClock } from '../../../src/ports/clock.js';
import type { InfraSetRecord } from '../../../src/ports/infra-set-store.js';
import type { Store } from '../../../src/ports/store.js';
import { createEngine, type Engine } from '../../../src/app/create-engine.js';
import { buildEngine } from '../../../src/services/engine.js';
import { queryRows, type Db } from '../../../src/store/db.js';
import { infraSets } from '../../../src/store/schema/index.js';
import { MemoryStore } from '../memory/memory-store.js';
import { fakePorts, type FakePorts } from './fake-ports.js';

export const silentLogger = pino({ level: 'silent' });

/** The engine over some storage, with in-memory ports and a manual clock. */
export interface Harness {
  engine: Engine;
  clock: ManualClock;
  ports: FakePorts;
}

export interface EngineHarness extends Harness {
  db: Db;
}

export interface MemoryEngineHarness extends Harness {
  store: MemoryStore;
}

// Driven step by step in virtual time: lanes run when the test says (a rollback still runs at once).
const stepByStep = { logger: silentLogger, runLanesAtOnce: false } as const;

/** The engine over a drizzle database (PGlite or Postgres), as the app composes it. */
export function engineHarness(db: Db, config: DeliveryConfig, start: string, ports: FakePorts = fakePorts(), clock = new ManualClock(start)): EngineHarness {
  const engine = createEngine({ db, config, clock, ports, ...stepByStep });
  return { engine, clock, ports, db };
}

/** The engine over any `Store` and `Catalog`. */
export function engineHarnessOver(storage: { store: Store; catalog: Catalog }, config: DeliveryConfig, start: string, ports: FakePorts = fakePorts(), clock = new ManualClock(start)): Harness {
  const engine = buildEngine({ store: storage.store, catalog: storage.catalog, config, clock, ports, ...stepByStep });
  return { engine, clock, ports };
}

/** The engine over a fresh MemoryStore: service tests with no database. */
export function memoryEngineHarness(config: DeliveryConfig, start: string, ports: FakePorts = fakePorts(), clock = new ManualClock(start)): MemoryEngineHarness {
  const store = new MemoryStore(config);
  return { ...engineHarnessOver({ store, catalog: store }, config, start, ports, clock), store };
}

/** The fleet as it runs before a test: each entry serves 100% from a seeded infra-set. */
export async function seedServing(target: Db | MemoryStore, entries: Array<{ environment: string; service: string; version: string }>, at: Date): Promise<void> {
  const sets: InfraSetRecord[] = entries.map((entry) => ({
    id: `is-seed-${entry.environment}-${entry.service}-${entry.version}`,
    service: entry.service,
    environment: entry.environment,
    version: entry.version,
    releaseId: null,
    state: 'serving',
    weight: 100,
    createdAt: at,
    warmedAt: null,
    retiredAt: null,
  }));
  if (target instanceof MemoryStore) await target.seedInfraSets(sets);
  else for (const set of sets) await target.insert(infraSets).values(set);
}

/** The earliest persisted timer (a release's next tick or an outbox retry), if any, in one statement. */
export async function nextDue(db: Db): Promise<Date | null> {
  const [row] = await queryRows<{ due: string | Date | null }>(
    db,
    sql`SELECT least(
          (SELECT min(next_tick_at) FROM releases WHERE status NOT IN ('succeeded', 'rolled_back', 'aborted')),
          (SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending')) AS due`,
  );
  return row?.due ? new Date(row.due) : null;
}

/** The earliest timer the engine waits for: a release's next tick or a lane's next outbox row. */
async function engineNextDue(engine: Engine): Promise<Date | null> {
  const due = await engine.nextDue();
  return [due.tick, ...Object.values(due.lanes)].reduce<Date | null>((min, at) => (at && (!min || at < min) ? at : min), null);
}

/**
 * Runs the engine in virtual time: do everything due now, then jump the clock to the next persisted
 * timer, until `done` holds (or the clock passes `until`). Answers whether `done` held.
 */
export async function drive(h: Harness, done: () => Promise<boolean> | boolean, options: { until?: string | Date; maxSteps?: number } = {}): Promise<boolean> {
  const until = options.until ? new Date(options.until).getTime() : Infinity;
  for (let step = 0; step < (options.maxSteps ?? 2_000); step += 1) {
    await h.engine.runUntilIdle();
    await h.engine.settle();
    if (await done()) return true;
    const due = await engineNextDue(h.engine);
    if (!due) return false;
    const target = Math.max(due.getTime(), h.clock.now().getTime());
    if (target > until) return false;
    if (target === h.clock.now().getTime()) continue;
    h.clock.set(new Date(target));
  }
  return false;
}
