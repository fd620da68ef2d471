import type { Logger } from 'pino';
import type { ReleaseInput } from '../domain/release/types.js';
import type { Annotations } from '../ports/annotations.js';
import type { AppHomes } from '../ports/app-homes.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { HealthProbe } from '../ports/health.js';
import type { Infra } from '../ports/infra.js';
import type { MergeQueues } from '../ports/merge-queues.js';
import { noTelemetry, type Telemetry } from '../ports/telemetry.js';
import type { Traffic } from '../ports/traffic.js';
import { CARD_PRIORITY, type ClaimedEffect, type OutboxLane, type StoredEffect } from '../ports/outbox.js';
import type { Store } from '../ports/store.js';
import type { StoredReleaseService } from './release-service.js';
import { effectPlace } from './release-telemetry.js';

type OutboxRow = ClaimedEffect;

export interface EffectPorts {
  traffic: Traffic;
  infra: Infra;
  health: HealthProbe;
  chat: Chat;
  annotations: Annotations;
  /** App Home kept up for recent viewers (absent: Homes are published only when opened). */
  appHomes?: AppHomes;
  /** The merge queues, told when the line stops or restarts (absent: no queue runs). */
  mergeQueues?: MergeQueues;
}

export interface OutboxWorkerOptions {
  /**
   * How long (wall time) a claimed row is reserved for the replica running it; past it, another may
   * retry it. Short, because the replica renews it while the call runs: a replica that died mid-call
   * hands its rows on within this time.
   */
  leaseMs: number;
  /** How often (wall time) running rows have their lease renewed; well under `leaseMs`. */
  heartbeatMs: number;
  /** Attempts before a row is given up (and, for a release effect, its failure fed back). Card renders never give up. */
  maxAttempts: Record<OutboxLane, number>;
  batchSize: number;
  /**
   * Clock milliseconds per wall millisecond: 1 in production, the sandbox's speed there. Leases,
   * backoff and Retry-After are waits on the outside world, which runs on the wall; the outbox
   * schedules on the engine's clock.
   */
  clockSpeed: number;
}

export const defaultOutboxOptions: OutboxWorkerOptions = {
  leaseMs: 4_000,
  heartbeatMs: 1_000,
  maxAttempts: { critical: 8, health: 5, chat: 10 },
  batchSize: 20,
  clockSpeed: 1,
};

/** The longest a card render waits between two failed attempts that Slack gave no Retry-After for. */
const CARD_BACKOFF_CAP_MS = 60_000;

/** What running one effect came to. */
type Ran =
  | { kind: 'done'; feed: ReleaseInput | null; result?: unknown; /** A card render: the release version it drew. */ renderedVersion?: number }
  /** `afterMs` is wall time; `waited` marks a wait (Slack's Retry-After, a card not posted yet) that is no failure and costs no attempt. */
  | { kind: 'retry'; error: string; afterMs?: number; waited?: boolean }
  /** Permanently failed: the release hears of it through `feed`. */
  | { kind: 'dead'; error: string; feed: ReleaseInput | null };

class RetryLater extends Error {}

/**
 * How long to wait before the next attempt, when the failure says: a port that was told to slow
 * down (Slack's or Datadog's Retry-After) reports `retryAfterSeconds`, honoured over our backoff.
 */
function retryDelayOf(error: unknown): { afterMs?: number; waited?: boolean } {
  const retryAfterSeconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds)) return { afterMs: Math.max(0, retryAfterSeconds) * 1000, waited: true };
  return error instanceof RetryLater ? { afterMs: 1_000, waited: true } : {};
}

/**
 * Runs outbox rows through the ports. A claim reserves rows (FOR UPDATE SKIP LOCKED, then a lease)
 * so each runs on one replica at a time; effects carry idempotency keys, so a row re-run after a
 * replica died mid-call is applied once by the other side. The completion — marking the row done
 * and feeding its result to the release — is one transaction guarded by the attempt number, so a
 * result is fed back exactly once.
 */
