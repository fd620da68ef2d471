import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { ReleaseInput } from '../domain/release/types.js';
import type { Annotations } from '../ports/annotations.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { HealthProbe } from '../ports/health.js';
import type { Infra } from '../ports/infra.js';
import type { Traffic } from '../ports/traffic.js';
import { queryRows } from '../store/db.js';
import { getCard, getRelease, lockRelease, recordWeights, saveCard } from '../store/repos/drizzle-release-repo.js';
import { outbox, type OutboxRow } from '../store/schema/index.js';
import type { OutboxLane, ReleaseRuntime, StoredEffect } from './release-runtime.js';
import { enqueue } from './release-runtime.js';

export interface EffectPorts {
  traffic: Traffic;
  infra: Infra;
  health: HealthProbe;
  chat: Chat;
  annotations: Annotations;
}

export interface OutboxWorkerOptions {
  /** How long a claimed row is reserved for the replica running it; past it, another may retry it. */
  leaseMs: number;
  /** Attempts before a row is given up (and, for a release effect, its failure fed back). */
  maxAttempts: Record<OutboxLane, number>;
  batchSize: number;
}

export const defaultOutboxOptions: OutboxWorkerOptions = {
  leaseMs: 30_000,
  maxAttempts: { critical: 8, health: 5, chat: 10 },
  batchSize: 20,
};

/** What running one effect came to. */
type Ran =
  | { kind: 'done'; feed: ReleaseInput | null; result?: unknown }
  | { kind: 'retry'; error: string; afterMs?: number }
  /** Permanently failed: the release hears of it through `feed`. */
  | { kind: 'dead'; error: string; feed: ReleaseInput | null };

class RetryLater extends Error {}

/**
 * How long to wait before the next attempt, when the failure says: a port that was told to slow
 * down (Slack's or Datadog's Retry-After) reports `retryAfterSeconds`, honoured over our backoff.
 */
