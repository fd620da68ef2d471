import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queueLines } from '../../src/adapters/slack/blocks/queue-lines.js';
import { SlackChat } from '../../src/adapters/slack/slack-chat.js';
import { SlackWebPeople } from '../../src/adapters/slack/slack-people.js';
import { githubWebhookRoute } from '../../src/app/github/webhook-route.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator/slack-emulator.js';
import { ChatMergeQueueNotifier } from '../../src/services/merge-queue/chat-notifier.js';
import type { MergeQueueService } from '../../src/services/merge-queue/merge-queue-service.js';
import type { Database } from '../../src/store/db.js';
import { DrizzleMergeQueueStore } from '../../src/store/repos/drizzle-merge-queue-store.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { FakeGitHub } from '../support/fake-github.js';
import { drain, queueConfig, queueHarness, runEffects, settle } from '../support/fake-github-queue-harness.js';

const REPO = 'acme/api';
const SECRET = 'webhook-secret';
const BOT_TOKEN = 'xoxb-queue-test';

/**
 * What a team meets in its first week with the queue, each driven the way GitHub and Slack drive
 * it: signed deliveries to the real webhook route, the real Octokit client against the stateful
 * GitHub fake, the real Slack notifier against the Slack emulator.
 */
describe.each(testDatabaseKinds)('merge queue, first week, on $name', (kind) => {
  let database: Database;
  const github = new FakeGitHub();
  let slack: SlackEmulator;
  let server: Server;
  let url = '';
  let current: MergeQueueService | null = null;

  beforeAll(async () => {
    database = await kind.open();
    await github.start();
    server = createServer((req, res) => {
      if (current) void githubWebhookRoute({ secret: SECRET, inbox: current }).handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/webhook`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await slack?.stop();
    await github.stop();
    await database?.close();
  });
  beforeEach(async () => {
    await truncateAll(database.db);
    github.reset();
    github.createRepo(REPO);
    await slack?.stop();
    slack = new SlackEmulator({
      botToken: BOT_TOKEN,
      signingSecret: 'slack-secret',
      strict: true,
      users: [
        { id: 'U0MONA', name: 'mona' },
        { id: 'U0HUBOT', name: 'hubot', email: 'hubot@acme.test' },
      ],
      channels: [{ name: 'api-merges' }, { name: 'deploys' }],
    });
    await slack.start();
  });

  type WorldOptions = { mergeQueue?: Record<string, unknown>; pollIntervalMs?: number };
  const world = (options: WorldOptions = {}) => {
    const config = queueConfig({ channels: { [REPO]: '#api-merges' }, slackUsers: { mona: 'U0MONA' }, ...options.mergeQueue });
    const harness = queueHarness(
      database.db,
      github,
      config,
      { pollIntervalMs: options.pollIntervalMs ?? 0 },
      (scm) =>
        new ChatMergeQueueNotifier(new SlackChat({ token: BOT_TOKEN, apiUrl: slack.apiUrl, cardChannel: () => '#deploys', minPostIntervalMs: 0 }), {
          channels: config.mergeQueue!.channels,
          slackUsers: config.mergeQueue!.slackUsers,
          emailLookup: { emails: scm, people: new SlackWebPeople({ token: BOT_TOKEN, apiUrl: slack.apiUrl }) },
        }),
    );
    current = harness.service;
    return harness;
  };

  const deliver = async (event: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': crypto.randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(response.status).toBe(202);
  };
  const label = (number: number, name = 'merge-queue', sender = 'mona') => {
    const pull = github.repo(REPO).pulls.get(number)!;
    if (!pull.labels.includes(name)) pull.labels.push(name);
    return deliver('pull_request', {
      action: 'labeled',
      number,
      pull_request: { number, merged: false, head: { sha: github.headSha(REPO, number) } },
      label: { name },
      repository: { full_name: REPO },
      sender: { login: sender },
    });
  };
  const texts = (channel: string) => slack.messages(channel).map((message) => message.text);
  const dms = (user: string) => slack.directMessages(user).map((message) => message.text);

  it('tells the author of a PR queued by label of its ejection, by the login map or by e-mail, and the queue channel of merges', async () => {
    const harness = world();
    github.users.set('hubot', { email: 'hubot@acme.test' });
    github.openPull(REPO, { number: 1, author: 'mona', bad: true });
    github.openPull(REPO, { number: 2, author: 'hubot', bad: true });
    github.openPull(REPO, { number: 3, author: 'mona' });
    for (const number of [1, 2, 3]) await label(number);
    await settle(harness.service);
    await drain(harness, github);

    expect(dms('U0MONA').filter((text) => text.includes('left the merge queue'))).toHaveLength(1);
    expect(dms('U0MONA').join('\n')).toContain('acme/api#1');
    // hubot is not in the map: found through GitHub's public e-mail and users.lookupByEmail.
    expect(dms('U0HUBOT').join('\n')).toMatch(/acme\/api#2.*left the merge queue/);
    expect(slack.callsTo('users.lookupByEmail').map((call) => call.args.email)).toEqual(['hubot@acme.test']);
    const channel = texts('api-merges').join('\n');
    expect(channel).toMatch(/acme\/api#1.*checks_failed.*<@U0MONA>/);
    expect(channel).toMatch(/acme\/api#3.*merged as/);
    expect(slack.violations).toEqual([]);
    expect(github.violations).toEqual([]);
  });

  it('without the users:read.email scope asks Slack once, and the channel says the author has no known Slack user', async () => {
    await slack.stop();
    slack = new SlackEmulator({ botToken: BOT_TOKEN, signingSecret: 'slack-secret', strict: true, botScopes: ['chat:write', 'users:read'], users: [{ id: 'U0HUBOT', name: 'hubot', email: 'hubot@acme.test' }], channels: [{ name: 'api-merges' }, { name: 'deploys' }] });
    await slack.start();
    const harness = world();
    github.users.set('hubot', { email: 'hubot@acme.test' });
    github.openPull(REPO, { number: 1, author: 'hubot', bad: true });
    github.openPull(REPO, { number: 2, author: 'hubot', bad: true });
    for (const number of [1, 2]) await label(number);
    await settle(harness.service);
    await drain(harness, github);
    expect(slack.callsTo('users.lookupByEmail').map((call) => call.error)).toEqual(['missing_scope']);
    expect(dms('U0HUBOT')).toEqual([]);
    expect(texts('api-merges').filter((text) => text.includes('hubot on GitHub has no known Slack user'))).toHaveLength(2);
  });

  it('announces a pause in the queue channel, and an unfreeze resumes merging at the next tick, not the next poll', async () => {
    const harness = world({ pollIntervalMs: 30 * 60_000 });
    github.openPull(REPO, { number: 1 });
    github.finishChecks();
    github.pushToBase(REPO);
    await label(1);
    await settle(harness.service);
    harness.status.freezes.set('production', { reason: 'incident 123', until: null });
    await harness.service.tick();
    await runEffects(harness.service);
    expect(texts('api-merges').join('\n')).toMatch(/paused \(`frozen`\): production is frozen: incident 123/);
    expect((await harness.service.list()).queues[0]).toMatchObject({ paused: { code: 'frozen' } });
    expect(github.requestsTo('PUT', /update-branch$/)).toHaveLength(0);

    harness.status.freezes.clear();
    harness.clock.advance(5_000); // the next tick, far inside the 30-minute poll interval
    await harness.service.tick();
    await runEffects(harness.service);
    expect(github.requestsTo('PUT', /update-branch$/)).toHaveLength(1);
    expect(texts('api-merges').join('\n')).toContain('resumed merging');
  });

  it('auto-deploy converges: sets refused while staging is busy wait, the newest supersedes the older, and ships when staging frees up', async () => {
    const harness = world();
    for (const number of [1, 2, 3]) github.openPull(REPO, { number });
    for (const number of [1, 2, 3]) await label(number);
    await settle(harness.service);
    harness.deployer.busy.add('staging');
    // The three merge quickly (the queue steps up to three entries per tick once each is green).
    await drain(harness, github);
    expect(harness.versionSets.merges).toHaveLength(3);
    expect(harness.deployer.deploys).toEqual([]);
    expect(await new DrizzleMergeQueueStore(database.db).pendingDeploys()).toMatchObject([{ environment: 'staging', versionSetId: 3 }]);
    expect(texts('api-merges').join('\n')).toMatch(/Version set #3 waits for staging[^\n]*supersedes set #2/);

    await harness.service.tick();
    expect(harness.deployer.deploys).toEqual([]); // still busy: it keeps waiting, said once
    harness.deployer.busy.delete('staging');
    await harness.service.tick();
    await runEffects(harness.service);
    expect(harness.deployer.deploys).toEqual([{ versionSetId: 3, environment: 'staging' }]);
    expect(await new DrizzleMergeQueueStore(database.db).pendingDeploys()).toEqual([]);
    expect(texts('api-merges').join('\n')).toContain('Version set #3 is deploying to staging');
  });

  it('reads the labels again just before merging: a PR whose label was removed while that webhook was lost does not merge', async () => {
    const harness = world();
    github.openPull(REPO, { number: 1 });
    await label(1);
    await settle(harness.service);
    await harness.service.tick();
    github.repo(REPO).pulls.get(1)!.labels = []; // the unlabeled delivery never arrives
    github.finishChecks();
    await harness.service.tick();
    expect(github.requestsTo('PUT', /\/pulls\/1\/merge$/)).toEqual([]);
    expect(github.repo(REPO).pulls.get(1)!.merged).toBe(false);
    expect((await harness.service.list()).queues).toEqual([]);
  });

  it('the hotfix label puts a PR at the front, logged with who labelled it, shown in /queue, and still validated', async () => {
    const harness = world({ mergeQueue: { hotfixLabel: 'hotfix' } });
    for (const number of [1, 2, 3]) github.openPull(REPO, { number });
    github.openPull(REPO, { number: 4, bad: true });
    await label(1);
    await label(2);
    await label(3, 'hotfix', 'sre-oncall');
    await label(4, 'hotfix', 'sre-oncall');
    await settle(harness.service);

    const [queue] = (await harness.service.list()).queues;
    expect(queue!.entries.map((entry) => [entry.pullNumber, entry.lane])).toEqual([[3, 'hotfix'], [4, 'hotfix'], [1, 'normal'], [2, 'normal']]);
    const lines = queueLines([queue!]).join('\n');
    expect(lines).toMatch(/acme\/api#3> Change 3 — \*queued\* :ambulance: hotfix \(labelled by sre-oncall\)/);
    expect(lines).toMatch(/merges ≈ <!date\^\d+\^\{time\}\|/);
    const store = new DrizzleMergeQueueStore(database.db);
    const [hotfixEntry] = await store.activeEntries();
    expect(await store.events(hotfixEntry!.id)).toMatchObject([{ kind: 'enqueued', detail: { lane: 'hotfix', prioritisedBy: 'sre-oncall' } }]);

    await drain(harness, github);
    const order = [...github.repo(REPO).pulls.values()]
      .filter((pull) => pull.merged)
      .sort((a, b) => github.repo(REPO).baseHistory.indexOf(a.mergeCommitSha!) - github.repo(REPO).baseHistory.indexOf(b.mergeCommitSha!))
      .map((pull) => pull.number);
    expect(order).toEqual([3, 1, 2]);
    // The bad hotfix went through the same checks and was ejected, not merged.
    expect(harness.notifier.ofKind('ejected')).toMatchObject([{ pullNumber: 4, reason: { code: 'checks_failed' } }]);
  });

  it('re-runs a flaky required check through the Checks API before ejecting, and the ejection says how many attempts failed', async () => {
    const harness = world({ mergeQueue: { retryFailedChecks: 2 } });
    github.openPull(REPO, { number: 1, flaky: 2 });
    github.openPull(REPO, { number: 2, bad: true });
    await label(1);
    await label(2);
    await settle(harness.service);
    await drain(harness, github);

    expect(github.repo(REPO).pulls.get(1)!.merged).toBe(true);
    expect(github.requestsTo('POST', /\/check-runs\/\d+\/rerequest$/)).toHaveLength(4); // 2 for the flake, 2 for the bad one
    expect(github.ciRuns.filter((run) => run.cause === 'rerequest')).toHaveLength(4);
    const ejection = harness.notifier.ofKind('ejected')[0]!;
    expect(ejection).toMatchObject({ pullNumber: 2, reason: { code: 'checks_failed' } });
    expect(ejection.reason.message).toContain('failed 3 attempts');
    expect(github.repo(REPO).comments.find((comment) => comment.issue === 2)?.body).toContain('failed 3 attempts');
    expect(github.violations).toEqual([]);
  });

  it('one repository GitHub answers 404 for is shown unreachable in /queue with the reason; the others carry on', async () => {
    const harness = world({ mergeQueue: { repos: ['acme/gone', REPO] } });
    github.openPull(REPO, { number: 1, labels: ['merge-queue'] });
    const result = await harness.service.reconcile();
    expect(result).toEqual({ added: [1], removed: [], unreachable: ['acme/gone'] });
    await harness.service.tick();
    const view = await harness.service.list();
    const gone = view.queues.find((queue) => queue.repo === 'acme/gone')!;
    expect(gone.unreachable?.reason).toMatch(/404/);
    expect(queueLines([gone]).join('\n')).toMatch(/unreachable: GitHub answers 404/);
    // The served repository advanced in the same tick.
    const api = view.queues.find((queue) => queue.repo === REPO)!;
    expect(api.unreachable).toBeNull();
    expect(api.entries[0]!.state).toBe('validating');

    github.createRepo('acme/gone');
    await harness.service.reconcile();
    expect((await harness.service.list()).queues.find((queue) => queue.repo === 'acme/gone')).toBeUndefined();
  });

  it('tests a batch of four with one CI run: built on the temporary ref, the batch branch created once at the finished commit', async () => {
    const harness = world({ mergeQueue: { batchSize: 4 } });
    for (const number of [1, 2, 3, 4]) github.openPull(REPO, { number });
    const before = github.ciRuns.length;
    for (const number of [1, 2, 3, 4]) await label(number);
    await settle(harness.service);
    await drain(harness, github);
    expect([...github.repo(REPO).pulls.values()].every((pull) => pull.merged)).toBe(true);
    const runs = github.ciRuns.slice(before).filter((run) => run.branch !== 'main');
    expect(runs.map((run) => run.branch)).toEqual(['durable-delivery/queue/main/1']);
    expect(github.requestsTo('POST', /\/merges$/).map((request) => (request.body as { base: string }).base)).toEqual(Array(4).fill('durable-delivery/tmp/main'));
    expect(github.violations).toEqual([]);
  });
});
