import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { QueueEffect } from '../../domain/merge-queue/effects.js';
import type { QueueWebhookEvent } from '../../domain/merge-queue/webhook-event.js';
import type {
  BatchPatch,
  EntryPatch,
  MergeQueueStore,
  NewBatch,
  NewEntry,
  PendingDeploy,
  PendingDelivery,
  PendingEffect,
  QueueBatchRecord,
  QueueEntryRecord,
  QueueEvent,
  QueueRecord,
} from '../../ports/merge-queue-store.js';
import type { Db, DbOrTx } from '../db.js';
import { queryRows } from '../db.js';
import {
  mergeQueueBatches,
  mergeQueueDeliveries,
  mergeQueueEntries,
  mergeQueueEvents,
  mergeQueueOutbox,
  mergeQueuePendingDeploys,
  mergeQueues,
  type MergeQueueBatchRow,
  type MergeQueueEntryRow,
  type MergeQueueRow,
} from '../schema/merge-queue.js';

// The rows are the port's records: checked here, so a schema change that breaks the port fails to compile.
const rowsAreRecords = (entry: MergeQueueEntryRow, batch: MergeQueueBatchRow, queue: MergeQueueRow): [QueueEntryRecord, QueueBatchRecord, QueueRecord] => [entry, batch, queue];
void rowsAreRecords;

/** The merge queue's tables over drizzle; a state change, its event and its effects commit together. */
export class DrizzleMergeQueueStore implements MergeQueueStore {
  constructor(private readonly db: Db) {}

  async ensureQueue(repo: string, baseBranch: string, now: Date): Promise<void> {
    await this.db.insert(mergeQueues).values({ repo, baseBranch, updatedAt: now }).onConflictDoNothing();
  }

  async pollSoon(repo: string, baseBranch: string): Promise<void> {
    await this.db
      .update(mergeQueues)
      .set({ nextPollAt: null })
      .where(and(eq(mergeQueues.repo, repo), eq(mergeQueues.baseBranch, baseBranch)));
  }

  /**
   * Leases every queue nobody holds (FOR UPDATE SKIP LOCKED, then a lease that outlives the short
   * claiming transaction): a tick then talks to GitHub without holding a database lock, and replicas
   * ticking together never work on the same queue. Not even this replica's own lease is taken
   * again: a webhook-driven tick must not run beside the periodic one.
   */
  async claimQueues(owner: string, now: Date, leaseMs: number, only?: { repo: string; baseBranch: string }): Promise<QueueRecord[]> {
    const until = new Date(now.getTime() + leaseMs);
    // A targeted claim (a webhook's hint) ignores the poll interval; a periodic one respects it.
    const filter = only
      ? sql`AND repo = ${only.repo} AND base_branch = ${only.baseBranch}`
      : sql`AND (next_poll_at IS NULL OR next_poll_at <= ${now.toISOString()}::timestamptz)`;
    const rows = await queryRows<{ repo: string }>(
      this.db,
      sql`UPDATE merge_queues SET lease_owner = ${owner}, lease_until = ${until.toISOString()}::timestamptz
          WHERE (repo, base_branch) IN (
            SELECT repo, base_branch FROM merge_queues
            WHERE (lease_until IS NULL OR lease_until < ${now.toISOString()}::timestamptz) ${filter}
            ORDER BY repo, base_branch
            FOR UPDATE SKIP LOCKED)
          RETURNING repo`,
    );
    if (rows.length === 0) return [];
    return this.db
      .select()
      .from(mergeQueues)
      .where(and(eq(mergeQueues.leaseOwner, owner), inArray(mergeQueues.repo, rows.map((row) => row.repo))))
      .orderBy(asc(mergeQueues.repo), asc(mergeQueues.baseBranch));
  }

  async releaseQueue(repo: string, baseBranch: string, owner: string, nextPollAt: Date | null): Promise<void> {
    await this.db
      .update(mergeQueues)
      .set({ leaseOwner: null, leaseUntil: null, nextPollAt })
      .where(and(eq(mergeQueues.repo, repo), eq(mergeQueues.baseBranch, baseBranch), eq(mergeQueues.leaseOwner, owner)));
  }

  async queues(): Promise<QueueRecord[]> {
    return this.db.select().from(mergeQueues).orderBy(asc(mergeQueues.repo), asc(mergeQueues.baseBranch));
  }

