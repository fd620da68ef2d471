import { sql, type SQL } from 'drizzle-orm';
import { auditEntryOf, type AuditEntry, type AuditRow } from '../../domain/audit/audit-entry.js';
import type { AuditHistoryPage, AuditHistoryQuery, AuditLog } from '../../ports/audit-log.js';
import { queryRows, type DbOrTx } from '../db.js';

interface RawRow {
  id: number | string;
  kind: AuditRow['kind'];
  release_id: string | null;
  type: string;
  actor: string | null;
  message: string;
  data: Record<string, unknown> | null;
  at: Date | string;
  release_environment: string | null;
  release_services: string[] | null;
}

/**
 * Rows that are someone's action (or an automatic rollback), not the engine's own progress: any row
 * with an actor, any refusal or operator row, and transitions that started a rollback or finished.
 */
const IS_ACTION = sql`(e.actor IS NOT NULL OR e.kind <> 'transition' OR e.type ~ '(^|\\+)(rollback_started|abort_started|finished)(\\+|$)')`;

const SELECT = sql`
  SELECT e.id, e.kind, e.release_id, e.type, e.actor, e.message, e.data, e.at,
         r.environment AS release_environment,
         (SELECT coalesce(jsonb_agg(DISTINCT c->>'service'), '[]'::jsonb)
            FROM jsonb_array_elements(r.state->'plan'->'environments') env,
                 jsonb_array_elements(env->'changes') c) AS release_services
    FROM release_events e
    LEFT JOIN releases r ON r.id = e.release_id`;

function serviceFilter(service: string): SQL {
  return sql`(e.data->>'service' = ${service} OR jsonb_path_exists(r.state, '$.plan.environments[*].changes[*] ? (@.service == $s)', jsonb_build_object('s', ${service}::text)))`;
}

function environmentFilter(environment: string): SQL {
  return sql`(e.data->>'environment' = ${environment} OR jsonb_path_exists(r.state, '$.plan.path[*] ? (@ == $e)', jsonb_build_object('e', ${environment}::text)))`;
}

function rowOf(raw: RawRow): AuditRow {
  const data = raw.data ?? {};
  const events = Array.isArray(data.events) ? (data.events as Array<{ data?: Record<string, unknown> }>) : [];
  const eventEnvironment = events.map((event) => event.data?.environment).find((value): value is string => typeof value === 'string');
  const namedService = typeof data.service === 'string' ? data.service : null;
  return {
    id: Number(raw.id),
    kind: raw.kind,
    releaseId: raw.release_id,
    type: raw.type,
    input: typeof data.input === 'string' ? data.input : raw.kind === 'transition' ? null : raw.type,
    actor: raw.actor,
    message: raw.message,
    at: new Date(raw.at),
    environment: (typeof data.environment === 'string' ? data.environment : null) ?? eventEnvironment ?? raw.release_environment,
    services: namedService ? [namedService] : [...(raw.release_services ?? [])].sort(),
    code: typeof data.code === 'string' ? data.code : null,
  };
}

/** The audit trail over `release_events` (the event log is the audit log, DESIGN.md §4). */
export class DrizzleAuditLog implements AuditLog {
  constructor(private readonly db: DbOrTx) {}

  async history(query: AuditHistoryQuery): Promise<AuditHistoryPage> {
    const conditions: SQL[] = [IS_ACTION];
    if (query.service) conditions.push(serviceFilter(query.service));
    if (query.environment) conditions.push(environmentFilter(query.environment));
    if (query.beforeId !== undefined) conditions.push(sql`e.id < ${query.beforeId}`);
    // One more than a page tells whether an older page exists.
    const rows = await queryRows<RawRow>(this.db, sql`${SELECT} WHERE ${sql.join(conditions, sql` AND `)} ORDER BY e.id DESC LIMIT ${query.limit + 1}`);
    const entries = rows.slice(0, query.limit).map((raw) => auditEntryOf(rowOf(raw)));
    return { entries, nextBefore: rows.length > query.limit ? (entries[entries.length - 1]?.id ?? null) : null };
  }

  async exportSince(query: { since: Date; afterId: number; limit: number }): Promise<AuditEntry[]> {
    const rows = await queryRows<RawRow>(this.db, sql`${SELECT} WHERE e.at >= ${query.since.toISOString()} AND e.id > ${query.afterId} ORDER BY e.id ASC LIMIT ${query.limit}`);
    return rows.map((raw) => auditEntryOf(rowOf(raw)));
  }
}
