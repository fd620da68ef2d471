import { asc, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newReleaseState } from '../../src/domain/release/decide.js';
import { planRelease, type ServingMap } from '../../src/domain/release/plan.js';
import { servicesConcerned } from '../../src/domain/release/world.js';
import type { Actor, ReleaseEffect, ReleaseEventData, ReleaseState } from '../../src/domain/release/types.js';
import type { Catalog } from '../../src/ports/catalog.js';
import type { InfraSetRecord } from '../../src/ports/infra-set-store.js';
import { CARD_PRIORITY, type ClaimedEffect, type OutboxEntry, type OutboxLane } from '../../src/ports/outbox.js';
import { ReleaseVersionConflict, type AcceptedDecision, type TransitionMeta } from '../../src/ports/release-store.js';
import type { Store } from '../../src/ports/store.js';
import { StoredVersionSets } from '../../src/services/version-set-service.js';
import { DrizzleStore } from '../../src/store/drizzle-store.js';
import { DrizzleCatalog } from '../../src/store/repos/drizzle-catalog.js';
import { approvals, environments, infraSets, releaseEvents, services } from '../../src/store/schema/index.js';
import { testDatabaseKinds, truncateAll } from '../support/databases.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../support/fakes/example-config.js';
import { MemoryStore } from '../support/memory/memory-store.js';

/**
 * One contract for every implementation of the store ports: the same cases over PGlite, Postgres
 * (when TEST_DATABASE_URL is set) and the memory store the service tests run on. What a case reads
 * back goes through the ports, except the audit log, approvals and catalog, which no store port reads.
 */

interface AuditView {
  kind: string;
  version: number;
  type: string;
  actor: string | null;
  message: string;
  data: unknown;
}

/** One implementation, emptied before each case. */
interface Subject {
  store: Store;
  catalog: Catalog;
  seedInfraSets(sets: InfraSetRecord[]): Promise<void>;
  /** The audit rows of a release (null: of none), oldest first. */
  audit(releaseId: string | null): Promise<AuditView[]>;
  approvals(): Promise<Array<{ releaseId: string; environment: string; userId: string }>>;
  catalogRows(): Promise<{ services: Array<{ name: string; dependsOn: string[] }>; environments: Array<{ name: string; position: number }> }>;
}

interface StoreKind {
  name: string;
  open(): Promise<{ fresh(): Promise<Subject>; close(): Promise<void> }>;
}

const config = exampleShopConfig();
const auditView = (row: AuditView): AuditView => ({ kind: row.kind, version: row.version, type: row.type, actor: row.actor, message: row.message, data: row.data });

const storeKinds: StoreKind[] = [
  ...testDatabaseKinds.map(
    (kind): StoreKind => ({
      name: kind.name,
      async open() {
        const database = await kind.open();
        const db = database.db;
        const subject: Subject = {
          store: new DrizzleStore(db, config),
          catalog: new DrizzleCatalog(db),
          async seedInfraSets(sets) {
            await db.insert(infraSets).values(sets);
          },
          async audit(releaseId) {
            const rows = await db
              .select()
              .from(releaseEvents)
              .where(releaseId === null ? isNull(releaseEvents.releaseId) : eq(releaseEvents.releaseId, releaseId))
              .orderBy(asc(releaseEvents.id));
            return rows.map(auditView);
          },
          approvals: () => db.select({ releaseId: approvals.releaseId, environment: approvals.environment, userId: approvals.userId }).from(approvals),
          async catalogRows() {
            return {
              services: await db.select({ name: services.name, dependsOn: services.dependsOn }).from(services),
              environments: await db.select({ name: environments.name, position: environments.position }).from(environments),
            };
          },
        };
        return {
          async fresh() {
            await truncateAll(db);
            return subject;
          },
          close: () => database.close(),
        };
      },
    }),
  ),
  {
    name: 'memory',
    async open() {
      return {
        async fresh() {
          const store = new MemoryStore(config);
          return {
            store,
            catalog: store,
            seedInfraSets: (sets) => store.seedInfraSets(sets),
            audit: async (releaseId) => store.auditRows(releaseId).map(auditView),
            approvals: async () => store.approvalRows().map(({ releaseId, environment, userId }) => ({ releaseId, environment, userId })),
            catalogRows: async () => {
              const rows = store.catalogRows();
              return { services: rows.services.map(({ name, dependsOn }) => ({ name, dependsOn })), environments: rows.environments.map(({ name, position }) => ({ name, position })) };
            },
          };
        },
        close: async () => {},
      };
    },
  },
];

// ── Releases, decisions and effects as the domain makes them ───────────────────────────────────

const T0 = new Date(TUESDAY_MORNING);
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const alice: Actor = { userId: 'U0ALICE', userGroupIds: [] };

/** checkout@version to staging, planned against checkout v1 serving there. */
function stagingRelease(id: string, version = 'v2'): ReleaseState {
  return releaseOf(id, { checkout: version }, 'staging', { staging: { checkout: { version: 'v1', infraSetId: 'is-v1' } } });
}

function releaseOf(id: string, versions: Record<string, string>, environment: string, serving: ServingMap = {}): ReleaseState {
  const planned = planRelease({ releaseId: id, config, versionSetId: 1, versions, environment, serving });
  if (!planned.ok) throw new Error(planned.refusal.message);
  return newReleaseState({ id, requester: alice, plan: planned.plan, now: T0 });
}

const finished = (state: ReleaseState): ReleaseState => ({ ...state, phase: { kind: 'finished', at: T0.toISOString(), outcome: 'succeeded', reason: null } });
const waitingForApproval = (state: ReleaseState): ReleaseState => ({
  ...state,
  phase: { kind: 'waiting', since: T0.toISOString(), blockedBy: [{ gate: 'approvals', ok: false, code: 'approvals_missing', message: 'needs 1 approval' }] },
});
const rollingBack = (state: ReleaseState): ReleaseState => ({ ...state, phase: { kind: 'rolling_back', since: T0.toISOString(), reason: 'failed health', outcome: 'rolled_back', pending: [], inFlight: null } });

