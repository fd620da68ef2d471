import { sql } from 'drizzle-orm';
import type { EntrySource, EntryStatus } from '../../domain/merge-queue/types.js';
import type { HomeReadModel, HomeRecords, HomeScope } from '../../ports/home-read-model.js';
import type { QueueSnapshot } from '../../ports/merge-queue-store.js';
import { queryRows, type DbOrTx } from '../db.js';
import { deliveryHistoryOf, productionHistorySql, type HistorySqlRow } from './drizzle-delivery-history.js';
import { FINISHED_STATUSES } from '../transition-rows.js';
import { releaseOfJson, worldRecordsOf, worldSql, type ReleaseJson, type WorldSqlRow } from './drizzle-release-repo.js';

interface QueueJson {
  repo: string;
  base_branch: string;
  paused_code: string | null;
  paused_message: string | null;
  unreachable_reason: string | null;
  unreachable_since: string | null;
  entries: Array<{
    repo: string;
    base_branch: string;
    pull_number: number;
    title: string;
    author: string;
    requested_by: string;
    source: EntrySource;
    status: EntryStatus;
    priority: number;
    prioritised_by: string | null;
    detail: string;
    batch_id: number | null;
    enqueued_at: string;
    started_at: string | null;
  }>;
  /** The latest merged entries' start and merge times, newest first. */
  cycles: Array<{ started_at: string | null; finished_at: string | null }>;
}

interface HomeRow {
  active: ReleaseJson[];
  world: WorldSqlRow[];
  queues: QueueJson[] | null;
  history: HistorySqlRow[];
}

/** As many merged entries as `DrizzleMergeQueueStore.recentCycleDurationsMs` looks at. */
const RECENT_CYCLES = 20;

const dateOrNull = (value: string | null): Date | null => (value === null ? null : new Date(value));

function queueOf(row: QueueJson): QueueSnapshot {
  return {
    queue: {
      repo: row.repo,
      baseBranch: row.base_branch,
      pausedCode: row.paused_code,
      pausedMessage: row.paused_message,
      unreachableReason: row.unreachable_reason,
      unreachableSince: dateOrNull(row.unreachable_since),
    },
    entries: row.entries.map((entry) => ({
      repo: entry.repo,
      baseBranch: entry.base_branch,
      pullNumber: Number(entry.pull_number),
      title: entry.title,
      author: entry.author,
      requestedBy: entry.requested_by,
      source: entry.source,
      status: entry.status,
      priority: Number(entry.priority),
      prioritisedBy: entry.prioritised_by,
      detail: entry.detail,
      batchId: entry.batch_id === null ? null : Number(entry.batch_id),
      enqueuedAt: new Date(entry.enqueued_at),
      startedAt: dateOrNull(entry.started_at),
    })),
    recentCycleDurationsMs: row.cycles.flatMap((cycle) => (cycle.started_at && cycle.finished_at ? [new Date(cycle.finished_at).getTime() - new Date(cycle.started_at).getTime()] : [])),
  };
}

/**
 * App Home's facts in one SELECT of json aggregates: the active releases, the world (the same rows
 * as the release store's world read), the merge queues with their active entries and recent
 * cycles, and the DORA history (the same rows as DrizzleDeliveryHistory's).
 */
export class DrizzleHomeReadModel implements HomeReadModel {
  constructor(private readonly db: DbOrTx) {}

  async read(scope: HomeScope, now: Date): Promise<HomeRecords> {
    const queues = scope.mergeQueue
      ? sql`(SELECT coalesce(json_agg(json_build_object(
                'repo', q.repo, 'base_branch', q.base_branch,
                'paused_code', q.paused_code, 'paused_message', q.paused_message,
                'unreachable_reason', q.unreachable_reason, 'unreachable_since', q.unreachable_since,
                'entries', (SELECT coalesce(json_agg(json_build_object(
                                'repo', e.repo, 'base_branch', e.base_branch, 'pull_number', e.pull_number, 'title', e.title,
                                'author', e.author, 'requested_by', e.requested_by, 'source', e.source, 'status', e.status,
                                'priority', e.priority, 'prioritised_by', e.prioritised_by, 'detail', e.detail,
                                'batch_id', e.batch_id, 'enqueued_at', e.enqueued_at, 'started_at', e.started_at)
                              ORDER BY e.priority DESC, e.id), '[]'::json)
                              FROM merge_queue_entries e
                             WHERE e.finished_at IS NULL AND e.repo = q.repo AND e.base_branch = q.base_branch),
                'cycles', (SELECT coalesce(json_agg(json_build_object('started_at', c.started_at, 'finished_at', c.finished_at) ORDER BY c.finished_at DESC), '[]'::json)
                             FROM (SELECT m.started_at, m.finished_at FROM merge_queue_entries m
                                    WHERE m.repo = q.repo AND m.base_branch = q.base_branch AND m.status = 'merged' AND m.started_at IS NOT NULL
                                    ORDER BY m.finished_at DESC
                                    LIMIT ${RECENT_CYCLES}) c))
              ORDER BY q.repo, q.base_branch), '[]'::json)
             FROM merge_queues q)`
      : sql`NULL::json`;
    const [row] = await queryRows<HomeRow>(
      this.db,
      sql`SELECT
            (SELECT coalesce(json_agg(json_build_object(
                      'id', r.id, 'status', r.status, 'environment', r.environment, 'version_set_id', r.version_set_id,
                      'requester', r.requester, 'state', r.state, 'next_tick_at', r.next_tick_at, 'version', r.version,
                      'created_at', r.created_at, 'updated_at', r.updated_at)
                    ORDER BY r.created_at), '[]'::json)
               FROM releases r
              WHERE r.status NOT IN (${sql.join(FINISHED_STATUSES.map((status) => sql`${status}`), sql`, `)})) AS active,
            (SELECT coalesce(json_agg(w ORDER BY w.kind, w.s1, w.s2), '[]'::json) FROM (${worldSql(now, scope.environments)}) w) AS world,
            ${queues} AS queues,
            (SELECT coalesce(json_agg(h ORDER BY h.created_at), '[]'::json) FROM (${productionHistorySql(scope.history.production, scope.history.since)}) h) AS history`,
    );
    if (!row) throw new Error('the App Home read answered no row');
    return {
      active: row.active.map(releaseOfJson),
      world: worldRecordsOf(row.world),
      queues: row.queues === null ? null : row.queues.map(queueOf),
      history: row.history.map(deliveryHistoryOf),
    };
  }
}