export class OutboxWorker {
  constructor(
    private readonly store: Store,
    private readonly releases: StoredReleaseService,
    private readonly ports: EffectPorts,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: OutboxWorkerOptions = defaultOutboxOptions,
    private readonly telemetry: Telemetry = noTelemetry,
  ) {}

  /** Clock times: when Slack last asked card updates to wait, and until when (no update is claimed before then). */
  #cardsWait = { askedAt: 0, until: 0 };

  /** Until when (clock time) updates of posted cards wait for Slack's budget at `now`; null when they may go. */
  cardUpdatesWaitUntil(now: Date): Date | null {
    return this.cardsWaiting(now.getTime()) ? new Date(this.#cardsWait.until) : null;
  }

  /** Claims and runs due rows of one lane; answers how many ran. */
  async run(lane: OutboxLane, limit = this.options.batchSize): Promise<number> {
    const now = this.clock.now();
    const claimed = await this.store.outbox.claim({ lane, now, leaseUntil: this.leaseUntil(now), limit, withoutCards: this.cardsWaiting(now.getTime()) });
    if (claimed.length === 0) return 0;
    const rows = this.adoptRunning(claimed);
    this.track(rows);
    // Card renders share Slack's chat.update budget: one at a time, highest priority first, so a
    // state change takes the next free slot before a countdown refresh does.
    const cards = rows.filter((row) => row.kind === 'card');
    const others = rows.filter((row) => row.kind !== 'card');
    await Promise.all([...others.map((row) => this.runOne(row)), this.runCards(cards)]);
    return rows.length;
  }

  private leaseUntil(now: Date): Date {
    return new Date(now.getTime() + this.clockMs(this.options.leaseMs));
  }

  private clockMs(wallMs: number): number {
    return wallMs * this.options.clockSpeed;
  }

  /** Rows claimed here and still running: their leases are renewed until they settle. */
  readonly #inFlight = new Map<number, OutboxRow>();
  #heartbeat: ReturnType<typeof setInterval> | null = null;

  /**
   * The claimed rows not already running here. A row whose call is still running here can come back
   * in a claim when its lease ran out first (a renewal that failed, a stalled event loop, a virtual
   * clock moved on): the running call adopts the new claim — it will finish under that attempt —
   * instead of a second call repeating the effect.
   */
  private adoptRunning(claimed: readonly OutboxRow[]): OutboxRow[] {
    const fresh: OutboxRow[] = [];
    for (const row of claimed) {
      const running = this.#inFlight.get(row.id);
      if (running) running.attempts = row.attempts;
      else fresh.push(row);
    }
    return fresh;
  }

  /** Renews the lease of running rows while their calls run, so only a dead replica's rows pass to another. */
  private track(rows: readonly OutboxRow[]): void {
    for (const row of rows) this.#inFlight.set(row.id, row);
    if (this.#heartbeat || this.#inFlight.size === 0) return;
    this.#heartbeat = setInterval(() => {
      const running = [...this.#inFlight.values()];
      if (running.length === 0) return;
      this.store.outbox.renew(running, this.leaseUntil(this.clock.now())).catch((error: unknown) => this.logger.warn({ err: error }, 'could not renew outbox leases'));
    }, this.options.heartbeatMs);
    this.#heartbeat.unref();
  }

  private untrack(row: OutboxRow): void {
    this.#inFlight.delete(row.id);
    if (this.#inFlight.size === 0 && this.#heartbeat) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
  }

  /** Whether Slack's last Retry-After for card updates still holds at `now`. */
  private cardsWaiting(now: number): boolean {
    // A clock stepped back past the moment Slack asked (NTP, a virtual clock) makes that wait meaningless.
    if (now < this.#cardsWait.askedAt) this.#cardsWait = { askedAt: 0, until: 0 };
    return now < this.#cardsWait.until;
  }

  private async runCards(rows: readonly OutboxRow[]): Promise<void> {
    for (const row of rows) {
      const now = this.clock.now().getTime();
      if (this.cardsWaiting(now) && !row.firstPost) {
        // Slack asked to wait while this batch ran: the rest wait too, without a call.
        await this.settle(row, { kind: 'retry', error: 'waiting for Slack\'s card budget', afterMs: (this.#cardsWait.until - now) / this.options.clockSpeed, waited: true });
        continue;
      }
      await this.runOne(row);
    }
  }

  private async runOne(row: OutboxRow): Promise<void> {
    let ran: Ran;
    try {
      ran = await this.execute(row, row.effect);
    } catch (error) {
      ran = { kind: 'retry', error: (error as Error).message, ...retryDelayOf(error) };
    }
    if (ran.kind === 'retry' && ran.waited && row.kind === 'card' && !row.firstPost && ran.afterMs !== undefined) {
      const askedAt = this.clock.now().getTime();
      this.#cardsWait = { askedAt, until: Math.max(this.cardsWaiting(askedAt) ? this.#cardsWait.until : 0, askedAt + this.clockMs(ran.afterMs)) };
    }
    await this.settle(row, ran);
  }

  private async settle(row: OutboxRow, outcome: Ran): Promise<void> {
    const log = this.logger.child({ outboxId: row.id, kind: row.kind, releaseId: row.releaseId });
    let ran = outcome;
    const lane = row.lane;
    // A card is a projection of the release's latest state: its render retries until it lands.
    if (ran.kind === 'retry' && !ran.waited && row.kind !== 'card' && row.attempts >= this.options.maxAttempts[lane]) {
      ran = { kind: 'dead', error: ran.error, feed: this.failureInput(row.effect, ran.error) };
    }
    // Settled here: no more lease renewals, so a retry's time is not overwritten by a heartbeat.
    this.untrack(row);
    try {
      await this.complete(row, ran);
    } catch (error) {
      // The lease runs out and another replica retries the row; its idempotency key keeps that safe.
      log.error({ err: error }, 'could not record an effect outcome');
    }
    // A wait Slack asked for is no attempt; everything else is one line and one count.
    if (ran.kind === 'retry' && ran.waited) return;
    this.telemetry.record({ kind: 'effect_attempted', effect: row.kind, outcome: ran.kind });
    // The child logger already names the release.
    const { releaseId: _named, ...where } = effectPlace(row.releaseId, row.effect);
    const place = { ...where, effect: row.kind, attempts: row.attempts };
    if (ran.kind === 'dead') log.warn({ ...place, error: ran.error }, `${row.kind} gave up`);
    else if (ran.kind === 'retry') log.warn({ ...place, error: ran.error }, `${row.kind} will retry`);
    else log.info(place, `${row.kind} done`);
  }

  private failureInput(effect: StoredEffect, reason: string): ReleaseInput | null {
    switch (effect.kind) {
      case 'provision':
        return { type: 'provisioned', token: effect.token, outcome: { kind: 'failed', retryable: false, reason } };
      case 'set_weights':
        return { type: 'traffic_applied', token: effect.token, outcome: { kind: 'failed', retryable: false, reason } };
      case 'measure':
        return { type: 'health_reading', token: effect.token, reading: { verdict: 'error', checks: [], evidence: effect.evidence } };
      default:
        return null;
    }
  }

  private async execute(row: OutboxRow, effect: StoredEffect): Promise<Ran> {
    const key = row.idempotencyKey;
    switch (effect.kind) {
      case 'provision': {
        const outcome = await this.ports.infra.provision({
          infraSetId: effect.infraSetId,
          service: effect.service,
          environment: effect.environment,
          version: effect.version,
          releaseId: effect.releaseId,
          idempotencyKey: key,
        });
        if (outcome.kind === 'failed' && outcome.retryable) return { kind: 'retry', error: outcome.reason };
        return { kind: 'done', feed: { type: 'provisioned', token: effect.token, outcome }, result: outcome };
      }
      case 'set_weights': {
        const outcome = await this.ports.traffic.setWeights({ target: { service: effect.service, environment: effect.environment }, weights: effect.weights, releaseId: effect.releaseId, idempotencyKey: key });
        if (outcome.kind === 'failed' && outcome.retryable) return { kind: 'retry', error: outcome.reason };
        return { kind: 'done', feed: { type: 'traffic_applied', token: effect.token, outcome }, result: outcome };
      }
      case 'manual_weights': {
        const outcome = await this.ports.traffic.setWeights({ target: { service: effect.service, environment: effect.environment }, weights: effect.weights, releaseId: null, idempotencyKey: key });
        if (outcome.kind === 'failed') return outcome.retryable ? { kind: 'retry', error: outcome.reason } : { kind: 'dead', error: outcome.reason, feed: null };
        return { kind: 'done', feed: null, result: outcome };
      }
      case 'measure': {
        const reading = await this.ports.health.read({
          service: effect.service,
          environment: effect.environment,
          canary: effect.canary,
          baseline: effect.baseline,
          weight: effect.weight,
          checks: effect.checks,
          window: { from: new Date(effect.window.from), to: new Date(effect.window.to) },
          evidence: effect.evidence,
        });
        return { kind: 'done', feed: { type: 'health_reading', token: effect.token, reading }, result: { verdict: reading.verdict } };
      }
      case 'retire_infra_set': {
        // Never break a set that carries traffic (a rollback may have moved traffic back onto it).
        const row = await this.store.infraSets.get(effect.infraSetId);
        if (row && row.weight > 0) return { kind: 'dead', error: `not retired: ${effect.infraSetId} carries ${row.weight}% of traffic`, feed: null };
        const outcome = await this.ports.infra.retire({ infraSetId: effect.infraSetId, service: effect.service, environment: effect.environment, idempotencyKey: key });
        if (outcome.kind === 'failed') return outcome.retryable ? { kind: 'retry', error: outcome.reason } : { kind: 'dead', error: outcome.reason, feed: null };
        return { kind: 'done', feed: null };
      }
      case 'card': {
        const now = this.clock.now();
        const snapshot = await this.store.cards.snapshot(effect.releaseId, now);
        if (!snapshot) return { kind: 'dead', error: 'release not found', feed: null };
        const view = this.releases.cardView(snapshot, now);
        const existing = snapshot.position;
        const ref = await this.ports.chat.publishCard(view, existing ? { channel: existing.channel, ts: existing.ts } : null);
        await this.store.cards.saved({ releaseId: effect.releaseId, channel: ref.channel, ts: ref.ts, renderedVersion: view.version }, now);
        return { kind: 'done', feed: null, result: { renderedVersion: view.version }, renderedVersion: view.version };
      }
      case 'thread': {
        const card = await this.store.cards.position(effect.releaseId);
        if (!card) throw new RetryLater('the card is not posted yet');
        await this.ports.chat.postThreadLine({ channel: card.channel, ts: card.ts }, effect.text);
        return { kind: 'done', feed: null };
      }
      case 'chart': {
        const card = await this.store.cards.position(effect.releaseId);
        if (!card) throw new RetryLater('the card is not posted yet');
        await this.ports.chat.postThreadChart({ channel: card.channel, ts: card.ts }, effect.chart);
        return { kind: 'done', feed: null };
      }
      case 'notify':
        await this.ports.chat.notify(effect.channel, effect.text);
        return { kind: 'done', feed: null };
      case 'app_home':
        await this.ports.appHomes?.refresh(this.clock.now());
        return { kind: 'done', feed: null };
      case 'wake_merge_queues':
        this.ports.mergeQueues?.lookAgain();
        return { kind: 'done', feed: null };
      case 'annotate':
        await this.ports.annotations.record({
          title: `${effect.service} ${effect.annotation.replace('_', ' ')} in ${effect.environment}`,
          text: effect.text,
          kind: effect.annotation,
          service: effect.service,
          environment: effect.environment,
          version: effect.version,
          releaseId: effect.releaseId,
          alert: effect.alert,
        });
        return { kind: 'done', feed: null };
      default: {
        const never: never = effect;
        return { kind: 'dead', error: `unknown effect ${JSON.stringify(never)}`, feed: null };
      }
    }
  }

  /** Wall milliseconds until the next attempt. */
  private backoffMs(row: OutboxRow, ran: Extract<Ran, { kind: 'retry' }>): number {
    if (ran.afterMs !== undefined) return ran.afterMs;
    const base = row.lane === 'chat' ? 2_000 : 1_000;
    const cap = row.kind === 'card' ? CARD_BACKOFF_CAP_MS : row.lane === 'chat' ? 300_000 : 60_000;
    return Math.min(base * 2 ** Math.min(20, Math.max(0, row.attempts - 1)), cap);
  }

  private async complete(row: OutboxRow, ran: Ran): Promise<void> {
    const now = this.clock.now();
    if (ran.kind === 'retry') {
      await this.store.outbox.retry(row, { at: new Date(now.getTime() + this.clockMs(this.backoffMs(row, ran))), error: ran.error, countAttempt: !ran.waited });
      return;
    }
    const effect = row.effect;
    await this.releases.transaction(async (tx, after) => {
      // Lock order release → outbox everywhere, so a completion and a decision never deadlock.
      const held = ran.feed && row.releaseId ? await tx.releases.lock(row.releaseId) : undefined;
      const marked = await tx.outbox.finish(row, ran.kind === 'done' ? { kind: 'done', result: ran.result ?? null, now } : { kind: 'dead', error: ran.error, now });
      // Another replica took the row over after our lease ran out: it completes it, not us.
      if (!marked) return;
      if (ran.kind === 'done' && effect.kind === 'manual_weights') {
        await tx.infraSets.recordWeights({ service: effect.service, environment: effect.environment, weights: effect.weights, now });
      }
      if (ran.kind === 'done' && effect.kind === 'retire_infra_set') {
        await tx.infraSets.retire([effect.infraSetId], now);
        if (effect.releaseId) {
          await tx.outbox.enqueue({ lane: 'chat', key: `retired:${effect.infraSetId}`, releaseId: effect.releaseId, effect: { kind: 'thread', text: `🧹 ${effect.infraSetId} retired`, releaseId: effect.releaseId }, now });
          // The card listed the set as draining: draw it again.
          await tx.outbox.enqueue({ lane: 'chat', key: `card:${effect.releaseId}:retired:${effect.infraSetId}`, coalesceKey: `card:${effect.releaseId}`, releaseId: effect.releaseId, effect: { kind: 'card', releaseId: effect.releaseId }, now });
        }
      }
      if (ran.kind === 'done' && effect.kind === 'card') {
        // The card was drawn from the state as it was then; a transition since needs another draw.
        const release = await tx.releases.get(effect.releaseId);
        const rendered = ran.renderedVersion;
        // A state change the card now shows is one App Home shows too.
        if (marked.priority >= CARD_PRIORITY.stateChange && this.ports.appHomes) {
          await tx.outbox.enqueue({ lane: 'chat', key: `app-home:${effect.releaseId}:${rendered}`, coalesceKey: 'app-home', releaseId: null, effect: { kind: 'app_home', releaseId: null }, now });
          this.releases.runAfterCommit(after, ['chat']);
        }
        if (release && rendered !== undefined && release.version > rendered) {
          // It keeps the priority of the changes that coalesced into the render just done.
          await tx.outbox.enqueue({
            lane: 'chat',
            key: `card:${release.id}:${release.version}`,
            coalesceKey: `card:${release.id}`,
            releaseId: release.id,
            effect: { kind: 'card', releaseId: release.id },
            priority: Math.max(marked.priority, CARD_PRIORITY.refresh),
            now,
          });
          this.releases.runAfterCommit(after, ['chat']);
        }
      }
      if (ran.feed && held) await this.releases.applyHeld(tx, held, ran.feed, now, after);
    });
  }
}
