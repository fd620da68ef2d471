import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { QueueEffect } from '../../domain/merge-queue/effects.js';
import type { QueueWebhookEvent } from '../../domain/merge-queue/webhook-event.js';

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
    /** 1 for the hotfix lane (front of the queue, still fully validated), 0 otherwise. */
    priority: integer('priority').notNull().default(0),
    /** Who put it in the hotfix lane (the GitHub login that added the hotfix label). */
    prioritisedBy: text('prioritised_by'),
    /** Re-runs of failed required checks asked for on the current head (retryFailedChecks). */
    checkRetries: integer('check_retries').notNull().default(0),
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
    index('merge_queue_entries_queue').on(table.repo, table.baseBranch, table.finishedAt, table.priority, table.id),
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
    /** Re-runs of failed required checks asked for on the batch head (retryFailedChecks). */
    checkRetries: integer('check_retries').notNull().default(0),
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
    /** Why the last look at GitHub for this queue failed (404, 401, outage); null once it answers again. */
    unreachableReason: text('unreachable_reason'),
    unreachableSince: timestamp('unreachable_since', { withTimezone: true }),
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
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (table) => [index('merge_queue_events_entry').on(table.entryId)],
);

/**
 * Effects decided with a queue transition, written in the same transaction (comments, labels,
 * Slack notices, branch clean-up) and run afterwards by the queue's outbox worker.
 */
export const mergeQueueOutbox = pgTable(
  'merge_queue_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    effect: jsonb('effect').$type<QueueEffect>().notNull(),
    status: text('status', { enum: ['pending', 'done', 'dead'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [index('merge_queue_outbox_due').on(table.status, table.nextAttemptAt)],
);

/**
 * GitHub webhook deliveries, recorded before they are answered (keyed by X-GitHub-Delivery, so a
 * redelivery is recorded once) and processed afterwards: a crash between the two loses nothing.
 */
export const mergeQueueDeliveries = pgTable(
  'merge_queue_deliveries',
  {
    deliveryId: text('delivery_id').primaryKey(),
    /** Arrival order: deliveries are processed in it. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    /** The parsed event (only deliveries the queue acts on are recorded). */
    event: jsonb('event').$type<QueueWebhookEvent>().notNull(),
    status: text('status', { enum: ['pending', 'done', 'dead'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** A processor holds the delivery until then; past it, another may take it over. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    outcome: jsonb('outcome'),
    lastError: text('last_error'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (table) => [index('merge_queue_deliveries_pending').on(table.status, table.seq)],
);

/**
 * The newest version set minted by the queue that could not ship yet because its environment was
 * busy: one per environment, a newer set replacing (superseding) an older one.
 */
export const mergeQueuePendingDeploys = pgTable('merge_queue_pending_deploys', {
  environment: text('environment').primaryKey(),
  versionSetId: integer('version_set_id').notNull(),
  repo: text('repo').notNull(),
  reason: text('reason').notNull(),
  since: timestamp('since', { withTimezone: true }).notNull(),
});

export type MergeQueueEntryRow = typeof mergeQueueEntries.$inferSelect;
export type MergeQueueBatchRow = typeof mergeQueueBatches.$inferSelect;
export type MergeQueueRow = typeof mergeQueues.$inferSelect;
