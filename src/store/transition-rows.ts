import type { DeliveryConfig } from '../config/delivery-schema.js';
import { infraSetsToRetire } from '../domain/infra-set/keep-warm.js';
import { releaseStatus } from '../domain/release/decide.js';
import type { ServingMap } from '../domain/release/plan.js';
import type { ReleaseEffect, ReleaseEventData, ReleaseStatus } from '../domain/release/types.js';
import type { InfraSetRecord, InfraSetState } from '../ports/infra-set-store.js';
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

/** An infra-set a transition moves, by what it was when read: written only while it is still in `readState`. */
export interface MovedInfraSet {
  id: string;
  readState: InfraSetState;
  state: InfraSetState;
  weight: number;
  warmedAt: Date | null;
  retiredAt: Date | null;
}

/** The rows a decision's effects write besides its state. */
export interface EffectBatch {
  infraSets: MintedInfraSet[];
  /** Infra-sets provisioned that were not read: provisioning → ready. */
  ready: string[];
  /** Infra-sets moved by what they were when read (recorded weights, keep-warm, drains and retires). */
  moves: MovedInfraSet[];
  /** In the order they are queued (their ids keep that order: a release's rows run in it). */
  outbox: OutboxEntry[];
}

/**
 * The infra-sets a decision's effects move by what they are now, to read (in the transaction, before
 * the write) for `effectBatchOf`: those not retired of each service and environment whose traffic
 * or warm sets change, and any set retired by id. Null when no effect needs a read.
 */
export interface InfraSetsToRead {
  targets: Array<{ service: string; environment: string }>;
  ids: string[];
}

export function infraSetsToRead(effects: readonly ReleaseEffect[]): InfraSetsToRead | null {
  const targets = new Map<string, { service: string; environment: string }>();
  const ids = new Set<string>();
  for (const effect of effects) {
    if (effect.kind !== 'record_weights' && effect.kind !== 'converged' && effect.kind !== 'retire_infra_set') continue;
    targets.set(`${effect.environment}\u0000${effect.service}`, { service: effect.service, environment: effect.environment });
    if (effect.kind === 'retire_infra_set') ids.add(effect.infraSetId);
  }
  return targets.size === 0 ? null : { targets: [...targets.values()], ids: [...ids] };
}

/** What `effectBatchOf` needs besides the decision. */
export interface EffectContext {
  config: DeliveryConfig;
  now: Date;
  /** Card priority of the transition (`cardPriorityOf`). */
  priority: number;
  /** The sets `infraSetsToRead` named, as read in the transaction. */
  sets: readonly InfraSetRecord[];
}

/**
 * A decision's effects as the rows to write with its state, in the order they are queued. Effects
 * that move infra-sets by what they are now (recorded weights, keep-warm, a retire) are played over
 * the sets read once, one after another as they would be written one by one, and each moved set is
 * written once with where it ended.
 */
