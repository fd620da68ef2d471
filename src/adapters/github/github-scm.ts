import type { BranchMergeResult, CommitCheck, GuardedResult, PullInfo, ReviewSummary, Scm } from '../../ports/scm.js';
import type { GitHubOctokitInstance } from './octokit.js';

function split(repo: string): { owner: string; repo: string } {
  const [owner, name] = repo.split('/');
  if (!owner || !name) throw new Error(`expected owner/name, got "${repo}"`);
  return { owner, repo: name };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  return typeof data?.message === 'string' ? data.message : (error as Error).message;
}

/** Only these refusals are answers about state; anything else (401, 5xx after retries) is an outage and throws. */
async function guarded(statuses: number[], call: () => Promise<{ sha?: string }>): Promise<GuardedResult> {
  try {
    const { sha } = await call();
    return sha === undefined ? { kind: 'accepted' } : { kind: 'accepted', sha };
  } catch (error) {
    const status = statusOf(error);
    if (status !== undefined && statuses.includes(status)) return { kind: 'rejected', status, message: messageOf(error) };
    throw error;
  }
}

async function ignoring(statuses: number[], call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    const status = statusOf(error);
    if (status === undefined || !statuses.includes(status)) throw error;
  }
}

const CHECK_SUCCESS = new Set(['success', 'neutral', 'skipped']);

/** The merge queue's Scm over GitHub's REST API. */
export class GitHubScm implements Scm {
  constructor(private readonly octokit: GitHubOctokitInstance) {}

  async getPull(repo: string, pullNumber: number): Promise<PullInfo | null> {
    try {
      const { data } = await this.octokit.rest.pulls.get({ ...split(repo), pull_number: pullNumber });
      return {
        number: data.number,
        state: data.state === 'closed' ? 'closed' : 'open',
        merged: data.merged,
        draft: data.draft ?? false,
        title: data.title,
        author: data.user.login,
        headSha: data.head.sha,
        headRef: data.head.ref,
        baseRef: data.base.ref,
        mergeable: data.mergeable,
        labels: data.labels.map((label) => label.name),
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async listLabelledPulls(repo: string, labels: readonly string[], baseBranch: string): Promise<{ number: number; labels: string[] }[]> {
    const pulls = await this.octokit.paginate(this.octokit.rest.pulls.list, { ...split(repo), state: 'open', base: baseBranch, per_page: 100 });
    return pulls
      .map((pull) => ({ number: pull.number, labels: pull.labels.map((label) => label.name) }))
      .filter((pull) => pull.labels.some((name) => labels.includes(name)));
  }

  async reviews(repo: string, pullNumber: number): Promise<ReviewSummary> {
    const reviews = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...split(repo), pull_number: pullNumber, per_page: 100 });
    // A reviewer's latest approval or change request counts; comments do not change it; a dismissal clears it.
    const latest = new Map<string, string>();
    for (const review of reviews) {
      const who = review.user?.login;
      if (!who) continue;
      if (review.state === 'APPROVED' || review.state === 'CHANGES_REQUESTED') latest.set(who, review.state);
      if (review.state === 'DISMISSED') latest.delete(who);
    }
    const states = [...latest.values()];
    return { approvals: states.filter((state) => state === 'APPROVED').length, changesRequested: states.includes('CHANGES_REQUESTED') };
  }

  async checks(repo: string, ref: string): Promise<CommitCheck[]> {
    const [runs, combined] = await Promise.all([
      this.octokit.paginate(this.octokit.rest.checks.listForRef, { ...split(repo), ref, filter: 'latest', per_page: 100 }),
      this.octokit.rest.repos.getCombinedStatusForRef({ ...split(repo), ref, per_page: 100 }),
    ]);
    const fromRuns = [...runs]
      .sort((a, b) => (b.completed_at ?? b.started_at ?? '').localeCompare(a.completed_at ?? a.started_at ?? ''))
      .map((run): CommitCheck => ({
        name: run.name,
        outcome: run.status !== 'completed' ? 'pending' : CHECK_SUCCESS.has(run.conclusion ?? '') ? 'success' : 'failure',
        checkRunId: run.id,
      }));
    const fromStatuses = combined.data.statuses.map((status): CommitCheck => ({
      name: status.context,
      outcome: status.state === 'success' ? 'success' : status.state === 'pending' ? 'pending' : 'failure',
    }));
    return [...fromRuns, ...fromStatuses];
  }

  async behindBy(repo: string, base: string, head: string): Promise<number> {
    const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({ ...split(repo), basehead: `${base}...${head}`, per_page: 1 });
    return data.behind_by;
  }

  async pullFiles(repo: string, pullNumber: number): Promise<string[]> {
    const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, { ...split(repo), pull_number: pullNumber, per_page: 100 });
    return files.map((file) => file.filename);
  }