function decision(state: ReleaseState, parts: { events?: ReleaseEventData[]; effects?: ReleaseEffect[]; nextTickAt?: Date | null } = {}): AcceptedDecision {
  return { kind: 'accepted', state, events: parts.events ?? [{ type: 'created', message: 'requested' }], effects: parts.effects ?? [], nextTickAt: parts.nextTickAt?.toISOString() ?? null };
}

const meta = (input: string, now = T0, actor: string | null = 'U0ALICE'): TransitionMeta => ({ input, actor, now });
const event = (type: string, message = type): ReleaseEventData => ({ type, message });

const card: ReleaseEffect = { kind: 'card' };
const thread = (text: string): ReleaseEffect => ({ kind: 'thread', text });
const provision = (releaseId: string, token: string, service = 'checkout', environment = 'staging'): ReleaseEffect => ({
  kind: 'provision',
  token,
  environment,
  service,
  infraSetId: `is-${releaseId}-${environment}-${service}`,
  version: 'v2',
});
const setWeights = (token: string, weights: Record<string, number>, purpose: 'stage' | 'rollback' = 'stage'): ReleaseEffect => ({ kind: 'set_weights', token, environment: 'staging', service: 'checkout', weights, purpose });

function infraSet(id: string, parts: Partial<InfraSetRecord> & Pick<InfraSetRecord, 'state'>): InfraSetRecord {
  return { id, service: 'checkout', environment: 'production', version: id, releaseId: null, weight: 0, createdAt: T0, warmedAt: null, retiredAt: null, ...parts };
}

const ago = (minutes: number) => new Date(T0.getTime() - minutes * 60_000);

