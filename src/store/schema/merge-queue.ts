import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The merge queue, durable: a restart (or another replica) resumes with the same order, the same
 * batches and the same in-flight updates. Position is the entry id (FIFO by arrival).
 */
export const mergeQueueEntries = pgTable(
  'merge_queue_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    repo: text('repo').notNull(),
    baseBranch: text('base_branch').notNull(),
    pullNumber: integer('pull_number').notNull(),
    title: text('title').notNull().default(''),
    author: text('author').notNull().default(''),
    /** Slack user id for /queue add, GitHub login for a label. */
    requestedBy: text('requested_by').notNull(),
    source: text('source', { enum: ['slack', 'label'] }).notNull(),
    status: text('status', { enum: ['queued', 'updating', 'validating', 'batched', 'merged', 'ejected', 'removed'] }).notNull(),
    /** A sentence for the queue view: "waiting for ci/test", "updating with main"… */
    detail: text('detail').notNull().default(''),
    headSha: text('head_sha'),
    expectedHeadSha: text('expected_head_sha'),
    updateRequestedAt: timestamp('update_requested_at', { withTimezone: true }),
    rechecks: integer('rechecks').notNull().default(0),
    suspectGroup: integer('suspect_group'),
    batchId: integer('batch_id'),
    ejectCode: text('eject_code'),
    ejectMessage: text('eject_message'),
    mergeCommitSha: text('merge_commit_sha'),
    versionSetIds: jsonb('version_set_ids').$type<number[]>(),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }).notNull(),
    /** When the queue started working on it (its first update or batch). */
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    // One active entry per pull request; finished ones stay as history.
    uniqueIndex('merge_queue_entries_active_pull')
      .on(table.repo, table.pullNumber)
      .where(sql`${table.finishedAt} IS NULL`),
    index('merge_queue_entries_queue').on(table.repo, table.baseBranch, table.finishedAt, table.id),
  ],
);

/** A group of entries tested together on a temporary branch. */
export const mergeQueueBatches = pgTable(
  'merge_queue_batches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    repo: text('repo').notNull(),
    baseBranch: text('base_branch').notNull(),
    branch: text('branch').notNull(),
    /** The commit the branch was cut from: the base's tip, or the head of the batch it speculates on. */
    baseSha: text('base_sha').notNull(),
    parentBatchId: integer('parent_batch_id'),
    headSha: text('head_sha'),
    entryIds: jsonb('entry_ids').$type<number[]>().notNull(),
    status: text('status', { enum: ['testing', 'merged', 'failed', 'abandoned'] }).notNull(),
    /** The base's tip after this batch's last merge: a batch speculating on it may merge only from there. */
    landedSha: text('landed_sha'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [index('merge_queue_batches_open').on(table.repo, table.baseBranch, table.status)],
);

/** One row per queue (repo + base branch): its lease for ticks, its pause reason and counters. */
export const mergeQueues = pgTable(
  'merge_queues',
  {
    repo: text('repo').notNull(),
    baseBranch: text('base_branch').notNull(),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    pausedCode: text('paused_code'),
    pausedMessage: text('paused_message'),
    nextSuspectGroup: integer('next_suspect_group').notNull().default(1),
    /** A periodic tick leaves the queue alone until then (GitHub's rate limit); webhooks and enqueues do not wait. */
    nextPollAt: timestamp('next_poll_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.repo, table.baseBranch] })],
);

/** Append-only history of every queue transition: the audit log of the queue. */
export const mergeQueueEvents = pgTable(
  'merge_queue_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    entryId: integer('entry_id'),
    batchId: integer('batch_id'),
    repo: text('repo').notNull(),
    pullNumber: integer('pull_number'),
    kind: text('kind').notNull(),
    detail: jsonb('detail').notNull().default({}),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (table) => [index('merge_queue_events_entry').on(table.entryId)],
);

export type MergeQueueEntryRow = typeof mergeQueueEntries.$inferSelect;
export type MergeQueueBatchRow = typeof mergeQueueBatches.$inferSelect;
export type MergeQueueRow = typeof mergeQueues.$inferSelect;
