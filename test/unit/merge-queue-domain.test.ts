import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchBranchName,
  decideBatch,
  decideBatchCandidate,
  decideFront,
  decidePause,
  estimateMergeTimes,
  planBatch,
  planBatches,
  summariseChecks,
  type EntryState,
  type PullSnapshot,
  type QueuePolicy,
} from '../../src/domain/merge-queue/index.js';
import { ChatMergeQueueNotifier } from '../../src/services/merge-queue/chat-notifier.js';
import { ReleaseServiceDeployer } from '../../src/services/merge-queue/release-deployer.js';
import type { Outcome } from '../../src/domain/release/types.js';
import type { ReleaseCommand } from '../../src/services/release-service-api.js';

const now = new Date('2026-03-02T09:00:00Z');
const policy: QueuePolicy = { baseBranch: 'main', requiredApprovals: 1, updateTimeoutMs: 300_000, maxRechecks: 5 };
const entry = (overrides: Partial<EntryState> = {}): EntryState => ({
  id: 1,
  repo: 'acme/api',
  pullNumber: 7,
  status: 'queued',
  headSha: 'aaaaaaa1',
  expectedHeadSha: null,
  updateRequestedAt: null,
  rechecks: 0,
  suspectGroup: null,
  ...overrides,
});
const pull = (overrides: Partial<PullSnapshot> = {}): PullSnapshot => ({
  state: 'open',
  merged: false,
  draft: false,
  title: 'Change',
  author: 'octocat',
  headSha: 'aaaaaaa1',
  baseRef: 'main',
  mergeable: true,
  containsBase: true,
  approvals: 1,
  changesRequested: false,
  checks: { state: 'success', passed: ['ci/test'] },
  ...overrides,
});

describe('decideFront', () => {
  it('merges a reviewed head that contains the base and is green, guarded by that head', () => {
    expect(decideFront(entry(), pull(), policy, now)).toEqual({ kind: 'merge', expectedHeadSha: 'aaaaaaa1' });
  });

  it('updates a head that lacks the base, guarded by the current head', () => {
    expect(decideFront(entry(), pull({ containsBase: false, headSha: 'bbbbbbb2' }), policy, now)).toEqual({ kind: 'update-branch', expectedHeadSha: 'bbbbbbb2' });
  });

  it('waits for an update to land, and re-checks when it does not in time', () => {
    const updating = entry({ status: 'updating', expectedHeadSha: 'aaaaaaa1', updateRequestedAt: new Date(now.getTime() - 60_000) });
    expect(decideFront(updating, pull({ containsBase: false }), policy, now).kind).toBe('wait-for-checks');
    const late = { ...updating, updateRequestedAt: new Date(now.getTime() - 600_000) };
    expect(decideFront(late, pull({ containsBase: false }), policy, now).kind).toBe('requeue');
  });

  it('re-checks when the head moved under a validating entry', () => {
    expect(decideFront(entry({ status: 'validating' }), pull({ headSha: 'ccccccc3' }), policy, now)).toMatchObject({ kind: 'requeue' });
  });

  it('waits for pending checks and for GitHub to compute mergeability', () => {
    expect(decideFront(entry(), pull({ checks: { state: 'pending', waitingFor: ['ci/test'] } }), policy, now)).toEqual({ kind: 'wait-for-checks', waitingFor: 'ci/test' });
    expect(decideFront(entry(), pull({ mergeable: null }), policy, now).kind).toBe('wait-for-checks');
  });

  it.each([
    [{ state: 'closed' as const }, 'closed'],
    [{ draft: true }, 'draft'],
    [{ baseRef: 'release' }, 'wrong_base'],
    [{ mergeable: false }, 'conflict'],
    [{ approvals: 0 }, 'missing_approvals'],
    [{ changesRequested: true }, 'changes_requested'],
    [{ checks: { state: 'failure' as const, failing: ['ci/test'] } }, 'checks_failed'],
  ])('ejects with a reason: %o → %s', (overrides, code) => {
    const decision = decideFront(entry(), pull(overrides), policy, now);
    expect(decision).toMatchObject({ kind: 'eject', reason: { code } });
    if (decision.kind === 'eject') expect(decision.reason.message.length).toBeGreaterThan(10);
  });

  it('ejects instead of looping after too many re-checks', () => {
    expect(decideFront(entry({ rechecks: 5 }), pull(), policy, now)).toMatchObject({ kind: 'eject', reason: { code: 'too_many_rechecks' } });
  });

  it('lets an eligible entry proceed into a batch regardless of its own checks', () => {
    expect(decideBatchCandidate(entry(), pull({ containsBase: false, checks: { state: 'pending', waitingFor: [] } }), policy)).toEqual({ kind: 'proceed' });
    expect(decideBatchCandidate(entry(), pull({ mergeable: false }), policy)).toMatchObject({ kind: 'eject' });
  });
});

