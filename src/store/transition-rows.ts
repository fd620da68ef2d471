import type { DeliveryConfig } from '../config/delivery-schema.js';
import { infraSetsToRetire } from '../domain/infra-set/keep-warm.js';
import { releaseStatus } from '../domain/release/decide.js';
import type { ServingMap } from '../domain/release/plan.js';
import type { ReleaseEffect, ReleaseEventData, ReleaseStatus } from '../domain/release/types.js';
import type { InfraSetRecord } from '../ports/infra-set-store.js';
import type { OutboxEntry, OutboxLane, StoredEffect } from '../ports/outbox.js';
import { CARD_PRIORITY } from '../ports/outbox.js';
import type { AcceptedDecision, ReleaseRecord, TransitionMeta } from '../ports/release-store.js';

/**
 * What a release transition writes besides its SQL, as values: the release row, its audit row, the
 * outbox rows its effects queue and the infra-set rows they move. Every store implementation writes
 * exactly these (the drizzle one in one statement where it can); none of it touches a database.
 */

export const FINISHED_STATUSES: readonly ReleaseStatus[] = ['succeeded', 'rolled_back', 'aborted'];

/** The row of a new release after its first decision. */
export function newReleaseRecord(release: { environment: string; requester: string }, decision: AcceptedDecision, meta: TransitionMeta): ReleaseRecord {
  const state = decision.state;
  return {
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
}

export interface NextRelease {
  row: ReleaseRecord;
  /** Anything changed (state, events or effects): the version moves on and a transition is recorded. */
  changed: boolean;
  /** The decision started a rollback: forward steps not yet attempted are cancelled. */
  rollbackStarted: boolean;
}

/** The row `decision` makes of `row` (saved under `row.version`). */
export function nextReleaseRecord(row: ReleaseRecord, decision: AcceptedDecision, meta: TransitionMeta): NextRelease {
  const changed = decision.events.length > 0 || decision.effects.length > 0 || JSON.stringify(decision.state) !== JSON.stringify(row.state);
  const next: ReleaseRecord = {
    ...row,
    status: releaseStatus(decision.state),
    state: decision.state,
    nextTickAt: decision.nextTickAt ? new Date(decision.nextTickAt) : null,
    version: changed ? row.version + 1 : row.version,
    updatedAt: meta.now,
    versionSetId: decision.state.plan.versionSetId,
  };
  const rollbackStarted = changed && decision.state.phase.kind === 'rolling_back' && row.state.phase.kind !== 'rolling_back';
  return { row: next, changed, rollbackStarted };
}

export interface TransitionEvent {
  releaseId: string;
  version: number;
  type: string;
  actor: string | null;
  message: string;
  data: { input: string; events: ReleaseEventData[] };
  at: Date;
}

/** The audit row of a transition. */
export function transitionEvent(releaseId: string, version: number, events: ReleaseEventData[], meta: TransitionMeta): TransitionEvent {
  return {
    releaseId,
    version,
    type: events.length > 0 ? events.map((event) => event.type).join('+') : meta.input,
    actor: meta.actor,
    message: events.map((event) => event.message).join('\n') || meta.input,
    data: { input: meta.input, events },
    at: meta.now,
  };
}

/** Forward steps a rollback cancels when they were never attempted, so the rollback is next in its lane. */
export const CANCELLED_BY_ROLLBACK = {
  kinds: ['provision', 'set_weights', 'measure'] as const satisfies ReadonlyArray<StoredEffect['kind']>,
  error: 'cancelled: the release is rolling back',
};

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

/** Effects numbered from 1, the card first: it goes first in its lane, so thread lines find it posted. */
export function inQueueOrder(effects: readonly ReleaseEffect[]): Array<[number, ReleaseEffect]> {
  return [...effects].sort((a, b) => Number(b.kind === 'card') - Number(a.kind === 'card')).map((effect, at) => [at + 1, effect]);
}

/** The outbox row an effect is queued as (null for the bookkeeping the store applies itself), keyed so a retry queues it once. */
export function outboxEntryOf(effect: ReleaseEffect, row: ReleaseRecord, index: number, priority: number, now: Date): OutboxEntry | null {
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

/** A new infra-set a `provision` effect mints (provisioning, no traffic). */
export interface MintedInfraSet {
  id: string;
  service: string;
  environment: string;
  version: string;
  releaseId: string | null;
  now: Date;
}

/** The rows a decision's effects write besides its state, when none of them needs a read first. */
export interface EffectBatch {
  infraSets: MintedInfraSet[];
  /** Infra-sets provisioned: provisioning → ready. */
  ready: string[];
  /** In the order they are queued (their ids keep that order: a release's rows run in it). */
  outbox: OutboxEntry[];
}

/**
 * A decision's effects as rows to write at once with its state — unless one of them moves
 * infra-sets by what they are now (recorded weights, keep-warm, a retire), which needs reads first:
 * then null, and `writeEffectsInOrder` writes them one by one.
 */
export function effectBatchOf(row: ReleaseRecord, effects: readonly ReleaseEffect[], now: Date, priority: number): EffectBatch | null {
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

export interface WeightsChange {
  service: string;
  environment: string;
  weights: Record<string, number>;
  /** Sets that must never turn warm (superseded or rolled back): they retire instead. */
  discard: readonly string[];
  now: Date;
}

export type InfraSetMove = { id: string; state: 'serving'; weight: number } | { id: string; state: 'warm'; weight: 0; warmedAt: Date };

/**
 * Confirmed traffic applied to the sets of one service in one environment (those not retired): sets
 * in `weights` serve with their weight; sets that served and are left out turn warm (kept for an
 * instant rollback), unless discarded: those are answered in `retire`, to be torn down.
 */
export function weightsRecorded(sets: readonly InfraSetRecord[], change: WeightsChange): { moves: InfraSetMove[]; retire: string[] } {
  const moves: InfraSetMove[] = [];
  const retire: string[] = [];
  for (const set of sets) {
    const weight = change.weights[set.id] ?? 0;
    if (weight > 0) moves.push({ id: set.id, state: 'serving', weight });
    else if (change.discard.includes(set.id)) {
      if (set.state !== 'draining') retire.push(set.id);
    } else if (set.state === 'serving') moves.push({ id: set.id, state: 'warm', weight: 0, warmedAt: change.now });
  }
  return { moves, retire };
}

/**
 * Per environment and service, the serving set with the most traffic, and every other set there not
 * retired (serving lighter, or warm). `sets` are the serving and warm ones, ascending by weight, then
 * by creation: the heaviest serving set comes last and wins.
 */
export function servingMapOf(sets: readonly InfraSetRecord[]): ServingMap {
  const map: ServingMap = {};
  const kept = new Map<string, string[]>();
  for (const set of sets) {
    const key = `${set.environment}\u0000${set.service}`;
    kept.set(key, [...(kept.get(key) ?? []), set.id]);
    if (set.state === 'serving') (map[set.environment] ??= {})[set.service] = { version: set.version, infraSetId: set.id };
  }
  for (const [environment, byService] of Object.entries(map)) {
    for (const [service, entry] of Object.entries(byService)) {
      const others = (kept.get(`${environment}\u0000${service}`) ?? []).filter((id) => id !== entry.infraSetId);
      if (others.length > 0) entry.others = others;
    }
  }
  return map;
}

/** The infra-set writes of one transition, as each store performs them (inside the transaction that saves it). */
export interface EffectWrites {
  /** Inserts the set unless it exists. */
  mintInfraSet(set: MintedInfraSet): Promise<void>;
  /** provisioning → ready. */
  markProvisioned(id: string): Promise<void>;
  /** Applies `weightsRecorded` to the sets not retired; answers its `retire`. */
  recordWeights(change: WeightsChange): Promise<string[]>;
  /** The warm sets, most recently warmed first. */
  warmInfraSets(service: string, environment: string): Promise<InfraSetRecord[]>;
  retireInfraSets(ids: readonly string[], now: Date): Promise<void>;
  /** Out of traffic, retiring at `retireAt` (kept in `retiredAt` until then). */
  drainInfraSets(ids: readonly string[], retireAt: Date): Promise<void>;
  enqueue(entry: OutboxEntry): Promise<void>;
}

/** Queues a decision's effects in order and applies those that only move rows (infra-set bookkeeping). */
export async function writeEffectsInOrder(writes: EffectWrites, config: DeliveryConfig, row: ReleaseRecord, effects: readonly ReleaseEffect[], now: Date, priority: number): Promise<void> {
  const releaseId = row.id;
  for (const [index, effect] of inQueueOrder(effects)) {
    switch (effect.kind) {
      case 'provision':
        await writes.mintInfraSet({ id: effect.infraSetId, service: effect.service, environment: effect.environment, version: effect.version, releaseId, now });
        break;
      case 'record_provisioned':
        await writes.markProvisioned(effect.infraSetId);
        break;
      case 'record_weights': {
        const retire = await writes.recordWeights({ service: effect.service, environment: effect.environment, weights: effect.weights, discard: effect.discard, now });
        await drainThenRetire(writes, config, retire.map((id) => ({ id, zeroSince: now })), { service: effect.service, environment: effect.environment, releaseId, now });
        break;
      }
      case 'converged': {
        const keep = config.services[effect.service]?.keepWarm ?? 1;
        const warm = await writes.warmInfraSets(effect.service, effect.environment);
        const retire = infraSetsToRetire(
          warm.map((set) => ({ id: set.id, warmedAt: (set.warmedAt ?? set.createdAt).toISOString() })),
          keep,
        );
        // A set past keepWarm has carried no traffic since it turned warm: its drain started then.
        const zeroSince = (id: string) => warm.find((set) => set.id === id)?.warmedAt ?? now;
        await drainThenRetire(writes, config, retire.map((id) => ({ id, zeroSince: zeroSince(id) })), { service: effect.service, environment: effect.environment, releaseId, now });
        break;
      }
      case 'retire_infra_set':
        await drainThenRetire(writes, config, [{ id: effect.infraSetId, zeroSince: now }], { service: effect.service, environment: effect.environment, releaseId, now });
        break;
      default:
        break;
    }
    const entry = outboxEntryOf(effect, row, index, priority, now);
    if (entry) await writes.enqueue(entry);
  }
}

/**
 * Drain before break: a set out of traffic is retired only once the service's drainDelay has
 * passed since its weight reached 0, so requests in flight to it finish. Until then it is
 * `draining` and its retire waits in the outbox (a restart meanwhile still retires it once).
 */
async function drainThenRetire(
  writes: EffectWrites,
  config: DeliveryConfig,
  sets: ReadonlyArray<{ id: string; zeroSince: Date }>,
  at: { service: string; environment: string; releaseId: string | null; now: Date },
): Promise<void> {
  const delayMs = (config.services[at.service]?.drainDelay ?? 30) * 1000;
  for (const set of sets) {
    const retireAt = new Date(Math.max(at.now.getTime(), set.zeroSince.getTime() + delayMs));
    if (retireAt.getTime() <= at.now.getTime()) {
      await writes.retireInfraSets([set.id], at.now);
    } else {
      await writes.drainInfraSets([set.id], retireAt);
      if (at.releaseId) {
        const text = `⏳ ${set.id} is out of traffic and draining; it retires in ${Math.round((retireAt.getTime() - at.now.getTime()) / 1000)}s`;
        await writes.enqueue({ lane: 'chat', key: `drain:${set.id}`, releaseId: at.releaseId, effect: { kind: 'thread', text, releaseId: at.releaseId }, now: at.now });
      }
    }
    await writes.enqueue({
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
