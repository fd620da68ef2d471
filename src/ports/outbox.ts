import type { ReleaseEffect } from '../domain/release/types.js';

/**
 * The outbox: effects decided in the transaction that decided them, run afterwards through the
 * ports (traffic, infra, metrics, chat), each on one replica at a time under a renewable lease.
 */

/** Outbox lanes, each claimed by its own loop: a slow metrics source or a rate-limited Slack never delays traffic. */
export type OutboxLane = 'critical' | 'health' | 'chat';

export const OUTBOX_LANES: readonly OutboxLane[] = ['critical', 'health', 'chat'];

/** What the outbox stores for a release effect: the effect plus the release it belongs to. */
export type StoredEffect =
  | (Extract<ReleaseEffect, { kind: 'provision' | 'set_weights' | 'measure' | 'card' | 'thread' | 'chart' | 'notify' | 'annotate' }> & { releaseId: string })
  | { kind: 'retire_infra_set'; infraSetId: string; environment: string; service: string; releaseId: string | null }
  /** A notice that belongs to no release (stopping and restarting the line). */
  | (Extract<ReleaseEffect, { kind: 'notify' }> & { releaseId: null })
  /** App Home re-published for those who opened it lately; one pending at a time (coalesced). */
  | { kind: 'app_home'; releaseId: null }
  /** The merge queues look again at once: the line was stopped or restarted. */
  | { kind: 'wake_merge_queues'; releaseId: null }
  /** /rollback outside a release. */
  | { kind: 'manual_weights'; environment: string; service: string; weights: Record<string, number>; requestedBy: string; releaseId: null };

/** Claim order of card renders in the chat lane: a state change before a countdown refresh. */
export const CARD_PRIORITY = { refresh: 0, stateChange: 1 } as const;

export interface OutboxEntry {
  lane: OutboxLane;
  /** Unique: the same effect decided twice is queued once. */
  key: string;
  /** Pending entries sharing it coalesce (a card render already queued renders the latest state). */
  coalesceKey?: string;
  /** Orders the entry behind the release's earlier ones in its lane; null for none. */
  releaseId: string | null;
  effect: StoredEffect;
  priority?: number;
  now: Date;
  /** Not to run before this (a retire waiting out its drain delay). */
  notBefore?: Date;
}

export interface ClaimedEffect {
  id: number;
  kind: StoredEffect['kind'];
  lane: OutboxLane;
  effect: StoredEffect;
  idempotencyKey: string;
  releaseId: string | null;
  attempts: number;
  priority: number;
  /** A card render whose card is not posted yet: a chat.postMessage, outside the update budget. */
  firstPost: boolean;
}

export interface OutboxClaim {
  lane: OutboxLane;
  now: Date;
  leaseUntil: Date;
  limit: number;
  /** Leave out card updates (Slack asked to wait); first posts still go. */
  withoutCards: boolean;
}

export type OutboxEnd = { kind: 'done'; result: unknown; now: Date } | { kind: 'dead'; error: string; now: Date };

export interface Outbox {
  /** Queues one effect; "already queued" (same key, or a pending entry with the same coalesce key) is no error. */
  enqueue(entry: OutboxEntry): Promise<void>;
  /** Reserves due entries of a lane for this replica until `leaseUntil`, in the order they should run. */
  claim(claim: OutboxClaim): Promise<ClaimedEffect[]>;
  /**
   * Extends the lease of entries still running here; one another replica took over is left alone,
   * and one another transaction holds at that moment is left for the next renewal, never waited on.
   */
  renew(rows: readonly { id: number; attempts: number }[], leaseUntil: Date): Promise<void>;
  /** Puts a claimed entry back for another attempt at `at`; `countAttempt: false` for a wait that was no failure. */
  retry(row: { id: number; attempts: number }, change: { at: Date; error: string; countAttempt: boolean }): Promise<void>;
  /** Ends a claimed entry; null when another replica took it over after our lease ran out, else its priority now. */
  finish(row: { id: number; attempts: number }, end: OutboxEnd): Promise<{ priority: number } | null>;
  /**
   * The earliest timer of an active release and, per lane, the earliest pending entry; with
   * `cardUpdatesNotBefore` (Slack asked this replica to wait), an update of a posted card counts as
   * due no earlier than then, since no claim takes it before.
   */
  nextDue(options?: { cardUpdatesNotBefore?: Date | null }): Promise<{ tick: Date | null; lanes: Record<OutboxLane, Date | null> }>;
}