describe('summariseChecks', () => {
  it('needs every required check green, the latest result per name winning', () => {
    expect(summariseChecks([{ name: 'ci/test', outcome: 'success' }, { name: 'ci/test', outcome: 'failure' }], ['ci/test'])).toEqual({ state: 'success', passed: ['ci/test'] });
    expect(summariseChecks([{ name: 'lint', outcome: 'success' }], ['ci/test', 'lint'])).toEqual({ state: 'pending', waitingFor: ['ci/test'] });
    expect(summariseChecks([{ name: 'lint', outcome: 'failure' }], ['ci/test', 'lint'])).toEqual({ state: 'failure', failing: ['lint'] });
  });

  it('never reads "nothing reported" as green', () => {
    expect(summariseChecks([], []).state).toBe('pending');
  });
});

describe('batches and bisection', () => {
  it('names the temporary branch after the base and the batch', () => {
    expect(batchBranchName('main', 12)).toBe('durable-delivery/queue/main/12');
  });

  it('takes the front suspect group before newcomers', () => {
    const candidates = [
      { id: 3, suspectGroup: 2 },
      { id: 4, suspectGroup: 2 },
      { id: 5, suspectGroup: null },
      { id: 6, suspectGroup: null },
    ];
    expect(planBatch(candidates, 4)).toEqual([3, 4]);
    expect(planBatches(candidates, 4, 2)).toEqual([[3, 4], [5, 6]]);
  });

  it('bisects a red batch into halves and ejects a red single', () => {
    expect(decideBatch([1, 2, 3, 4], 'abc1234', { state: 'failure', failing: ['ci/test'] })).toEqual({ kind: 'bisect', retestFirst: [1, 2], thenRetest: [3, 4] });
    expect(decideBatch([3], 'abc1234', { state: 'failure', failing: ['ci/test'] })).toMatchObject({ kind: 'eject', entryId: 3, reason: { code: 'checks_failed' } });
    expect(decideBatch([1, 2], 'abc1234', { state: 'success', passed: [] })).toEqual({ kind: 'merge', entryIds: [1, 2] });
  });

  it('bisection always isolates the one bad entry and merges every other (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.nat(), (size, badIndex) => {
        const ids = Array.from({ length: size }, (_, index) => index + 1);
        const bad = ids[badIndex % size]!;
        // Replay the queue's loop: the front group is tested; red groups split, a red single is ejected.
        let groups: number[][] = [ids];
        const merged: number[] = [];
        const ejected: number[] = [];
        for (let step = 0; step < 100 && groups.length > 0; step++) {
          const [front, ...rest] = groups;
          const red = front!.includes(bad);
          const decision = decideBatch(front!, 'sha', red ? { state: 'failure', failing: ['ci'] } : { state: 'success', passed: ['ci'] });
          if (decision.kind === 'merge') merged.push(...decision.entryIds);
          if (decision.kind === 'eject') ejected.push(decision.entryId);
          groups = decision.kind === 'bisect' ? [decision.retestFirst, decision.thenRetest, ...rest] : rest;
        }
        expect(ejected).toEqual([bad]);
        expect(merged).toEqual(ids.filter((id) => id !== bad));
      }),
    );
  });
});

