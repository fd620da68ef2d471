import { and, eq, inArray, min, notInArray, sql, type SQL } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db.js';
import type { ClaimedEffect, OutboxClaim, OutboxLane, StoredEffect } from '../../ports/outbox.js';
import { outbox, releases } from '../schema/index.js';

/**
 * The outbox table's claims and timers: effects queued in the transaction that decided them,
 * claimed FOR UPDATE SKIP LOCKED under a short lease that the running replica renews.
 */

/** The claim's RETURNING row: the effect column holds what `insertOutboxRow` wrote, a StoredEffect. */
interface ClaimedSqlRow {
  id: number | string;
  kind: StoredEffect['kind'];
  lane: OutboxLane;
  effect: StoredEffect;
  idempotency_key: string;
  release_id: string | null;
  attempts: number | string;
  priority: number | string;
  first_post: boolean | string;
}

/** A claimed row, as the outbox worker runs it. */
export type ClaimedRow = ClaimedEffect;

export interface OutboxInsert {
  lane: string;
  key: string;
  coalesceKey: string | null;
  releaseId: string | null;
  effect: StoredEffect;
  priority: number;
  now: Date;
  /** Not to run before this (a retire waiting out its drain delay). */
  notBefore?: Date;
}

/**
 * Queues one effect. A conflict on the idempotency key (decided twice) or on the pending coalesce
 * key (a render of the same card is already queued, and renders the latest state when it runs)
 * means "already queued"; a coalesced entry keeps the highest priority of what it stands for.
 */
export async function insertOutboxRow(tx: DbOrTx, row: OutboxInsert): Promise<void> {
  const inserted = await tx
    .insert(outbox)
    .values({
      kind: row.effect.kind,
      lane: row.lane,
      effect: row.effect,
      idempotencyKey: row.key,
      coalesceKey: row.coalesceKey,
      releaseId: row.releaseId,
      priority: row.priority,
      nextAttemptAt: row.notBefore ?? row.now,
      createdAt: row.now,
    })
    .onConflictDoNothing()
    .returning({ id: outbox.id });
  if (inserted.length === 0 && row.coalesceKey !== null && row.priority > 0) {
    await tx
      .update(outbox)
      .set({ priority: sql`GREATEST(${outbox.priority}, ${row.priority})` })
      .where(and(eq(outbox.coalesceKey, row.coalesceKey), eq(outbox.status, 'pending')));
  }
}

/**
 * Reserves up to `limit` due rows of one lane until `leaseUntil`, highest priority first. Per release
 * and lane, rows run in order (a rollback's traffic moves land in the order they were decided);
 * a card render stands outside that order once the card is posted, since it always draws the latest
 * state, so a card waiting for Slack's budget never holds up the thread lines behind it (before the
 * first post, they wait for it: a thread needs its card). `withoutCards` leaves updates of posted
 * cards where they are (Slack asked us to wait); a first post still goes.
 */
export async function claimOutboxRows(db: DbOrTx, claim: OutboxClaim): Promise<ClaimedRow[]> {
  const rows = await queryRows<ClaimedSqlRow>(db, claimStatement(claim));
  return rows
    .map((row) => ({
      id: Number(row.id),
      kind: row.kind,
      lane: row.lane,
      effect: row.effect,
      idempotencyKey: row.idempotency_key,
      releaseId: row.release_id ?? null,
      attempts: Number(row.attempts),
      priority: Number(row.priority),
      firstPost: row.first_post === true || row.first_post === 't',
    }))
    // A card never posted goes first (a release needs its face; a post is not a budgeted update).
    .sort((a, b) => Number(b.firstPost) - Number(a.firstPost) || b.priority - a.priority || a.id - b.id);
}

/** The claim's statement (its plan walks the `outbox_claim` index and stops at the limit). */
export function claimStatement(claim: OutboxClaim): SQL {
  return sql`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ${claim.leaseUntil.toISOString()}
        WHERE id IN (
          SELECT o.id FROM outbox o
          WHERE o.lane = ${claim.lane} AND o.status = 'pending' AND o.next_attempt_at <= ${claim.now.toISOString()}
            AND (${claim.withoutCards} = false OR o.kind <> 'card' OR NOT EXISTS (SELECT 1 FROM release_cards c WHERE c.release_id = o.release_id))
            AND (o.release_id IS NULL OR o.kind = 'card' OR NOT EXISTS (
              SELECT 1 FROM outbox e WHERE e.release_id = o.release_id AND e.lane = o.lane AND e.status = 'pending' AND e.id < o.id
                AND (e.kind <> 'card' OR NOT EXISTS (SELECT 1 FROM release_cards c WHERE c.release_id = o.release_id))))
          ORDER BY o.priority DESC, o.id
          LIMIT ${claim.limit}
          FOR UPDATE OF o SKIP LOCKED)
        RETURNING id, kind, lane, effect, idempotency_key, release_id, attempts, priority,
          kind = 'card' AND NOT EXISTS (SELECT 1 FROM release_cards c WHERE c.release_id = outbox.release_id) AS first_post`;
}

