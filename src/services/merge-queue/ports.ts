import type { EjectReason } from '../../domain/merge-queue/types.js';

/** Ships a version set minted by the queue (config `mergeQueue.autoDeployTo`); the engine implements it. */
export interface Deployer {
  deployVersionSet(request: { versionSetId: number; environment: string }): Promise<
    { kind: 'accepted'; releaseId: string } | { kind: 'refused'; code: string; message: string }
  >;
}

interface NoticeBase {
  repo: string;
  pullNumber: number;
  title: string;
  url: string;
  /** GitHub login of the pull request's author. */
  author: string;
  /** Slack user id when the entry came from /queue add, else the GitHub login that added the label. */
  requestedBy: string;
  source: 'slack' | 'label';
}

/** Messages for people: the lead wires these to Slack (a DM to the author / requester, the queue card). */
export type MergeQueueNotice =
  | (NoticeBase & { kind: 'ejected'; reason: EjectReason })
  | (NoticeBase & { kind: 'merged'; mergeCommitSha: string; versionSetIds: number[] })
  | { kind: 'queue_changed'; repo: string; baseBranch: string };

export interface MergeQueueNotifier {
  notify(notice: MergeQueueNotice): Promise<void>;
}
