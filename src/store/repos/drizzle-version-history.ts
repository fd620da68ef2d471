import { sql } from 'drizzle-orm';
import type { VersionHistory, VersionRecord } from '../../domain/release/what-ships.js';
import { queryRows, type DbOrTx } from '../db.js';

export interface HistorySqlRow {
  service: string;
  version: string;
  first_set_id: number | string;
  commit_sha: string | null;
  pull_number: number | string | null;
  repo: string | null;
  title: string | null;
}

/** The history rows, oldest first, per service. */
export function historyOf(rows: readonly HistorySqlRow[]): VersionHistory {
  const history: VersionHistory = {};
  for (const row of rows) {
    const record: VersionRecord = {
      version: row.version,
      firstSetId: Number(row.first_set_id),
      commitSha: row.commit_sha,
      pullNumber: row.pull_number === null ? null : Number(row.pull_number),
      repo: row.repo,
      title: row.title,
    };
    (history[row.service] ??= []).push(record);
  }
  return history;
}

/**
 * The versions of some services as the version sets know them, oldest first: the first set holding
 * each, the merge that made it (commit, pull request) and, when the merge queue merged it, the pull
 * request's title. One statement, read when a deploy is planned.
 */
export async function versionHistory(db: DbOrTx, services: readonly string[]): Promise<VersionHistory> {
  if (services.length === 0) return {};
  const rows = await queryRows<HistorySqlRow>(
    db,
    sql`SELECT h.service, h.version, h.first_set_id, v.commit_sha, v.pull_number, v.repo,
          (SELECT e.title FROM merge_queue_entries e
            WHERE e.repo = v.repo AND e.pull_number = v.pull_number AND e.status = 'merged' AND e.title <> ''
            ORDER BY e.id DESC LIMIT 1) AS title
        FROM (SELECT service, version, min(version_set_id) AS first_set_id FROM version_set_members
              WHERE service IN (${sql.join(services.map((service) => sql`${service}`), sql`, `)})
              GROUP BY service, version) h
        LEFT JOIN versions v ON v.service = h.service AND v.version = h.version
        ORDER BY h.first_set_id, h.service`,
  );
  return historyOf(rows);
}
