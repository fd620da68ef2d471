import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { Catalog } from '../../ports/catalog.js';
import type { Db } from '../db.js';
import { environments, services } from '../schema/index.js';

/** Services and environments from the config, as rows. */
export class DrizzleCatalog implements Catalog {
  constructor(private readonly db: Db) {}

  async sync(config: DeliveryConfig, now: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
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
}