export function effectBatchOf(row: ReleaseRecord, effects: readonly ReleaseEffect[], context: EffectContext): EffectBatch {
  const { config, now, priority } = context;
  const releaseId = row.id;
  const batch: EffectBatch = { infraSets: [], ready: [], moves: [], outbox: [] };
  const read = new Map(context.sets.map((set) => [set.id, set]));
  const sets = new Map(context.sets.map((set) => [set.id, { ...set }]));
  const minted = new Set<string>();
  const move = (id: string, change: Partial<Pick<InfraSetRecord, 'state' | 'weight' | 'warmedAt' | 'retiredAt'>>) => {
    // The domain moves a set only once a later input confirmed it provisioned.
    if (minted.has(id)) throw new Error(`infra-set ${id} is minted and moved by one transition`);
    const set = sets.get(id);
    if (set) Object.assign(set, change);
  };
  const of = (service: string, environment: string) => [...sets.values()].filter((set) => set.service === service && set.environment === environment);

  /**
   * Drain before break: a set out of traffic is retired only once the service's drainDelay has
   * passed since its weight reached 0, so requests in flight to it finish. Until then it is
   * `draining` and its retire waits in the outbox (a restart meanwhile still retires it once).
   */
  const drainThenRetire = (retiring: ReadonlyArray<{ id: string; zeroSince: Date }>, service: string, environment: string) => {
    const delayMs = (config.services[service]?.drainDelay ?? 30) * 1000;
    for (const set of retiring) {
      const retireAt = new Date(Math.max(now.getTime(), set.zeroSince.getTime() + delayMs));
      if (retireAt.getTime() <= now.getTime()) {
        move(set.id, { state: 'retired', weight: 0, retiredAt: now });
      } else {
        move(set.id, { state: 'draining', weight: 0, retiredAt: retireAt });
        const text = `⏳ ${set.id} is out of traffic and draining; it retires in ${Math.round((retireAt.getTime() - now.getTime()) / 1000)}s`;
        batch.outbox.push({ lane: 'chat', key: `drain:${set.id}`, releaseId, effect: { kind: 'thread', text, releaseId }, now });
      }
      batch.outbox.push({
        lane: 'critical',
        key: `retire:${set.id}`,
        notBefore: retireAt,
        // Not tied to the release's lane order: tearing down an unused set must not hold up its traffic steps.
        releaseId: null,
        effect: { kind: 'retire_infra_set', infraSetId: set.id, service, environment, releaseId },
        now,
      });
    }
  };

  for (const [index, effect] of inQueueOrder(effects)) {
    switch (effect.kind) {
      case 'provision':
        batch.infraSets.push({ id: effect.infraSetId, service: effect.service, environment: effect.environment, version: effect.version, releaseId, now });
        minted.add(effect.infraSetId);
        break;
      case 'record_provisioned': {
        const set = sets.get(effect.infraSetId);
        if (!set) batch.ready.push(effect.infraSetId);
        else if (set.state === 'provisioning') move(set.id, { state: 'ready' });
        break;
      }
      case 'record_weights': {
        const live = of(effect.service, effect.environment).filter((set) => set.state !== 'retired');
        const { moves, retire } = weightsRecorded(live, { service: effect.service, environment: effect.environment, weights: effect.weights, discard: effect.discard, now });
        for (const { id, ...change } of moves) move(id, change);
        drainThenRetire(
          retire.map((id) => ({ id, zeroSince: now })),
          effect.service,
          effect.environment,
        );
        break;
      }
      case 'converged': {
        const keep = config.services[effect.service]?.keepWarm ?? 1;
        const warm = of(effect.service, effect.environment).filter((set) => set.state === 'warm');
        const retire = infraSetsToRetire(
          warm.map((set) => ({ id: set.id, warmedAt: (set.warmedAt ?? set.createdAt).toISOString() })),
          keep,
        );
        // A set past keepWarm has carried no traffic since it turned warm: its drain started then.
        const zeroSince = (id: string) => warm.find((set) => set.id === id)?.warmedAt ?? now;
        drainThenRetire(
          retire.map((id) => ({ id, zeroSince: zeroSince(id) })),
          effect.service,
          effect.environment,
        );
        break;
      }
      case 'retire_infra_set':
        drainThenRetire([{ id: effect.infraSetId, zeroSince: now }], effect.service, effect.environment);
        break;
      default:
        break;
    }
    const entry = outboxEntryOf(effect, row, index, priority, now);
    if (entry) batch.outbox.push(entry);
  }
  for (const [id, set] of sets) {
    const before = read.get(id)!;
    if (set.state === before.state && set.weight === before.weight && set.warmedAt?.getTime() === before.warmedAt?.getTime() && set.retiredAt?.getTime() === before.retiredAt?.getTime()) continue;
    batch.moves.push({ id, readState: before.state, state: set.state, weight: set.weight, warmedAt: set.warmedAt, retiredAt: set.retiredAt });
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
