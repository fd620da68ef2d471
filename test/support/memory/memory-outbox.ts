import type { ClaimedEffect, Outbox, OutboxClaim, OutboxEnd, OutboxEntry, OutboxLane } from '../../../src/ports/outbox.js';
import { FINISHED_STATUSES } from '../../../src/store/transition-rows.js';
import { jsonb, sortedBy, type MemoryTables, type OutboxRow, type Sequences, type Unit } from './memory-tables.js';

/** The outbox table in memory, claimed and leased as DrizzleOutbox claims it (src/store/repos/outbox-repo.ts). */
export class MemoryOutbox implements Outbox {
  constructor(private readonly unit: Unit) {}

  async enqueue(entry: OutboxEntry): Promise<void> {
    await this.unit.write((tables) => enqueue(tables, this.unit.sequences, entry));
  }

  async claim(claim: OutboxClaim): Promise<ClaimedEffect[]> {
    return this.unit.write((tables) => {
      const posted = (releaseId: string | null) => releaseId !== null && tables.cards.has(releaseId);
      const pending = [...tables.outbox.values()].filter((row) => row.status === 'pending');
      // Per release and lane, rows run in order; a card stands outside that order once it is posted.
      const waitsBehindAnother = (row: OutboxRow) =>
        pending.some((earlier) => earlier.releaseId === row.releaseId && earlier.lane === row.lane && earlier.id < row.id && (earlier.kind !== 'card' || !posted(row.releaseId)));
      const due = pending.filter(
        (row) =>
          row.lane === claim.lane &&
          row.nextAttemptAt.getTime() <= claim.now.getTime() &&
          (!claim.withoutCards || row.kind !== 'card' || !posted(row.releaseId)) &&
          (row.releaseId === null || row.kind === 'card' || !waitsBehindAnother(row)),
      );
      const chosen = sortedBy(due, { by: (row) => row.priority, desc: true }, { by: (row) => row.id }).slice(0, claim.limit);
      const claimed = chosen.map((row) => {
        const leased = { ...row, attempts: row.attempts + 1, nextAttemptAt: claim.leaseUntil };
        tables.outbox.set(row.id, leased);
        return {
          id: leased.id,
          kind: leased.kind,
          lane: leased.lane,
          effect: jsonb(leased.effect),
          idempotencyKey: leased.idempotencyKey,
          releaseId: leased.releaseId,
          attempts: leased.attempts,
          priority: leased.priority,
          firstPost: leased.kind === 'card' && !posted(leased.releaseId),
        };
      });
      // A card never posted goes first (a release needs its face; a post is not a budgeted update).
      return claimed.sort((a, b) => Number(b.firstPost) - Number(a.firstPost) || b.priority - a.priority || a.id - b.id);
    });
  }

  async renew(rows: readonly { id: number; attempts: number }[], leaseUntil: Date): Promise<void> {
    if (rows.length === 0) return;
    await this.unit.write((tables) => {
      for (const claimed of rows) {
        const row = stillOurs(tables, claimed);
        if (row) tables.outbox.set(row.id, { ...row, nextAttemptAt: leaseUntil });
      }
    });
  }

  async retry(claimed: { id: number; attempts: number }, change: { at: Date; error: string; countAttempt: boolean }): Promise<void> {
    await this.unit.write((tables) => {
      const row = stillOurs(tables, claimed);
      if (row) tables.outbox.set(row.id, { ...row, nextAttemptAt: change.at, lastError: change.error, attempts: change.countAttempt ? row.attempts : claimed.attempts - 1 });
    });
  }

  async finish(claimed: { id: number; attempts: number }, end: OutboxEnd): Promise<{ priority: number } | null> {
    return this.unit.write((tables) => {
      const row = stillOurs(tables, claimed);
      if (!row) return null;
      tables.outbox.set(
        row.id,
        end.kind === 'done' ? { ...row, status: 'done', finishedAt: end.now, result: jsonb(end.result ?? null) } : { ...row, status: 'dead', finishedAt: end.now, lastError: end.error },
      );
      return { priority: row.priority };
    });
  }

  async nextDue(options: { cardUpdatesNotBefore?: Date | null } = {}): Promise<{ tick: Date | null; lanes: Record<OutboxLane, Date | null> }> {
    return this.unit.read((tables) => {
      const earliest = (times: Array<Date | null>) => times.reduce<Date | null>((min, at) => (at && (!min || at < min) ? at : min), null);
      const active = [...tables.releases.values()].filter((release) => !FINISHED_STATUSES.includes(release.status));
      const pending = [...tables.outbox.values()].filter((row) => row.status === 'pending');
      // While Slack asked to wait, no claim takes an update of a posted card before the wait ends (a first post still goes).
      const notBefore = options.cardUpdatesNotBefore ?? null;
      const dueAt = (row: OutboxRow) =>
        notBefore && row.kind === 'card' && row.releaseId !== null && tables.cards.has(row.releaseId) && notBefore > row.nextAttemptAt ? notBefore : row.nextAttemptAt;
      const laneDue = (lane: OutboxLane) => earliest(pending.filter((row) => row.lane === lane).map(dueAt));
      return { tick: earliest(active.map((release) => release.nextTickAt)), lanes: { critical: laneDue('critical'), health: laneDue('health'), chat: laneDue('chat') } };
    });
  }
}

/** The row as the claim `claimed` left it: still pending and not claimed again since (our lease). */
function stillOurs(tables: MemoryTables, claimed: { id: number; attempts: number }): OutboxRow | undefined {
  const row = tables.outbox.get(claimed.id);
  return row && row.status === 'pending' && row.attempts === claimed.attempts ? row : undefined;
}

/**
 * Queues one effect unless it is already queued: the same idempotency key (in any status), or a
 * pending row with the same coalesce key; a coalesced entry keeps the highest priority of those it
 * stands for. The id is drawn first, as Postgres draws it before it finds the conflict.
 */
export function enqueue(tables: MemoryTables, sequences: Sequences, entry: OutboxEntry): void {
  sequences.outbox += 1;
  const id = sequences.outbox;
  const coalesceKey = entry.coalesceKey ?? null;
  const priority = entry.priority ?? 0;
  const rows = [...tables.outbox.values()];
  const queued = rows.some((row) => row.idempotencyKey === entry.key || (coalesceKey !== null && row.coalesceKey === coalesceKey && row.status === 'pending'));
  if (!queued) {
    tables.outbox.set(id, {
      id,
      kind: entry.effect.kind,
      lane: entry.lane,
      effect: jsonb(entry.effect),
      idempotencyKey: entry.key,
      coalesceKey,
      releaseId: entry.releaseId,
      priority,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: entry.notBefore ?? entry.now,
      lastError: null,
      result: null,
      createdAt: entry.now,
      finishedAt: null,
    });
    return;
  }
  if (coalesceKey === null || priority <= 0) return;
  for (const row of rows) {
    if (row.coalesceKey === coalesceKey && row.status === 'pending' && row.priority < priority) tables.outbox.set(row.id, { ...row, priority });
  }
}
