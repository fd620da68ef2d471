import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import type { DeliveryConfig } from '../../../src/config/delivery-schema.js';
import { ManualClock } from '../../../src/ports/clock.js';
import { createEngine, type Engine } from '../../../src/app/create-engine.js';
import { queryRows, type Db } from '../../../src/store/db.js';
import { infraSets } from '../../../src/store/schema/index.js';
import { fakePorts, type FakePorts } from './fake-ports.js';

export const silentLogger = pino({ level: 'silent' });

export interface EngineHarness {
  engine: Engine;
  clock: ManualClock;
  ports: FakePorts;
  db: Db;
}

export function engineHarness(db: Db, config: DeliveryConfig, start: string, ports: FakePorts = fakePorts(), clock = new ManualClock(start)): EngineHarness {
  // Driven step by step in virtual time: lanes run when the test says (a rollback still runs at once).
  const engine = createEngine({ db, config, clock, ports, logger: silentLogger, runLanesAtOnce: false });
  return { engine, clock, ports, db };
}

/** The fleet as it runs before a test: each entry serves 100% from a seeded infra-set. */
export async function seedServing(db: Db, entries: Array<{ environment: string; service: string; version: string }>, at: Date): Promise<void> {
  for (const entry of entries) {
    await db.insert(infraSets).values({
      id: `is-seed-${entry.environment}-${entry.service}-${entry.version}`,
      service: entry.service,
      environment: entry.environment,
      version: entry.version,
      releaseId: null,
      state: 'serving',
      weight: 100,
      createdAt: at,
    });
  }
}

/** The earliest persisted timer (a release's next tick or an outbox retry), if any. */
export async function nextDue(db: Db): Promise<Date | null> {
  const [row] = await queryRows<{ due: string | Date | null }>(
    db,
    sql`SELECT least(
          (SELECT min(next_tick_at) FROM releases WHERE status NOT IN ('succeeded', 'rolled_back', 'aborted')),
          (SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending')) AS due`,
  );
  return row?.due ? new Date(row.due) : null;
}

/**
 * Runs the engine in virtual time: do everything due now, then jump the clock to the next persisted
 * timer, until `done` holds (or the clock passes `until`). Answers whether `done` held.
 */
export async function drive(h: EngineHarness, done: () => Promise<boolean> | boolean, options: { until?: string | Date; maxSteps?: number } = {}): Promise<boolean> {
  const until = options.until ? new Date(options.until).getTime() : Infinity;
  for (let step = 0; step < (options.maxSteps ?? 2_000); step += 1) {
    await h.engine.runUntilIdle();
    await h.engine.settle();
    if (await done()) return true;
    const due = await nextDue(h.db);
    if (!due) return false;
    const target = Math.max(due.getTime(), h.clock.now().getTime());
    if (target > until) return false;
    if (target === h.clock.now().getTime()) continue;
    h.clock.set(new Date(target));
  }
  return false;
}
