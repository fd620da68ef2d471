import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeQueueSchema, type DeliveryConfig } from '../../src/config/delivery-schema.js';
import type { Actor } from '../../src/domain/release/types.js';
import type { Scm } from '../../src/ports/scm.js';
import { AppHomeService, HOME_DORA_DAYS, windowLines } from '../../src/services/app-home-service.js';
import { DoraService, historySince } from '../../src/services/dora-service.js';
import { MergeQueueService } from '../../src/services/merge-queue/merge-queue-service.js';
import { DEFAULT_CYCLE_MS } from '../../src/services/merge-queue/view.js';
import type { Database } from '../../src/store/db.js';
import { DrizzleDeliveryHistory } from '../../src/store/repos/drizzle-delivery-history.js';
import { DrizzleHomeReadModel } from '../../src/store/repos/drizzle-home-read-model.js';
import { DrizzleMergeQueueStore } from '../../src/store/repos/drizzle-merge-queue-store.js';
import { DrizzleReleaseStore } from '../../src/store/repos/drizzle-release-store.js';
import { countedKinds, openCountedDatabase, type StatementCounter } from '../support/counted-database.js';
import { engineHarness, seedServing, type EngineHarness } from '../support/fakes/engine-harness.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { RecordingNotifier, RecordingVersionSets, SettableDeliveryStatus } from '../support/fake-github-queue-harness.js';

const alice: Actor = { userId: 'U0ALICE', userGroupIds: [] };
const bob: Actor = { userId: 'U0BOB', userGroupIds: [] };
const erin: Actor = { userId: 'U0ERIN', userGroupIds: [] };
const MINUTE = 60_000;

/**
 * App Home's read model against what the stores and services answer one by one (the reads App Home
 * made before it had one): the same facts, in one statement, on PGlite and on Postgres.
 */
