import type { AuditEntry } from '../domain/audit/audit-entry.js';

export interface AuditHistoryQuery {
  service?: string;
  environment?: string;
  /** Paging: entries older than this id (the `nextBefore` of the previous page). */
  beforeId?: number;
  limit: number;
}

export interface AuditHistoryPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** The cursor of the next (older) page; null on the last. */
  nextBefore: number | null;
}

/**
 * The event log read as an audit trail: who did what and when. `history` answers the actions people
 * (and automatic rollbacks) took; `exportSince` answers every row, oldest first, for compliance tools.
 */
export interface AuditLog {
  history(query: AuditHistoryQuery): Promise<AuditHistoryPage>;
  /** Rows at or after `since` with an id above `afterId`, oldest first, at most `limit`. */
  exportSince(query: { since: Date; afterId: number; limit: number }): Promise<AuditEntry[]>;
}
