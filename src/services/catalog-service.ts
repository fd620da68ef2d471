import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { Db } from '../store/db.js';
import { environments, services } from '../store/schema/index.js';

/** Seeds services and environments from the config at start-up; safe to run on every replica. */
export async function syncCatalog(db: Db, config: DeliveryConfig, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    for (const [name, service] of Object.entries(config.services)) {
      const row = { name, team: service.team, repo: service.repo, dependsOn: service.dependsOn.map((dep) => dep.service), updatedAt: now };
      await tx.insert(services).values(row).onConflictDoUpdate({ target: services.name, set: { team: row.team, repo: row.repo, dependsOn: row.dependsOn, updatedAt: now } });
    }
    let position = 0;
    for (const [name, environment] of Object.entries(config.environments)) {
      const row = { name, position: position++, channel: environment.channel, updatedAt: now };
      await tx.insert(environments).values(row).onConflictDoUpdate({ target: environments.name, set: { position: row.position, channel: row.channel, updatedAt: now } });
    }
  });
}
