import type { Db } from '../store/db.js';
import { DrizzleStore } from '../store/drizzle-store.js';
import { DrizzleCatalog } from '../store/repos/drizzle-catalog.js';
import { buildEngine, type Engine, type EngineParts } from '../services/engine.js';

export type { Engine, EnginePorts, OutboxLane } from '../services/engine.js';
export { OUTBOX_LANES } from '../services/engine.js';

export type EngineOptions = Omit<EngineParts, 'store' | 'catalog'> & { db: Db };

/** The engine over one drizzle database (PGlite or Postgres): the stores are chosen here, the services never see them. */
export function createEngine(options: EngineOptions): Engine {
  const { db, ...rest } = options;
  return buildEngine({ ...rest, store: new DrizzleStore(db, options.config), catalog: new DrizzleCatalog(db) });
}
