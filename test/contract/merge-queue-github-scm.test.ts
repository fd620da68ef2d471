import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubScm } from '../../src/adapters/github/github-scm.js';
import { createGitHubOctokit } from '../../src/adapters/github/octokit.js';
import { FakeGitHub } from '../support/fake-github.js';

const REPO = 'acme/api';

describe('GitHubScm against a fake GitHub speaking the REST formats', () => {
  const github = new FakeGitHub();
  let scm: GitHubScm;

  beforeAll(async () => {
    await github.start();
  });
  afterAll(async () => {
    await github.stop();
  });
  beforeEach(() => {
    github.reset();
    github.app = null;
    github.createRepo(REPO);
    scm = new GitHubScm(createGitHubOctokit({ auth: { kind: 'token', token: 'ghp_test' }, baseUrl: github.url, throttle: false, retries: 0 }));
  });

  it('reads a pull request, its reviews (latest decisive review per reviewer) and its checks', async () => {
    const pull = github.openPull(REPO, { number: 3, title: 'Add cache', author: 'mona', labels: ['merge-queue'] });
    pull.reviews = [
      { user: 'ann', state: 'APPROVED' },
      { user: 'bob', state: 'APPROVED' },
      { user: 'bob', state: 'COMMENTED' },
      { user: 'cy', state: 'CHANGES_REQUESTED' },
      { user: 'cy', state: 'DISMISSED' },
    ];
    const head = github.headSha(REPO, 3);
    github.repo(REPO).statuses.push({ sha: head, context: 'deploy/preview', state: 'success' });

    expect(await scm.getPull(REPO, 3)).toEqual({
      number: 3,
      state: 'open',
      merged: false,
      draft: false,
      title: 'Add cache',
      author: 'mona',
      headSha: head,
      headRef: 'feature-3',
      baseRef: 'main',
      mergeable: true,
      labels: ['merge-queue'],
    });
    expect(await scm.getPull(REPO, 404)).toBeNull();
    expect(await scm.reviews(REPO, 3)).toEqual({ approvals: 2, changesRequested: false });
    expect(await scm.checks(REPO, head)).toEqual([
      { name: 'ci/test', outcome: 'pending', checkRunId: expect.any(Number) },
      { name: 'deploy/preview', outcome: 'success' },
    ]);
    github.finishChecks();
    expect((await scm.checks(REPO, head))[0]).toEqual({ name: 'ci/test', outcome: 'success', checkRunId: expect.any(Number) });
    expect(await scm.listLabelledPulls(REPO, ['merge-queue'], 'main')).toEqual([{ number: 3, labels: ['merge-queue'] }]);
    expect(await scm.pullFiles(REPO, 3)).toEqual(['src/change-3.ts']);
  });

  it('measures how far a head is behind the base', async () => {
    github.openPull(REPO, { number: 1 });
    expect(await scm.behindBy(REPO, 'main', github.headSha(REPO, 1))).toBe(0);
    github.pushToBase(REPO);
    github.pushToBase(REPO);
    expect(await scm.behindBy(REPO, 'main', github.headSha(REPO, 1))).toBe(2);
  });

  it('answers update-branch 202 as accepted and 422 as a refusal value', async () => {
    github.openPull(REPO, { number: 1 });
    github.pushToBase(REPO);
    const head = github.headSha(REPO, 1);
    expect(await scm.updateBranch(REPO, 1, 'f'.repeat(40))).toEqual({ kind: 'rejected', status: 422, message: "expected head sha didn't match current head ref." });
    expect(await scm.updateBranch(REPO, 1, head)).toEqual({ kind: 'accepted' });
    expect(await scm.behindBy(REPO, 'main', github.headSha(REPO, 1))).toBe(0);
  });

  it('merges with the sha guard: 200 with the merge commit, 409 and 405 as refusal values', async () => {
    github.openPull(REPO, { number: 1 });
    github.openPull(REPO, { number: 2, conflictsWithBase: true });
    const head = github.headSha(REPO, 1);
    expect(await scm.merge(REPO, 1, 'f'.repeat(40), { method: 'squash' })).toMatchObject({ kind: 'rejected', status: 409 });
    expect(await scm.merge(REPO, 2, github.headSha(REPO, 2), { method: 'squash' })).toMatchObject({ kind: 'rejected', status: 405 });
    const merged = await scm.merge(REPO, 1, head, { method: 'squash', commitTitle: 'Change 1 (#1)' });
    expect(merged).toEqual({ kind: 'accepted', sha: github.baseSha(REPO) });
    expect(github.requestsTo('PUT', /\/pulls\/1\/merge$/).at(-1)!.body).toEqual({ sha: head, merge_method: 'squash', commit_title: 'Change 1 (#1)' });
  });

  it('never retries 405/409/422, and throws for an outage', async () => {
    const retrying = new GitHubScm(createGitHubOctokit({ auth: { kind: 'token', token: 't' }, baseUrl: github.url, throttle: false, retries: 2 }));
    github.openPull(REPO, { number: 1 });
    github.failNext('PUT', /\/pulls\/1\/merge$/, 409, { message: 'Head branch was modified. Review and try the merge again.' });
    expect(await retrying.merge(REPO, 1, github.headSha(REPO, 1), { method: 'merge' })).toMatchObject({ kind: 'rejected', status: 409 });
    expect(github.requestsTo('PUT', /\/pulls\/1\/merge$/)).toHaveLength(1);
    github.failNext('GET', /\/pulls\/1$/, 500, { message: 'boom' });
    await expect(scm.getPull(REPO, 1)).rejects.toMatchObject({ status: 500 });
  });

  it('retries a 502 (plugin-retry) and a primary rate limit (plugin-throttling)', async () => {
    const resilient = new GitHubScm(createGitHubOctokit({ auth: { kind: 'token', token: 't' }, baseUrl: github.url, retries: 1 }));
    github.openPull(REPO, { number: 1 });
    github.failNext('GET', /\/pulls\/1$/, 502, { message: 'Bad Gateway' });
    expect((await resilient.getPull(REPO, 1))?.number).toBe(1);
    const resetInThePast = String(Math.floor(Date.now() / 1000) - 60);
    github.failNext('GET', /\/pulls\/1$/, 403, { message: 'API rate limit exceeded' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetInThePast });
    expect((await resilient.getPull(REPO, 1))?.number).toBe(1);
    expect(github.requestsTo('GET', /\/pulls\/1$/)).toHaveLength(4);
  });

  it('builds a batch branch: create (twice is fine), merge heads in, report conflicts, delete', async () => {
    github.openPull(REPO, { number: 1 });
    github.openPull(REPO, { number: 2, conflictsWith: [1] });
    const branch = 'durable-delivery/queue/main/1';
    const base = github.baseSha(REPO);
    await scm.createBranch(REPO, branch, base);
    await scm.createBranch(REPO, branch, base);
    expect(await scm.branchSha(REPO, branch)).toBe(base);
    const first = await scm.mergeIntoBranch(REPO, branch, github.headSha(REPO, 1), 'Merge #1');
    expect(first).toMatchObject({ kind: 'merged' });
    expect(await scm.mergeIntoBranch(REPO, branch, github.headSha(REPO, 1), 'again')).toEqual({ kind: 'nothing_to_merge' });
    expect(await scm.mergeIntoBranch(REPO, branch, github.headSha(REPO, 2), 'Merge #2')).toEqual({ kind: 'conflict', message: 'Merge conflict' });
    await scm.deleteBranch(REPO, branch);
    await scm.deleteBranch(REPO, branch);
    expect(await scm.branchSha(REPO, branch)).toBeNull();
  });

  it('labels and comments; removing a missing label is not an error', async () => {
    github.openPull(REPO, { number: 1 });
    await scm.addLabel(REPO, 1, 'merge-queue');
    expect(github.repo(REPO).pulls.get(1)!.labels).toEqual(['merge-queue']);
    await scm.removeLabel(REPO, 1, 'merge-queue');
    await scm.removeLabel(REPO, 1, 'merge-queue');
    await scm.createComment(REPO, 1, 'hello');
    expect(github.repo(REPO).comments).toEqual([{ issue: 1, body: 'hello', user: 'durable-delivery[bot]' }]);
  });

  it('authenticates as a GitHub App: a signed JWT buys an installation token used for every call', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    github.app = { appId: '4242', publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), installationToken: 'ghs_installation' };
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const asApp = new GitHubScm(
      createGitHubOctokit({ auth: { kind: 'app', appId: '4242', privateKey: pem, installationId: '7' }, baseUrl: github.url, throttle: false, retries: 0 }),
    );
    github.openPull(REPO, { number: 1 });
    expect((await asApp.getPull(REPO, 1))?.number).toBe(1);
    expect((await asApp.getPull(REPO, 1))?.number).toBe(1);
    expect(github.requestsTo('POST', /\/access_tokens$/)).toHaveLength(1);
    expect(github.requestsTo('GET', /\/pulls\/1$/).map((request) => request.authorization)).toEqual(['token ghs_installation', 'token ghs_installation']);
    await expect(scm.getPull(REPO, 1)).rejects.toMatchObject({ status: 401 });
  });
});
