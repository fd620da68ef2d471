import { max, ne } from 'drizzle-orm';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { Db } from '../store/db.js';
import { infraSets, releases, versions } from '../store/schema/index.js';
import type { SimulatedFleet } from './fleet/simulated-fleet.js';

/** The version every service of a new sandbox already runs, so a first canary has a baseline. */
export const SEED_VERSION = 'v1';

export function seedInfraSetId(environment: string, service: string): string {
  return `is-seed-${environment}-${service}`;
}

/**
 * A new sandbox starts from a shop already in production: every service of the config serves v1
 * (one infra-set at 100%) in every environment, in the store and in the fleet alike. A data
 * directory that already holds infra-sets is left as it is.
 */
export async function seedSandboxStore(db: Db, config: DeliveryConfig, at: Date): Promise<{ seeded: boolean }> {
  const existing = await db.select({ id: infraSets.id }).from(infraSets).limit(1);
  if (existing.length > 0) return { seeded: false };
  const services = Object.keys(config.services);
  await db.transaction(async (tx) => {
    await tx
      .insert(versions)
      .values(services.map((service) => ({ service, version: SEED_VERSION, repo: config.services[service]?.repo ?? null, createdAt: at })))
      .onConflictDoNothing();
    await tx.insert(infraSets).values(
      Object.keys(config.environments).flatMap((environment) =>
        services.map((service) => ({
          id: seedInfraSetId(environment, service),
          service,
          environment,
          version: SEED_VERSION,
          releaseId: null,
          state: 'serving' as const,
          weight: 100,
          createdAt: at,
        })),
      ),
    );
  });
  return { seeded: true };
}

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

/** The latest instant a release was touched: where a restarted sandbox's clock resumes. */
export async function latestStoredInstant(db: Db): Promise<Date | null> {
  const [row] = await db.select({ at: max(releases.updatedAt) }).from(releases);
  return row?.at ?? null;
}
