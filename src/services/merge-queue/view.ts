import type { EntrySource, EntryStatus } from '../../domain/merge-queue/types.js';

/** The queue as data, free of Block Kit: the Slack surface and App Home render it. */
export interface QueueView {
  queues: QueueViewQueue[];
}

export interface QueueViewQueue {
  repo: string;
  baseBranch: string;
  mode: 'serial' | 'batch';
  batchSize: number;
  paused: { code: string; message: string } | null;
  /** GitHub could not be read for this queue (404, 401, an outage): nothing advances until it answers. */
  unreachable: { reason: string; since: Date } | null;
  entries: QueueViewEntry[];
}

export interface QueueViewEntry {
  /** 1-based position in this queue. */
  position: number;
  repo: string;
  pullNumber: number;
  title: string;
  author: string;
  url: string;
  requestedBy: string;
  source: EntrySource;
  /** The state word: queued, updating, validating, batched. */
  state: EntryStatus;
  /** `hotfix`: put at the front by the hotfix label (still fully validated). */
  lane: 'normal' | 'hotfix';
  /** Who put it in the hotfix lane. */
  prioritisedBy: string | null;
  /** "waiting for its turn", "updating with main", "waiting for ci/test", "tested in batch 12"… */
  detail: string;
  batchId: number | null;
  enqueuedAt: Date;
  /** null while the queue is paused or unreachable: nothing merges until it resumes. */
  estimatedMergeAt: Date | null;
}