/**
 * Extends the lease of rows still running here; a row another replica took over is left alone, and
 * so is a row another transaction holds right now (its completion being written, a card render
 * coalescing into it): the next heartbeat renews it if it is still running. Waiting for such a row
 * would hold the rows this statement already renewed until that transaction ends, so their own
 * completions — of any lane — would queue behind the heartbeat.
 */
export async function renewOutboxLeases(db: DbOrTx, rows: readonly { id: number; attempts: number }[], leaseUntil: Date): Promise<void> {
  if (rows.length === 0) return;
  const pairs = sql.join(
    rows.map((row) => sql`(${row.id}::bigint, ${row.attempts}::int)`),
    sql`, `,
  );
  await db.execute(
    sql`UPDATE outbox SET next_attempt_at = ${leaseUntil.toISOString()}
        WHERE id IN (
          SELECT id FROM outbox WHERE status = 'pending' AND (id, attempts) IN (${pairs})
          FOR UPDATE SKIP LOCKED)`,
  );
}

/** Puts a claimed row back for another attempt at `at`; `countAttempt: false` for a wait that was no failure. */
export async function retryOutboxRow(db: DbOrTx, row: { id: number; attempts: number }, change: { at: Date; error: string; countAttempt: boolean }): Promise<void> {
  await db
    .update(outbox)
    .set({ nextAttemptAt: change.at, lastError: change.error, ...(change.countAttempt ? {} : { attempts: row.attempts - 1 }) })
    .where(and(eq(outbox.id, row.id), eq(outbox.status, 'pending'), eq(outbox.attempts, row.attempts)));
}

/** Ends a claimed row; null when another replica took it over after our lease ran out, else its priority now. */
export async function finishOutboxRow(
  tx: DbOrTx,
  row: { id: number; attempts: number },
  end: { kind: 'done'; result: unknown; now: Date } | { kind: 'dead'; error: string; now: Date },
): Promise<{ priority: number } | null> {
  const [marked] = await tx
    .update(outbox)
    .set(end.kind === 'done' ? { status: 'done', finishedAt: end.now, result: end.result ?? null } : { status: 'dead', finishedAt: end.now, lastError: end.error })
    .where(and(eq(outbox.id, row.id), eq(outbox.status, 'pending'), eq(outbox.attempts, row.attempts)))
    .returning({ priority: outbox.priority });
  return marked ?? null;
}

/**
 * When there is next something to do: the earliest timer of an active release and, per lane, the
 * earliest pending outbox row (a retry, a lease running out). The scheduler sleeps until then.
 * While `cardUpdatesNotBefore` holds, an update of a posted card is not due before it (no claim
 * takes one; a first post still goes).
 */
export async function nextDueTimes(db: DbOrTx, finishedStatuses: readonly string[], cardUpdatesNotBefore: Date | null = null): Promise<{ tick: Date | null; lanes: Record<string, Date | null> }> {
  // The outbox row's release_id, qualified: inside the subquery a bare one would be the card's own.
  const dueAt = cardUpdatesNotBefore
    ? sql<Date | string | null>`min(CASE WHEN ${outbox.kind} = 'card' AND EXISTS (SELECT 1 FROM release_cards c WHERE c.release_id = outbox.release_id)
        THEN greatest(${outbox.nextAttemptAt}, ${cardUpdatesNotBefore.toISOString()}::timestamptz) ELSE ${outbox.nextAttemptAt} END)`
    : min(outbox.nextAttemptAt);
  const [tickRows, laneRows] = await Promise.all([
    db
      .select({ at: min(releases.nextTickAt) })
      .from(releases)
      .where(notInArray(releases.status, [...finishedStatuses] as (typeof releases.$inferSelect)['status'][])),
    db
      .select({ lane: outbox.lane, at: dueAt })
      .from(outbox)
      .where(and(eq(outbox.status, 'pending'), inArray(outbox.lane, ['critical', 'health', 'chat'])))
      .groupBy(outbox.lane),
  ]);
  const lanes: Record<string, Date | null> = {};
  for (const row of laneRows) lanes[row.lane] = row.at ? new Date(row.at) : null;
  return { tick: tickRows[0]?.at ? new Date(tickRows[0].at) : null, lanes };
}
