import type { ClaimedEffect, Outbox, OutboxClaim, OutboxEnd, OutboxEntry, OutboxLane } from '../../ports/outbox.js';
import type { DbOrTx } from '../db.js';
import { FINISHED_STATUSES } from '../transition-rows.js';
import { claimOutboxRows, finishOutboxRow, insertOutboxRow, nextDueTimes, renewOutboxLeases, retryOutboxRow } from './outbox-repo.js';

/** The outbox table: effects queued in the transaction that decided them, claimed FOR UPDATE SKIP LOCKED under a lease. */
export class DrizzleOutbox implements Outbox {
  constructor(private readonly db: DbOrTx) {}

  async enqueue(entry: OutboxEntry): Promise<void> {
    await insertOutboxRow(this.db, {
      lane: entry.lane,
      key: entry.key,
      coalesceKey: entry.coalesceKey ?? null,
      releaseId: entry.releaseId,
      effect: entry.effect,
      priority: entry.priority ?? 0,
      now: entry.now,
      ...(entry.notBefore ? { notBefore: entry.notBefore } : {}),
    });
  }

  claim(claim: OutboxClaim): Promise<ClaimedEffect[]> {
    return claimOutboxRows(this.db, claim);
  }

  renew(rows: readonly { id: number; attempts: number }[], leaseUntil: Date): Promise<void> {
    return renewOutboxLeases(this.db, rows, leaseUntil);
  }

  retry(row: { id: number; attempts: number }, change: { at: Date; error: string; countAttempt: boolean }): Promise<void> {
    return retryOutboxRow(this.db, row, change);
  }

  finish(row: { id: number; attempts: number }, end: OutboxEnd): Promise<{ priority: number } | null> {
    return finishOutboxRow(this.db, row, end);
  }

  async nextDue(options: { cardUpdatesNotBefore?: Date | null } = {}): Promise<{ tick: Date | null; lanes: Record<OutboxLane, Date | null> }> {
    const due = await nextDueTimes(this.db, FINISHED_STATUSES, options.cardUpdatesNotBefore ?? null);
    return { tick: due.tick, lanes: { critical: due.lanes.critical ?? null, health: due.lanes.health ?? null, chat: due.lanes.chat ?? null } };
  }
}
