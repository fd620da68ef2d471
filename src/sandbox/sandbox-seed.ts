import { max } from 'drizzle-orm';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { Db } from '../store/db.js';
import { infraSets, releases, versions } from '../store/schema/index.js';

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

/** The latest instant a release was touched: where a restarted sandbox's clock resumes. */
export async function latestStoredInstant(db: Db): Promise<Date | null> {
  const [row] = await db.select({ at: max(releases.updatedAt) }).from(releases);
  return row?.at ?? null;
}