  async setPause(repo: string, baseBranch: string, pause: { code: string; message: string } | null, now: Date, effects: QueueEffect[]): Promise<boolean> {
    const code = pause?.code ?? null;
    const message = pause?.message ?? null;
    return this.db.transaction(async (tx) => {
      // Only a real change writes: the guard is in the UPDATE, so two ticks never both announce it.
      const changed = await tx
        .update(mergeQueues)
        .set({ pausedCode: code, pausedMessage: message, updatedAt: now })
        .where(
          and(
            eq(mergeQueues.repo, repo),
            eq(mergeQueues.baseBranch, baseBranch),
            sql`(${mergeQueues.pausedCode} IS DISTINCT FROM ${code} OR ${mergeQueues.pausedMessage} IS DISTINCT FROM ${message})`,
          ),
        )
        .returning({ repo: mergeQueues.repo });
      if (changed.length === 0) return false;
      await tx.insert(mergeQueueEvents).values({ repo, kind: pause ? 'paused' : 'resumed', detail: pause ?? {}, at: now });
      await insertEffects(tx, effects, now);
      return true;
    });
  }

  async setReachability(repo: string, baseBranch: string, reason: string | null, now: Date): Promise<void> {
    await this.db
      .update(mergeQueues)
      .set(reason === null ? { unreachableReason: null, unreachableSince: null } : { unreachableReason: reason, unreachableSince: sql`COALESCE(${mergeQueues.unreachableSince}, ${now.toISOString()}::timestamptz)` })
      .where(
        and(
          eq(mergeQueues.repo, repo),
          eq(mergeQueues.baseBranch, baseBranch),
          reason === null ? isNotNull(mergeQueues.unreachableReason) : sql`${mergeQueues.unreachableReason} IS DISTINCT FROM ${reason}`,
        ),
      );
  }

  async allocateSuspectGroups(repo: string, baseBranch: string, count: number): Promise<number[]> {
    const [row] = await this.db
      .update(mergeQueues)
      .set({ nextSuspectGroup: sql`${mergeQueues.nextSuspectGroup} + ${count}` })
      .where(and(eq(mergeQueues.repo, repo), eq(mergeQueues.baseBranch, baseBranch)))
      .returning({ next: mergeQueues.nextSuspectGroup });
    const end = row?.next ?? count + 1;
    return Array.from({ length: count }, (_, index) => end - count + index);
  }

