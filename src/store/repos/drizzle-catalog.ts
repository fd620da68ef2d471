import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { Catalog } from '../../ports/catalog.js';
import type { Db } from '../db.js';
import { sql } from 'drizzle-orm';

/** Services and environments from the config, as rows. */
export class DrizzleCatalog implements Catalog {
  constructor(private readonly db: Db) {}

  /** Every service and environment in one statement (a start-up with hundreds of services waits for one round trip). */
  async sync(config: DeliveryConfig, now: Date): Promise<void> {
    const at = sql`${now.toISOString()}::timestamptz`;
    const serviceRows = Object.entries(config.services).map(([name, service]) => sql`(${name}, ${service.team}, ${service.repo}, ${JSON.stringify(service.dependsOn.map((dep) => dep.service))}::jsonb, ${at})`);
    const environmentRows = Object.entries(config.environments).map(([name, environment], position) => sql`(${name}, ${position}::int, ${environment.channel}, ${at})`);
    const upsertServices = sql`INSERT INTO services (name, team, repo, depends_on, updated_at) VALUES ${sql.join(serviceRows, sql`, `)}
      ON CONFLICT (name) DO UPDATE SET team = excluded.team, repo = excluded.repo, depends_on = excluded.depends_on, updated_at = excluded.updated_at`;
    const upsertEnvironments = sql`INSERT INTO environments (name, position, channel, updated_at) VALUES ${sql.join(environmentRows, sql`, `)}
      ON CONFLICT (name) DO UPDATE SET position = excluded.position, channel = excluded.channel, updated_at = excluded.updated_at`;
    if (serviceRows.length > 0 && environmentRows.length > 0) await this.db.execute(sql`WITH synced_services AS (${upsertServices}) ${upsertEnvironments}`);
    else if (serviceRows.length > 0) await this.db.execute(upsertServices);
    else if (environmentRows.length > 0) await this.db.execute(upsertEnvironments);
  }
}
