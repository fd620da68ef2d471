import type { EjectReason, EntryDecision, EntryState, PullSnapshot, QueuePolicy } from './types.js';

/**
 * The preconditions every entry must meet in any mode: open, not a draft, aimed at the queue's base,
 * free of conflicts, reviewed. Null when nothing blocks it.
 */
export function blockingReason(pull: PullSnapshot, policy: QueuePolicy): EjectReason | null {
  if (pull.merged) return { code: 'closed', message: 'the pull request was merged outside the queue' };
  if (pull.state === 'closed') return { code: 'closed', message: 'the pull request was closed' };
  if (pull.draft) return { code: 'draft', message: 'the pull request is a draft; mark it ready for review and queue it again' };
  if (pull.baseRef !== policy.baseBranch) {
    return { code: 'wrong_base', message: `the pull request targets \`${pull.baseRef}\`, but the queue merges into \`${policy.baseBranch}\`` };
  }
  if (pull.mergeable === false) {
    return { code: 'conflict', message: `the pull request conflicts with \`${policy.baseBranch}\`; resolve the conflict and queue it again` };
  }
  if (pull.changesRequested) return { code: 'changes_requested', message: 'a reviewer requested changes' };
  if (pull.approvals < policy.requiredApprovals) {
    return {
      code: 'missing_approvals',
      message: `it needs ${policy.requiredApprovals} approving review${policy.requiredApprovals === 1 ? '' : 's'} and has ${pull.approvals}`,
    };
  }
  return null;
}

function tooManyRechecks(entry: EntryState, policy: QueuePolicy): EntryDecision | null {
  if (entry.rechecks < policy.maxRechecks) return null;
  return {
    kind: 'eject',
    reason: {
      code: 'too_many_rechecks',
      message: `GitHub refused to update or merge it ${entry.rechecks} times in a row (the head kept moving, or the merge was not allowed); queue it again once it is stable`,
    },
  };
}

/**
 * The next step for the entry at the front of a serial queue: required reviews, then the base
 * contained in the head (update-branch if not), then the required checks green on that head, then a
 * merge guarded by that head's SHA.
 */
export function decideFront(entry: EntryState, pull: PullSnapshot, policy: QueuePolicy, now: Date): EntryDecision {
  const blocked = blockingReason(pull, policy);
  if (blocked) return { kind: 'eject', reason: blocked };
  const stuck = tooManyRechecks(entry, policy);
  if (stuck) return stuck;

  if (entry.status === 'updating' && pull.headSha === entry.expectedHeadSha) {
    // GitHub answers update-branch with 202 and updates the branch afterwards.
    const waited = entry.updateRequestedAt ? now.getTime() - entry.updateRequestedAt.getTime() : Infinity;
    if (waited < policy.updateTimeoutMs) return { kind: 'wait-for-checks', waitingFor: 'the branch update to land' };
    return { kind: 'requeue', why: 'the branch update did not land in time; checking again' };
  }
  if (entry.status === 'validating' && entry.headSha !== null && pull.headSha !== entry.headSha) {
    return { kind: 'requeue', why: `the head moved from ${entry.headSha.slice(0, 7)} to ${pull.headSha.slice(0, 7)} under the queue; validating again` };
  }
  if (!pull.containsBase) return { kind: 'update-branch', expectedHeadSha: pull.headSha };
  if (pull.mergeable === null) return { kind: 'wait-for-checks', waitingFor: 'GitHub to compute mergeability' };
  switch (pull.checks.state) {
    case 'failure':
      return {
        kind: 'eject',
        reason: { code: 'checks_failed', message: `required checks failed on ${pull.headSha.slice(0, 7)}: ${pull.checks.failing.join(', ')}` },
      };
    case 'pending':
      return { kind: 'wait-for-checks', waitingFor: pull.checks.waitingFor.join(', ') || 'checks to start' };
    case 'success':
      return { kind: 'merge', expectedHeadSha: pull.headSha };
  }
}

/** In batch mode an entry only has to meet the preconditions; the batch branch carries the base and runs the checks. */
export function decideBatchCandidate(entry: EntryState, pull: PullSnapshot, policy: QueuePolicy): EntryDecision {
  const blocked = blockingReason(pull, policy);
  if (blocked) return { kind: 'eject', reason: blocked };
  return tooManyRechecks(entry, policy) ?? { kind: 'proceed' };
}

/** Whether the pull request still carries one of the labels that keep it in the queue. */
export function labelStillThere(labels: readonly string[], queueLabels: readonly string[]): boolean {
  return queueLabels.some((label) => labels.includes(label));
}
