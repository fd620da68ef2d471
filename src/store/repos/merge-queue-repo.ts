import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db.js';
import { queryRows } from '../db.js';
import {
  mergeQueueBatches,
  mergeQueueEntries,
  mergeQueueEvents,
  mergeQueues,
  type MergeQueueBatchRow,
  type MergeQueueEntryRow,
  type MergeQueueRow,
} from '../schema/merge-queue.js';

export type EntryPatch = Partial<Omit<MergeQueueEntryRow, 'id' | 'repo' | 'pullNumber' | 'baseBranch' | 'enqueuedAt'>>;
export type BatchPatch = Partial<Omit<MergeQueueBatchRow, 'id' | 'repo' | 'baseBranch'>>;

export interface QueueEvent {
  kind: string;
  detail?: Record<string, unknown>;
}

export interface NewEntry {
  repo: string;
  baseBranch: string;
  pullNumber: number;
  title: string;
  author: string;
  requestedBy: string;
  source: 'slack' | 'label';
  headSha: string | null;
}

/** The merge queue's tables over drizzle; every state change is written with its event in one transaction. */
export class DrizzleMergeQueueRepo {
  constructor(private readonly db: Db) {}

  async ensureQueue(repo: string, baseBranch: string, now: Date): Promise<void> {
    await this.db.insert(mergeQueues).values({ repo, baseBranch, updatedAt: now }).onConflictDoNothing();
  }

  /** The next periodic tick looks at the queue at once (a new entry, say). */
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
  async claimQueues(owner: string, now: Date, leaseMs: number, only?: { repo: string; baseBranch: string }): Promise<MergeQueueRow[]> {
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

  async queues(): Promise<MergeQueueRow[]> {
    return this.db.select().from(mergeQueues).orderBy(asc(mergeQueues.repo), asc(mergeQueues.baseBranch));
  }

  async setPause(repo: string, baseBranch: string, pause: { code: string; message: string } | null, now: Date): Promise<boolean> {
    const [current] = await this.db
      .select()
      .from(mergeQueues)
      .where(and(eq(mergeQueues.repo, repo), eq(mergeQueues.baseBranch, baseBranch)));
    const code = pause?.code ?? null;
    const message = pause?.message ?? null;
    if (current && current.pausedCode === code && current.pausedMessage === message) return false;
    await this.db.transaction(async (tx) => {
      await tx
        .update(mergeQueues)
        .set({ pausedCode: code, pausedMessage: message, updatedAt: now })
        .where(and(eq(mergeQueues.repo, repo), eq(mergeQueues.baseBranch, baseBranch)));
      await tx.insert(mergeQueueEvents).values({ repo, kind: pause ? 'paused' : 'resumed', detail: pause ?? {}, at: now });
    });
    return true;
  }

  /** Allocates `count` fresh suspect-group numbers for a bisection. */
  async allocateSuspectGroups(repo: string, baseBranch: string, count: number): Promise<number[]> {
    const [row] = await this.db
      .update(mergeQueues)
      .set({ nextSuspectGroup: sql`${mergeQueues.nextSuspectGroup} + ${count}` })
      .where(and(eq(mergeQueues.repo, repo), eq(mergeQueues.baseBranch, baseBranch)))
      .returning({ next: mergeQueues.nextSuspectGroup });
    const end = row?.next ?? count + 1;
    return Array.from({ length: count }, (_, index) => end - count + index);
  }

  /** Inserts an active entry; null when the pull request already has one. */
  async insertEntry(entry: NewEntry, now: Date): Promise<MergeQueueEntryRow | null> {
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
        detail: { source: entry.source, requestedBy: entry.requestedBy },
        at: now,
      });
      return row;
    });
  }

  async findActive(repo: string, pullNumber: number, db: DbOrTx = this.db): Promise<MergeQueueEntryRow | undefined> {
    const [row] = await db
      .select()
      .from(mergeQueueEntries)
      .where(and(eq(mergeQueueEntries.repo, repo), eq(mergeQueueEntries.pullNumber, pullNumber), isNull(mergeQueueEntries.finishedAt)));
    return row;
  }

  async entry(id: number): Promise<MergeQueueEntryRow | undefined> {
    const [row] = await this.db.select().from(mergeQueueEntries).where(eq(mergeQueueEntries.id, id));
    return row;
  }

  /** Active entries of one queue, or of all queues, in queue order. */
  async activeEntries(queue?: { repo: string; baseBranch: string }): Promise<MergeQueueEntryRow[]> {
    const active = isNull(mergeQueueEntries.finishedAt);
    return this.db
      .select()
      .from(mergeQueueEntries)
      .where(queue ? and(active, eq(mergeQueueEntries.repo, queue.repo), eq(mergeQueueEntries.baseBranch, queue.baseBranch)) : active)
      .orderBy(asc(mergeQueueEntries.id));
  }

  /** Writes an entry's new state and the event explaining it in one transaction. */
  async transition(entry: MergeQueueEntryRow, patch: EntryPatch, event: QueueEvent, now: Date): Promise<MergeQueueEntryRow> {
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
      return row!;
    });
  }

  /** Updates an entry without an event: for sentences in the view that change while nothing else does. */
  async touch(entryId: number, patch: EntryPatch, now: Date): Promise<void> {
    await this.db.update(mergeQueueEntries).set({ ...patch, updatedAt: now }).where(eq(mergeQueueEntries.id, entryId));
  }

  async insertBatch(batch: { repo: string; baseBranch: string; baseSha: string; parentBatchId: number | null; entryIds: number[] }, now: Date): Promise<MergeQueueBatchRow> {
    const [row] = await this.db
      .insert(mergeQueueBatches)
      .values({ ...batch, branch: '', status: 'testing', createdAt: now })
      .returning();
    return row!;
  }

  async updateBatch(id: number, patch: BatchPatch, event: QueueEvent & { repo: string }, now: Date): Promise<MergeQueueBatchRow> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(mergeQueueBatches).set(patch).where(eq(mergeQueueBatches.id, id)).returning();
      await tx.insert(mergeQueueEvents).values({ batchId: id, repo: event.repo, kind: event.kind, detail: event.detail ?? {}, at: now });
      return row!;
    });
  }

  async batch(id: number): Promise<MergeQueueBatchRow | undefined> {
    const [row] = await this.db.select().from(mergeQueueBatches).where(eq(mergeQueueBatches.id, id));
    return row;
  }

  async openBatches(repo: string, baseBranch: string): Promise<MergeQueueBatchRow[]> {
    return this.db
      .select()
      .from(mergeQueueBatches)
      .where(and(eq(mergeQueueBatches.repo, repo), eq(mergeQueueBatches.baseBranch, baseBranch), eq(mergeQueueBatches.status, 'testing')))
      .orderBy(asc(mergeQueueBatches.id));
  }

  /** How long recent merges took from the queue starting on them to their merge, newest first. */
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
}
