import type { ServingMap } from '../domain/release/plan.js';
import type { Decision, ReleaseState, ReleaseStatus } from '../domain/release/types.js';
import type { OutboxLane } from './outbox.js';

/**
 * The releases' store, as the release service and the outbox worker need it: one release row
 * (its state as a value), the environment-wide facts its gates read, and `save`, which writes the
 * new state, its audit row and the outbox rows its effects cause in one call.
 */

export interface ReleaseRecord {
  id: string;
  status: ReleaseStatus;
  environment: string;
  versionSetId: number;
  requester: string;
  state: ReleaseState;
  /** When a tick must look at it next; null = only inputs wake it. */
  nextTickAt: Date | null;
  /** +1 per transition. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface FreezeRecord {
  id: number;
  environment: string;
  reason: string;
  from: Date;
  until: Date | null;
  createdBy: string;
  liftedAt: Date | null;
  liftedBy: string | null;
}

export interface LockRecord {
  environment: string;
  holder: string;
  reason: string | null;
  at: Date;
}

/** The environment-wide facts, as stored: ad-hoc freezes in force, locks, and what serves where. */
export interface WorldRecords {
  freezes: FreezeRecord[];
  locks: LockRecord[];
  serving: ServingMap;
}

/**
 * Which part of the world to read. `services`, when given, narrows the serving map to them: a tick
 * over thousands of releases must not read every serving infra-set for each of them.
 */
export interface WorldScope {
  environments: readonly string[];
  services?: readonly string[];
}

/** Where a tick's claims stand: the timer and id of the last release claimed. */
export interface DueCursor {
  nextTickAt: Date;
  id: string;
}

export type AcceptedDecision = Extract<Decision, { kind: 'accepted' }>;

/** Who caused a transition and when, for its audit row. */
export interface TransitionMeta {
  /** The input's type ('tick', 'approve', 'deploy'…). */
  input: string;
  actor: string | null;
  now: Date;
}

export interface Saved {
  row: ReleaseRecord;
  /** The outbox lanes the decision queued into (to run at once after the commit). */
  lanes: OutboxLane[];
  /** Anything changed (state, events or effects): a transition was recorded. */
  changed: boolean;
  /** The decision started a rollback: forward steps not yet attempted were cancelled. */
  rollbackStarted: boolean;
}

export interface ReleaseRefusal {
  releaseId: string | null;
  /** The release version the refused input saw (0: no release). */
  version: number;
  input: string;
  actor: string | null;
  code: string;
  message: string;
  at: Date;
  data?: Record<string, unknown>;
}

/**
 * `save` was given a row at a version the release is no longer at: another transition landed since
 * the row was read. Nothing of the decision was written. Thrown rather than answered so the unit of
 * work it is part of rolls back whole; the caller reads the release again and decides again.
 */
export class ReleaseVersionConflict extends Error {
  constructor(
    readonly releaseId: string,
    readonly expectedVersion: number,
  ) {
    super(`release ${releaseId} is no longer at version ${expectedVersion}`);
    this.name = 'ReleaseVersionConflict';
  }
}

export interface ReleaseStore {
  get(id: string): Promise<ReleaseRecord | undefined>;
  /** The row, locked until the transaction ends (FOR UPDATE): for inputs that must not race (an effect's result). */
  lock(id: string): Promise<ReleaseRecord | undefined>;
  /** Releases not finished, oldest first. */
  active(): Promise<ReleaseRecord[]>;
  /**
   * Claims (locks) up to `limit` releases whose timer is due, skipping any another replica holds,
   * in timer order from just past `after` (the last one a previous claim of the same tick answered).
   */
  claimDue(now: Date, limit: number, after: DueCursor | null): Promise<ReleaseRecord[]>;
  /** The environment-wide facts (freezes, locks, serving sets) of `scope`, in one read. */
  world(scope: WorldScope, now: Date): Promise<WorldRecords>;
  /**
   * The release with the facts its gates see, in one read: `world` of its scope (its path, and the
   * services it ships with those they depend on: `servicesConcerned`). For a read-only look.
   */
  getWithWorld(id: string, now: Date): Promise<{ row: ReleaseRecord; world: WorldRecords } | undefined>;
  /** A new release with its first decision: row, audit row and outbox rows. */
  insert(release: { environment: string; requester: string }, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved>;
  /**
   * The decision applied to `row`: state, audit row and outbox rows, written only if the release is
   * still at `row.version` (read plainly, locked by `lock`, or claimed). Otherwise nothing is
   * written and it throws ReleaseVersionConflict.
   */
  save(row: ReleaseRecord, decision: AcceptedDecision, meta: TransitionMeta): Promise<Saved>;
  /** A refused input, in the audit log. */
  refuse(refusal: ReleaseRefusal): Promise<void>;
  /** An approval, in the approvals table (one per person and environment). */
  recordApproval(approval: { releaseId: string; environment: string; userId: string; at: Date }): Promise<void>;
}
