import type { DeliveryConfig } from '../../../src/config/delivery-schema.js';
import { CARD_PRIORITY } from '../../../src/ports/outbox.js';
import { ReleaseVersionConflict, type AcceptedDecision, type DueCursor, type ReleaseRecord, type ReleaseRefusal, type ReleaseStore, type Saved, type TransitionMeta, type WorldRecords, type WorldScope } from '../../../src/ports/release-store.js';
import type { ReleaseEffect } from '../../../src/domain/release/types.js';
import { releaseScope } from '../../../src/domain/release/world.js';
import {
  CANCELLED_BY_ROLLBACK,
  FINISHED_STATUSES,
  cardPriorityOf,
  effectBatchOf,
  infraSetsToRead,
  lanesOf,
  newReleaseRecord,
  nextReleaseRecord,
  transitionEvent,
} from '../../../src/store/transition-rows.js';
import { freezesInForce } from './memory-environment-store.js';
import { markProvisioned, mintInfraSet, servingIn } from './memory-infra-set-store.js';
import { enqueue } from './memory-outbox.js';
import { appendEvent, releaseCopy, sortedBy, type MemoryTables, type Unit } from './memory-tables.js';

/**
 * The releases table in memory, with its audit log and the outbox and infra-set rows a decision's
 * effects write: which rows comes from src/store/transition-rows.ts, as for DrizzleReleaseStore.
 */
export class MemoryReleaseStore implements ReleaseStore {
  constructor(
    private readonly unit: Unit,
    private readonly config: DeliveryConfig,
  ) {}

  async get(id: string): Promise<ReleaseRecord | undefined> {
    return this.unit.read((tables) => {
      const row = tables.releases.get(id);
      return row ? releaseCopy(row) : undefined;
    });
  }

  /** Transactions run one at a time: holding the row is holding the store. */
  lock(id: string): Promise<ReleaseRecord | undefined> {
    return this.get(id);
  }

  async active(): Promise<ReleaseRecord[]> {
    return this.unit.read((tables) => sortedBy(activeReleases(tables), { by: (row) => row.createdAt.getTime() }).map(releaseCopy));
  }

  async claimDue(now: Date, limit: number, after: DueCursor | null): Promise<ReleaseRecord[]> {
    return this.unit.read((tables) => {
      const due = activeReleases(tables).filter((row): row is ReleaseRecord & { nextTickAt: Date } => {
        if (row.nextTickAt === null || row.nextTickAt > now) return false;
        if (!after) return true;
        const at = row.nextTickAt.getTime();
        return at > after.nextTickAt.getTime() || (at === after.nextTickAt.getTime() && row.id > after.id);
      });
      return sortedBy(due, { by: (row) => row.nextTickAt.getTime() }, { by: (row) => row.id })
        .slice(0, limit)
        .map(releaseCopy);
    });
  }

  async world(scope: WorldScope, now: Date): Promise<WorldRecords> {
    return this.unit.read((tables) => worldIn(tables, scope, now));
  }

  async getWithWorld(id: string, now: Date): Promise<{ row: ReleaseRecord; world: WorldRecords } | undefined> {
    return this.unit.read((tables) => {
      const row = tables.releases.get(id);
      if (!row) return undefined;
      return { row: releaseCopy(row), world: worldIn(tables, releaseScope(this.config, row.state), now) };
    });
  }

