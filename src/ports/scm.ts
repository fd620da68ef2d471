/**
 * The source-control host as the merge queue needs it (GitHub in production, a local fake in tests).
 * Repositories are "owner/name". Expected refusals from the host (405/409/422, a conflict) are values;
 * outages and bugs throw.
 */

export interface PullInfo {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  title: string;
  author: string;
  headSha: string;
  headRef: string;
  baseRef: string;
  /** null while the host is still computing it. */
  mergeable: boolean | null;
  labels: string[];
}

export interface ReviewSummary {
  /** Reviewers whose latest decisive review approves. */
  approvals: number;
  /** Whether any reviewer's latest decisive review requests changes. */
  changesRequested: boolean;
}

export interface CommitCheck {
  name: string;
  outcome: 'pending' | 'success' | 'failure';
  /** Set for a check run (which can be re-run), absent for a commit status. */
  checkRunId?: number;
}

/** The answer to a call guarded by an expected head SHA. */
export type GuardedResult =
  | { kind: 'accepted'; sha?: string }
  | { kind: 'rejected'; status: number; message: string };

export type BranchMergeResult = { kind: 'merged'; sha: string } | { kind: 'conflict'; message: string } | { kind: 'nothing_to_merge' };

export interface Scm {
  getPull(repo: string, pullNumber: number): Promise<PullInfo | null>;
  /** Open pull requests targeting the base branch and carrying any of the labels, with their labels. */
  listLabelledPulls(repo: string, labels: readonly string[], baseBranch: string): Promise<{ number: number; labels: string[] }[]>;
  reviews(repo: string, pullNumber: number): Promise<ReviewSummary>;
  /** Check runs and commit statuses on a ref, newest first. */
  checks(repo: string, ref: string): Promise<CommitCheck[]>;
  /** How far `head` is behind `base`: 0 when the head contains the base's tip. */
  behindBy(repo: string, base: string, head: string): Promise<number>;
  pullFiles(repo: string, pullNumber: number): Promise<string[]>;
  /** PUT update-branch with expected_head_sha: 202 → accepted; 422 → rejected. */
  updateBranch(repo: string, pullNumber: number, expectedHeadSha: string): Promise<GuardedResult>;
  /** PUT merge with the `sha` guard: 200 → accepted with the merge commit; 405/409/422 → rejected. */
  merge(
    repo: string,
    pullNumber: number,
    expectedHeadSha: string,
    options: { method: 'merge' | 'squash' | 'rebase'; commitTitle?: string },
  ): Promise<GuardedResult>;
  createComment(repo: string, pullNumber: number, body: string): Promise<void>;
  addLabel(repo: string, pullNumber: number, label: string): Promise<void>;
  /** Removing a label that is not there is not an error. */
  removeLabel(repo: string, pullNumber: number, label: string): Promise<void>;
  branchSha(repo: string, branch: string): Promise<string | null>;
  /** Creates the branch at `sha`, or moves it there with force if it already exists (a retried batch). */
  createBranch(repo: string, branch: string, sha: string): Promise<void>;
  /** Points the branch at `sha` (force), creating it if it does not exist: the batch build ref, reused. */
  resetBranch(repo: string, branch: string, sha: string): Promise<void>;
  /** Re-runs a check run (Checks API rerequest): a flaky check gets another attempt on the same commit. */
  rerunCheck(repo: string, checkRunId: number): Promise<void>;
  /** Merges `head` into `branch` (POST /merges). */
  mergeIntoBranch(repo: string, branch: string, head: string, message: string): Promise<BranchMergeResult>;
  /** Deleting a branch that is gone is not an error. */
  deleteBranch(repo: string, branch: string): Promise<void>;
}