describe.each(storeKinds)('store contract on $name', (kind) => {
  let opened: Awaited<ReturnType<StoreKind['open']>>;
  let s: Subject;
  beforeAll(async () => {
    opened = await kind.open();
  }, 120_000);
  afterAll(async () => opened?.close());
  beforeEach(async () => {
    s = await opened.fresh();
  });

  const insert = (id: string, state = stagingRelease(id), parts: Parameters<typeof decision>[1] = {}, now = T0) =>
    s.store.releases.insert({ environment: 'staging', requester: 'U0ALICE' }, decision(state, parts), meta('deploy', now));
  const claim = (lane: OutboxLane, now = T0, options: { limit?: number; withoutCards?: boolean; leaseSeconds?: number } = {}) =>
    s.store.outbox.claim({ lane, now, leaseUntil: new Date(now.getTime() + (options.leaseSeconds ?? 30) * 1000), limit: options.limit ?? 10, withoutCards: options.withoutCards ?? false });
  const keys = (claimed: ClaimedEffect[]) => claimed.map((row) => row.idempotencyKey);
  const done = (row: ClaimedEffect, now = T0) => s.store.outbox.finish(row, { kind: 'done', result: null, now });
  const enqueue = (entry: Partial<OutboxEntry> & Pick<OutboxEntry, 'key'>) =>
    s.store.outbox.enqueue({ lane: 'chat', releaseId: null, effect: { kind: 'notify', channel: '#deploys', text: entry.key, releaseId: null }, now: T0, ...entry });
  const cardEntry = (releaseId: string, key: string, priority: number): OutboxEntry => ({ lane: 'chat', key, coalesceKey: `card:${releaseId}`, releaseId, effect: { kind: 'card', releaseId }, priority, now: T0 });

  // ── The release row, its audit row and what its effects write ─────────────────────────────

  it('inserts a release with its audit row, its new infra-set and its outbox rows, the card first', async () => {
    const saved = await insert('r1', stagingRelease('r1'), { effects: [thread('hello'), card, provision('r1', 't1')], nextTickAt: at(60) });
    expect(saved).toMatchObject({ changed: true, rollbackStarted: false, row: { id: 'r1', version: 1, status: 'running', environment: 'staging', requester: 'U0ALICE', versionSetId: 1, nextTickAt: at(60), createdAt: T0, updatedAt: T0 } });
    expect([...saved.lanes].sort()).toEqual(['chat', 'critical']);
    expect(await s.store.releases.get('r1')).toEqual(saved.row);
    expect(await s.store.releases.get('r-missing')).toBeUndefined();
    expect(await s.audit('r1')).toEqual([{ kind: 'transition', version: 1, type: 'created', actor: 'U0ALICE', message: 'requested', data: { input: 'deploy', events: [event('created', 'requested')] } }]);
    expect(await s.store.infraSets.of('checkout', 'staging')).toEqual([infraSet('is-r1-staging-checkout', { environment: 'staging', version: 'v2', releaseId: 'r1', state: 'provisioning' })]);
    expect(keys(await claim('critical'))).toEqual(['rel:t1']);
    // The thread line waits behind the release's card, which is queued first and not posted yet.
    const [render, ...behind] = await claim('chat');
    expect(behind).toEqual([]);
    expect(render).toMatchObject({ kind: 'card', idempotencyKey: 'card:r1:1', priority: CARD_PRIORITY.stateChange, firstPost: true, effect: { kind: 'card', releaseId: 'r1' } });
    await done(render!);
    expect(await claim('chat')).toMatchObject([{ kind: 'thread', idempotencyKey: 'thread:r1:1:2', effect: { text: 'hello', releaseId: 'r1' } }]);
    await expect(insert('r1')).rejects.toThrow();
  });

  it('saves a decision under the row’s version: changed moves it on, unchanged keeps it, a stale row is refused and writes nothing', async () => {
    const first = await insert('r1', stagingRelease('r1'), { effects: [provision('r1', 't1')] });
    const moved = await s.store.releases.save(first.row, decision(stagingRelease('r1'), { events: [event('provisioned')], effects: [{ kind: 'record_provisioned', infraSetId: 'is-r1-staging-checkout' }, card], nextTickAt: at(120) }), meta('provisioned', at(10), null));
    expect(moved).toMatchObject({ changed: true, rollbackStarted: false, lanes: ['chat'], row: { version: 2, nextTickAt: at(120), updatedAt: at(10), createdAt: T0 } });
    expect(await s.store.releases.get('r1')).toEqual(moved.row);
    expect((await s.store.infraSets.get('is-r1-staging-checkout'))?.state).toBe('ready');

    const same = await s.store.releases.save(moved.row, decision(moved.row.state, { events: [], nextTickAt: at(180) }), meta('tick', at(20), null));
    expect(same).toMatchObject({ changed: false, lanes: [], row: { version: 2, nextTickAt: at(180) } });
    expect(await s.store.releases.get('r1')).toMatchObject({ version: 2, nextTickAt: at(180), updatedAt: at(20) });

    // Whether its effects are written in one statement (a card) or one by one (recorded weights).
    const staleDecisions = [
      decision(waitingForApproval(first.row.state), { events: [event('paused')], effects: [card] }),
      decision(waitingForApproval(first.row.state), { events: [event('shifted')], effects: [{ kind: 'record_weights', environment: 'staging', service: 'checkout', weights: { 'is-r1-staging-checkout': 100 }, discard: [] }] }),
    ];
    for (const stale of staleDecisions) {
      await expect(s.store.releases.save(first.row, stale, meta('pause', at(30)))).rejects.toEqual(new ReleaseVersionConflict('r1', 1));
      await expect(s.store.transaction((tx) => tx.releases.save(first.row, stale, meta('pause', at(30))))).rejects.toBeInstanceOf(ReleaseVersionConflict);
    }
    expect((await s.store.infraSets.get('is-r1-staging-checkout'))?.weight).toBe(0);
    expect(await s.store.releases.get('r1')).toMatchObject({ version: 2, status: 'running', nextTickAt: at(180) });
    expect((await s.audit('r1')).map((row) => [row.version, row.type, row.actor])).toEqual([
      [1, 'created', 'U0ALICE'],
      [2, 'provisioned', null],
    ]);
    expect(keys(await claim('chat', at(30)))).toEqual(['card:r1:2']);
  });

  it('records a refusal in the audit log and an approval once', async () => {
    await s.store.releases.refuse({ releaseId: null, version: 0, input: 'deploy', actor: 'U0MALLORY', code: 'not_authorized', message: 'may not deploy', at: T0, data: { environment: 'production' } });
    expect(await s.audit(null)).toEqual([{ kind: 'refusal', version: 0, type: 'deploy', actor: 'U0MALLORY', message: 'may not deploy', data: { environment: 'production', code: 'not_authorized' } }]);
    for (let press = 0; press < 2; press += 1) await s.store.releases.recordApproval({ releaseId: 'r1', environment: 'production', userId: 'U0BOB', at: at(press) });
    expect(await s.approvals()).toEqual([{ releaseId: 'r1', environment: 'production', userId: 'U0BOB' }]);
  });

  it('claims due releases in timer order from the cursor, up to the limit, leaving finished ones and those not due', async () => {
    await insert('r-c', stagingRelease('r-c'), { nextTickAt: at(-10) }, at(-300));
    await insert('r-a', stagingRelease('r-a'), { nextTickAt: at(-30) }, at(-200));
    await insert('r-b', stagingRelease('r-b'), { nextTickAt: at(-10) }, at(-100));
    await insert('r-done', finished(stagingRelease('r-done')), { nextTickAt: at(-60) }, at(-50));
    await insert('r-idle', stagingRelease('r-idle'), { nextTickAt: null }, at(-40));
    await insert('r-later', stagingRelease('r-later'), { nextTickAt: at(60) }, at(-30));
    const claimDue = (limit: number, after: { nextTickAt: Date; id: string } | null) => s.store.transaction((tx) => tx.releases.claimDue(T0, limit, after));
    const firstBatch = await claimDue(2, null);
    expect(firstBatch.map((row) => row.id)).toEqual(['r-a', 'r-b']);
    expect((await claimDue(2, { nextTickAt: at(-10), id: 'r-b' })).map((row) => row.id)).toEqual(['r-c']);
    expect((await claimDue(10, { nextTickAt: at(-10), id: 'r-c' })).map((row) => row.id)).toEqual([]);
    expect(firstBatch[0]).toEqual(await s.store.releases.get('r-a'));
    expect((await s.store.releases.active()).map((row) => row.id)).toEqual(['r-c', 'r-a', 'r-b', 'r-idle', 'r-later']);
  });

  it('holds units of work on the same release apart: the second reads what the first committed', async () => {
    await insert('r1');
    const step = (input: string) =>
      s.store.transaction(async (tx) => {
        const row = (await tx.releases.lock('r1'))!;
        return tx.releases.save(row, decision(row.state, { events: [event(input)] }), meta(input, at(row.version)));
      });
    const saved = await Promise.all([step('pause'), step('resume')]);
    expect(saved.map((result) => result.row.version).sort()).toEqual([2, 3]);
    expect((await s.audit('r1')).map((row) => row.version)).toEqual([1, 2, 3]);
  });

  // ── The world's facts ───────────────────────────────────────────────────────────────────────

  it('reads the world of a scope: freezes in force, every lock, and what serves there, narrowed to the services asked for', async () => {
    await s.seedInfraSets([
      infraSet('is-v1', { state: 'serving', weight: 90, createdAt: ago(120) }),
      infraSet('is-canary', { state: 'serving', weight: 10, createdAt: ago(60) }),
      infraSet('is-v0', { state: 'warm', createdAt: ago(180), warmedAt: ago(120) }),
      infraSet('is-old', { state: 'retired', createdAt: ago(240), retiredAt: ago(180) }),
      infraSet('is-drained', { state: 'draining', createdAt: ago(300), retiredAt: at(30) }),
      infraSet('is-staging-v1', { environment: 'staging', state: 'serving', weight: 100 }),
      infraSet('is-web-v5', { service: 'web', state: 'serving', weight: 100 }),
    ]);
    const inForce = await s.store.environments.addFreeze({ environment: 'production', reason: 'incident 123', from: ago(60), until: at(3600), createdBy: 'U0BOB' });
    await s.store.environments.addFreeze({ environment: 'production', reason: 'later', from: at(3600), until: null, createdBy: 'U0BOB' });
    await s.store.environments.addFreeze({ environment: 'production', reason: 'over', from: ago(120), until: ago(1), createdBy: 'U0BOB' });
    await s.store.environments.addFreeze({ environment: 'staging', reason: 'lifted', from: ago(60), until: null, createdBy: 'U0BOB' });
    expect(await s.store.environments.liftFreezes('staging', 'U0CAROL', T0)).toBe(1);
    expect(await s.store.environments.takeLock({ environment: 'production', holder: 'U0BOB', reason: 'db migration', at: T0 })).toBe(true);

    const narrow = await s.store.releases.world({ environments: ['production'], services: ['checkout'] }, T0);
    expect(narrow).toEqual({
      freezes: [inForce],
      locks: [{ environment: 'production', holder: 'U0BOB', reason: 'db migration', at: T0 }],
      serving: { production: { checkout: { version: 'is-v1', infraSetId: 'is-v1', others: ['is-v0', 'is-canary'] } } },
    });
    expect((await s.store.releases.world({ environments: ['production', 'staging'] }, T0)).serving).toEqual({
      production: { checkout: { version: 'is-v1', infraSetId: 'is-v1', others: ['is-v0', 'is-canary'] }, web: { version: 'is-web-v5', infraSetId: 'is-web-v5' } },
      staging: { checkout: { version: 'is-staging-v1', infraSetId: 'is-staging-v1' } },
    });
    expect((await s.store.releases.world({ environments: ['production'], services: [] }, T0)).serving).toEqual({});
    const none = await s.store.releases.world({ environments: [] }, T0);
    expect(none).toEqual({ freezes: [inForce], locks: narrow.locks, serving: {} });
  });

  it('reads a release with the world of its scope in one read: its path, the services it ships and those they depend on', async () => {
    // web depends on checkout, which depends on payments and inventory: a web release sees web and
    // checkout, not checkout's own providers (servicesConcerned goes one step).
    const state = releaseOf('r1', { web: 'v6' }, 'production');
    const inserted = await insert('r1', state);
    await s.seedInfraSets([
      infraSet('is-web-v5', { service: 'web', state: 'serving', weight: 100 }),
      infraSet('is-web-v4', { service: 'web', state: 'warm', warmedAt: ago(60) }),
      infraSet('is-checkout-v1', { state: 'serving', weight: 100 }),
      infraSet('is-checkout-staging', { environment: 'staging', state: 'serving', weight: 100 }),
      infraSet('is-payments-v3', { service: 'payments', state: 'serving', weight: 100 }),
      infraSet('is-web-canary', { service: 'web', state: 'provisioning' }),
    ]);
    const freeze = await s.store.environments.addFreeze({ environment: 'production', reason: 'incident 123', from: ago(60), until: null, createdBy: 'U0BOB' });
    expect(await s.store.environments.takeLock({ environment: 'staging', holder: 'U0BOB', reason: null, at: T0 })).toBe(true);

    const read = await s.store.releases.getWithWorld('r1', T0);
    expect(read?.row).toEqual(inserted.row);
    expect(read?.world).toEqual(await s.store.releases.world({ environments: state.plan.path, services: servicesConcerned(config, state) }, T0));
    expect(read?.world).toEqual({
      freezes: [freeze],
      locks: [{ environment: 'staging', holder: 'U0BOB', reason: null, at: T0 }],
      serving: {
        production: { web: { version: 'is-web-v5', infraSetId: 'is-web-v5', others: ['is-web-v4'] }, checkout: { version: 'is-checkout-v1', infraSetId: 'is-checkout-v1' } },
        staging: { checkout: { version: 'is-checkout-staging', infraSetId: 'is-checkout-staging' } },
      },
    });
    expect(await s.store.releases.getWithWorld('r-none', T0)).toBeUndefined();
  });

  it('keeps freezes and locks: in force, lifted, taken once, released once; lifting wakes the waiting releases', async () => {
    const production = await s.store.environments.addFreeze({ environment: 'production', reason: 'incident', from: ago(1), until: at(3600), createdBy: 'U0BOB' });
    expect(production).toEqual({ id: expect.any(Number), environment: 'production', reason: 'incident', from: ago(1), until: at(3600), createdBy: 'U0BOB', liftedAt: null, liftedBy: null });
    const staging = await s.store.environments.addFreeze({ environment: 'staging', reason: 'hold', from: ago(1), until: null, createdBy: 'U0BOB' });
    await s.store.environments.addFreeze({ environment: 'production', reason: 'planned', from: at(600), until: null, createdBy: 'U0BOB' });
    expect(staging.id).toBeGreaterThan(production.id);
    expect((await s.store.environments.freezes(T0)).map((freeze) => freeze.reason)).toEqual(['incident', 'hold']);
    expect((await s.store.environments.freezes(T0, 'staging')).map((freeze) => freeze.reason)).toEqual(['hold']);
    expect((await s.store.environments.freezes(at(7200), 'production')).map((freeze) => freeze.reason)).toEqual(['planned']);
    // Lifting lifts the one in force and the one planned.
    expect(await s.store.environments.liftFreezes('production', 'U0CAROL', T0)).toBe(2);
    expect(await s.store.environments.freezes(at(7200), 'production')).toEqual([]);
    expect(await s.store.environments.liftFreezes('production', 'U0CAROL', T0)).toBe(0);

    const lock = { environment: 'production', holder: 'U0BOB', reason: null, at: T0 };
    expect(await s.store.environments.takeLock(lock)).toBe(true);
    expect(await s.store.environments.takeLock({ ...lock, holder: 'U0CAROL' })).toBe(false);
    expect(await s.store.environments.lockOf('production')).toEqual(lock);
    expect(await s.store.environments.releaseLock('production')).toBe(true);
    expect(await s.store.environments.releaseLock('production')).toBe(false);
    expect(await s.store.environments.lockOf('production')).toBeUndefined();

    await insert('r-waiting', waitingForApproval(stagingRelease('r-waiting')), { nextTickAt: at(3600) });
    await insert('r-running', stagingRelease('r-running'), { nextTickAt: at(3600) });
    expect((await s.store.releases.get('r-waiting'))?.status).toBe('waiting');
    await s.store.environments.wakeWaiting(at(5));
    expect((await s.store.releases.get('r-waiting'))?.nextTickAt).toEqual(at(5));
    expect((await s.store.releases.get('r-running'))?.nextTickAt).toEqual(at(3600));

    await s.store.environments.recordOperatorEvent({ type: 'unfreeze', actor: 'U0CAROL', message: 'lifted', at: T0, data: { environment: 'production' } });
    expect(await s.audit(null)).toEqual([{ kind: 'operator', version: 0, type: 'unfreeze', actor: 'U0CAROL', message: 'lifted', data: { environment: 'production' } }]);
  });

  // ── Infra-sets ──────────────────────────────────────────────────────────────────────────────

  it('moves infra-sets: recorded weights serve, sets that served and are left out turn warm, retired ones stay out', async () => {
    await s.seedInfraSets([
      infraSet('is-a', { state: 'serving', weight: 100, createdAt: ago(120) }),
      infraSet('is-b', { state: 'ready', createdAt: ago(60) }),
      infraSet('is-c', { state: 'warm', createdAt: ago(240), warmedAt: ago(180) }),
      infraSet('is-staging', { environment: 'staging', state: 'serving', weight: 100 }),
    ]);
    await s.store.infraSets.recordWeights({ service: 'checkout', environment: 'production', weights: { 'is-b': 100 }, now: T0 });
    expect(await s.store.infraSets.get('is-b')).toMatchObject({ state: 'serving', weight: 100 });
    expect(await s.store.infraSets.get('is-a')).toMatchObject({ state: 'warm', weight: 0, warmedAt: T0 });
    expect(await s.store.infraSets.get('is-staging')).toMatchObject({ state: 'serving', weight: 100 });
    expect((await s.store.infraSets.of('checkout', 'production')).map((set) => set.id)).toEqual(['is-b', 'is-a', 'is-c']);
    expect((await s.store.infraSets.warm('checkout', 'production')).map((set) => set.id)).toEqual(['is-a', 'is-c']);
    await s.store.infraSets.retire(['is-c'], at(5));
    expect(await s.store.infraSets.get('is-c')).toMatchObject({ state: 'retired', weight: 0, retiredAt: at(5) });
    await s.store.infraSets.recordWeights({ service: 'checkout', environment: 'production', weights: { 'is-a': 80, 'is-c': 20 }, now: at(10) });
    expect((await s.store.infraSets.of('checkout', 'production')).map((set) => [set.id, set.state, set.weight])).toEqual([
      ['is-b', 'warm', 0],
      ['is-a', 'serving', 80],
      ['is-c', 'retired', 0],
    ]);
    expect(await s.store.infraSets.get('is-missing')).toBeUndefined();
  });

  it('applies a transition’s infra-set moves: keep-warm retires past keepWarm, a discarded set drains before its retire is due', async () => {
    // payments keeps one warm and drains for 30 s.
    const sets = (...entries: InfraSetRecord[]) => entries.map((set) => ({ ...set, service: 'payments', environment: 'staging' }));
    await s.seedInfraSets(sets(infraSet('is-old1', { state: 'warm', createdAt: ago(300), warmedAt: ago(120) }), infraSet('is-old2', { state: 'warm', createdAt: ago(200), warmedAt: ago(60) }), infraSet('is-v1', { state: 'serving', weight: 100, createdAt: ago(100) })));
    const state = stagingRelease('r1');
    const first = await insert('r1', state, { effects: [provision('r1', 't1', 'payments')] });
    const canary = 'is-r1-staging-payments';
    const converged = await s.store.releases.save(
      first.row,
      decision(state, {
        events: [event('converged')],
        effects: [
          { kind: 'record_weights', environment: 'staging', service: 'payments', weights: { [canary]: 100 }, discard: [] },
          { kind: 'converged', environment: 'staging', service: 'payments', infraSetId: canary, previousInfraSetId: 'is-v1' },
        ],
      }),
      meta('traffic_applied', T0, null),
    );
    expect(converged.lanes).toEqual(['critical']);
    expect((await s.store.infraSets.of('payments', 'staging')).map((set) => [set.id, set.state, set.weight])).toEqual([
      [canary, 'serving', 100],
      ['is-v1', 'warm', 0],
      ['is-old2', 'retired', 0],
      ['is-old1', 'retired', 0],
    ]);
    // Warm for longer than the drain delay: retired at once, torn down now, outside the release's lane order.
    const critical = await claim('critical');
    expect(critical.map((row) => [row.idempotencyKey, row.releaseId, row.effect])).toEqual(
      expect.arrayContaining([
        ['rel:t1', 'r1', expect.objectContaining({ kind: 'provision' })],
        ['retire:is-old2', null, { kind: 'retire_infra_set', infraSetId: 'is-old2', service: 'payments', environment: 'staging', releaseId: 'r1' }],
        ['retire:is-old1', null, { kind: 'retire_infra_set', infraSetId: 'is-old1', service: 'payments', environment: 'staging', releaseId: 'r1' }],
      ]),
    );
    for (const row of critical) await done(row);

    await s.store.releases.save(
      converged.row,
      decision(state, { events: [event('rollback_started')], effects: [{ kind: 'record_weights', environment: 'staging', service: 'payments', weights: { 'is-v1': 100 }, discard: [canary] }] }),
      meta('rollback', at(10)),
    );
    expect(await s.store.infraSets.get(canary)).toMatchObject({ state: 'draining', weight: 0, retiredAt: at(40) });
    expect(await s.store.infraSets.get('is-v1')).toMatchObject({ state: 'serving', weight: 100 });
    expect((await s.store.cards.snapshot('r1', at(10)))?.draining.map((set) => set.id)).toEqual([canary]);
    expect(await claim('chat', at(10))).toMatchObject([{ idempotencyKey: `drain:${canary}`, effect: { kind: 'thread', text: `⏳ ${canary} is out of traffic and draining; it retires in 30s` } }]);
    expect(keys(await claim('critical', at(39)))).toEqual([]);
    expect(keys(await claim('critical', at(40)))).toEqual([`retire:${canary}`]);
  });

  it('a rollback cancels the forward steps never attempted and keeps those under way', async () => {
    const state = stagingRelease('r1');
    const first = await insert('r1', state, { effects: [provision('r1', 't1'), setWeights('t2', { 'is-r1-staging-checkout': 100 })] });
    const [running] = await claim('critical');
    expect(running?.idempotencyKey).toBe('rel:t1');
    const saved = await s.store.releases.save(first.row, decision(rollingBack(state), { events: [event('rollback_started')], effects: [setWeights('t3', { 'is-v1': 100 }, 'rollback')] }), meta('rollback', at(5)));
    expect(saved).toMatchObject({ rollbackStarted: true, row: { status: 'rolling_back', version: 2 } });
    // The provision under way still runs (and its lease still holds the lane); the rollback follows it.
    expect(keys(await claim('critical', at(40)))).toEqual(['rel:t1']);
    await s.store.outbox.finish({ id: running!.id, attempts: 2 }, { kind: 'done', result: null, now: at(41) });
    expect(keys(await claim('critical', at(41)))).toEqual(['rel:t3']);
    const again = await s.store.releases.save(saved.row, decision(rollingBack(state), { events: [event('rollback_progress')] }), meta('tick', at(50)));
    expect(again).toMatchObject({ rollbackStarted: false, changed: true });
  });

  // ── The outbox ──────────────────────────────────────────────────────────────────────────────

  it('queues an effect once per idempotency key, even after it ran', async () => {
    await enqueue({ key: 'k1' });
    await enqueue({ key: 'k1' });
    const [row, ...more] = await claim('chat');
    expect(more).toEqual([]);
    expect(row).toMatchObject({ kind: 'notify', lane: 'chat', idempotencyKey: 'k1', releaseId: null, attempts: 1, priority: 0, firstPost: false, effect: { kind: 'notify', channel: '#deploys', text: 'k1', releaseId: null } });
    await done(row!);
    await enqueue({ key: 'k1' });
    expect(await claim('chat', at(60))).toEqual([]);
  });

  it('coalesces pending card renders of a release, keeping the higher priority, and claims the higher priority first', async () => {
    await s.store.outbox.enqueue(cardEntry('r1', 'card:r1:a', CARD_PRIORITY.refresh));
    await s.store.outbox.enqueue(cardEntry('r2', 'card:r2:a', CARD_PRIORITY.refresh));
    await s.store.outbox.enqueue(cardEntry('r2', 'card:r2:b', CARD_PRIORITY.stateChange));
    await s.store.outbox.enqueue(cardEntry('r1', 'card:r1:b', CARD_PRIORITY.refresh));
    const [top] = await claim('chat', T0, { limit: 1 });
    expect(top).toMatchObject({ idempotencyKey: 'card:r2:a', releaseId: 'r2', priority: CARD_PRIORITY.stateChange });
    expect((await claim('chat')).map((row) => [row.idempotencyKey, row.priority])).toEqual([['card:r1:a', CARD_PRIORITY.refresh]]);
    // Once the render ran, a new one queues again.
    await done(top!);
    await s.store.outbox.enqueue(cardEntry('r2', 'card:r2:c', CARD_PRIORITY.refresh));
    expect(keys(await claim('chat'))).toEqual(['card:r2:c']);
  });

  it('runs a release’s rows of a lane in order; a posted card stands outside that order, and Slack’s wait holds only posted cards', async () => {
    const critical = (key: string, releaseId: string | null): OutboxEntry => ({ lane: 'critical', key, releaseId, effect: { kind: 'notify', channel: '#ops', text: key, releaseId: null }, now: T0 });
    for (const entry of [critical('a', 'r1'), critical('b', 'r1'), critical('c', 'r2'), critical('d', null), critical('e', null)]) await s.store.outbox.enqueue(entry);
    const firstRound = await claim('critical');
    expect(keys(firstRound)).toEqual(['a', 'c', 'd', 'e']);
    await done(firstRound[0]!);
    expect(keys(await claim('critical'))).toEqual(['b']);

    await s.store.outbox.enqueue(cardEntry('r1', 'card:r1:1', CARD_PRIORITY.stateChange));
    await enqueue({ key: 'line:r1:1', releaseId: 'r1' });
    const [post] = await claim('chat', T0, { withoutCards: true });
    expect(post).toMatchObject({ idempotencyKey: 'card:r1:1', firstPost: true });
    expect(await claim('chat')).toEqual([]);
    await s.store.cards.saved({ releaseId: 'r1', channel: 'C1', ts: '1.0', renderedVersion: 1 }, T0);
    await done(post!);
    await s.store.outbox.enqueue(cardEntry('r1', 'card:r1:2', CARD_PRIORITY.refresh));
    await enqueue({ key: 'line:r1:2', releaseId: 'r1' });
    expect(keys(await claim('chat', T0, { withoutCards: true }))).toEqual(['line:r1:1']);
    expect(await claim('chat', T0, { withoutCards: true })).toEqual([]);
    expect(await claim('chat')).toMatchObject([{ idempotencyKey: 'card:r1:2', firstPost: false }]);
  });

  it('leases a claim: nobody else claims it until the lease runs out, then a takeover leaves the first claim unable to renew or finish it', async () => {
    await enqueue({ key: 'x', lane: 'critical' });
    const [first] = await claim('critical', T0, { leaseSeconds: 30 });
    expect(first?.attempts).toBe(1);
    expect(await claim('critical', at(10))).toEqual([]);
    await s.store.outbox.renew([first!], at(60));
    expect(await claim('critical', at(45))).toEqual([]);
    const [second] = await claim('critical', at(61), { leaseSeconds: 30 });
    expect(second).toMatchObject({ id: first!.id, attempts: 2 });
    // The first claim's renew is of a lease it lost: the second claim's lease still ends at 91 s.
    await s.store.outbox.renew([first!], at(600));
    expect(await claim('critical', at(90))).toEqual([]);
    const [third] = await claim('critical', at(91), { leaseSeconds: 30 });
    expect(third).toMatchObject({ id: first!.id, attempts: 3 });
    expect(await done(first!, at(95))).toBeNull();
    expect(await done(second!, at(96))).toBeNull();
    expect(await done(third!, at(97))).toEqual({ priority: 0 });
    expect(await claim('critical', at(1000))).toEqual([]);
  });

  it('puts a claimed row back for another attempt, counted or not, and ends it done or dead', async () => {
    await enqueue({ key: 'y', lane: 'health' });
    const [first] = await claim('health');
    await s.store.outbox.retry(first!, { at: at(60), error: 'timeout', countAttempt: true });
    expect(await claim('health', at(59))).toEqual([]);
    const [second] = await claim('health', at(60));
    expect(second?.attempts).toBe(2);
    // A wait that was no failure gives the attempt back.
    await s.store.outbox.retry(second!, { at: at(90), error: 'rate limited', countAttempt: false });
    expect(await claim('health', at(89))).toEqual([]);
    const [third] = await claim('health', at(90));
    expect(third?.attempts).toBe(2);
    // A retry from an attempt that is over changes nothing.
    await s.store.outbox.retry(first!, { at: at(0), error: 'stale', countAttempt: false });
    expect(await claim('health', at(91))).toEqual([]);
    expect(await s.store.outbox.finish(third!, { kind: 'dead', error: 'gave up', now: at(91) })).toEqual({ priority: 0 });
    expect(await claim('health', at(10_000))).toEqual([]);
    expect((await s.store.outbox.nextDue()).lanes.health).toBeNull();
  });

  it('answers when there is next something to do: the earliest timer of an active release and of each lane', async () => {
    expect(await s.store.outbox.nextDue()).toEqual({ tick: null, lanes: { critical: null, health: null, chat: null } });
    await insert('r1', stagingRelease('r1'), { nextTickAt: at(60) });
    await insert('r2', finished(stagingRelease('r2')), { nextTickAt: at(30) });
    await insert('r3', stagingRelease('r3'), { nextTickAt: at(120) });
    await enqueue({ key: 'later', lane: 'critical', notBefore: at(45) });
    await enqueue({ key: 'soon', lane: 'chat', now: at(10) });
    expect(await s.store.outbox.nextDue()).toEqual({ tick: at(60), lanes: { critical: at(45), health: null, chat: at(10) } });
    await claim('chat', at(10), { leaseSeconds: 90 });
    expect((await s.store.outbox.nextDue()).lanes.chat).toEqual(at(100));
  });

  it('while Slack asks to wait, an update of a posted card is due when the wait ends; a first post and other rows are not held', async () => {
    await s.store.cards.saved({ releaseId: 'r1', channel: 'C1', ts: '1.0', renderedVersion: 1 }, T0);
    await s.store.outbox.enqueue(cardEntry('r1', 'card:r1:2', CARD_PRIORITY.stateChange));
    const wait = { cardUpdatesNotBefore: at(5) };
    expect((await s.store.outbox.nextDue(wait)).lanes.chat).toEqual(at(5));
    expect((await s.store.outbox.nextDue({ cardUpdatesNotBefore: null })).lanes.chat).toEqual(T0);
    await s.store.outbox.enqueue(cardEntry('r2', 'card:r2:1', CARD_PRIORITY.stateChange));
    expect((await s.store.outbox.nextDue(wait)).lanes.chat).toEqual(T0);
    await done((await claim('chat', T0, { withoutCards: true }))[0]!);
    await enqueue({ key: 'line:r1', releaseId: 'r1', now: at(2) });
    expect((await s.store.outbox.nextDue(wait)).lanes.chat).toEqual(at(2));
  });

  // ── Cards ───────────────────────────────────────────────────────────────────────────────────

  it('keeps where a card lives, never lowering what it showed; a snapshot reads the release, its world and its draining sets', async () => {
    await s.store.cards.saved({ releaseId: 'r1', channel: 'C1', ts: '1.0', renderedVersion: 3 }, T0);
    await s.store.cards.saved({ releaseId: 'r1', channel: 'C1', ts: '1.0', renderedVersion: 2 }, at(1));
    expect(await s.store.cards.position('r1')).toEqual({ releaseId: 'r1', channel: 'C1', ts: '1.0', renderedVersion: 3 });
    expect(await s.store.cards.position('r2')).toBeUndefined();

    await s.seedInfraSets([
      infraSet('is-v1', { environment: 'staging', state: 'serving', weight: 100 }),
      infraSet('is-r1-x', { environment: 'staging', state: 'draining', releaseId: 'r1', retiredAt: at(30) }),
      infraSet('is-r1-y', { environment: 'staging', state: 'retired', releaseId: 'r1', retiredAt: ago(1) }),
    ]);
    const saved = await insert('r1');
    await insert('r2', finished(stagingRelease('r2')));
    expect(await s.store.cards.snapshot('r1', T0)).toEqual({
      release: saved.row,
      world: { freezes: [], locks: [], serving: { staging: { checkout: { version: 'is-v1', infraSetId: 'is-v1' } } } },
      draining: [infraSet('is-r1-x', { environment: 'staging', state: 'draining', releaseId: 'r1', retiredAt: at(30) })],
      position: { releaseId: 'r1', channel: 'C1', ts: '1.0', renderedVersion: 3 },
    });
    expect(await s.store.cards.snapshot('r2', T0)).toMatchObject({ world: null, draining: [], position: undefined });
    expect(await s.store.cards.snapshot('r-missing', T0)).toBeUndefined();
  });

  it('queues a card render at the priority of its transition: a state change outranks a countdown refresh', async () => {
    const one = await insert('r1');
    const two = await insert('r2');
    const refreshed = await s.store.releases.save(one.row, decision(one.row.state, { events: [event('health_reading')], effects: [card] }), meta('health_reading', at(5), null));
    await s.store.releases.save(two.row, decision(two.row.state, { events: [event('paused')], effects: [card] }), meta('pause', at(5)));
    const [first] = await claim('chat', at(5), { limit: 1 });
    expect(first).toMatchObject({ idempotencyKey: 'card:r2:2', priority: CARD_PRIORITY.stateChange });
    // A state change while r1's refresh is still queued raises that render instead of queueing another.
    await s.store.releases.save(refreshed.row, decision(refreshed.row.state, { events: [event('held')], effects: [card] }), meta('health_reading', at(6), null));
    expect((await claim('chat', at(6))).map((row) => [row.idempotencyKey, row.priority])).toEqual([['card:r1:2', CARD_PRIORITY.stateChange]]);
  });

  // ── Version sets ────────────────────────────────────────────────────────────────────────────

  it('mints a version set per merge from the latest one; a replayed merge mints nothing; the history names each merge', async () => {
    const versionSets = new StoredVersionSets(s.store);
    expect(await s.store.versionSets.latest()).toBeUndefined();
    const first = await versionSets.recordMerge({ service: 'payments', version: 'v5', commitSha: 'abc', pullNumber: 12, repo: 'acme/payments' });
    const second = await versionSets.recordMerge({ service: 'checkout', version: 'v9', commitSha: 'def', pullNumber: 13, repo: 'acme/checkout' });
    const replay = await versionSets.recordMerge({ service: 'payments', version: 'v5', commitSha: 'abc', pullNumber: 12, repo: 'acme/payments' });
    expect(second.versionSetId).toBeGreaterThan(first.versionSetId);
    expect(replay).toEqual(first);
    const latest = { id: second.versionSetId, versions: { payments: 'v5', checkout: 'v9' } };
    expect(await s.store.versionSets.latest()).toEqual(latest);
    expect(await s.store.versionSets.byId(first.versionSetId)).toEqual({ id: first.versionSetId, versions: { payments: 'v5' } });
    expect(await s.store.versionSets.byId(999)).toBeUndefined();
    expect(await s.store.versionSets.mergedAs('payments', 'v5')).toBe(first.versionSetId);
    expect(await s.store.versionSets.mergedAs('checkout', 'v5')).toBeUndefined();

    // Minting a version the base already has mints nothing.
    expect(await s.store.versionSets.mintWithVersion({ base: latest, service: 'checkout', version: 'v9', source: 'deploy' })).toEqual(latest);
    const third = await s.store.versionSets.mintWithVersion({ base: latest, service: 'payments', version: 'v6', source: 'deploy' });
    expect(third).toEqual({ id: expect.any(Number), versions: { payments: 'v6', checkout: 'v9' } });
    expect(third.id).toBeGreaterThan(second.versionSetId);
    // Only a merge names the set it made: a deploy's mint does not.
    expect(await s.store.versionSets.mergedAs('payments', 'v6')).toBeUndefined();

    const record = (version: string, firstSetId: number, merge: { commitSha: string; pullNumber: number; repo: string } | null) => ({
      version,
      firstSetId,
      commitSha: merge?.commitSha ?? null,
      pullNumber: merge?.pullNumber ?? null,
      repo: merge?.repo ?? null,
      title: null,
    });
    const payments = [record('v5', first.versionSetId, { commitSha: 'abc', pullNumber: 12, repo: 'acme/payments' }), record('v6', third.id, null)];
    const checkout = [record('v9', second.versionSetId, { commitSha: 'def', pullNumber: 13, repo: 'acme/checkout' })];
    expect(await s.store.versionSets.history(['payments'])).toEqual({ payments });
    expect(await s.store.versionSets.history([])).toEqual({});
    expect(await s.store.versionSets.withHistory({ latest: true })).toEqual({ set: third, history: { payments, checkout } });
    expect(await s.store.versionSets.withHistory({ id: first.versionSetId }, ['checkout'])).toEqual({ set: { id: first.versionSetId, versions: { payments: 'v5' } }, history: { checkout } });
    expect(await s.store.versionSets.withHistory({ id: 999 })).toEqual({ set: undefined, history: {} });
  });

  // ── Units of work and the catalog ───────────────────────────────────────────────────────────

  it('commits what a transaction wrote together, and nothing of a transaction whose work throws', async () => {
    const attempt = s.store.transaction(async (tx) => {
      await tx.environments.lockDeploys();
      await tx.releases.insert({ environment: 'staging', requester: 'U0ALICE' }, decision(stagingRelease('r1'), { effects: [card, provision('r1', 't1')] }), meta('deploy'));
      // Its own writes are visible inside it.
      expect(await tx.releases.get('r1')).toMatchObject({ version: 1 });
      await tx.environments.addFreeze({ environment: 'production', reason: 'x', from: ago(1), until: null, createdBy: 'U0BOB' });
      await tx.environments.takeLock({ environment: 'production', holder: 'U0BOB', reason: null, at: T0 });
      await tx.versionSets.mintWithVersion({ base: undefined, service: 'checkout', version: 'v2', source: 'deploy' });
      await tx.outbox.enqueue({ lane: 'chat', key: 'k', releaseId: null, effect: { kind: 'app_home', releaseId: null }, now: T0 });
      throw new Error('boom');
    });
    await expect(attempt).rejects.toThrow('boom');
    expect(await s.store.releases.get('r1')).toBeUndefined();
    expect(await s.store.releases.active()).toEqual([]);
    expect(await s.audit('r1')).toEqual([]);
    expect(await s.store.infraSets.of('checkout', 'staging')).toEqual([]);
    expect(await s.store.environments.freezes(T0)).toEqual([]);
    expect(await s.store.environments.lockOf('production')).toBeUndefined();
    expect(await s.store.versionSets.latest()).toBeUndefined();
    expect(await s.store.outbox.nextDue()).toEqual({ tick: null, lanes: { critical: null, health: null, chat: null } });

    const committed = await s.store.transaction(async (tx) => {
      const saved = await tx.releases.insert({ environment: 'staging', requester: 'U0ALICE' }, decision(stagingRelease('r1'), { effects: [card] }), meta('deploy'));
      await tx.environments.takeLock({ environment: 'production', holder: 'U0BOB', reason: null, at: T0 });
      return saved.row;
    });
    expect(await s.store.releases.get('r1')).toEqual(committed);
    expect(await s.store.environments.lockOf('production')).toMatchObject({ holder: 'U0BOB' });
    expect(keys(await claim('chat'))).toEqual(['card:r1:1']);
  });

  it('seeds the catalog from the config, idempotently', async () => {
    await s.catalog.sync(config, T0);
    await s.catalog.sync(config, at(60));
    const rows = await s.catalogRows();
    expect(rows.services.map((row) => row.name).sort()).toEqual(['checkout', 'inventory', 'payments', 'web']);
    expect(rows.services.find((row) => row.name === 'checkout')!.dependsOn).toEqual(['payments', 'inventory']);
    expect(rows.environments.map((row) => [row.name, row.position]).sort()).toEqual([['production', 1], ['staging', 0]]);
  });
});
