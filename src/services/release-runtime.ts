import { LINE_STOP_ENVIRONMENT } from '../domain/release/line-stop.js';
import { and, eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import { infraSetsToRetire } from '../domain/infra-set/keep-warm.js';
import { decide, releaseStatus } from '../domain/release/decide.js';
import type { EnvironmentFacts, WorldFacts } from '../domain/release/gates.js';
import type { Decision, ReleaseEffect, ReleaseInput, ReleaseState, ReleaseView } from '../domain/release/types.js';
import { toReleaseView } from '../domain/release/view.js';
import { frozenAt, windowStatus } from '../domain/windows/window-status.js';
import type { Db, DbOrTx } from '../store/db.js';
import {
  activeFreezes,
  appendRefusal,
  appendTransition,
  drainInfraSets,
  drainingInfraSets,
  insertInfraSet,
  locksOf,
  lockRelease,
  markInfraSetReady,
  recordWeights,
  retireInfraSets,
  servingMap,
  updateRelease,
  warmInfraSets,
  type ReleaseRow,
} from '../store/repos/drizzle-release-repo.js';
import { insertOutboxRow } from '../store/repos/outbox-repo.js';
import { outbox } from '../store/schema/index.js';
import { noTelemetry } from '../ports/telemetry.js';
import { ReleaseObserver } from './release-telemetry.js';

/** Outbox lanes, each claimed by its own loop: a slow metrics source or a rate-limited Slack never delays traffic. */
export type OutboxLane = 'critical' | 'health' | 'chat';

/** What the outbox stores for a release effect: the effect plus the release it belongs to. */
export type StoredEffect =
  | (Extract<ReleaseEffect, { kind: 'provision' | 'set_weights' | 'measure' | 'card' | 'thread' | 'chart' | 'notify' | 'annotate' }> & { releaseId: string })
  | { kind: 'retire_infra_set'; infraSetId: string; environment: string; service: string; releaseId: string | null }
  /** A notice that belongs to no release (stopping and restarting the line). */
  | (Extract<ReleaseEffect, { kind: 'notify' }> & { releaseId: null })
  /** App Home re-published for those who opened it lately; one pending at a time (coalesced). */
  | { kind: 'app_home'; releaseId: null }
  /** /rollback outside a release. */
  | { kind: 'manual_weights'; environment: string; service: string; weights: Record<string, number>; requestedBy: string; releaseId: null };

/** The transaction `Db.transaction` hands its callback (db.ts's Tx lacks the relations generic). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type AfterCommit = (hook: () => void) => void;

/** Claim order of card renders in the chat lane: a state change before a countdown refresh. */
export const CARD_PRIORITY = { refresh: 0, stateChange: 1 } as const;

/**
 * Whether a transition changes what the card says at a glance (stage, hold, failure, rollback,
 * finish…) or only refreshes its countdown and evidence (a health reading alone).
 */
export function cardPriorityOf(events: readonly { type: string }[]): number {
  return events.some((event) => event.type !== 'health_reading') ? CARD_PRIORITY.stateChange : CARD_PRIORITY.refresh;
}

/** The lanes a decision's effects are queued in, to run them in the same turn. */
function lanesOf(effects: readonly ReleaseEffect[]): OutboxLane[] {
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

export type ApplyResult =
  | { kind: 'missing' }
  | { kind: 'refused'; code: Decision extends infer D ? (D extends { kind: 'refused'; code: infer C } ? C : never) : never; message: string; row: ReleaseRow }
  | { kind: 'accepted'; row: ReleaseRow; rollbackStarted: boolean };

/**
 * The one flow every input takes: lock the release row, load the world's facts, decide, and write
 * the new state, one audit row and the outbox rows in the caller's transaction.
 */
export class ReleaseRuntime {
  constructor(
    readonly db: Db,
    readonly config: DeliveryConfig,
    readonly logger: Logger,
    private readonly kick: (lane: OutboxLane) => void,
    /**
     * Whether every commit runs the lanes it queued into at once (production). Tests that drive the
     * engine step by step turn it off; a rollback runs its lane at once either way.
     */
    private readonly runLanesAtOnce = true,
    /** Counts committed transitions for /metrics and logs each one. */
    private readonly observer: ReleaseObserver = new ReleaseObserver(noTelemetry, logger),
  ) {}

  /** Tells telemetry and the log of a transition, once it is committed. */
  observe(after: AfterCommit, before: ReleaseState | null, decision: Extract<Decision, { kind: 'accepted' }>, input: string, now: Date): void {
    after(() => this.observer.transition(before, decision, input, now));
  }

  /** Runs `lanes` as soon as the transaction commits (see `runLanesAtOnce`). */
  runAfterCommit(after: AfterCommit, lanes: readonly OutboxLane[]): void {
    if (this.runLanesAtOnce && lanes.length > 0) after(() => lanes.forEach((lane) => this.kick(lane)));
  }

  kickCritical(): void {
    this.kick('critical');
  }


  /** Runs `work` in one transaction, then the hooks it registered (e.g. kicking the critical lane). */
  async transaction<T>(work: (tx: Tx, after: AfterCommit) => Promise<T>): Promise<T> {
    const hooks: Array<() => void> = [];
    const result = await this.db.transaction((tx) => work(tx, (hook) => hooks.push(hook)));
    for (const hook of hooks) hook();
    return result;
  }

  /**
   * What the gates need to know of the world. `services`, when given, narrows the serving map to
   * the services a release ships and their providers: a tick over thousands of releases must not
   * read every serving infra-set for each of them.
   */
  async loadFacts(db: DbOrTx, environmentNames: readonly string[], now: Date, services?: readonly string[]): Promise<WorldFacts> {
    const [adhoc, locks, serving] = await Promise.all([activeFreezes(db, now), locksOf(db), servingMap(db, environmentNames, services)]);
    const environments: Record<string, EnvironmentFacts> = {};
    for (const name of environmentNames) {
      const envConfig = this.config.environments[name];
      if (!envConfig) continue;
      const window = windowStatus(envConfig.windows, now);
      const scheduled = frozenAt(envConfig.freezes, now);
      // A stopped line freezes every environment, and says so before any freeze of the environment's own.
      const manual = adhoc.find((freeze) => freeze.environment === LINE_STOP_ENVIRONMENT) ?? adhoc.find((freeze) => freeze.environment === name);
      const lock = locks.find((row) => row.environment === name);
      environments[name] = {
        window: window.open
          ? { open: true, closesAt: window.closesAt?.toISOString() ?? null }
          : { open: false, reopensAt: window.reopensAt?.toISOString() ?? null, reason: window.reason },
        freeze: manual
          ? { frozen: true, reason: manual.reason, until: manual.until?.toISOString() ?? null }
          : scheduled.frozen
            ? { frozen: true, reason: scheduled.reason, until: scheduled.until.toISOString() }
            : { frozen: false },
        lock: lock ? { holder: lock.holder, reason: lock.reason } : null,
      };
    }
    return { environments, serving };
  }

  /** The services a release's gates look at: those it ships and the providers they depend on. */
  servicesConcerned(state: ReleaseState): string[] {
    const services = new Set(Object.keys(state.plan.versions));
    for (const service of [...services]) {
      for (const dependency of this.config.services[service]?.dependsOn ?? []) services.add(dependency.service);
    }
    return [...services];
  }

  view(row: ReleaseRow, facts: WorldFacts | null, now: Date): ReleaseView {
    return toReleaseView(row.state, { version: row.version, updatedAt: row.updatedAt.toISOString() }, this.config, facts, now);
  }

  async viewOf(db: DbOrTx, row: ReleaseRow, now: Date): Promise<ReleaseView> {
    const finished = row.state.phase.kind === 'finished';
    return this.view(row, finished ? null : await this.loadFacts(db, row.state.plan.path, now, this.servicesConcerned(row.state)), now);
  }

  /** The card's view: also the release's infra-sets still draining (one more read, on the card lane only). */
  async cardViewOf(db: DbOrTx, row: ReleaseRow, now: Date): Promise<ReleaseView> {
    const view = await this.viewOf(db, row, now);
    const draining = await drainingInfraSets(db, row.id);
    if (draining.length === 0) return view;
    return { ...view, draining: draining.map((set) => ({ environment: set.environment, service: set.service, infraSetId: set.id, retiresAt: (set.retiredAt ?? now).toISOString() })) };
  }

  /** Applies one input to one release inside `tx`. */
  async apply(tx: Tx, releaseId: string, input: ReleaseInput, now: Date, after: AfterCommit): Promise<ApplyResult> {
    const row = await lockRelease(tx, releaseId);
    if (!row) return { kind: 'missing' };
    const facts = await this.loadFacts(tx, row.state.plan.path, now, this.servicesConcerned(row.state));
    const decision = decide(row.state, input, now, { config: this.config, facts });
    const actor = 'actor' in input ? input.actor.userId : null;
    if (decision.kind === 'refused') {
      await appendRefusal(tx, { releaseId, version: row.version, input: input.type, actor, code: decision.code, message: decision.message, at: now });
      return { kind: 'refused', code: decision.code, message: decision.message, row };
    }
    const updated = await this.persist(tx, row, decision, input.type, actor, now, after);
    return { kind: 'accepted', row: updated, rollbackStarted: decision.state.phase.kind === 'rolling_back' && row.state.phase.kind !== 'rolling_back' };
  }

  async persist(tx: Tx, row: ReleaseRow, decision: Extract<Decision, { kind: 'accepted' }>, inputLabel: string, actor: string | null, now: Date, after: AfterCommit): Promise<ReleaseRow> {
    const changed = decision.events.length > 0 || decision.effects.length > 0 || JSON.stringify(decision.state) !== JSON.stringify(row.state);
    const status = releaseStatus(decision.state);
    const nextTickAt = decision.nextTickAt ? new Date(decision.nextTickAt) : null;
    const version = await updateRelease(tx, row.id, row.version, { status, state: decision.state, nextTickAt, versionSetId: decision.state.plan.versionSetId, now, bump: changed });
    if (changed) {
      await appendTransition(tx, { releaseId: row.id, version, events: decision.events, input: inputLabel, actor, at: now });
      this.observe(after, row.state, decision, inputLabel, now);
      const rollbackStarted = decision.state.phase.kind === 'rolling_back' && row.state.phase.kind !== 'rolling_back';
      if (rollbackStarted) {
        // Forward steps never started are cancelled so the rollback is next in its lane; ones already
        // attempted stay, and the lane's per-release order runs them (and their retries) first.
        await tx
          .update(outbox)
          .set({ status: 'dead', lastError: 'cancelled: the release is rolling back', finishedAt: now })
          .where(and(eq(outbox.releaseId, row.id), eq(outbox.status, 'pending'), eq(outbox.attempts, 0), inArray(outbox.kind, ['provision', 'set_weights', 'measure'])));
        after(() => this.kick('critical'));
      }
      await this.writeEffects(tx, decision.state, version, decision.effects, now, { after, priority: cardPriorityOf(decision.events) });
    }
    return { ...row, status, state: decision.state, nextTickAt, version, updatedAt: now, versionSetId: decision.state.plan.versionSetId };
  }

  /**
   * Queues a decision's effects. `after` runs their lanes as soon as the transaction commits, so an
   * accepted input moves the release and its card in the same turn; the scheduler is the safety net.
   */
  async writeEffects(
    tx: Tx,
    state: ReleaseState,
    version: number,
    effects: readonly ReleaseEffect[],
    now: Date,
    options: { after?: AfterCommit; priority?: number } = {},
  ): Promise<void> {
    const releaseId = state.id;
    const lanes = lanesOf(effects);
    if (options.after) this.runAfterCommit(options.after, lanes);
    // The card goes first in its lane, so thread lines find it posted.
    const ordered = [...effects].sort((a, b) => Number(b.kind === 'card') - Number(a.kind === 'card'));
    let index = 0;
    for (const effect of ordered) {
      index += 1;
      switch (effect.kind) {
        case 'provision':
          await insertInfraSet(tx, { id: effect.infraSetId, service: effect.service, environment: effect.environment, version: effect.version, releaseId, now });
          await enqueue(tx, { lane: 'critical', key: `rel:${effect.token}`, releaseId, effect: { ...effect, releaseId }, now });
          break;
        case 'set_weights':
          await enqueue(tx, { lane: 'critical', key: `rel:${effect.token}`, releaseId, effect: { ...effect, releaseId }, now });
          break;
        case 'measure':
          await enqueue(tx, { lane: 'health', key: `rel:${effect.token}`, releaseId, effect: { ...effect, releaseId }, now });
          break;
        case 'record_provisioned':
          await markInfraSetReady(tx, effect.infraSetId);
          break;
        case 'record_weights': {
          const retire = await recordWeights(tx, { service: effect.service, environment: effect.environment, weights: effect.weights, discard: effect.discard, now });
          await this.drainThenRetire(tx, retire.map((id) => ({ id, zeroSince: now })), { service: effect.service, environment: effect.environment, releaseId, now });
          break;
        }
        case 'converged': {
          const keep = this.config.services[effect.service]?.keepWarm ?? 1;
          const warm = await warmInfraSets(tx, effect.service, effect.environment);
          const retire = infraSetsToRetire(
            warm.map((row) => ({ id: row.id, warmedAt: (row.warmedAt ?? row.createdAt).toISOString() })),
            keep,
          );
          // A set past keepWarm has carried no traffic since it turned warm: its drain started then.
          const zeroSince = (id: string) => warm.find((row) => row.id === id)?.warmedAt ?? now;
          await this.drainThenRetire(tx, retire.map((id) => ({ id, zeroSince: zeroSince(id) })), { service: effect.service, environment: effect.environment, releaseId, now });
          break;
        }
        case 'retire_infra_set':
          await this.drainThenRetire(tx, [{ id: effect.infraSetId, zeroSince: now }], { service: effect.service, environment: effect.environment, releaseId, now });
          break;
        case 'card':
          await enqueue(tx, {
            lane: 'chat',
            key: `card:${releaseId}:${version}`,
            coalesceKey: `card:${releaseId}`,
            releaseId,
            effect: { ...effect, releaseId },
            priority: options.priority ?? CARD_PRIORITY.stateChange,
            now,
          });
          break;
        case 'thread':
        case 'chart':
        case 'notify':
          await enqueue(tx, { lane: 'chat', key: `${effect.kind}:${releaseId}:${version}:${index}`, releaseId, effect: { ...effect, releaseId }, now });
          break;
        case 'annotate':
          // Outside the release's lane order: a dashboard outage must never hold up its measurements.
          await enqueue(tx, { lane: 'health', key: `annotate:${releaseId}:${version}:${index}`, releaseId: null, effect: { ...effect, releaseId }, now });
          break;
        default: {
          const never: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /**
   * Drain before break: a set out of traffic is retired only once the service's drainDelay has
   * passed since its weight reached 0, so requests in flight to it finish. Until then it is
   * `draining` and its retire waits in the outbox (a restart meanwhile still retires it once).
   */
  private async drainThenRetire(tx: Tx, sets: ReadonlyArray<{ id: string; zeroSince: Date }>, at: { service: string; environment: string; releaseId: string | null; now: Date }): Promise<void> {
    const delayMs = (this.config.services[at.service]?.drainDelay ?? 30) * 1000;
    for (const set of sets) {
      const retireAt = new Date(Math.max(at.now.getTime(), set.zeroSince.getTime() + delayMs));
      if (retireAt.getTime() <= at.now.getTime()) {
        await retireInfraSets(tx, [set.id], at.now);
      } else {
        await drainInfraSets(tx, [set.id], retireAt);
        if (at.releaseId) {
          const text = `⏳ ${set.id} is out of traffic and draining; it retires in ${Math.round((retireAt.getTime() - at.now.getTime()) / 1000)}s`;
          await enqueue(tx, { lane: 'chat', key: `drain:${set.id}`, releaseId: at.releaseId, effect: { kind: 'thread', text, releaseId: at.releaseId }, now: at.now });
        }
      }
      await this.enqueueRetire(tx, { infraSetId: set.id, service: at.service, environment: at.environment, releaseId: at.releaseId, now: at.now, notBefore: retireAt });
    }
  }

  private async enqueueRetire(tx: Tx, entry: { infraSetId: string; service: string; environment: string; releaseId: string | null; now: Date; notBefore: Date }): Promise<void> {
    await enqueue(tx, {
      lane: 'critical',
      key: `retire:${entry.infraSetId}`,
      notBefore: entry.notBefore,
      // Not tied to the release's lane order: tearing down an unused set must not hold up its traffic steps.
      releaseId: null,
      effect: { kind: 'retire_infra_set', infraSetId: entry.infraSetId, service: entry.service, environment: entry.environment, releaseId: entry.releaseId },
      now: entry.now,
    });
  }
}

export async function enqueue(
  tx: DbOrTx,
  row: { lane: OutboxLane; key: string; coalesceKey?: string; releaseId: string | null; effect: StoredEffect; priority?: number; now: Date; notBefore?: Date },
): Promise<void> {
  await insertOutboxRow(tx, { lane: row.lane, key: row.key, coalesceKey: row.coalesceKey ?? null, releaseId: row.releaseId, effect: row.effect, priority: row.priority ?? 0, now: row.now, ...(row.notBefore ? { notBefore: row.notBefore } : {}) });
}