  async insertEntry(entry: NewEntry, now: Date, effects: QueueEffect[]): Promise<QueueEntryRecord | null> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(mergeQueueEntries)
        .values({ ...entry, status: 'queued', detail: 'waiting for its turn', enqueuedAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning();
      if (!row) return null;
      await tx.insert(mergeQueueEvents).values({
        entryId: row.id,
        repo: row.repo,
        pullNumber: row.pullNumber,
        kind: 'enqueued',
        detail: { source: entry.source, requestedBy: entry.requestedBy, ...(entry.priority > 0 ? { lane: 'hotfix', prioritisedBy: entry.prioritisedBy } : {}) },
        at: now,
      });
      // A new entry is looked at by the next tick, whatever the poll interval.
      await tx.update(mergeQueues).set({ nextPollAt: null }).where(and(eq(mergeQueues.repo, entry.repo), eq(mergeQueues.baseBranch, entry.baseBranch)));
      await insertEffects(tx, effects, now);
      return row;
    });
  }

  async findActive(repo: string, pullNumber: number): Promise<QueueEntryRecord | undefined> {
    const [row] = await this.db
      .select()
      .from(mergeQueueEntries)
      .where(and(eq(mergeQueueEntries.repo, repo), eq(mergeQueueEntries.pullNumber, pullNumber), isNull(mergeQueueEntries.finishedAt)));
    return row;
  }

  async entry(id: number): Promise<QueueEntryRecord | undefined> {
    const [row] = await this.db.select().from(mergeQueueEntries).where(eq(mergeQueueEntries.id, id));
    return row;
  }

  async activeEntries(queue?: { repo: string; baseBranch: string }): Promise<QueueEntryRecord[]> {
    const active = isNull(mergeQueueEntries.finishedAt);
    return this.db
      .select()
      .from(mergeQueueEntries)
      .where(queue ? and(active, eq(mergeQueueEntries.repo, queue.repo), eq(mergeQueueEntries.baseBranch, queue.baseBranch)) : active)
      .orderBy(desc(mergeQueueEntries.priority), asc(mergeQueueEntries.id));
  }

  async transition(entry: QueueEntryRecord, patch: EntryPatch, event: QueueEvent, now: Date, effects: QueueEffect[] = []): Promise<QueueEntryRecord> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(mergeQueueEntries)
        .set({ ...patch, updatedAt: now })
        .where(eq(mergeQueueEntries.id, entry.id))
        .returning();
      await tx.insert(mergeQueueEvents).values({
        entryId: entry.id,
        batchId: patch.batchId ?? entry.batchId,
        repo: entry.repo,
        pullNumber: entry.pullNumber,
        kind: event.kind,
        detail: event.detail ?? {},
        at: now,
      });
      await insertEffects(tx, effects, now);
      return row!;
    });
  }

  async touch(entryId: number, patch: EntryPatch, now: Date): Promise<void> {
    await this.db.update(mergeQueueEntries).set({ ...patch, updatedAt: now }).where(eq(mergeQueueEntries.id, entryId));
  }

  async insertBatch(batch: NewBatch, now: Date): Promise<QueueBatchRecord> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(mergeQueueBatches)
        .values({ ...batch, branch: '', status: 'testing', createdAt: now })
        .returning();
      await tx.insert(mergeQueueEvents).values({ batchId: row!.id, repo: batch.repo, kind: 'batch_created', detail: { baseSha: batch.baseSha, headSha: batch.headSha, entryIds: batch.entryIds }, at: now });
      return row!;
    });
  }

  async updateBatch(id: number, patch: BatchPatch, event: QueueEvent & { repo: string }, now: Date, effects: QueueEffect[] = []): Promise<QueueBatchRecord> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(mergeQueueBatches).set(patch).where(eq(mergeQueueBatches.id, id)).returning();
      await tx.insert(mergeQueueEvents).values({ batchId: id, repo: event.repo, kind: event.kind, detail: event.detail ?? {}, at: now });
      await insertEffects(tx, effects, now);
      return row!;
    });
  }

  async batch(id: number): Promise<QueueBatchRecord | undefined> {
    const [row] = await this.db.select().from(mergeQueueBatches).where(eq(mergeQueueBatches.id, id));
    return row;
  }

  async openBatches(repo: string, baseBranch: string): Promise<QueueBatchRecord[]> {
    return this.db
      .select()
      .from(mergeQueueBatches)
      .where(and(eq(mergeQueueBatches.repo, repo), eq(mergeQueueBatches.baseBranch, baseBranch), eq(mergeQueueBatches.status, 'testing')))
      .orderBy(asc(mergeQueueBatches.id));
  }

  async recentCycleDurationsMs(repo: string, baseBranch: string, limit = 20): Promise<number[]> {
    const rows = await this.db
      .select({ startedAt: mergeQueueEntries.startedAt, finishedAt: mergeQueueEntries.finishedAt })
      .from(mergeQueueEntries)
      .where(
        and(
          eq(mergeQueueEntries.repo, repo),
          eq(mergeQueueEntries.baseBranch, baseBranch),
          eq(mergeQueueEntries.status, 'merged'),
          isNotNull(mergeQueueEntries.startedAt),
        ),
      )
      .orderBy(desc(mergeQueueEntries.finishedAt))
      .limit(limit);
    return rows.flatMap((row) => (row.startedAt && row.finishedAt ? [row.finishedAt.getTime() - row.startedAt.getTime()] : []));
  }

  async events(entryId: number): Promise<{ kind: string; detail: unknown; at: Date }[]> {
    return this.db
      .select({ kind: mergeQueueEvents.kind, detail: mergeQueueEvents.detail, at: mergeQueueEvents.at })
      .from(mergeQueueEvents)
      .where(eq(mergeQueueEvents.entryId, entryId))
      .orderBy(asc(mergeQueueEvents.id));
  }

  // ---------------------------------------------------------------- outbox

  async addEffects(effects: QueueEffect[], now: Date): Promise<void> {
    await insertEffects(this.db, effects, now);
  }

  async claimEffects(now: Date, leaseMs: number, limit: number): Promise<PendingEffect[]> {
    const lease = new Date(now.getTime() + leaseMs);
    const rows = await queryRows<{ id: string | number; effect: QueueEffect; attempts: number }>(
      this.db,
      sql`UPDATE merge_queue_outbox SET attempts = attempts + 1, next_attempt_at = ${lease.toISOString()}::timestamptz
          WHERE id IN (
            SELECT id FROM merge_queue_outbox
            WHERE status = 'pending' AND next_attempt_at <= ${now.toISOString()}::timestamptz
            ORDER BY id LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
          RETURNING id, effect, attempts`,
    );
    return rows.map((row) => ({ id: Number(row.id), effect: row.effect, attempts: Number(row.attempts) })).sort((a, b) => a.id - b.id);
  }

  async finishEffect(id: number, now: Date): Promise<void> {
    await this.db.update(mergeQueueOutbox).set({ status: 'done', finishedAt: now, lastError: null }).where(eq(mergeQueueOutbox.id, id));
  }

  async failEffect(id: number, error: string, retryAt: Date | null, now: Date): Promise<void> {
    await this.db
      .update(mergeQueueOutbox)
      .set(retryAt ? { lastError: error, nextAttemptAt: retryAt } : { status: 'dead', lastError: error, finishedAt: now })
      .where(eq(mergeQueueOutbox.id, id));
  }

  // ---------------------------------------------------------------- webhook inbox

  async recordDelivery(deliveryId: string, event: QueueWebhookEvent, now: Date): Promise<boolean> {
    const inserted = await this.db
      .insert(mergeQueueDeliveries)
      .values({ deliveryId, event, receivedAt: now })
      .onConflictDoNothing()
      .returning({ deliveryId: mergeQueueDeliveries.deliveryId });
    return inserted.length === 1;
  }

  async claimDeliveries(now: Date, leaseMs: number, limit: number): Promise<PendingDelivery[]> {
    const lease = new Date(now.getTime() + leaseMs);
    const rows = await queryRows<{ delivery_id: string; event: QueueWebhookEvent; attempts: number; seq: string | number }>(
      this.db,
      sql`UPDATE merge_queue_deliveries SET attempts = attempts + 1, lease_until = ${lease.toISOString()}::timestamptz
          WHERE delivery_id IN (
            SELECT delivery_id FROM merge_queue_deliveries
            WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= ${now.toISOString()}::timestamptz)
            ORDER BY seq LIMIT ${limit}
            FOR UPDATE SKIP LOCKED)
          RETURNING delivery_id, event, attempts, seq`,
    );
    return rows
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((row) => ({ deliveryId: row.delivery_id, event: row.event, attempts: Number(row.attempts) }));
  }

  async finishDelivery(deliveryId: string, outcome: unknown, now: Date): Promise<void> {
    await this.db
      .update(mergeQueueDeliveries)
      .set({ status: 'done', outcome, processedAt: now, leaseUntil: null, lastError: null })
      .where(eq(mergeQueueDeliveries.deliveryId, deliveryId));
  }

  async failDelivery(deliveryId: string, error: string, retryAt: Date | null, now: Date): Promise<void> {
    await this.db
      .update(mergeQueueDeliveries)
      .set(retryAt ? { lastError: error, leaseUntil: retryAt } : { status: 'dead', lastError: error, processedAt: now, leaseUntil: null })
      .where(eq(mergeQueueDeliveries.deliveryId, deliveryId));
  }

  // ---------------------------------------------------------------- auto-deploy waiting for a busy environment

  async pendingDeploys(): Promise<PendingDeploy[]> {
    return this.db.select().from(mergeQueuePendingDeploys).orderBy(asc(mergeQueuePendingDeploys.environment));
  }

  async rememberPendingDeploy(pending: PendingDeploy): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const [previous] = await tx.select().from(mergeQueuePendingDeploys).where(eq(mergeQueuePendingDeploys.environment, pending.environment)).for('update');
      if (previous && previous.versionSetId >= pending.versionSetId) return null;
      await tx
        .insert(mergeQueuePendingDeploys)
        .values(pending)
        .onConflictDoUpdate({ target: mergeQueuePendingDeploys.environment, set: { versionSetId: pending.versionSetId, repo: pending.repo, reason: pending.reason, since: pending.since } });
      return previous?.versionSetId ?? null;
    });
  }

  async forgetPendingDeploy(environment: string, versionSetId: number): Promise<void> {
    await this.db
      .delete(mergeQueuePendingDeploys)
      .where(and(eq(mergeQueuePendingDeploys.environment, environment), eq(mergeQueuePendingDeploys.versionSetId, versionSetId)));
  }
}

async function insertEffects(db: DbOrTx, effects: QueueEffect[], now: Date): Promise<void> {
  if (effects.length === 0) return;
  await db.insert(mergeQueueOutbox).values(effects.map((effect) => ({ effect, nextAttemptAt: now, createdAt: now })));
}
