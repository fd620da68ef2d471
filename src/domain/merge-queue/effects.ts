import type { EjectReason, EntrySource } from './types.js';

/**
 * What the queue tells people and GitHub after a transition. Decided with the transition and
 * written in the same commit (a queue outbox row), then carried out by the queue's outbox worker:
 * a crash right after the commit loses no comment and no Slack notice.
 */

interface NoticeBase {
  repo: string;
  pullNumber: number;
  title: string;
  url: string;
  /** GitHub login of the pull request's author. */
  author: string;
  /** Slack user id when the entry came from /queue add, else the GitHub login that added the label. */
  requestedBy: string;
  source: EntrySource;
}

/** Messages for people: the queue channel of the repository, and a direct message to the author or requester. */
export type MergeQueueNotice =
  | (NoticeBase & { kind: 'ejected'; reason: EjectReason })
  | (NoticeBase & { kind: 'merged'; mergeCommitSha: string; versionSetIds: number[] })
  | { kind: 'paused'; repo: string; baseBranch: string; code: string; message: string }
  | { kind: 'resumed'; repo: string; baseBranch: string }
  | { kind: 'deploy'; repo: string; environment: string; versionSetId: number; outcome: DeployNoticeOutcome }
  | { kind: 'queue_changed'; repo: string; baseBranch: string };

export type DeployNoticeOutcome =
  | { kind: 'started'; releaseId: string }
  /** The environment was busy: the set waits and ships when it frees up (older waiting sets are superseded). */
  | { kind: 'waiting'; reason: string; superseded: number | null }
  | { kind: 'refused'; code: string; message: string };

export type QueueEffect =
  | { kind: 'comment'; repo: string; pullNumber: number; body: string }
  | { kind: 'add_label'; repo: string; pullNumber: number; label: string }
  | { kind: 'remove_label'; repo: string; pullNumber: number; label: string }
  | { kind: 'delete_branch'; repo: string; branch: string }
  | { kind: 'notify'; notice: MergeQueueNotice };
