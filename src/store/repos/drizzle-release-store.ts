import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { ReleaseEffect } from '../../domain/release/types.js';
import { CARD_PRIORITY } from '../../ports/outbox.js';
import { ReleaseVersionConflict, type AcceptedDecision, type DueCursor, type ReleaseRecord, type ReleaseRefusal, type ReleaseStore, type Saved, type TransitionMeta, type WorldRecords, type WorldScope } from '../../ports/release-store.js';
import type { DbOrTx } from '../db.js';
import { approvals } from '../schema/index.js';
import { cardPriorityOf, effectBatchOf, infraSetsToRead, lanesOf, newReleaseRecord, nextReleaseRecord, transitionEvent, type EffectBatch } from '../transition-rows.js';
import { writeTransition } from './transition-statement.js';
import { appendRefusal, claimDueReleases, getRelease, infraSetsToMove, listActiveReleases, lockRelease, releaseWithWorldRows, updateRelease, worldRows, type DependencyPairs } from './drizzle-release-repo.js';

/**
 * The releases table with its audit log and the outbox rows and infra-set rows a decision's effects
 * write (which rows: ../transition-rows.ts). Over a transaction (`DrizzleStore.transaction`) every
 * call of one unit of work commits together.
 */
/** Per config, its dependsOn as the pairs `getWithWorld`'s statement widens a release's scope with (a store is built per transaction). */
const dependenciesByConfig = new WeakMap<DeliveryConfig, DependencyPairs>();

function dependencyPairsOf(config: DeliveryConfig): DependencyPairs {
  let pairs = dependenciesByConfig.get(config);
  if (!pairs) {
    const edges = Object.entries(config.services).flatMap(([service, entry]) => (entry.dependsOn ?? []).map((dependency) => [service, dependency.service] as const));
    pairs = { dependents: edges.map(([service]) => service), providers: edges.map(([, provider]) => provider) };
    dependenciesByConfig.set(config, pairs);
  }
  return pairs;
}

export class DrizzleReleaseStore implements ReleaseStore {
  constructor(
    private readonly db: DbOrTx,
    private readonly config: DeliveryConfig,
  ) {}

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

  getWithWorld(id: string, now: Date): Promise<{ row: ReleaseRecord; world: WorldRecords } | undefined> {
    return releaseWithWorldRows(this.db, id, now, dependencyPairsOf(this.config));
  }

  async insert(release: { environment: string; requester: string }, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved> {
    const row = newReleaseRecord(release, decision, meta);
    const batch = await this.batchOf(row, decision.effects, meta.now, CARD_PRIORITY.stateChange);
    // A new id: nothing else can have written it, so not writing it is a bug.
    if (!(await writeTransition(this.db, { insert: row, release: row, event: transitionEvent(row.id, 1, decision.events, meta), ...batch }))) throw new Error(`release ${row.id} was not inserted`);
    return { row, lanes: lanesOf(decision.effects), changed: true, rollbackStarted: false };
  }

  async save(row: ReleaseRecord, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved> {
    const { row: saved, changed, rollbackStarted } = nextReleaseRecord(row, decision, meta);
    if (!changed) {
      // Nothing to record: the timer only, under the version read.
      if (!(await updateRelease(this.db, row.id, row.version, { status: saved.status, state: saved.state, nextTickAt: saved.nextTickAt, versionSetId: saved.versionSetId, now: meta.now, bump: false }))) {
        throw new ReleaseVersionConflict(row.id, row.version);
      }
      return { row: saved, lanes: [], changed, rollbackStarted };
    }
    const batch = await this.batchOf(saved, decision.effects, meta.now, cardPriorityOf(decision.events));
    // State, audit row, outbox rows and infra-set rows in one statement.
    const written = await writeTransition(this.db, { update: { expectedVersion: row.version }, release: saved, event: transitionEvent(row.id, saved.version, decision.events, meta), cancelForward: rollbackStarted, ...batch });
    if (!written) throw new ReleaseVersionConflict(row.id, row.version);
    return { row: saved, lanes: lanesOf(decision.effects), changed, rollbackStarted };
  }

  async refuse(refusal: ReleaseRefusal): Promise<void> {
    await appendRefusal(this.db, refusal);
  }

  async recordApproval(approval: { releaseId: string; environment: string; userId: string; at: Date }): Promise<void> {
    await this.db.insert(approvals).values(approval).onConflictDoNothing();
  }

  /** The rows the effects write; the infra-sets they move by what they are now are read first (one statement). */
  private async batchOf(row: ReleaseRecord, effects: readonly ReleaseEffect[], now: Date, priority: number): Promise<EffectBatch> {
    const toRead = infraSetsToRead(effects);
    const sets = toRead ? await infraSetsToMove(this.db, toRead) : [];
    return effectBatchOf(row, effects, { config: this.config, now, priority, sets });
  }
}
