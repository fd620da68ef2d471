/**
 * The merge queue's vocabulary. Pure data: the service loads rows and GitHub observations into these
 * shapes, the decide functions answer with values, and the service carries the answers out.
 */

/** Where an entry stands. `queued`, `updating`, `validating` and `batched` are active; the rest are final. */
export type EntryStatus = 'queued' | 'updating' | 'validating' | 'batched' | 'merged' | 'ejected' | 'removed';

export const ACTIVE_STATUSES = ['queued', 'updating', 'validating', 'batched'] as const satisfies readonly EntryStatus[];
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];

export function isActive(status: EntryStatus): status is ActiveStatus {
  return (ACTIVE_STATUSES as readonly EntryStatus[]).includes(status);
}

export type EntrySource = 'slack' | 'label';

/** What the decide functions need to know about an entry: a projection of its row. */
export interface EntryState {
  id: number;
  repo: string;
  pullNumber: number;
  status: ActiveStatus;
  /** The head SHA the queue last saw and validated against. */
  headSha: string | null;
  /** While `updating`: the head before update-branch was called; the update has landed once the head moves. */
  expectedHeadSha: string | null;
  updateRequestedAt: Date | null;
  /** Re-checks so far (405/409/422 answers, heads moved under us); too many and the entry is ejected. */
  rechecks: number;
  /** Entries split off a failing batch share a group, so they are tested again together and apart from newcomers. */
  suspectGroup: number | null;
}

/** The state of the checks on one commit, reduced to what the queue decides on. */
export type ChecksSummary =
  | { state: 'success'; passed: string[] }
  | { state: 'pending'; waitingFor: string[] }
  | { state: 'failure'; failing: string[] };

/** What GitHub says about a pull request right now (read by the service before each decision). */
export interface PullSnapshot {
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  title: string;
  author: string;
  headSha: string;
  baseRef: string;
  /** null while GitHub is still computing mergeability. */
  mergeable: boolean | null;
  /** Whether the head contains the tip of the base branch (compare: behind_by = 0). */
  containsBase: boolean;
  approvals: number;
  changesRequested: boolean;
  /** Checks on `headSha`. */
  checks: ChecksSummary;
}

export interface QueuePolicy {
  baseBranch: string;
  requiredApprovals: number;
  /** How long an update-branch may take to show up as a new head before it is asked for again. */
  updateTimeoutMs: number;
  /** Re-checks after which an entry is ejected instead of looping. */
  maxRechecks: number;
}

/** Every ejection carries a stable code and a sentence for the PR comment and the Slack notice. */
export type EjectCode =
  | 'closed'
  | 'draft'
  | 'wrong_base'
  | 'conflict'
  | 'checks_failed'
  | 'missing_approvals'
  | 'changes_requested'
  | 'too_many_rechecks';

export interface EjectReason {
  code: EjectCode;
  message: string;
}

/**
 * One safe step for one entry:
 * - `proceed`: nothing blocks it; it may join a batch (batch mode) or wait its turn;
 * - `update-branch`: the head lacks the base; bring it up to date, guarded by the current head;
 * - `wait-for-checks`: checks (or GitHub's own computation, or our update) are still running;
 * - `merge`: green on a commit containing the base; merge guarded by the head SHA;
 * - `eject`: it cannot merge, for the reason given;
 * - `requeue`: something changed under us (head pushed, 405/409/422); keep the position, re-check.
 */
export type EntryDecision =
  | { kind: 'proceed' }
  | { kind: 'update-branch'; expectedHeadSha: string }
  | { kind: 'wait-for-checks'; waitingFor: string }
  | { kind: 'merge'; expectedHeadSha: string }
  | { kind: 'eject'; reason: EjectReason }
  | { kind: 'requeue'; why: string };