describe.each(countedKinds)('App Home read model on %s', (kind) => {
  let database: Database;
  let counter: StatementCounter;
  let h: EngineHarness;
  let queueStore: DrizzleMergeQueueStore;
  const config: DeliveryConfig = { ...exampleShopConfig(), mergeQueue: mergeQueueSchema.parse({ repos: ['acme/api', 'acme/web'] }) };
  const environments = Object.keys(config.environments);

  beforeAll(async () => {
    ({ database, counter } = await openCountedDatabase(kind));
    h = engineHarness(database.db, config, TUESDAY_MORNING);
    await h.engine.syncCatalog();
    const now = h.clock.now();
    await seedServing(database.db, [
      { environment: 'staging', service: 'checkout', version: 'v1' },
      { environment: 'production', service: 'checkout', version: 'v1' },
      { environment: 'staging', service: 'payments', version: 'v1' },
      { environment: 'production', service: 'payments', version: 'v1' },
    ], now);

    // Releases: one waiting for approval (its version from a merged pull request), one aborted in production.
    await h.engine.versionSets.recordMerge({ service: 'checkout', version: 'v2', commitSha: 'c0ffee', pullNumber: 12, repo: 'acme/checkout' });
    h.clock.advance(MINUTE);
    const waiting = await h.engine.releases.act({ verb: 'deploy', actor: alice, target: { kind: 'service', service: 'checkout', version: 'v2' }, environment: 'production' });
    h.clock.advance(MINUTE);
    const aborted = await h.engine.releases.act({ verb: 'deploy', actor: erin, target: { kind: 'service', service: 'payments', version: 'v4' }, environment: 'production' });
    if (waiting.kind !== 'accepted' || aborted.kind !== 'accepted') throw new Error('the deploys were refused');
    h.clock.advance(MINUTE);
    expect((await h.engine.releases.act({ verb: 'abort', actor: erin, releaseId: aborted.view.id })).kind).toBe('accepted');
    // Freezes: staging by hand, then the whole line.
    expect((await h.engine.releases.act({ verb: 'freeze', actor: bob, environment: 'staging', durationSeconds: 7200, reason: 'incident 123' })).kind).toBe('accepted');
    expect((await h.engine.releases.act({ verb: 'freeze_all', actor: bob, reason: 'incident 124' })).kind).toBe('accepted');

    // Merge queues: one moving (a hotfix ahead, the front validating, two merges behind it), one paused, one unreachable.
    queueStore = new DrizzleMergeQueueStore(database.db);
    const entry = (repo: string, pullNumber: number, priority = 0) => ({ repo, baseBranch: 'main', pullNumber, title: `PR ${pullNumber}`, author: 'octo', requestedBy: 'U0ALICE', source: 'slack' as const, headSha: null, priority, prioritisedBy: priority > 0 ? 'U0BOB' : null });
    await queueStore.ensureQueue('acme/api', 'main', now);
    await queueStore.ensureQueue('acme/web', 'main', now);
    await queueStore.ensureQueue('acme/gone', 'main', now);
    for (const [pullNumber, minutes] of [[1, 9], [2, 14]] as const) {
      const merged = (await queueStore.insertEntry(entry('acme/api', pullNumber), now, []))!;
      await queueStore.transition(merged, { status: 'merged', startedAt: new Date(now.getTime() - 60 * MINUTE), finishedAt: new Date(now.getTime() - (60 - minutes) * MINUTE) }, { kind: 'merged' }, now);
    }
    const front = (await queueStore.insertEntry(entry('acme/api', 3), now, []))!;
    await queueStore.transition(front, { status: 'validating', detail: 'waiting for ci/test', startedAt: new Date(now.getTime() - 4 * MINUTE) }, { kind: 'validating' }, now);
    await queueStore.insertEntry(entry('acme/api', 4), now, []);
    await queueStore.insertEntry(entry('acme/api', 5, 1), now, []);
    await queueStore.insertEntry(entry('acme/web', 6), now, []);
    await queueStore.setPause('acme/web', 'main', { code: 'frozen', message: 'production is frozen' }, now, []);
    await queueStore.setReachability('acme/gone', 'main', 'GitHub answers 404', now);
    h.clock.advance(MINUTE);
  }, 180_000);
  afterAll(async () => {
    await h?.engine.stop();
    await database?.close();
  });

  const home = (mergeQueue: { defaultCycleMs: number } | null) => new AppHomeService({ readModel: new DrizzleHomeReadModel(database.db), config, clock: h.clock, mergeQueue });

  it('reads what every Home shows in one statement, as the stores answer it one read at a time', async () => {
    const now = h.clock.now();
    const since = historySince(now, HOME_DORA_DAYS);
    counter.reset();
    const records = await new DrizzleHomeReadModel(database.db).read({ environments, mergeQueue: true, history: { production: 'production', since } }, now);
    expect(counter.statements).toHaveLength(1);
    expect(counter.transactions).toBe(0);

    const store = new DrizzleReleaseStore(database.db, config);
    const active = await store.active();
    expect(records.active).toEqual(active.map((row) => ({ id: row.id, status: row.status, environment: row.environment, versionSetId: row.versionSetId, requester: row.requester, state: row.state, nextTickAt: row.nextTickAt, version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt })));
    expect(records.world).toEqual(await store.world({ environments }, now));
    expect(records.history).toEqual(await new DrizzleDeliveryHistory(database.db).productionHistory('production', since));
    const queues = await queueStore.queues();
    const entries = await queueStore.activeEntries();
    expect(records.queues).toEqual(
      await Promise.all(
        queues.map(async (queue) => ({
          queue: { repo: queue.repo, baseBranch: queue.baseBranch, pausedCode: queue.pausedCode, pausedMessage: queue.pausedMessage, unreachableReason: queue.unreachableReason, unreachableSince: queue.unreachableSince },
          entries: entries
            .filter((entry) => entry.repo === queue.repo && entry.baseBranch === queue.baseBranch)
            .map((entry) => ({ repo: entry.repo, baseBranch: entry.baseBranch, pullNumber: entry.pullNumber, title: entry.title, author: entry.author, requestedBy: entry.requestedBy, source: entry.source, status: entry.status, priority: entry.priority, prioritisedBy: entry.prioritisedBy, detail: entry.detail, batchId: entry.batchId, enqueuedAt: entry.enqueuedAt, startedAt: entry.startedAt })),
          recentCycleDurationsMs: await queueStore.recentCycleDurationsMs(queue.repo, queue.baseBranch),
        })),
      ),
    );

    // Not an empty comparison: each part holds what the set-up wrote.
    expect(records.active).toHaveLength(1);
    expect(records.world.freezes.map((freeze) => freeze.environment)).toEqual(['staging', '*']);
    expect(records.world.serving.production?.checkout?.version).toBe('v1');
    expect(records.history.map((release) => release.services)).toEqual([['checkout'], ['payments']]);
    expect(records.history[0]!.mergedAt.checkout).toBeInstanceOf(Date);
    expect(records.history[0]!.events.length).toBeGreaterThan(0);
    expect(records.queues?.map((queue) => [queue.queue.repo, queue.entries.map((entry) => entry.pullNumber)])).toEqual([
      ['acme/api', [5, 3, 4]],
      ['acme/gone', []],
      ['acme/web', [6]],
    ]);
    expect(records.queues?.[0]!.recentCycleDurationsMs.sort()).toEqual([9 * MINUTE, 14 * MINUTE]);
  });

  it('leaves the merge queue out while it is off, still in one statement', async () => {
    const now = h.clock.now();
    counter.reset();
    const records = await new DrizzleHomeReadModel(database.db).read({ environments, mergeQueue: false, history: { production: 'production', since: historySince(now, HOME_DORA_DAYS) } }, now);
    expect(counter.statements).toHaveLength(1);
    expect(records.queues).toBeNull();
    expect(records.active).toHaveLength(1);
  });

  it('gives App Home the facts the release, merge queue and DORA services answer', async () => {
    const releases = h.engine.releases;
    const queue = new MergeQueueService({ store: queueStore, scm: {} as Scm, versionSets: new RecordingVersionSets(), deliveryStatus: new SettableDeliveryStatus(), notifier: new RecordingNotifier(), clock: h.clock, config });
    const dora = new DoraService(new DrizzleDeliveryHistory(database.db), config, h.clock);
    const teams = Object.keys(config.teams).sort().map((name) => ({ kind: 'team' as const, name }));
    counter.reset();
    const facts = await home({ defaultCycleMs: DEFAULT_CYCLE_MS }).facts();
    expect(counter.statements).toHaveLength(1);
    expect(facts).toEqual({
      active: await releases.listActive(),
      freezes: await releases.listFreezes(),
      lineStop: await releases.lineStop(),
      queue: (await queue.list()).queues.flatMap((entries) => entries.entries),
      teams: await dora.reports(teams, HOME_DORA_DAYS),
      windows: windowLines(config, h.clock.now()),
    });

    expect(facts.active.map((view) => [view.requester.userId, view.status])).toEqual([['U0ALICE', 'paused']]);
    expect(facts.lineStop?.pausedReleaseIds).toEqual([facts.active[0]!.id]);
    expect(facts.freezes.map((freeze) => [freeze.environment, freeze.source])).toEqual([['staging', 'adhoc'], ['*', 'adhoc'], ['production', 'scheduled']]);
    expect(facts.queue?.map((entry) => [entry.pullNumber, entry.lane, entry.estimatedMergeAt === null])).toEqual([[5, 'hotfix', false], [3, 'normal', false], [4, 'normal', false], [6, 'normal', true]]);
    expect(facts.teams.map((report) => report.scope)).toEqual(teams);
    expect(facts.windows.map((line) => line.environment)).toEqual(['production']);
  });

  it('says the merge queue is off when it is, and builds each viewer their own Home from one read', async () => {
    const pages = home(null);
    const facts = await pages.facts();
    expect(facts.queue).toBeNull();
    const forAlice = pages.homeFor(facts, alice);
    const forBob = pages.homeFor(facts, bob);
    expect(forAlice.myReleases.map((view) => view.id)).toEqual(facts.active.map((view) => view.id));
    expect(forBob.myReleases).toEqual([]);
    expect([forAlice.mayStopTheLine, forBob.mayStopTheLine]).toEqual([false, true]);
    expect(forAlice.teams.map((report) => report.scope)).toEqual([{ kind: 'team', name: 'checkout' }, { kind: 'team', name: 'web' }]);
    expect(forBob.teams).toEqual([]);
  });
});
