import { sql, type SQL } from 'drizzle-orm';
import type { DoraEvent, DoraReleaseHistory } from '../../domain/dora/dora-metrics.js';
import type { DeliveryHistory } from '../../ports/delivery-history.js';
import { queryRows, type DbOrTx } from '../db.js';

/** One release of the production history, as `productionHistorySql` answers it (snake_case JSON). */
export interface HistorySqlRow {
  id: string;
  services: string[] | null;
  versions: Record<string, string> | null;
  events: Array<{ at: string; data: { events?: Array<{ type?: unknown; data?: Record<string, unknown> }> } | null }>;
  /** The merge time of each shipped version that came from a merged pull request. */
  merges: Array<{ service: string; created_at: string }>;
}

/**
 * The releases whose path passes `production` and that changed since `since`, each with the
 * services it changes there, its transition events and the merge times of the versions it ships:
 * one SELECT, whatever the range (order it by `created_at`).
 */
export function productionHistorySql(production: string, since: Date): SQL {
  return sql`SELECT r.id,
                    s.services,
                    r.state->'plan'->'versions' AS versions,
                    (SELECT coalesce(json_agg(json_build_object('at', e.at, 'data', e.data) ORDER BY e.id), '[]'::json)
                       FROM release_events e
                      WHERE e.kind = 'transition' AND e.release_id = r.id) AS events,
                    (SELECT coalesce(json_agg(json_build_object('service', v.service, 'created_at', v.created_at)), '[]'::json)
                       FROM versions v
                      WHERE v.pull_number IS NOT NULL
                        AND v.service IN (SELECT jsonb_array_elements_text(s.services))
                        AND v.version = coalesce(r.state->'plan'->'versions'->>v.service, '')) AS merges,
                    r.created_at
               FROM releases r
               CROSS JOIN LATERAL (
                 SELECT coalesce(jsonb_agg(c->>'service'), '[]'::jsonb) AS services
                   FROM jsonb_array_elements(r.state->'plan'->'environments') env,
                        jsonb_array_elements(env->'changes') c
                  WHERE env->>'environment' = ${production}) s
              WHERE r.updated_at >= ${since.toISOString()}
                AND jsonb_path_exists(r.state, '$.plan.path[*] ? (@ == $e)', jsonb_build_object('e', ${production}::text))`;
}

export function deliveryHistoryOf(row: HistorySqlRow): DoraReleaseHistory {
  const services = [...new Set(row.services ?? [])];
  const events: DoraEvent[] = [];
  for (const transition of row.events) {
    for (const event of transition.data?.events ?? []) {
      if (typeof event.type === 'string') events.push({ type: event.type, at: new Date(transition.at), data: event.data });
    }
  }
  const mergedAt = new Map(row.merges.map((merge) => [merge.service, new Date(merge.created_at)]));
  return { releaseId: row.id, services, events, mergedAt: Object.fromEntries(services.map((service) => [service, mergedAt.get(service) ?? null])) };
}

/** The event log and the version catalogue, read for the DORA figures: one statement whatever the range. */
export class DrizzleDeliveryHistory implements DeliveryHistory {
  constructor(private readonly db: DbOrTx) {}

  async productionHistory(production: string, since: Date): Promise<DoraReleaseHistory[]> {
    const rows = await queryRows<HistorySqlRow>(this.db, sql`${productionHistorySql(production, since)} ORDER BY r.created_at`);
    return rows.map(deliveryHistoryOf);
  }
}
