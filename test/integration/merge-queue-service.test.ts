import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { githubWebhookRoute } from '../../src/app/github/webhook-route.js';
import type { Database } from '../../src/store/db.js';
import { DrizzleMergeQueueStore } from '../../src/store/repos/drizzle-merge-queue-store.js';
import { mergeQueueEntries } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { FakeGitHub } from '../support/fake-github.js';
import { drain, queueConfig, queueHarness, runEffects, settle } from '../support/fake-github-queue-harness.js';

const REPO = 'acme/api';

describe.each(testDatabaseKinds)('merge queue on $name against a fake GitHub', (kind) => {
  let database: Database;
  const github = new FakeGitHub();

  beforeAll(async () => {
    database = await kind.open();
    await github.start();
  });
  afterAll(async () => {
    await github.stop();
    await database?.close();
  });
  beforeEach(async () => {
    await truncateAll(database.db);
    github.reset();
    github.createRepo(REPO);
  });

  const mergedOrder = () =>
    [...github.repo(REPO).pulls.values()].filter((pull) => pull.merged).sort((a, b) => github.repo(REPO).baseHistory.indexOf(a.mergeCommitSha!) - github.repo(REPO).baseHistory.indexOf(b.mergeCommitSha!)).map((pull) => pull.number);
  const baseNeverRed = () => github.repo(REPO).baseHistory.every((sha) => !github.isRed(github.repo(REPO), sha));

  it('merges in FIFO order, mints a version set per merge and deploys it to staging', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    for (const number of [1, 2, 3]) github.openPull(REPO, { number });
    for (const number of [2, 1, 3]) {
      const result = await harness.service.enqueue({ repo: REPO, pullNumber: number, requestedBy: 'U0ALICE', source: 'slack' });
      expect(result.kind).toBe('accepted');
    }
    await runEffects(harness.service);
    const view = await harness.service.list();
    expect(view.queues[0]!.entries.map((entry) => [entry.position, entry.pullNumber])).toEqual([[1, 2], [2, 1], [3, 3]]);
    expect(view.queues[0]!.entries[2]!.estimatedMergeAt!.getTime()).toBeGreaterThan(view.queues[0]!.entries[0]!.estimatedMergeAt!.getTime());
    // /queue add mirrors the entry on GitHub with the label.
    expect(github.repo(REPO).pulls.get(2)!.labels).toContain('merge-queue');

    await drain(harness, github);

    expect(mergedOrder()).toEqual([2, 1, 3]);
    expect(harness.versionSets.merges.map((merge) => [merge.service, merge.pullNumber])).toEqual([['api', 2], ['api', 1], ['api', 3]]);
    expect(harness.versionSets.merges[0]!.commitSha).toBe(github.repo(REPO).pulls.get(2)!.mergeCommitSha);
    expect(harness.deployer.deploys).toEqual([
      { versionSetId: 1, environment: 'staging' },
      { versionSetId: 2, environment: 'staging' },
      { versionSetId: 3, environment: 'staging' },
    ]);
    expect(harness.notifier.ofKind('merged').map((notice) => notice.pullNumber)).toEqual([2, 1, 3]);
    expect(baseNeverRed()).toBe(true);
  });

  it('links pull requests on the GitHub Enterprise host it is given, in /queue and in its notices', async () => {
    const harness = queueHarness(database.db, github, queueConfig(), {}, undefined, 'https://ghe.acme.test');
    github.openPull(REPO, { number: 4 });
    await harness.service.enqueue({ repo: REPO, pullNumber: 4, requestedBy: 'U0ALICE', source: 'slack' });
    await runEffects(harness.service);
    expect((await harness.service.list()).queues[0]!.entries.map((entry) => entry.url)).toEqual([`https://ghe.acme.test/${REPO}/pull/4`]);
    await drain(harness, github);
    expect(harness.notifier.ofKind('merged').map((notice) => notice.url)).toEqual([`https://ghe.acme.test/${REPO}/pull/4`]);
    expect(harness.notifier.notices.every((notice) => !('url' in notice) || String(notice.url).startsWith('https://ghe.acme.test/'))).toBe(true);
  });

  it('updates a branch that is behind, waits for its checks again, then merges with the sha guard', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 7 });
    github.finishChecks();
    github.pushToBase(REPO);
    const staleHead = github.headSha(REPO, 7);
    await harness.service.enqueue({ repo: REPO, pullNumber: 7, requestedBy: 'U0ALICE', source: 'slack' });

    await harness.service.tick();
    const updates = github.requestsTo('PUT', /\/pulls\/7\/update-branch$/);
    expect(updates.map((request) => request.body)).toEqual([{ expected_head_sha: staleHead }]);
    const updatedHead = github.headSha(REPO, 7);
    expect(updatedHead).not.toBe(staleHead);

    await harness.service.tick();
    expect(github.requestsTo('PUT', /\/pulls\/7\/merge$/)).toHaveLength(0);
    expect((await harness.service.list()).queues[0]!.entries[0]!.detail).toContain('ci/test');

    github.finishChecks();
    await harness.service.tick();
    const merges = github.requestsTo('PUT', /\/pulls\/7\/merge$/);
    expect(merges).toHaveLength(1);
    expect(merges[0]!.body).toMatchObject({ sha: updatedHead, merge_method: 'squash' });
    expect(github.repo(REPO).pulls.get(7)!.merged).toBe(true);
  });

  it('ejects a pull request whose checks fail, with a comment and a notice', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 4, bad: true, labels: ['merge-queue'] });
    github.openPull(REPO, { number: 5 });
    await harness.service.enqueue({ repo: REPO, pullNumber: 4, requestedBy: 'octocat', source: 'label' });
    await harness.service.enqueue({ repo: REPO, pullNumber: 5, requestedBy: 'U0BOB', source: 'slack' });
    await drain(harness, github);

    expect(mergedOrder()).toEqual([5]);
    const [ejected] = harness.notifier.ofKind('ejected');
    expect(ejected).toMatchObject({ pullNumber: 4, author: 'octocat', reason: { code: 'checks_failed' } });
    expect(ejected!.reason.message).toContain('ci/test');
    expect(github.repo(REPO).comments.find((comment) => comment.issue === 4)?.body).toContain('checks_failed');
    expect(github.repo(REPO).pulls.get(4)!.labels).not.toContain('merge-queue');
    expect(baseNeverRed()).toBe(true);
  });

  it('ejects a real conflict with a comment on the PR and a Slack notice to its requester', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 9, conflictsWithBase: true });
    await harness.service.enqueue({ repo: REPO, pullNumber: 9, requestedBy: 'U0CAROL', source: 'slack' });
    await harness.service.tick();
    // Nothing is said before the outbox runs; then the comment and the notice go out.
    expect(github.repo(REPO).comments).toEqual([]);
    await runEffects(harness.service);

    expect(github.requestsTo('PUT', /\/pulls\/9\/merge$/)).toHaveLength(0);
    expect(github.repo(REPO).comments.map((comment) => comment.body).join()).toMatch(/conflict/);
    expect(harness.notifier.ofKind('ejected')).toMatchObject([{ pullNumber: 9, requestedBy: 'U0CAROL', reason: { code: 'conflict' } }]);
    expect((await harness.service.list()).queues).toEqual([]);
  });

  it('re-checks when the head moves under the queue (409 on merge), never retrying the same sha', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 11 });
    github.finishChecks();
    const firstHead = github.headSha(REPO, 11);
    await harness.service.enqueue({ repo: REPO, pullNumber: 11, requestedBy: 'U0ALICE', source: 'slack' });

    // GitHub saw a push we have not: the guarded merge answers 409.
    github.failNext('PUT', /\/pulls\/11\/merge$/, 409, { message: 'Head branch was modified. Review and try the merge again.' });
    await harness.service.tick();
    const newHead = github.push(REPO, 11);
    await harness.service.tick();
    expect(github.requestsTo('PUT', /\/pulls\/11\/merge$/)).toHaveLength(1);
    github.finishChecks();
    await harness.service.tick();

    const merges = github.requestsTo('PUT', /\/pulls\/11\/merge$/).map((request) => (request.body as { sha: string }).sha);
    expect(merges).toEqual([firstHead, newHead]);
    expect(github.repo(REPO).pulls.get(11)!.merged).toBe(true);
    const repo = new DrizzleMergeQueueStore(database.db);
    const [entry] = await database.db.select().from(mergeQueueEntries);
    expect((await repo.events(entry!.id)).map((event) => event.kind)).toContain('requeued');
  });

  it('reads GitHub for a queue at most once per poll interval, unless something new happened', async () => {
    const harness = queueHarness(database.db, github, queueConfig(), { pollIntervalMs: 30_000 });
    github.openPull(REPO, { number: 1 });
    await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0A', source: 'slack' });
    const reads = () => github.requestsTo('GET', /\/pulls\/1$/).length;
    await harness.service.tick();
    const afterFirst = reads();
    await harness.service.tick();
    expect(reads()).toBe(afterFirst);
    harness.clock.advance(30_000);
    await harness.service.tick();
    expect(reads()).toBeGreaterThan(afterFirst);
  });

  it('lets only one of two replicas ticking together act on a queue', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 1 });
    github.pushToBase(REPO);
    await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0A', source: 'slack' });
    const other = harness.restart();
    await Promise.all([harness.service.tick(), other.tick()]);
    expect(github.requestsTo('PUT', /\/pulls\/1\/update-branch$/)).toHaveLength(1);
  });

  it('re-checks after a 422 from update-branch and then updates from the fresh head', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 12 });
    github.pushToBase(REPO);
    await harness.service.enqueue({ repo: REPO, pullNumber: 12, requestedBy: 'U0ALICE', source: 'slack' });
    github.failNext('PUT', /\/pulls\/12\/update-branch$/, 422, { message: "expected head sha didn't match current head ref." });
    await harness.service.tick();
    expect((await harness.service.list()).queues[0]!.entries[0]).toMatchObject({ state: 'queued', detail: expect.stringContaining('422') });
    await drain(harness, github);
    expect(github.requestsTo('PUT', /\/pulls\/12\/update-branch$/)).toHaveLength(2);
    expect(github.repo(REPO).pulls.get(12)!.merged).toBe(true);
  });

  it('bisects a failing batch to find the culprit; the others merge and the base is never red', async () => {
    const harness = queueHarness(database.db, github, queueConfig({ batchSize: 4 }));
    for (const number of [1, 2, 3, 4]) github.openPull(REPO, { number, bad: number === 3 });
    for (const number of [1, 2, 3, 4]) await harness.service.enqueue({ repo: REPO, pullNumber: number, requestedBy: 'U0ALICE', source: 'slack' });

    await harness.service.tick();
    const created = github.requestsTo('POST', /\/git\/refs$/).map((request) => (request.body as { ref: string }).ref);
    // Built on the temporary ref CI ignores, then the batch branch is created at the finished commit.
    expect(created).toEqual(['refs/heads/durable-delivery/tmp/main', 'refs/heads/durable-delivery/queue/main/1']);
    expect(github.ciRunsOn('durable-delivery/')).toMatchObject([{ branch: 'durable-delivery/queue/main/1', cause: 'push' }]);
    expect((await harness.service.list()).queues[0]!.entries.every((entry) => entry.state === 'batched')).toBe(true);

    await drain(harness, github);

    expect(mergedOrder()).toEqual([1, 2, 4]);
    expect(harness.notifier.ofKind('ejected')).toMatchObject([{ pullNumber: 3, reason: { code: 'checks_failed' } }]);
    expect(baseNeverRed()).toBe(true);
    // Batches tested: [1,2,3,4] red → [1,2] green → [3,4] red → [3] red → [4] green: one CI run each.
    const batchRefs = github.requestsTo('POST', /\/git\/refs$/).filter((request) => (request.body as { ref: string }).ref.includes('/queue/'));
    expect(batchRefs).toHaveLength(5);
    expect(github.ciRunsOn('durable-delivery/queue/')).toHaveLength(5);
    expect(github.ciRunsOn('durable-delivery/tmp/')).toEqual([]);
    // Batch branches are cleaned up; the build ref stays for the next batch.
    expect([...github.repo(REPO).branches.keys()].filter((branch) => branch.startsWith('durable-delivery/'))).toEqual(['durable-delivery/tmp/main']);
    expect(github.violations).toEqual([]);
  });

  it('speculates: a second batch is tested on top of the first', async () => {
    const harness = queueHarness(database.db, github, queueConfig({ batchSize: 2, speculativeBatches: 2 }));
    for (const number of [1, 2, 3, 4]) github.openPull(REPO, { number });
    for (const number of [1, 2, 3, 4]) await harness.service.enqueue({ repo: REPO, pullNumber: number, requestedBy: 'U0ALICE', source: 'slack' });
    await harness.service.tick();
    const refs = github
      .requestsTo('POST', /\/git\/refs$/)
      .map((request) => request.body as { ref: string; sha: string })
      .filter((ref) => ref.ref.includes('/queue/'));
    expect(refs.map((ref) => ref.ref)).toEqual(['refs/heads/durable-delivery/queue/main/1', 'refs/heads/durable-delivery/queue/main/2']);
    // The second batch's branch starts from the first batch's head, not from main.
    expect(refs[1]!.sha).not.toBe(github.baseSha(REPO));
    const rounds = await drain(harness, github);
    expect(mergedOrder()).toEqual([1, 2, 3, 4]);
    expect(rounds).toBeLessThanOrEqual(3);
    expect(baseNeverRed()).toBe(true);
  });

  it('ejects a pull request that conflicts with one ahead of it in its batch, and tests the rest', async () => {
    const harness = queueHarness(database.db, github, queueConfig({ batchSize: 3 }));
    github.openPull(REPO, { number: 1 });
    github.openPull(REPO, { number: 2, conflictsWith: [1] });
    github.openPull(REPO, { number: 3 });
    for (const number of [1, 2, 3]) await harness.service.enqueue({ repo: REPO, pullNumber: number, requestedBy: 'U0A', source: 'slack' });
    await drain(harness, github);
    expect(mergedOrder()).toEqual([1, 3]);
    expect(harness.notifier.ofKind('ejected')).toMatchObject([{ pullNumber: 2, reason: { code: 'conflict', message: expect.stringContaining('ahead of it') } }]);
    expect(github.repo(REPO).comments.map((comment) => comment.issue)).toEqual([2]);
  });

  it('in a monorepo, mints versions only for the services whose path the pull request touched', async () => {
    const config = queueConfig();
    config.services = {
      api: { ...config.services.api!, path: 'services/api' },
      web: { ...config.services.api!, path: 'services/web' },
    };
    const harness = queueHarness(database.db, github, config);
    github.openPull(REPO, { number: 1, files: ['services/web/index.ts', 'README.md'] });
    await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0A', source: 'slack' });
    await drain(harness, github);
    expect(harness.versionSets.merges.map((merge) => merge.service)).toEqual(['web']);
    expect(harness.notifier.ofKind('merged')[0]!.versionSetIds).toEqual([1]);
  });

  it('resumes with the same order after a restart (a new instance on the same database)', async () => {
    const first = queueHarness(database.db, github, queueConfig());
    for (const number of [1, 2, 3]) github.openPull(REPO, { number });
    github.pushToBase(REPO);
    for (const number of [3, 1, 2]) await first.service.enqueue({ repo: REPO, pullNumber: number, requestedBy: 'U0ALICE', source: 'slack' });
    await first.service.tick();
    const before = await first.service.list();

    const restarted = { service: first.restart(), clock: first.clock };
    const after = await restarted.service.list();
    expect(after.queues[0]!.entries.map((entry) => [entry.pullNumber, entry.state])).toEqual(
      before.queues[0]!.entries.map((entry) => [entry.pullNumber, entry.state]),
    );
    expect(after.queues[0]!.entries[0]!.state).toBe('updating');
    await drain(restarted, github);
    expect(mergedOrder()).toEqual([3, 1, 2]);
    // The update asked for before the restart was not asked for again.
    expect(github.requestsTo('PUT', /\/pulls\/3\/update-branch$/)).toHaveLength(1);
  });

  it('pauses during a freeze and for an unhealthy canary, and says why', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 1 });
    github.finishChecks();
    await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0ALICE', source: 'slack' });
    harness.status.freezes.set('production', { reason: 'incident 123', until: null });
    await harness.service.tick();
    let view = await harness.service.list();
    expect(view.queues[0]!.paused).toMatchObject({ code: 'frozen', message: expect.stringContaining('incident 123') });
    expect(view.queues[0]!.entries[0]!.estimatedMergeAt).toBeNull();
    expect(github.requestsTo('PUT', /\/merge$/)).toHaveLength(0);

    harness.status.freezes.clear();
    harness.status.canaries = [{ releaseId: 'rel-9', service: 'api', environment: 'production' }];
    await harness.service.tick();
    view = await harness.service.list();
    expect(view.queues[0]!.paused).toMatchObject({ code: 'unhealthy_canary' });

    harness.status.canaries = [];
    await harness.service.tick();
    expect((await harness.service.list()).queues).toEqual([]);
    expect(github.repo(REPO).pulls.get(1)!.merged).toBe(true);
  });

  it('refuses what it cannot queue, as values', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 1 });
    github.openPull(REPO, { number: 2, baseRef: 'main' });
    github.repo(REPO).pulls.get(2)!.state = 'closed';
    expect(await harness.service.enqueue({ repo: 'acme/other', pullNumber: 1, requestedBy: 'U0A', source: 'slack' })).toMatchObject({ kind: 'refused', code: 'unknown_repo' });
    expect(await harness.service.enqueue({ repo: REPO, pullNumber: 99, requestedBy: 'U0A', source: 'slack' })).toMatchObject({ kind: 'refused', code: 'not_found' });
    expect(await harness.service.enqueue({ repo: REPO, pullNumber: 2, requestedBy: 'U0A', source: 'slack' })).toMatchObject({ kind: 'refused', code: 'closed' });
    await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0A', source: 'slack' });
    expect(await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0B', source: 'slack' })).toMatchObject({
      kind: 'refused',
      code: 'already_queued',
      message: expect.stringContaining('position 1'),
    });
    expect(await harness.service.remove({ repo: REPO, pullNumber: 1, actor: { userId: 'U0A' } })).toEqual({ kind: 'accepted', repo: REPO, pullNumber: 1 });
    expect(github.repo(REPO).pulls.get(1)!.labels).not.toContain('merge-queue');
    expect(await harness.service.remove({ repo: REPO, pullNumber: 1, actor: 'U0A' })).toMatchObject({ kind: 'refused', code: 'not_queued' });
  });

  it('reconcile picks up labelled pull requests whose webhook was missed, and drops unlabelled ones', async () => {
    const harness = queueHarness(database.db, github, queueConfig());
    github.openPull(REPO, { number: 1, labels: ['merge-queue'] });
    github.openPull(REPO, { number: 2 });
    expect(await harness.service.reconcile()).toEqual({ added: [1], removed: [], unreachable: [] });
    github.repo(REPO).pulls.get(1)!.labels = [];
    expect(await harness.service.reconcile()).toEqual({ added: [], removed: [1], unreachable: [] });
  });

  describe('POST /github/webhook', () => {
    const secret = 'webhook-secret';
    let server: Server;
    let url: string;
    let harness: ReturnType<typeof queueHarness>;

    beforeAll(async () => {
      server = createServer((req, res) => {
        if (!harness) return;
        void githubWebhookRoute({ secret, inbox: harness.service }).handler(req, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/webhook`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    beforeEach(() => {
      harness = queueHarness(database.db, github, queueConfig());
    });

    const deliver = async (event: string, payload: unknown, options: { delivery?: string; signWith?: string } = {}) => {
      const body = JSON.stringify(payload);
      const signature = `sha256=${createHmac('sha256', options.signWith ?? secret).update(body).digest('hex')}`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': options.delivery ?? crypto.randomUUID(), 'x-hub-signature-256': signature },
        body,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const pullPayload = (action: string, number: number, extra: Record<string, unknown> = {}) => ({
      action,
      number,
      pull_request: { number, merged: false, head: { sha: github.headSha(REPO, number) } },
      repository: { full_name: REPO },
      sender: { login: 'octocat' },
      ...extra,
    });

    it('records each delivery once and answers 202 at once; the inbox enqueues on the label, removes on unlabel and on close', async () => {
      github.openPull(REPO, { number: 1, labels: ['merge-queue'] });
      github.openPull(REPO, { number: 2, labels: ['merge-queue'] });
      const labeled = await deliver('pull_request', pullPayload('labeled', 1, { label: { name: 'merge-queue' } }), { delivery: 'd-1' });
      expect(labeled).toEqual({ status: 202, body: { recorded: 'd-1' } });
      // Answered before anything was read from GitHub: the queue step runs from the inbox.
      expect(github.requestsTo('GET', /\/pulls\/1$/)).toHaveLength(0);
      expect(await deliver('pull_request', pullPayload('labeled', 1, { label: { name: 'merge-queue' } }), { delivery: 'd-1' })).toEqual({ status: 200, body: { duplicate: true } });
      await deliver('pull_request', pullPayload('labeled', 2, { label: { name: 'merge-queue' } }));
      expect(await settle(harness.service)).toBe(2);
      expect((await harness.service.list()).queues[0]!.entries.map((entry) => [entry.pullNumber, entry.source])).toEqual([[1, 'label'], [2, 'label']]);

      await deliver('pull_request', pullPayload('unlabeled', 1, { label: { name: 'merge-queue' } }));
      await deliver('pull_request', pullPayload('closed', 2));
      expect(await settle(harness.service)).toBe(2);
      expect((await harness.service.list()).queues).toEqual([]);
      expect(github.violations).toEqual([]);
    });

    it('loses nothing when the process dies between the answer and the processing', async () => {
      github.openPull(REPO, { number: 5, labels: ['merge-queue'] });
      expect((await deliver('pull_request', pullPayload('labeled', 5, { label: { name: 'merge-queue' } }), { delivery: 'd-crash' })).status).toBe(202);
      // The instance that answered is gone before it processed; a new one finds the delivery in the inbox.
      const restarted = harness.restart();
      expect(await settle(restarted)).toBe(1);
      expect((await restarted.list()).queues[0]!.entries.map((entry) => entry.pullNumber)).toEqual([5]);
      expect(await settle(restarted)).toBe(0);
    });

    it('answers a delivery without X-GitHub-Delivery 400 with the reason', async () => {
      github.openPull(REPO, { number: 6 });
      const body = JSON.stringify(pullPayload('labeled', 6, { label: { name: 'merge-queue' } }));
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      const missing = await fetch(url, { method: 'POST', headers: { 'x-github-event': 'pull_request', 'x-hub-signature-256': signature }, body });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ error: 'X-GitHub-Delivery header is missing' });
    });

    it('refuses a delivery whose signature does not match', async () => {
      github.openPull(REPO, { number: 1 });
      const response = await deliver('pull_request', pullPayload('labeled', 1, { label: { name: 'merge-queue' } }), { signWith: 'wrong' });
      expect(response.status).toBe(401);
      expect((await harness.service.list()).queues).toEqual([]);
    });

    it('a check_suite completion advances the queue at once', async () => {
      github.openPull(REPO, { number: 1 });
      await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0A', source: 'slack' });
      await harness.service.tick();
      github.finishChecks();
      const response = await deliver('check_suite', { action: 'completed', check_suite: { head_sha: github.headSha(REPO, 1) }, repository: { full_name: REPO } });
      expect(response.status).toBe(202);
      await settle(harness.service);
      expect(github.repo(REPO).pulls.get(1)!.merged).toBe(true);
    });

    it('a push to a queued pull request requeues it from the new head', async () => {
      github.openPull(REPO, { number: 1 });
      await harness.service.enqueue({ repo: REPO, pullNumber: 1, requestedBy: 'U0A', source: 'slack' });
      await harness.service.tick();
      const newHead = github.push(REPO, 1);
      const response = await deliver('pull_request', pullPayload('synchronize', 1));
      expect(response.status).toBe(202);
      await settle(harness.service);
      expect((await harness.service.list()).queues[0]!.entries[0]!.detail).toBe('new commits pushed; validating again');
      github.finishChecks();
      await harness.service.tick();
      expect(github.requestsTo('PUT', /\/pulls\/1\/merge$/).map((request) => (request.body as { sha: string }).sha)).toEqual([newHead]);
    });
  });
});
