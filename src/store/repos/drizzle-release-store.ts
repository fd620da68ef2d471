import { and, eq, inArray } from 'drizzle-orm';
import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { infraSetsToRetire } from '../../domain/infra-set/keep-warm.js';
import { releaseStatus } from '../../domain/release/decide.js';
import type { ReleaseEffect, ReleaseEventData } from '../../domain/release/types.js';
import type { Outbox, OutboxEntry, OutboxLane } from '../../ports/outbox.js';
import { CARD_PRIORITY } from '../../ports/outbox.js';
import { ReleaseVersionConflict, type AcceptedDecision, type DueCursor, type ReleaseRecord, type ReleaseRefusal, type ReleaseStore, type Saved, type TransitionMeta, type WorldRecords, type WorldScope } from '../../ports/release-store.js';
import type { DbOrTx } from '../db.js';
import { approvals, outbox } from '../schema/index.js';
import { transitionEvent, writeTransition, type EffectBatch } from './transition-statement.js';
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
 * Whether a transition changes what the card says at a glance (stage, hold, failure, rollback,
 * finish…) or only refreshes its countdown and evidence (a health reading alone).
 */
export function cardPriorityOf(events: readonly { type: string }[]): number {
  return events.some((event) => event.type !== 'health_reading') ? CARD_PRIORITY.stateChange : CARD_PRIORITY.refresh;
}

