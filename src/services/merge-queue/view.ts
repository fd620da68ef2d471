import type { MergeQueueConfig } from '../../config/delivery-schema.js';
import { estimateMergeTimes, typicalCycleMs } from '../../domain/merge-queue/estimate.js';
import type { EntrySource, EntryStatus } from '../../domain/merge-queue/types.js';
import type { QueueSnapshot } from '../../ports/merge-queue-store.js';

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

/** Cycle length assumed for estimates before any merge has been measured. */
export const DEFAULT_CYCLE_MS = 12 * 60_000;

/** Batch mode: several entries tested together, or several batches at once. */
export function isBatching(config: MergeQueueConfig): boolean {
  return config.batchSize > 1 || config.speculativeBatches > 1;
}

/** `githubWebUrl`: GitHub.com, or a GitHub Enterprise's host (`githubWebUrl(env)`). */
export function pullUrl(githubWebUrl: string, repo: string, pullNumber: number): string {
  return `${githubWebUrl.replace(/\/+$/, '')}/${repo}/pull/${pullNumber}`;
}

/**
 * The queues as /queue and App Home show them, from what is stored: positions, estimated merge
 * times (none while a queue holds), and only the queues with entries or a reason to hold.
 */
export function queueViewOf(config: MergeQueueConfig, snapshots: readonly QueueSnapshot[], links: { defaultCycleMs: number; githubWebUrl: string }, now: Date): QueueView {
  const { defaultCycleMs, githubWebUrl } = links;
  const queues: QueueViewQueue[] = snapshots.map(({ queue, entries, recentCycleDurationsMs }) => {
    const paused = queue.pausedCode ? { code: queue.pausedCode, message: queue.pausedMessage ?? queue.pausedCode } : null;
    const unreachable = queue.unreachableReason ? { reason: queue.unreachableReason, since: queue.unreachableSince ?? now } : null;
    const cycleMs = typicalCycleMs(recentCycleDurationsMs, defaultCycleMs);
    const frontStartedAt = entries.map((entry) => entry.startedAt).find((at): at is Date => at !== null) ?? null;
    const estimates = estimateMergeTimes({ positions: entries.length, batchSize: config.batchSize, cycleMs, frontStartedAt, now });
    return {
      repo: queue.repo,
      baseBranch: queue.baseBranch,
      mode: isBatching(config) ? 'batch' : 'serial',
      batchSize: config.batchSize,
      paused,
      unreachable,
      entries: entries.map((entry, index) => ({
        position: index + 1,
        repo: entry.repo,
        pullNumber: entry.pullNumber,
        title: entry.title,
        author: entry.author,
        url: pullUrl(githubWebUrl, entry.repo, entry.pullNumber),
        requestedBy: entry.requestedBy,
        source: entry.source,
        state: entry.status,
        lane: entry.priority > 0 ? 'hotfix' : 'normal',
        prioritisedBy: entry.prioritisedBy,
        detail: entry.detail,
        batchId: entry.batchId,
        enqueuedAt: entry.enqueuedAt,
        estimatedMergeAt: paused || unreachable ? null : (estimates[index] ?? null),
      })),
    };
  });
  return { queues: queues.filter((queue) => queue.entries.length > 0 || queue.paused !== null || queue.unreachable !== null) };
}