  async insert(release: { environment: string; requester: string }, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved> {
    const row = newReleaseRecord(release, decision, meta);
    await this.unit.write((tables) => {
      if (tables.releases.has(row.id)) throw new Error(`duplicate key value violates unique constraint "releases_pkey" (release ${row.id})`);
      tables.releases.set(row.id, releaseCopy(row));
      appendEvent(tables, this.unit.sequences, { kind: 'transition', ...transitionEvent(row.id, 1, decision.events, meta) });
      this.writeEffects(tables, row, decision.effects, meta.now, CARD_PRIORITY.stateChange);
    });
    return { row, lanes: lanesOf(decision.effects), changed: true, rollbackStarted: false };
  }

  async save(row: ReleaseRecord, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved> {
    const { row: saved, changed, rollbackStarted } = nextReleaseRecord(row, decision, meta);
    await this.unit.write((tables) => {
      // Another transition landed since the row was read: nothing of this decision is written.
      if (tables.releases.get(row.id)?.version !== row.version) throw new ReleaseVersionConflict(row.id, row.version);
      tables.releases.set(row.id, releaseCopy(saved));
      if (!changed) return;
      appendEvent(tables, this.unit.sequences, { kind: 'transition', ...transitionEvent(row.id, saved.version, decision.events, meta) });
      if (rollbackStarted) cancelForwardSteps(tables, row.id, meta.now);
      this.writeEffects(tables, saved, decision.effects, meta.now, cardPriorityOf(decision.events));
    });
    return { row: saved, lanes: changed ? lanesOf(decision.effects) : [], changed, rollbackStarted };
  }

  /** The rows of `effectBatchOf` over the sets it reads, as the drizzle store's one statement writes them. */
  private writeEffects(tables: MemoryTables, row: ReleaseRecord, effects: readonly ReleaseEffect[], now: Date, priority: number): void {
    const toRead = infraSetsToRead(effects);
    const sets = toRead
      ? [...tables.infraSets.values()]
          .filter((set) => (set.state !== 'retired' && toRead.targets.some((target) => target.service === set.service && target.environment === set.environment)) || toRead.ids.includes(set.id))
          .map((set) => ({ ...set }))
      : [];
    const batch = effectBatchOf(row, effects, { config: this.config, now, priority, sets });
    for (const set of batch.infraSets) mintInfraSet(tables, set);
    for (const id of batch.ready) markProvisioned(tables, id);
    for (const { id, readState, ...moved } of batch.moves) {
      const set = tables.infraSets.get(id);
      if (set?.state === readState) tables.infraSets.set(id, { ...set, ...moved });
    }
    for (const entry of batch.outbox) enqueue(tables, this.unit.sequences, entry);
  }

  async refuse(refusal: ReleaseRefusal): Promise<void> {
    await this.unit.write((tables) =>
      appendEvent(tables, this.unit.sequences, {
        releaseId: refusal.releaseId,
        kind: 'refusal',
        version: refusal.version,
        type: refusal.input,
        actor: refusal.actor,
        message: refusal.message,
        data: { ...refusal.data, code: refusal.code },
        at: refusal.at,
      }),
    );
  }

  async recordApproval(approval: { releaseId: string; environment: string; userId: string; at: Date }): Promise<void> {
    await this.unit.write((tables) => {
      const key = JSON.stringify([approval.releaseId, approval.environment, approval.userId]);
      if (!tables.approvals.has(key)) tables.approvals.set(key, { ...approval });
    });
  }
}

function activeReleases(tables: MemoryTables): ReleaseRecord[] {
  return [...tables.releases.values()].filter((row) => !FINISHED_STATUSES.includes(row.status));
}

/** The environment-wide facts: freezes in force, every lock, and what serves in the scope. */
export function worldIn(tables: MemoryTables, scope: WorldScope, now: Date): WorldRecords {
  return {
    freezes: freezesInForce(tables, now),
    locks: [...tables.locks.values()].map((lock) => ({ ...lock })),
    serving: servingIn(tables, scope.environments, scope.services),
  };
}

/** Forward steps never attempted are cancelled so the rollback is next in its lane. */
function cancelForwardSteps(tables: MemoryTables, releaseId: string, now: Date): void {
  const kinds: readonly string[] = CANCELLED_BY_ROLLBACK.kinds;
  for (const row of tables.outbox.values()) {
    if (row.releaseId === releaseId && row.status === 'pending' && row.attempts === 0 && kinds.includes(row.kind)) {
      tables.outbox.set(row.id, { ...row, status: 'dead', lastError: CANCELLED_BY_ROLLBACK.error, finishedAt: now });
    }
  }
}