/** The lanes a decision's effects are queued in, to run them in the same turn. */
export function lanesOf(effects: readonly ReleaseEffect[]): OutboxLane[] {
  const lanes = new Set<OutboxLane>();
  for (const effect of effects) {
    switch (effect.kind) {
      case 'provision':
      case 'set_weights':
      case 'record_weights':
      case 'converged':
      case 'retire_infra_set':
        lanes.add('critical');
        break;
      case 'measure':
      case 'annotate':
        lanes.add('health');
        break;
      case 'card':
      case 'thread':
      case 'chart':
      case 'notify':
        lanes.add('chat');
        break;
      case 'record_provisioned':
        break;
      default: {
        const never: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(never)}`);
      }
    }
  }
  return [...lanes];
}

/**
 * The releases table with its audit log and the outbox rows and infra-set rows a decision's effects
 * write. Over a transaction (`DrizzleStore.transaction`) every call of one unit of work commits together.
 */
export class DrizzleReleaseStore implements ReleaseStore {
  private readonly outbox: Outbox;

  constructor(
    private readonly db: DbOrTx,
    private readonly config: DeliveryConfig,
  ) {
    this.outbox = new DrizzleOutbox(db);
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
    const state = decision.state;
    const row: ReleaseRecord = {
      id: state.id,
      status: releaseStatus(state),
      environment: release.environment,
      versionSetId: state.plan.versionSetId,
      requester: release.requester,
      state,
      nextTickAt: decision.nextTickAt ? new Date(decision.nextTickAt) : null,
      version: 1,
      createdAt: meta.now,
      updatedAt: meta.now,
    };
    const batch = this.batchOf(row, decision.effects, meta.now, CARD_PRIORITY.stateChange);
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
    const changed = decision.events.length > 0 || decision.effects.length > 0 || JSON.stringify(decision.state) !== JSON.stringify(row.state);
    const status = releaseStatus(decision.state);
    const nextTickAt = decision.nextTickAt ? new Date(decision.nextTickAt) : null;
    const version = changed ? row.version + 1 : row.version;
    const saved: ReleaseRecord = { ...row, status, state: decision.state, nextTickAt, version, updatedAt: meta.now, versionSetId: decision.state.plan.versionSetId };
    const rollbackStarted = changed && decision.state.phase.kind === 'rolling_back' && row.state.phase.kind !== 'rolling_back';
    const batch = changed ? this.batchOf(saved, decision.effects, meta.now, cardPriorityOf(decision.events)) : null;
    if (batch) {
      // State, audit row, outbox rows and infra-set rows in one statement.
      const written = await writeTransition(this.db, { update: { expectedVersion: row.version }, release: saved, event: transitionEvent(row.id, version, decision.events, meta), cancelForward: rollbackStarted, ...batch });
      if (!written) throw new ReleaseVersionConflict(row.id, row.version);
      return { row: saved, lanes: lanesOf(decision.effects), changed, rollbackStarted };
    }
    // The row first: if another transition got there first, nothing else is written.
    if (!(await updateRelease(this.db, row.id, row.version, { status, state: decision.state, nextTickAt, versionSetId: decision.state.plan.versionSetId, now: meta.now, bump: changed }))) {
      throw new ReleaseVersionConflict(row.id, row.version);
    }
    if (!changed) return { row: saved, lanes: [], changed, rollbackStarted };
    await this.appendTransition(row.id, version, decision.events, meta);
    if (rollbackStarted) {
      // Forward steps never started are cancelled so the rollback is next in its lane; ones already
      // attempted stay, and the lane's per-release order runs them (and their retries) first.
      await this.db
        .update(outbox)
        .set({ status: 'dead', lastError: 'cancelled: the release is rolling back', finishedAt: meta.now })
        .where(and(eq(outbox.releaseId, row.id), eq(outbox.status, 'pending'), eq(outbox.attempts, 0), inArray(outbox.kind, ['provision', 'set_weights', 'measure'])));
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

  /**
   * A decision's effects as rows to write in one statement with its state — unless one of them moves
   * infra-sets by what they are now (recorded weights, keep-warm, a retire), which needs reads first:
   * then null, and `writeEffects` runs them one by one in order.
   */
  private batchOf(row: ReleaseRecord, effects: readonly ReleaseEffect[], now: Date, priority: number): EffectBatch | null {
    const releaseId = row.id;
    const batch: EffectBatch = { infraSets: [], ready: [], outbox: [] };
    for (const [index, effect] of inQueueOrder(effects)) {
      switch (effect.kind) {
        case 'provision':
          batch.infraSets.push({ id: effect.infraSetId, service: effect.service, environment: effect.environment, version: effect.version, releaseId, now });
          break;
        case 'record_provisioned':
          batch.ready.push(effect.infraSetId);
          break;
        case 'record_weights':
        case 'converged':
        case 'retire_infra_set':
          return null;
        default:
          break;
      }
      const entry = outboxEntryOf(effect, row, index, priority, now);
      if (entry) batch.outbox.push(entry);
    }
    return batch;
  }

  /** Queues a decision's effects and applies those that only move rows (infra-set bookkeeping). */
  private async writeEffects(row: ReleaseRecord, effects: readonly ReleaseEffect[], now: Date, priority: number): Promise<void> {
    const releaseId = row.id;
    for (const [index, effect] of inQueueOrder(effects)) {
      switch (effect.kind) {
        case 'provision':
          await insertInfraSet(this.db, { id: effect.infraSetId, service: effect.service, environment: effect.environment, version: effect.version, releaseId, now });
          break;
        case 'record_provisioned':
          await markInfraSetReady(this.db, effect.infraSetId);
          break;
        case 'record_weights': {
          const retire = await recordWeights(this.db, { service: effect.service, environment: effect.environment, weights: effect.weights, discard: effect.discard, now });
          await this.drainThenRetire(retire.map((id) => ({ id, zeroSince: now })), { service: effect.service, environment: effect.environment, releaseId, now });
          break;
        }
        case 'converged': {
          const keep = this.config.services[effect.service]?.keepWarm ?? 1;
          const warm = await warmInfraSets(this.db, effect.service, effect.environment);
          const retire = infraSetsToRetire(
            warm.map((set) => ({ id: set.id, warmedAt: (set.warmedAt ?? set.createdAt).toISOString() })),
            keep,
          );
          // A set past keepWarm has carried no traffic since it turned warm: its drain started then.
          const zeroSince = (id: string) => warm.find((set) => set.id === id)?.warmedAt ?? now;
          await this.drainThenRetire(retire.map((id) => ({ id, zeroSince: zeroSince(id) })), { service: effect.service, environment: effect.environment, releaseId, now });
          break;
        }
        case 'retire_infra_set':
          await this.drainThenRetire([{ id: effect.infraSetId, zeroSince: now }], { service: effect.service, environment: effect.environment, releaseId, now });
          break;
        default:
          break;
      }
      const entry = outboxEntryOf(effect, row, index, priority, now);
      if (entry) await this.outbox.enqueue(entry);
    }
  }

  /**
   * Drain before break: a set out of traffic is retired only once the service's drainDelay has
   * passed since its weight reached 0, so requests in flight to it finish. Until then it is
   * `draining` and its retire waits in the outbox (a restart meanwhile still retires it once).
   */
  private async drainThenRetire(sets: ReadonlyArray<{ id: string; zeroSince: Date }>, at: { service: string; environment: string; releaseId: string | null; now: Date }): Promise<void> {
    const delayMs = (this.config.services[at.service]?.drainDelay ?? 30) * 1000;
    for (const set of sets) {
      const retireAt = new Date(Math.max(at.now.getTime(), set.zeroSince.getTime() + delayMs));
      if (retireAt.getTime() <= at.now.getTime()) {
        await retireInfraSets(this.db, [set.id], at.now);
      } else {
        await drainInfraSets(this.db, [set.id], retireAt);
        if (at.releaseId) {
          const text = `⏳ ${set.id} is out of traffic and draining; it retires in ${Math.round((retireAt.getTime() - at.now.getTime()) / 1000)}s`;
          await this.outbox.enqueue({ lane: 'chat', key: `drain:${set.id}`, releaseId: at.releaseId, effect: { kind: 'thread', text, releaseId: at.releaseId }, now: at.now });
        }
      }
      await this.outbox.enqueue({
        lane: 'critical',
        key: `retire:${set.id}`,
        notBefore: retireAt,
        // Not tied to the release's lane order: tearing down an unused set must not hold up its traffic steps.
        releaseId: null,
        effect: { kind: 'retire_infra_set', infraSetId: set.id, service: at.service, environment: at.environment, releaseId: at.releaseId },
        now: at.now,
      });
    }
  }
}

/** Effects numbered from 1, the card first: it goes first in its lane, so thread lines find it posted. */
function inQueueOrder(effects: readonly ReleaseEffect[]): Array<[number, ReleaseEffect]> {
  return [...effects].sort((a, b) => Number(b.kind === 'card') - Number(a.kind === 'card')).map((effect, at) => [at + 1, effect]);
}

/** The outbox row an effect is queued as (null for the bookkeeping the store applies itself), keyed so a retry queues it once. */
function outboxEntryOf(effect: ReleaseEffect, row: ReleaseRecord, index: number, priority: number, now: Date): OutboxEntry | null {
  const releaseId = row.id;
  switch (effect.kind) {
    case 'provision':
    case 'set_weights':
      return { lane: 'critical', key: `rel:${effect.token}`, releaseId, effect: { ...effect, releaseId }, now };
    case 'measure':
      return { lane: 'health', key: `rel:${effect.token}`, releaseId, effect: { ...effect, releaseId }, now };
    case 'card':
      return { lane: 'chat', key: `card:${releaseId}:${row.version}`, coalesceKey: `card:${releaseId}`, releaseId, effect: { ...effect, releaseId }, priority, now };
    case 'thread':
    case 'chart':
    case 'notify':
      return { lane: 'chat', key: `${effect.kind}:${releaseId}:${row.version}:${index}`, releaseId, effect: { ...effect, releaseId }, now };
    case 'annotate':
      // Outside the release's lane order: a dashboard outage must never hold up its measurements.
      return { lane: 'health', key: `annotate:${releaseId}:${row.version}:${index}`, releaseId: null, effect: { ...effect, releaseId }, now };
    case 'record_provisioned':
    case 'record_weights':
    case 'converged':
    case 'retire_infra_set':
      return null;
    default: {
      const never: never = effect;
      throw new Error(`unknown effect ${JSON.stringify(never)}`);
    }
  }
}
