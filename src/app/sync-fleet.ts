import { ne } from 'drizzle-orm';
import type { SimulatedFleet } from '../adapters/fleet/simulated-fleet.js';
import type { Db } from '../store/db.js';
import { infraSets } from '../store/schema/index.js';

/**
 * Makes the in-memory fleet mirror the store's infra-sets: after a restart of `npm start` on an
 * existing data directory, traffic is where the store says it is, and metrics answer for every
 * infra-set the engine may ask about.
 */
export async function syncFleetFromStore(db: Db, fleet: SimulatedFleet, at: Date): Promise<number> {
  const rows = await db.select().from(infraSets).where(ne(infraSets.state, 'retired'));
  const byTarget = new Map<string, typeof rows>();
  for (const row of rows) {
    const key = `${row.service}\u0000${row.environment}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), row]);
  }
  for (const targetRows of byTarget.values()) {
    const weights: Record<string, number> = {};
    for (const row of targetRows) {
      fleet.addInfraSet({ infraSetId: row.id, service: row.service, environment: row.environment, version: row.version });
      if (row.weight > 0) weights[row.id] = row.weight;
    }
    const first = targetRows[0];
    if (first && Object.keys(weights).length > 0) {
      // Backdated: the serving weights held long before the sandbox (re)started, baselines included.
      fleet.setWeights(first.service, first.environment, weights, new Date(at.getTime() - 3_600_000));
    }
  }
  return rows.length;
}
