import { sql, type SQL } from 'drizzle-orm';
import type { ReleaseRecord } from '../../ports/release-store.js';
import { queryRows, type DbOrTx } from '../db.js';
import { CANCELLED_BY_ROLLBACK, type EffectBatch, type TransitionEvent } from '../transition-rows.js';

const json = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`;
const time = (value: Date | null): SQL => (value ? sql`${value.toISOString()}::timestamptz` : sql`NULL::timestamptz`);
const list = (parts: SQL[]): SQL => sql.join(parts, sql`, `);
/** Rows to insert only if the release row was written (`written` has its one row then). */
const ifWritten = (rows: SQL[]): SQL => sql`SELECT v.* FROM written, (VALUES ${list(rows)}) AS v`;
const WRITTEN = sql`EXISTS (SELECT 1 FROM written)`;

/**
 * One transition in one statement (data-modifying CTEs): the release row (inserted, or updated under
 * its version), its audit row, its new infra-sets, those provisioned or moved, the forward steps a rollback
 * cancels, and its outbox rows — each queued once (a conflict on the idempotency key or on a pending
 * coalesce key means "already queued"; a coalesced card keeps the higher priority). Every part reads
 * the snapshot from before the statement, as the same writes made one by one would.
 *
 * Every other part reads the release row's RETURNING, so it writes only once that row is written:
 * when the release is no longer at the expected version, the statement writes nothing at all (no
 * audit row to collide with the one that landed) and answers false. A release row another
 * transaction holds is waited for before anything else is touched, which keeps the lock order
 * release → outbox of the rest of the engine.
 */
export async function writeTransition(
  db: DbOrTx,
  change: EffectBatch & {
    release: ReleaseRecord;
    event: TransitionEvent;
    /** Insert the release (a new one); else update it, expecting `update.expectedVersion`. Answers whether the row was written. */
    insert?: ReleaseRecord;
    update?: { expectedVersion: number };
    cancelForward?: boolean;
  },
): Promise<boolean> {
  const row = change.release;
  const parts: SQL[] = [];
  if (change.insert) {
    parts.push(sql`written AS (INSERT INTO releases (id, status, environment, version_set_id, requester, state, next_tick_at, version, created_at, updated_at)
      VALUES (${row.id}, ${row.status}, ${row.environment}, ${row.versionSetId}, ${row.requester}, ${json(row.state)}, ${time(row.nextTickAt)}, ${row.version}, ${time(row.createdAt)}, ${time(row.updatedAt)})
      RETURNING id)`);
  } else {
    parts.push(sql`written AS (UPDATE releases SET status = ${row.status}, state = ${json(row.state)}, next_tick_at = ${time(row.nextTickAt)}, version_set_id = ${row.versionSetId}, version = ${row.version}, updated_at = ${time(row.updatedAt)}
      WHERE id = ${row.id} AND version = ${change.update?.expectedVersion ?? row.version} RETURNING id)`);
  }
  const event = change.event;
  // Typed where a VALUES list outside INSERT would otherwise read a parameter as text.
  parts.push(sql`audited AS (INSERT INTO release_events (release_id, kind, version, type, actor, message, data, at)
    ${ifWritten([sql`(${event.releaseId}, 'transition', ${event.version}::int, ${event.type}, ${event.actor}, ${event.message}, ${json(event.data)}, ${time(event.at)})`])} RETURNING id)`);
  if (change.infraSets.length > 0) {
    const values = change.infraSets.map((set) => sql`(${set.id}, ${set.service}, ${set.environment}, ${set.version}, ${set.releaseId}, 'provisioning', 0, ${time(set.now)})`);
    parts.push(sql`minted AS (INSERT INTO infra_sets (id, service, environment, version, release_id, state, weight, created_at) ${ifWritten(values)} ON CONFLICT DO NOTHING RETURNING id)`);
  }
  if (change.ready.length > 0) {
    parts.push(sql`provisioned AS (UPDATE infra_sets SET state = 'ready' WHERE id IN (${list(change.ready.map((id) => sql`${id}`))}) AND state = 'provisioning' AND ${WRITTEN} RETURNING id)`);
  }
  if (change.moves.length > 0) {
    // Each set where the effects left it, written only while it is as it was read.
    const values = change.moves.map((set) => sql`(${set.id}, ${set.readState}, ${set.state}, ${set.weight}::int, ${time(set.warmedAt)}, ${time(set.retiredAt)})`);
    parts.push(sql`moved AS (UPDATE infra_sets AS s SET state = v.state, weight = v.weight, warmed_at = v.warmed_at, retired_at = v.retired_at
      FROM (VALUES ${list(values)}) AS v(id, read_state, state, weight, warmed_at, retired_at)
      WHERE s.id = v.id AND s.state = v.read_state AND ${WRITTEN} RETURNING s.id)`);
  }
  if (change.cancelForward) {
    // Forward steps never started are cancelled so the rollback is next in its lane.
    parts.push(sql`cancelled AS (UPDATE outbox SET status = 'dead', last_error = ${CANCELLED_BY_ROLLBACK.error}, finished_at = ${time(event.at)}
      WHERE release_id = ${row.id} AND status = 'pending' AND attempts = 0 AND kind IN (${list(CANCELLED_BY_ROLLBACK.kinds.map((kind) => sql`${kind}`))}) AND ${WRITTEN} RETURNING id)`);
  }
  if (change.outbox.length > 0) {
    const values = change.outbox.map(
      (entry) =>
        sql`(${entry.effect.kind}, ${entry.lane}, ${json(entry.effect)}, ${entry.key}, ${entry.coalesceKey ?? null}, ${entry.releaseId}, ${entry.priority ?? 0}::int, ${time(entry.notBefore ?? entry.now)}, ${time(entry.now)})`,
    );
    parts.push(sql`queued AS (INSERT INTO outbox (kind, lane, effect, idempotency_key, coalesce_key, release_id, priority, next_attempt_at, created_at) ${ifWritten(values)} ON CONFLICT DO NOTHING RETURNING id)`);
    change.outbox.forEach((entry, index) => {
      if (!entry.coalesceKey || !(entry.priority && entry.priority > 0)) return;
      // A render already pending (the insert above conflicted on it) stands for this one too.
      parts.push(sql`${sql.raw(`coalesced_${index}`)} AS (UPDATE outbox SET priority = GREATEST(priority, ${entry.priority}::int) WHERE coalesce_key = ${entry.coalesceKey} AND status = 'pending' AND ${WRITTEN} RETURNING id)`);
    });
  }
  const [result] = await queryRows<{ written: number | string }>(db, sql`WITH ${list(parts)} SELECT (SELECT count(*) FROM written) AS written`);
  return Number(result?.written ?? 0) === 1;
}