describe('estimates and pauses', () => {
  it('estimates later merges for later positions, by cycles of batchSize', () => {
    const times = estimateMergeTimes({ positions: 4, batchSize: 2, cycleMs: 600_000, frontStartedAt: null, now });
    expect(times.map((time) => (time.getTime() - now.getTime()) / 60_000)).toEqual([10, 10, 20, 20]);
  });

  it('pauses for a freeze first, then for an unhealthy canary, each only when configured', () => {
    const freezes = [{ environment: 'production', reason: 'incident 123', until: null }];
    const unhealthyCanaries = [{ releaseId: 'r1', service: 'api', environment: 'production' }];
    expect(decidePause({ pauseOnFreeze: true, pauseOnUnhealthyCanary: true, freezes, unhealthyCanaries })).toMatchObject({ paused: true, code: 'frozen' });
    expect(decidePause({ pauseOnFreeze: false, pauseOnUnhealthyCanary: true, freezes, unhealthyCanaries })).toMatchObject({ paused: true, code: 'unhealthy_canary' });
    expect(decidePause({ pauseOnFreeze: false, pauseOnUnhealthyCanary: false, freezes, unhealthyCanaries })).toEqual({ paused: false });
  });
});

describe('ChatMergeQueueNotifier', () => {
  it('messages whoever queued the PR (or its author, mapped from GitHub) and the queue channel', async () => {
    const sent: [string, string][] = [];
    const notifier = new ChatMergeQueueNotifier(
      { notify: async (to, text) => void sent.push([to, text]) },
      { channels: { 'acme/api': '#merges' }, slackUsers: { mona: 'U0MONA' } },
    );
    const base = { repo: 'acme/api', pullNumber: 9, title: 'Fix', url: 'https://github.com/acme/api/pull/9', author: 'mona' };
    await notifier.notify({ kind: 'ejected', ...base, requestedBy: 'U0CAROL', source: 'slack', reason: { code: 'conflict', message: 'it conflicts with `main`' } });
    await notifier.notify({ kind: 'merged', ...base, requestedBy: 'mona', source: 'label', mergeCommitSha: 'abcdef123456', versionSetIds: [4] });
    expect(sent.map(([to]) => to)).toEqual(['U0CAROL', '#merges', 'U0MONA', '#merges']);
    expect(sent[0]![1]).toContain('`conflict`');
    expect(sent[2]![1]).toContain('version set #4');
  });
});

describe('ReleaseServiceDeployer', () => {
  it('deploys a minted version set through the release engine and passes refusals on as values', async () => {
    const requests: ReleaseCommand<'deploy'>[] = [];
    let answer: Outcome = { kind: 'refused', code: 'frozen', message: 'staging is frozen' };
    const deployer = new ReleaseServiceDeployer(
      { act: async (command) => (requests.push(command), answer) },
      { userId: 'U0BOT', userGroupIds: [] },
    );
    expect(await deployer.deployVersionSet({ versionSetId: 5, environment: 'staging' })).toEqual({ kind: 'refused', code: 'frozen', message: 'staging is frozen' });
    answer = { kind: 'accepted', view: { id: 'rel-1' } as never };
    expect(await deployer.deployVersionSet({ versionSetId: 5, environment: 'staging' })).toEqual({ kind: 'accepted', releaseId: 'rel-1' });
    expect(requests[0]).toEqual({ verb: 'deploy', actor: { userId: 'U0BOT', userGroupIds: [] }, target: { kind: 'set', versionSetId: 5 }, environment: 'staging' });
  });
});
