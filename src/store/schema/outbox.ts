import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { StoredEffect } from '../../ports/outbox.js';

/**
 * Effects decided in a transaction and run afterwards by the outbox worker (traffic, infra, chat,
 * metrics…). Written in the same transaction as the state change that caused them, so an effect is
 * never lost; claimed with FOR UPDATE SKIP LOCKED, so each runs on one replica at a time.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The effect's discriminant, e.g. 'set_weights', 'provision', 'update_card'. */
    kind: text('kind').notNull(),
    /**
     * 'critical' effects (traffic, infra, measurement) and 'chat' effects (Slack) are claimed by
     * separate loops, so a rate-limited Slack never delays a rollback.
     */
    lane: text('lane').notNull().default('critical'),
    effect: jsonb('effect').$type<StoredEffect>().notNull(),
    /** Unique: deciding the same effect twice (a retried request, a replayed input) inserts it once. */
    idempotencyKey: text('idempotency_key').notNull(),
    /**
     * Pending effects sharing this key are coalesced: a card update that is still queued already
     * renders the latest state when it runs, so a newer one is not queued behind it.
     */
    coalesceKey: text('coalesce_key'),
    releaseId: text('release_id'),
    /**
     * Claim order within a lane, highest first. A card render carrying a state change (stage,
     * hold, failure, rollback, finish) outranks a countdown refresh when Slack's budget is tight.
     */
    priority: integer('priority').notNull().default(0),
    status: text('status', { enum: ['pending', 'done', 'dead'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    result: jsonb('result'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('outbox_idempotency_key').on(table.idempotencyKey),
    uniqueIndex('outbox_pending_coalesce_key').on(table.coalesceKey).where(sql`${table.status} = 'pending'`),
    index('outbox_due').on(table.lane, table.status, table.nextAttemptAt),
    index('outbox_release').on(table.releaseId),
    // A claim walks a lane's pending rows in the order it takes them and stops at its limit, and asks
    // of each whether an earlier row of its release is pending: both stay as cheap with a thousand
    // rows due as with one (without them, every due row was checked and sorted before the limit).
    // NULLS FIRST is what ORDER BY priority DESC means: an index in another order is not walked.
    index('outbox_claim').on(table.lane, table.priority.desc().nullsFirst(), table.id).where(sql`${table.status} = 'pending'`),
    index('outbox_pending_release').on(table.releaseId, table.lane, table.id).where(sql`${table.status} = 'pending'`),
  ],
);

export type OutboxRow = typeof outbox.$inferSelect;