function retryDelayOf(error: unknown): { afterMs?: number } {
  const retryAfterSeconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds)) return { afterMs: Math.max(0, retryAfterSeconds) * 1000 };
  return error instanceof RetryLater ? { afterMs: 1_000 } : {};
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
    private readonly runtime: ReleaseRuntime,
    private readonly ports: EffectPorts,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: OutboxWorkerOptions = defaultOutboxOptions,
  ) {}

  /** Claims and runs due rows of one lane; answers how many ran. */
  async run(lane: OutboxLane, limit = this.options.batchSize): Promise<number> {
    const now = this.clock.now();
    const rows = await this.claim(lane, now, limit);
    await Promise.all(rows.map((row) => this.runOne(row)));
    return rows.length;
  }

  private async claim(lane: OutboxLane, now: Date, limit: number): Promise<OutboxRow[]> {
    const lease = new Date(now.getTime() + this.options.leaseMs);
    // Per release and lane, rows run in order: the earliest pending one only (a rollback's traffic
    // moves must land in the order they were decided, after any forward move already attempted).
    const rows = await queryRows<Record<string, unknown>>(
      this.runtime.db,
      sql`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ${lease.toISOString()}
          WHERE id IN (
            SELECT o.id FROM outbox o
            WHERE o.lane = ${lane} AND o.status = 'pending' AND o.next_attempt_at <= ${now.toISOString()}
              AND (o.release_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM outbox e WHERE e.release_id = o.release_id AND e.lane = o.lane AND e.status = 'pending' AND e.id < o.id))
            ORDER BY o.id
            LIMIT ${limit}
            FOR UPDATE OF o SKIP LOCKED)
          RETURNING id, kind, lane, effect, idempotency_key, release_id, attempts`,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      kind: String(row.kind),
      lane: String(row.lane),
      effect: row.effect,
      idempotencyKey: String(row.idempotency_key),
      releaseId: (row.release_id as string | null) ?? null,
      attempts: Number(row.attempts),
    })) as unknown as OutboxRow[];
  }

  private async runOne(row: OutboxRow): Promise<void> {
    const log = this.logger.child({ outboxId: row.id, kind: row.kind, releaseId: row.releaseId });
    let ran: Ran;
    try {
      ran = await this.execute(row, row.effect as StoredEffect);
    } catch (error) {
      ran = { kind: 'retry', error: (error as Error).message, ...retryDelayOf(error) };
    }
    const lane = row.lane as OutboxLane;
    if (ran.kind === 'retry' && row.attempts >= this.options.maxAttempts[lane]) {
      ran = { kind: 'dead', error: ran.error, feed: this.failureInput(row.effect as StoredEffect, ran.error) };
    }
    try {
      await this.complete(row, ran);
    } catch (error) {
      // The lease runs out and another replica retries the row; its idempotency key keeps that safe.
      log.error({ err: error }, 'could not record an effect outcome');
    }
    if (ran.kind !== 'done') log.warn({ error: ran.error, attempts: row.attempts }, ran.kind === 'dead' ? 'effect gave up' : 'effect will retry');
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
        const outcome = await this.ports.infra.retire({ infraSetId: effect.infraSetId, service: effect.service, environment: effect.environment, idempotencyKey: key });
        if (outcome.kind === 'failed') return outcome.retryable ? { kind: 'retry', error: outcome.reason } : { kind: 'dead', error: outcome.reason, feed: null };
        return { kind: 'done', feed: null };
      }
      case 'card': {
        const release = await getRelease(this.runtime.db, effect.releaseId);
        if (!release) return { kind: 'dead', error: 'release not found', feed: null };
        const now = this.clock.now();
        const view = await this.runtime.viewOf(this.runtime.db, release, now);
        const existing = await getCard(this.runtime.db, effect.releaseId);
        const ref = await this.ports.chat.publishCard(view, existing ? { channel: existing.channel, ts: existing.ts } : null);
        await saveCard(this.runtime.db, { releaseId: effect.releaseId, channel: ref.channel, ts: ref.ts, renderedVersion: view.version, now });
        return { kind: 'done', feed: null, result: { renderedVersion: view.version } };
      }
      case 'thread': {
        const card = await getCard(this.runtime.db, effect.releaseId);
        if (!card) throw new RetryLater('the card is not posted yet');
        await this.ports.chat.postThreadLine({ channel: card.channel, ts: card.ts }, effect.text);
        return { kind: 'done', feed: null };
      }
      case 'notify':
        await this.ports.chat.notify(effect.channel, effect.text);
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

  private backoffMs(row: OutboxRow, ran: Extract<Ran, { kind: 'retry' }>): number {
    if (ran.afterMs !== undefined) return ran.afterMs;
    const base = row.lane === 'chat' ? 2_000 : 1_000;
    return Math.min(base * 2 ** Math.max(0, row.attempts - 1), row.lane === 'chat' ? 300_000 : 60_000);
  }

  private async complete(row: OutboxRow, ran: Ran): Promise<void> {
    const now = this.clock.now();
    const guard = and(eq(outbox.id, row.id), eq(outbox.status, 'pending'), eq(outbox.attempts, row.attempts));
    if (ran.kind === 'retry') {
      await this.runtime.db.update(outbox).set({ nextAttemptAt: new Date(now.getTime() + this.backoffMs(row, ran)), lastError: ran.error }).where(guard);
      return;
    }
    const effect = row.effect as StoredEffect;
    await this.runtime.transaction(async (tx, after) => {
      // Lock order release → outbox everywhere, so a completion and a decision never deadlock.
      if (ran.feed && row.releaseId) await lockRelease(tx, row.releaseId);
      const marked = await tx
        .update(outbox)
        .set(ran.kind === 'done' ? { status: 'done', finishedAt: now, result: ran.result ?? null } : { status: 'dead', finishedAt: now, lastError: ran.error })
        .where(guard)
        .returning({ id: outbox.id });
      // Another replica took the row over after our lease ran out: it completes it, not us.
      if (marked.length === 0) return;
      if (ran.kind === 'done' && effect.kind === 'manual_weights') {
        await recordWeights(tx, { service: effect.service, environment: effect.environment, weights: effect.weights, discard: [], now });
      }
      if (ran.kind === 'done' && effect.kind === 'card') {
        // The card was drawn from the state as it was then; a transition since needs another draw.
        const release = await getRelease(tx, effect.releaseId);
        const rendered = (ran.result as { renderedVersion: number }).renderedVersion;
        if (release && release.version > rendered) {
          await enqueue(tx, { lane: 'chat', key: `card:${release.id}:${release.version}`, coalesceKey: `card:${release.id}`, releaseId: release.id, effect: { kind: 'card', releaseId: release.id }, now });
        }
      }
      if (ran.feed && row.releaseId) await this.runtime.apply(tx, row.releaseId, ran.feed, now, after);
    });
  }
}
