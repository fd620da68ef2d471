import { and, eq, inArray } from 'drizzle-orm';
import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { ReleaseEffect, ReleaseEventData } from '../../domain/release/types.js';
import type { Outbox } from '../../ports/outbox.js';
import { CARD_PRIORITY } from '../../ports/outbox.js';
import { ReleaseVersionConflict, type AcceptedDecision, type DueCursor, type ReleaseRecord, type ReleaseRefusal, type ReleaseStore, type Saved, type TransitionMeta, type WorldRecords, type WorldScope } from '../../ports/release-store.js';
import type { DbOrTx } from '../db.js';
import { approvals, outbox } from '../schema/index.js';
import {
  CANCELLED_BY_ROLLBACK,
  cardPriorityOf,
  effectBatchOf,
  lanesOf,
  newReleaseRecord,
  nextReleaseRecord,
  transitionEvent,
  writeEffectsInOrder,
  type EffectWrites,
} from '../transition-rows.js';
import { writeTransition } from './transition-statement.js';
import {
  appendRefusal,
  appendTransition,
  claimDueReleases,
  drainInfraSets,
  getRelease,
  insertInfraSet,
  insertRelease,
  listActiveReleases,
  lockRelease,
  markInfraSetReady,
  recordWeights,
  retireInfraSets,
  worldRows,
  updateRelease,
  warmInfraSets,
} from './drizzle-release-repo.js';
import { DrizzleOutbox } from './drizzle-outbox.js';

/**
 * The releases table with its audit log and the outbox rows and infra-set rows a decision's effects
 * write (which rows: ../transition-rows.ts). Over a transaction (`DrizzleStore.transaction`) every
 * call of one unit of work commits together.
 */
export class DrizzleReleaseStore implements ReleaseStore {
  private readonly outbox: Outbox;
  private readonly effectWrites: EffectWrites;

  constructor(
    private readonly db: DbOrTx,
    private readonly config: DeliveryConfig,
  ) {
    this.outbox = new DrizzleOutbox(db);
    this.effectWrites = {
      mintInfraSet: (set) => insertInfraSet(db, set),
      markProvisioned: (id) => markInfraSetReady(db, id),
      recordWeights: (change) => recordWeights(db, change),
      warmInfraSets: (service, environment) => warmInfraSets(db, service, environment),
      retireInfraSets: (ids, now) => retireInfraSets(db, ids, now),
      drainInfraSets: (ids, retireAt) => drainInfraSets(db, ids, retireAt),
      enqueue: (entry) => this.outbox.enqueue(entry),
    };
  }

  get(id: string): Promise<ReleaseRecord | undefined> {
    return getRelease(this.db, id);
  }

  lock(id: string): Promise<ReleaseRecord | undefined> {
    return lockRelease(this.db, id);
  }

  active(): Promise<ReleaseRecord[]> {
    return listActiveReleases(this.db);
  }

  claimDue(now: Date, limit: number, after: DueCursor | null): Promise<ReleaseRecord[]> {
    return claimDueReleases(this.db, now, limit, after);
  }

  world(scope: WorldScope, now: Date): Promise<WorldRecords> {
    return worldRows(this.db, now, scope.environments, scope.services);
  }

  async insert(release: { environment: string; requester: string }, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved> {
    const row = newReleaseRecord(release, decision, meta);
    const batch = effectBatchOf(row, decision.effects, meta.now, CARD_PRIORITY.stateChange);
    if (batch) {
      // A new id: nothing else can have written it, so not writing it is a bug.
      if (!(await writeTransition(this.db, { insert: row, release: row, event: transitionEvent(row.id, 1, decision.events, meta), ...batch }))) throw new Error(`release ${row.id} was not inserted`);
    } else {
      await insertRelease(this.db, { ...row, now: meta.now });
      await this.appendTransition(row.id, 1, decision.events, meta);
      await this.writeEffects(row, decision.effects, meta.now, CARD_PRIORITY.stateChange);
    }
    return { row, lanes: lanesOf(decision.effects), changed: true, rollbackStarted: false };
  }

  async save(row: ReleaseRecord, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved> {
    const { row: saved, changed, rollbackStarted } = nextReleaseRecord(row, decision, meta);
    const batch = changed ? effectBatchOf(saved, decision.effects, meta.now, cardPriorityOf(decision.events)) : null;
    if (batch) {
      // State, audit row, outbox rows and infra-set rows in one statement.
      const written = await writeTransition(this.db, { update: { expectedVersion: row.version }, release: saved, event: transitionEvent(row.id, saved.version, decision.events, meta), cancelForward: rollbackStarted, ...batch });
      if (!written) throw new ReleaseVersionConflict(row.id, row.version);
      return { row: saved, lanes: lanesOf(decision.effects), changed, rollbackStarted };
    }
    // The row first: if another transition got there first, nothing else is written.
    if (!(await updateRelease(this.db, row.id, row.version, { status: saved.status, state: saved.state, nextTickAt: saved.nextTickAt, versionSetId: saved.versionSetId, now: meta.now, bump: changed }))) {
      throw new ReleaseVersionConflict(row.id, row.version);
    }
    if (!changed) return { row: saved, lanes: [], changed, rollbackStarted };
    await this.appendTransition(row.id, saved.version, decision.events, meta);
    if (rollbackStarted) {
      // Forward steps never started are cancelled so the rollback is next in its lane; ones already
      // attempted stay, and the lane's per-release order runs them (and their retries) first.
      await this.db
        .update(outbox)
        .set({ status: 'dead', lastError: CANCELLED_BY_ROLLBACK.error, finishedAt: meta.now })
        .where(and(eq(outbox.releaseId, row.id), eq(outbox.status, 'pending'), eq(outbox.attempts, 0), inArray(outbox.kind, [...CANCELLED_BY_ROLLBACK.kinds])));
    }
    await this.writeEffects(saved, decision.effects, meta.now, cardPriorityOf(decision.events));
    return { row: saved, lanes: lanesOf(decision.effects), changed, rollbackStarted };
  }

  async refuse(refusal: ReleaseRefusal): Promise<void> {
    await appendRefusal(this.db, refusal);
  }

  async recordApproval(approval: { releaseId: string; environment: string; userId: string; at: Date }): Promise<void> {
    await this.db.insert(approvals).values(approval).onConflictDoNothing();
  }

  private async appendTransition(releaseId: string, version: number, events: ReleaseEventData[], meta: TransitionMeta): Promise<void> {
    await appendTransition(this.db, { releaseId, version, events, input: meta.input, actor: meta.actor, at: meta.now });
  }

  /** The effects one by one, in order: some move infra-sets by what they are now. */
  private writeEffects(row: ReleaseRecord, effects: readonly ReleaseEffect[], now: Date, priority: number): Promise<void> {
    return writeEffectsInOrder(this.effectWrites, this.config, row, effects, now, priority);
  }
}
