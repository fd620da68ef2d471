import { sql } from 'drizzle-orm';
import type { DoraEvent, DoraReleaseHistory } from '../../domain/dora/dora-metrics.js';
import type { DeliveryHistory } from '../../ports/delivery-history.js';
import { queryRows, type DbOrTx } from '../db.js';

interface ReleaseRow {
  id: string;
  services: string[] | null;
  versions: Record<string, string> | null;
}

interface EventRow {
  release_id: string;
  at: Date | string;
  data: { events?: Array<{ type?: unknown; data?: Record<string, unknown> }> } | null;
}

interface MergeRow {
  service: string;
  version: string;
  created_at: Date | string;
}

/** The event log and the version catalogue, read for the DORA figures: three statements whatever the range. */
export class DrizzleDeliveryHistory implements DeliveryHistory {
  constructor(private readonly db: DbOrTx) {}

  async productionHistory(production: string, since: Date): Promise<DoraReleaseHistory[]> {
    const releases = await queryRows<ReleaseRow>(
      this.db,
      sql`SELECT r.id,
                 (SELECT coalesce(jsonb_agg(c->>'service'), '[]'::jsonb)
                    FROM jsonb_array_elements(r.state->'plan'->'environments') env,
                         jsonb_array_elements(env->'changes') c
                   WHERE env->>'environment' = ${production}) AS services,
                 r.state->'plan'->'versions' AS versions
            FROM releases r
           WHERE r.updated_at >= ${since.toISOString()}
             AND jsonb_path_exists(r.state, '$.plan.path[*] ? (@ == $e)', jsonb_build_object('e', ${production}::text))
           ORDER BY r.created_at`,
    );
    if (releases.length === 0) return [];
    const ids = releases.map((release) => release.id);
    const events = await queryRows<EventRow>(
      this.db,
      sql`SELECT release_id, at, data FROM release_events
           WHERE kind = 'transition' AND release_id IN (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})
           ORDER BY id`,
    );
    // The merge time of each shipped version that came from a merged pull request.
    const pairs = releases.flatMap((release) => (release.services ?? []).map((service) => [service, release.versions?.[service] ?? ''] as const));
    const merges =
      pairs.length === 0
        ? []
        : await queryRows<MergeRow>(
            this.db,
            sql`SELECT service, version, created_at FROM versions
                 WHERE pull_number IS NOT NULL AND (service, version) IN (${sql.join(pairs.map(([service, version]) => sql`(${service}, ${version})`), sql`, `)})`,
          );
    const mergedAt = new Map(merges.map((row) => [`${row.service}@${row.version}`, new Date(row.created_at)]));
    const byRelease = new Map<string, DoraEvent[]>(ids.map((id) => [id, []]));
    for (const row of events) {
      const list = byRelease.get(row.release_id);
      if (!list) continue;
      for (const event of row.data?.events ?? []) {
        if (typeof event.type === 'string') list.push({ type: event.type, at: new Date(row.at), data: event.data });
      }
    }
    return releases.map((release) => {
      const services = [...new Set(release.services ?? [])];
      return {
        releaseId: release.id,
        services,
        events: byRelease.get(release.id) ?? [],
        mergedAt: Object.fromEntries(services.map((service) => [service, mergedAt.get(`${service}@${release.versions?.[service] ?? ''}`) ?? null])),
      };
    });
  }
}
