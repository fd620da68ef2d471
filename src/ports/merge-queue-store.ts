import type { QueueEffect } from '../domain/merge-queue/effects.js';
import type { EntrySource, EntryStatus } from '../domain/merge-queue/types.js';
import type { QueueWebhookEvent } from '../domain/merge-queue/webhook-event.js';

/**
 * The merge queue's store, as the queue service needs it. Every state change is written with the
 * event explaining it and the effects it causes (comments, labels, Slack notices) in one commit;
 * implemented over drizzle by DrizzleMergeQueueStore, and in memory for tests where that is enough.
 */

export interface QueueEntryRecord {
  id: number;
  repo: string;
  baseBranch: string;
  pullNumber: number;
  title: string;
  author: string;
  /** Slack user id for /queue add, GitHub login for a label. */
  requestedBy: string;
  source: EntrySource;
  status: EntryStatus;
  detail: string;
  headSha: string | null;
  expectedHeadSha: string | null;
  updateRequestedAt: Date | null;
  rechecks: number;
  suspectGroup: number | null;
  priority: number;
  prioritisedBy: string | null;
  checkRetries: number;
  batchId: number | null;
  ejectCode: string | null;
  ejectMessage: string | null;
  mergeCommitSha: string | null;
  versionSetIds: number[] | null;
  enqueuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export interface QueueBatchRecord {
  id: number;
  repo: string;
  baseBranch: string;
  branch: string;
  baseSha: string;
  parentBatchId: number | null;
  headSha: string | null;
  checkRetries: number;
  entryIds: number[];
  status: 'testing' | 'merged' | 'failed' | 'abandoned';
  landedSha: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface QueueRecord {
  repo: string;
  baseBranch: string;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  pausedCode: string | null;
  pausedMessage: string | null;
  nextSuspectGroup: number;
  nextPollAt: Date | null;
  unreachableReason: string | null;
  unreachableSince: Date | null;
  updatedAt: Date;
}

/** An active entry as the queue view shows it. */
export type QueueViewEntryRecord = Pick<
  QueueEntryRecord,
  'repo' | 'baseBranch' | 'pullNumber' | 'title' | 'author' | 'requestedBy' | 'source' | 'status' | 'priority' | 'prioritisedBy' | 'detail' | 'batchId' | 'enqueuedAt' | 'startedAt'
>;

/** One queue as its view is drawn from: why it holds, its active entries in queue order, and how long its recent merges took. */
export interface QueueSnapshot {
  queue: Pick<QueueRecord, 'repo' | 'baseBranch' | 'pausedCode' | 'pausedMessage' | 'unreachableReason' | 'unreachableSince'>;
  entries: QueueViewEntryRecord[];
  /** Start to merge of its latest merged entries, newest first (what `recentCycleDurationsMs` answers). */
  recentCycleDurationsMs: number[];
}

export type EntryPatch = Partial<Omit<QueueEntryRecord, 'id' | 'repo' | 'pullNumber' | 'baseBranch' | 'enqueuedAt'>>;
export type BatchPatch = Partial<Omit<QueueBatchRecord, 'id' | 'repo' | 'baseBranch'>>;

export interface QueueEvent {
  kind: string;
  detail?: Record<string, unknown>;
}

export interface NewEntry {
  repo: string;
  baseBranch: string;
  pullNumber: number;
  title: string;
  author: string;
  requestedBy: string;
  source: EntrySource;
  headSha: string | null;
  priority: number;
  prioritisedBy: string | null;
}

export interface NewBatch {
  repo: string;
  baseBranch: string;
  baseSha: string;
  parentBatchId: number | null;
  /** The finished commit built on the temporary ref; the batch branch is then moved there. */
  headSha: string;
  entryIds: number[];
}

export interface PendingEffect {
  id: number;
  effect: QueueEffect;
  attempts: number;
}

export interface PendingDelivery {
  deliveryId: string;
  event: QueueWebhookEvent;
  attempts: number;
}

export interface PendingDeploy {
  environment: string;
  versionSetId: number;
  repo: string;
  reason: string;
  since: Date;
}

export interface MergeQueueStore {
  ensureQueue(repo: string, baseBranch: string, now: Date): Promise<void>;
  /** The next periodic tick looks at the queue at once (a new entry, an unfreeze). */
  pollSoon(repo: string, baseBranch: string): Promise<void>;
  /** Leases the queues nobody holds (and, unless `only` names one, whose poll is due). */
  claimQueues(owner: string, now: Date, leaseMs: number, only?: { repo: string; baseBranch: string }): Promise<QueueRecord[]>;
  releaseQueue(repo: string, baseBranch: string, owner: string, nextPollAt: Date | null): Promise<void>;
  queues(): Promise<QueueRecord[]>;
  /** Records the pause (or its end) with its event and effects; false when nothing changed. */
  setPause(repo: string, baseBranch: string, pause: { code: string; message: string } | null, now: Date, effects: QueueEffect[]): Promise<boolean>;
  /** Records why GitHub could not be read for a queue (null: it answers again). */
  setReachability(repo: string, baseBranch: string, reason: string | null, now: Date): Promise<void>;
  allocateSuspectGroups(repo: string, baseBranch: string, count: number): Promise<number[]>;

  /** Inserts an active entry with its effects; null when the pull request already has one. */
  insertEntry(entry: NewEntry, now: Date, effects: QueueEffect[]): Promise<QueueEntryRecord | null>;
  findActive(repo: string, pullNumber: number): Promise<QueueEntryRecord | undefined>;
  entry(id: number): Promise<QueueEntryRecord | undefined>;
  /** Active entries of one queue, or of all, in queue order (hotfix lane first, then arrival). */
  activeEntries(queue?: { repo: string; baseBranch: string }): Promise<QueueEntryRecord[]>;
  /** The entry's new state, the event explaining it and the effects it causes, in one commit. */
  transition(entry: QueueEntryRecord, patch: EntryPatch, event: QueueEvent, now: Date, effects?: QueueEffect[]): Promise<QueueEntryRecord>;
  /** Updates an entry without an event: for sentences in the view that change while nothing else does. */
  touch(entryId: number, patch: EntryPatch, now: Date): Promise<void>;

  /** A batch whose commit is already built (its branch is named from its id, then set). */
  insertBatch(batch: NewBatch, now: Date): Promise<QueueBatchRecord>;
  updateBatch(id: number, patch: BatchPatch, event: QueueEvent & { repo: string }, now: Date, effects?: QueueEffect[]): Promise<QueueBatchRecord>;
  batch(id: number): Promise<QueueBatchRecord | undefined>;
  openBatches(repo: string, baseBranch: string): Promise<QueueBatchRecord[]>;
  recentCycleDurationsMs(repo: string, baseBranch: string, limit?: number): Promise<number[]>;
  events(entryId: number): Promise<{ kind: string; detail: unknown; at: Date }[]>;

  /** Effects with no state change (a comment on a pull request that could not join). */
  addEffects(effects: QueueEffect[], now: Date): Promise<void>;
  /** Leases due effects, oldest first. */
  claimEffects(now: Date, leaseMs: number, limit: number): Promise<PendingEffect[]>;
  finishEffect(id: number, now: Date): Promise<void>;
  /** Another attempt at `at`, or given up (`dead`) after too many. */
  failEffect(id: number, error: string, retryAt: Date | null, now: Date): Promise<void>;

  /** Records a webhook delivery once per id; false for a redelivery already recorded. */
  recordDelivery(deliveryId: string, event: QueueWebhookEvent, now: Date): Promise<boolean>;
  /** Leases pending deliveries in the order they were received. */
  claimDeliveries(now: Date, leaseMs: number, limit: number): Promise<PendingDelivery[]>;
  finishDelivery(deliveryId: string, outcome: unknown, now: Date): Promise<void>;
  failDelivery(deliveryId: string, error: string, retryAt: Date | null, now: Date): Promise<void>;

  pendingDeploys(): Promise<PendingDeploy[]>;
  /** Remembers the newest set waiting for an environment; answers the older set it superseded, if any. */
  rememberPendingDeploy(pending: PendingDeploy): Promise<number | null>;
  /** Forgets the waiting set, if it is still this one. */
  forgetPendingDeploy(environment: string, versionSetId: number): Promise<void>;
}