  updateBranch(repo: string, pullNumber: number, expectedHeadSha: string): Promise<GuardedResult> {
    return guarded([405, 409, 422], async () => {
      await this.octokit.rest.pulls.updateBranch({ ...split(repo), pull_number: pullNumber, expected_head_sha: expectedHeadSha });
      return {};
    });
  }

  merge(
    repo: string,
    pullNumber: number,
    expectedHeadSha: string,
    options: { method: 'merge' | 'squash' | 'rebase'; commitTitle?: string },
  ): Promise<GuardedResult> {
    return guarded([405, 409, 422], async () => {
      const { data } = await this.octokit.rest.pulls.merge({
        ...split(repo),
        pull_number: pullNumber,
        sha: expectedHeadSha,
        merge_method: options.method,
        ...(options.commitTitle ? { commit_title: options.commitTitle } : {}),
      });
      return { sha: data.sha };
    });
  }

  /** The public e-mail of a GitHub account (null when it shows none). */
  async publicEmailOf(login: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.users.getByUsername({ username: login });
      return data.email ?? null;
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async createComment(repo: string, pullNumber: number, body: string): Promise<void> {
    await this.octokit.rest.issues.createComment({ ...split(repo), issue_number: pullNumber, body });
  }

  async addLabel(repo: string, pullNumber: number, label: string): Promise<void> {
    await this.octokit.rest.issues.addLabels({ ...split(repo), issue_number: pullNumber, labels: [label] });
  }

  async removeLabel(repo: string, pullNumber: number, label: string): Promise<void> {
    await ignoring([404], () => this.octokit.rest.issues.removeLabel({ ...split(repo), issue_number: pullNumber, name: label }));
  }

  async branchSha(repo: string, branch: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...split(repo), ref: `heads/${branch}` });
      return data.object.sha;
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async createBranch(repo: string, branch: string, sha: string): Promise<void> {
    try {
      await this.octokit.rest.git.createRef({ ...split(repo), ref: `refs/heads/${branch}`, sha });
    } catch (error) {
      // "Reference already exists": a batch cut again after a crash reuses its branch name.
      if (statusOf(error) !== 422) throw error;
      await this.octokit.rest.git.updateRef({ ...split(repo), ref: `heads/${branch}`, sha, force: true });
    }
  }

  async resetBranch(repo: string, branch: string, sha: string): Promise<void> {
    try {
      await this.octokit.rest.git.updateRef({ ...split(repo), ref: `heads/${branch}`, sha, force: true });
    } catch (error) {
      // "Reference does not exist" (422), the first time for this queue.
      if (statusOf(error) !== 422 && statusOf(error) !== 404) throw error;
      await this.octokit.rest.git.createRef({ ...split(repo), ref: `refs/heads/${branch}`, sha });
    }
  }

  async rerunCheck(repo: string, checkRunId: number): Promise<void> {
    await this.octokit.rest.checks.rerequestRun({ ...split(repo), check_run_id: checkRunId });
  }

  async mergeIntoBranch(repo: string, branch: string, head: string, message: string): Promise<BranchMergeResult> {
    try {
      const response = await this.octokit.rest.repos.merge({ ...split(repo), base: branch, head, commit_message: message });
      // Octokit's types know only 201; GitHub answers 204 when the head is already contained.
      if ((response.status as number) === 204) return { kind: 'nothing_to_merge' };
      return { kind: 'merged', sha: response.data.sha };
    } catch (error) {
      if (statusOf(error) === 409) return { kind: 'conflict', message: messageOf(error) };
      throw error;
    }
  }

  async deleteBranch(repo: string, branch: string): Promise<void> {
    await ignoring([404, 422], () => this.octokit.rest.git.deleteRef({ ...split(repo), ref: `heads/${branch}` }));
  }
}
